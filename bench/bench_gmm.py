"""Time our GaussianMixture against scikit-learn's on the same data, in the same run, one BLAS thread each.

    python bench/bench_gmm.py            # all tables (about two minutes)
    python bench/bench_gmm.py --quick    # smaller repeats

Table 1: whole fit() (initialisation + ITERATIONS EM iterations, tol=0 so both run exactly that many) for
N ∈ {1 000, 10 000, 100 000}, D = 2, K = 5, each covariance type.
Table 2: the issue's per-iteration targets, full covariances: (fit with ITERATIONS − fit with 0 iterations) /
ITERATIONS, which removes both initialisations.
Last line: one E+M iteration of the panel's GMMTrainer plus its snapshot on 10 000 points (the model's share of
the 16 ms frame budget).
"""
import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture  # noqa: E402

from playground.models.gmm import COVARIANCE_TYPES, GaussianMixture, GMMTrainer  # noqa: E402

ITERATIONS = 30


def clustered_points(n, d, k, seed=0):
    """n points around k random centres in [-10, 10]^d, unit spread."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, (k, d))
    return centres[rng.integers(k, size=n)] + rng.standard_normal((n, d))


def best_time(fit, repeats):
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fit()
        best = min(best, time.perf_counter() - start)
    return best


def ours(X, k, covariance_type, iterations):
    model = GaussianMixture(k, covariance_type=covariance_type, init="kmeans++", tol=0.0, max_iter=iterations)
    return model.fit(X)


def theirs(X, k, covariance_type, iterations):
    model = SklearnGaussianMixture(k, covariance_type=covariance_type, init_params="k-means++", tol=0.0,
                                   max_iter=iterations, random_state=0)
    return model.fit(X)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat instead of three")
    repeats = 1 if parser.parse_args().quick else 3
    warnings.simplefilter("ignore", ConvergenceWarning)  # tol=0 never "converges", by design

    print(f"Whole fit: init + {ITERATIONS} EM iterations, D = 2, K = 5, best of {repeats} (ms)")
    print(f"{'N':>7} {'covariance':>10} {'ours':>9} {'sklearn':>9} {'ratio':>6}")
    for n in (1_000, 10_000, 100_000):
        X = clustered_points(n, 2, 5)
        for covariance_type in COVARIANCE_TYPES:
            assert ours(X, 5, covariance_type, ITERATIONS).n_iter_ == theirs(X, 5, covariance_type, ITERATIONS).n_iter_
            mine = best_time(lambda: ours(X, 5, covariance_type, ITERATIONS), repeats)
            reference = best_time(lambda: theirs(X, 5, covariance_type, ITERATIONS), repeats)
            print(f"{n:>7} {covariance_type:>10} {mine * 1e3:>9.2f} {reference * 1e3:>9.2f} {mine / reference:>6.3f}")

    print(f"\nPer EM iteration, full covariances: (fit with {ITERATIONS} − fit with 0) / {ITERATIONS}, "
          f"best of {repeats} (ms)")
    print(f"{'N':>7} {'K':>3} {'D':>3} {'ours':>8} {'sklearn':>8} {'ratio':>6} {'target':>6}")
    for n, k, d, target in ((10_000, 5, 2, 0.1), (100_000, 10, 2, 0.1), (100_000, 10, 8, 0.4)):
        X = clustered_points(n, d, k)
        per_iteration = []
        for fit in (ours, theirs):
            whole = best_time(lambda: fit(X, k, "full", ITERATIONS), repeats)
            init_only = best_time(lambda: fit(X, k, "full", 0), repeats)
            per_iteration.append((whole - init_only) / ITERATIONS)
        mine, reference = per_iteration
        print(f"{n:>7} {k:>3} {d:>3} {mine * 1e3:>8.3f} {reference * 1e3:>8.3f} {mine / reference:>6.3f} "
              f"{'≤ ' + str(target):>6}")

    X = clustered_points(10_000, 2, 5)
    trainer = GMMTrainer(X, n_components=5)

    def iteration_and_snapshot():
        trainer.em_step()
        trainer.snapshot()

    per_frame = best_time(lambda: [iteration_and_snapshot() for _ in range(20)], repeats) / 20
    print(f"\nGMMTrainer on 10 000 points: em_step() + snapshot() = {per_frame * 1e3:.2f} ms (frame budget 16 ms)")


if __name__ == "__main__":
    main()
