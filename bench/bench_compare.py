"""The Compare panel's costs, against references where one exists, in the same run, one BLAS thread each.

    python bench/bench_compare.py          # about a minute

Table 1 — the GMM family on every preset (2 000 points, K = 8): our EM from k-means++ to convergence (tol 1e-4
on the mean log-likelihood) against scikit-learn's GaussianMixture started from *our* initial weights, means and
precisions with the same tolerance; CPU time and the final mean log-likelihood of each.
Table 2 — precision and recall (Kynkäänniemi et al. 2019, k = 3): ours (k-d tree radii, blocked ball membership)
against one written with scikit-learn's NearestNeighbors (k-NN radii, then radius queries at the largest radius);
both must agree exactly.
Table 3 — what the panel measures, for the record: each family's CPU time per training unit and per 500 samples
(Eight Gaussians, default sizes, after 300 warm-up steps). No reference: these are the numbers the explanation
quotes ("sampling ~50× slower").
"""
import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture  # noqa: E402
from sklearn.neighbors import NearestNeighbors  # noqa: E402
from timing import best_time  # noqa: E402

from playground.models import metrics  # noqa: E402
from playground.models.compare import FAMILIES, PRESETS, CompareTrainer  # noqa: E402
from playground.models.datasets.toy2d import make_points  # noqa: E402
from playground.models.gmm import GaussianMixture  # noqa: E402

K, N, TOL = 8, 2000, 1e-4


def our_fit(X):
    return GaussianMixture(K, init="kmeans++", tol=TOL, max_iter=500, seed=0).fit(X)


def their_fit(X, start):
    """scikit-learn from our initial parameters (its tol is on the same per-point mean log-likelihood)."""
    model = SklearnGaussianMixture(K, tol=TOL, max_iter=500, reg_covar=1e-6, weights_init=start.weights_,
                                   means_init=start.means_, precisions_init=np.linalg.inv(start.covariances_))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X)


def gmm_table():
    print("Table 1: EM to convergence, ours vs scikit-learn from the same start (CPU ms, mean log-likelihood)")
    print(f"{'data':18s} {'ours ms':>8s} {'sklearn ms':>10s} {'ratio':>6s} {'ours LL':>9s} {'sklearn LL':>10s} "
          f"{'iters':>9s}")
    for preset in PRESETS:
        X = make_points(preset, N, seed=0)
        start = GaussianMixture(K, init="kmeans++", seed=0)
        start.initialize(X)
        ours = our_fit(X)
        theirs = their_fit(X, start)
        t_ours = best_time(lambda: our_fit(X), 3, repeats=3)
        t_theirs = best_time(lambda: their_fit(X, start), 3, repeats=3)
        print(f"{preset:18s} {1000 * t_ours:8.1f} {1000 * t_theirs:10.1f} {t_ours / t_theirs:6.2f} "
              f"{ours.score(X):9.4f} {theirs.score(X):10.4f} {ours.n_iter_:4d}/{theirs.n_iter_:<4d}")


def reference_precision_recall(generated, data, k=3):
    """The same definition on scikit-learn's neighbour searches."""
    def radii(cloud):
        distances, _ = NearestNeighbors(n_neighbors=k + 1).fit(cloud).kneighbors(cloud)
        return distances[:, -1]

    def covered(points, cloud):
        r = radii(cloud)
        distances, indices = NearestNeighbors().fit(cloud).radius_neighbors(points, radius=r.max())
        return np.mean([np.any(d <= r[i]) for d, i in zip(distances, indices)])

    return covered(generated, data), covered(data, generated)


def metric_table():
    print("\nTable 2: precision and recall, ours vs a scikit-learn NearestNeighbors version (CPU ms)")
    print(f"{'points':>7s} {'ours ms':>8s} {'sklearn ms':>10s} {'ratio':>6s}  equal")
    rng = np.random.default_rng(0)
    for n in (500, 2000, 5000):
        data = make_points("Swiss roll", n, seed=1)
        generated = data + rng.normal(0, 0.15, data.shape)
        ours = metrics.precision_recall(generated, data)
        theirs = reference_precision_recall(generated, data)
        t_ours = best_time(lambda: metrics.precision_recall(generated, data), 2, repeats=3)
        t_theirs = best_time(lambda: reference_precision_recall(generated, data), 1, repeats=3)
        print(f"{n:7d} {1000 * t_ours:8.1f} {1000 * t_theirs:10.1f} {t_ours / t_theirs:6.2f}  "
              f"{np.allclose(ours, theirs, atol=1e-12)} ({ours.precision:.3f}, {ours.recall:.3f})")


def family_table():
    print("\nTable 3: the four families in the panel (Eight Gaussians, default sizes; CPU ms)")
    model = CompareTrainer(eval_every=10**6)
    model.train(300)
    steps = 300
    before = model.train_seconds.copy()
    model.train(steps)
    per_step = (model.train_seconds - before) / steps
    rng = np.random.default_rng(0)
    sampling = [best_time(lambda f=family: model.draw(f, 500, rng), 3, repeats=3) for family in FAMILIES]
    print(f"{'family':10s} {'per unit':>9s} {'500 samples':>12s}")
    for family, unit, draw in zip(FAMILIES, per_step, sampling):
        print(f"{family:10s} {1000 * unit:9.3f} {1000 * draw:12.2f}")
    slowest = max(sampling[1], sampling[2])
    print(f"diffusion sampling / slower of GAN and VAE: {sampling[3] / slowest:.0f}×; one step of all four: "
          f"{1000 * per_step.sum():.2f} ms")


def main():
    started = time.perf_counter()
    gmm_table()
    metric_table()
    family_table()
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
