"""Samples per second of our samplers against numpy's Generator and scipy.stats, 1 000 000 draws each, same run.

    python bench/bench_sampling.py

A ratio above 1 means ours is faster. numpy's references are its own generators (``rng.choice`` with ``p``,
``rng.normal``, ``rng.uniform``, ``rng.exponential``, ``rng.beta``; for the mixture, numpy's choice + normal by hand),
scipy's are ``rvs`` of the frozen ``scipy.stats`` distribution, or ``scipy.stats.sampling.NumericalInversePolynomial``
(set up once, not timed) where scipy.stats has no such distribution. Each figure is the best of a few runs after a
warm-up, single-threaded.
"""
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import time  # noqa: E402

import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402
from scipy.stats import sampling as scipy_sampling  # noqa: E402

from playground.models.sampling import PRESETS, SamplingModel, draw  # noqa: E402

N = 1_000_000
REPEATS = 3
CATEGORICAL_BUDGET = 0.1   # seconds for a million categorical draws


def best_time(fn) -> float:
    fn()                                   # warm-up: caches (rejection envelopes), page faults
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def numpy_mixture(dist, rng: np.random.Generator) -> np.ndarray:
    component = rng.choice(len(dist.weights), size=N, p=dist.weights)
    return dist.means[component] + dist.stds[component] * rng.standard_normal(N)


def references(name: str, dist, rng: np.random.Generator) -> tuple:
    """(numpy reference, scipy reference) for a preset; None where the library has nothing comparable."""
    if dist.kind == "categorical":
        k = len(dist.probs)
        scipy_dist = stats.rv_discrete(values=(np.arange(k), dist.probs))
        return (lambda: rng.choice(k, size=N, p=dist.probs)), (lambda: scipy_dist.rvs(size=N, random_state=rng))
    frozen = {
        "Heights N(170, 10)": stats.norm(170, 10),
        "Uniform(0, 1)": stats.uniform(0, 1),
        "Exponential(1)": stats.expon(),
        "Beta(2, 5)": stats.beta(2, 5),
    }.get(name)
    numpy_ref = {
        "Heights N(170, 10)": lambda: rng.normal(170, 10, N),
        "Uniform(0, 1)": lambda: rng.uniform(0, 1, N),
        "Exponential(1)": lambda: rng.exponential(1, N),
        "Beta(2, 5)": lambda: rng.beta(2, 5, N),
        "Two-group heights mixture": lambda: numpy_mixture(dist, rng),
    }.get(name)
    if frozen is not None:
        return numpy_ref, (lambda: frozen.rvs(size=N, random_state=rng))

    class Density:                         # the interface scipy.stats.sampling expects
        def pdf(self, x):
            return dist.pdf(x)

        def cdf(self, x):
            return dist.cdf(x)

    inversion = scipy_sampling.NumericalInversePolynomial(Density(), domain=dist.plot_range(),
                                                          center=dist.mean, random_state=rng)
    return numpy_ref, (lambda: inversion.rvs(N))


def rate(seconds: float | None) -> str:
    return f"{'—':>7}" if seconds is None else f"{N / seconds / 1e6:7.1f}"


def ratio(ours: float, theirs: float | None) -> str:
    return f"{'—':>6}" if theirs is None else f"{theirs / ours:6.2f}"


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"{N:,} draws each, best of {REPEATS}; rates in million samples per second; ratio = ours / reference\n")
    header = (f"{'distribution':28} {'sampler':12} {'ours':>7} {'numpy':>7} {'ratio':>6} "
              f"{'scipy':>7} {'ratio':>6}")
    print(header)
    print("-" * len(header))
    for name, make in PRESETS.items():
        dist = make()
        numpy_ref, scipy_ref = references(name, dist, rng)
        t_numpy = best_time(numpy_ref) if numpy_ref else None
        t_scipy = best_time(scipy_ref) if scipy_ref else None
        for sampler in dist.samplers:
            t_ours = best_time(lambda: draw(dist, N, rng, sampler))
            print(f"{name:28} {sampler:12} {rate(t_ours)} {rate(t_numpy)} {ratio(t_ours, t_numpy)} "
                  f"{rate(t_scipy)} {ratio(t_ours, t_scipy)}")

    marbles = PRESETS["Marble bag"]()
    t_draw = best_time(lambda: draw(marbles, N, rng, "inverse_cdf"))
    model = SamplingModel(marbles)
    t_button = best_time(lambda: model.draw_now(N))
    verdict = "PASS" if t_draw < CATEGORICAL_BUDGET else "FAIL"
    print(f"\n1 000 000 categorical draws (inverse_cdf): {t_draw * 1e3:.1f} ms — {verdict} "
          f"(budget {CATEGORICAL_BUDGET * 1e3:.0f} ms)")
    print(f"SamplingModel.draw_now(1 000 000) on the marble bag (draws + counts + moments + TV): "
          f"{t_button * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
