"""Samplers — ways to turn uniform random numbers into draws from a distribution — and the Sampling panel's model.

Four samplers, each a pure function ``(dist, n, rng, keep) -> (values, trace)``:

* ``inverse_cdf``  u ~ U(0, 1), x = F⁻¹(u). Works for every distribution (for a categorical: the first outcome
                   whose cumulative weight exceeds u). trace: ``u``, ``x``.
* ``rejection``    propose x from an easy density g, keep it if a uniform height y under M·g(x) falls below f(x):
                   the kept points are exactly f-distributed. Needs a bounded density. trace: the proposals ``x``,
                   their heights ``y`` and ``accepted``, plus the run's counts ``n_proposed`` and ``n_accepted``.
* ``box_muller``   two uniforms → two independent N(0, 1) through a polar change of variables (Gaussian only).
                   trace: ``u1``, ``u2``, ``z1``, ``z2`` per pair (values are μ + σ·z1, μ + σ·z2, pair after pair).
* ``ancestral``    pick a mixture component by its weight, then draw from that component (Mixture only).
                   trace: ``component``, ``x``.

``values`` are the draws (outcome indices for a categorical); the trace arrays cover the last ``keep`` draws (for
rejection, the last ``keep`` proposals up to the n-th acceptance; for Box–Muller, the pairs behind them), for the
panel to animate. :func:`draw` is the one entry point.

:class:`SamplingModel` draws a batch per step and keeps what the panel plots — a histogram, running moments, the
total-variation distance to the truth against n, a chi-square goodness-of-fit test — without storing every sample.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

# scipy.special is imported inside the functions that use it: at module level it added ~0.1 s to the app's
# start-up, and the first panel shown needs none of it.

from .base import BaseModel, Snapshot, check_stop
from .distributions import (
    PRESETS,
    Beta,
    Categorical,
    ContinuousDistribution,
    Distribution,
    DrawnDensity,
    Exponential,
    Gaussian,
    Mixture,
    Uniform,
)

__all__ = [
    # re-exported so the panel and notebooks need only this module
    "Distribution", "ContinuousDistribution", "Categorical", "Gaussian", "Uniform", "Exponential", "Beta",
    "Mixture", "DrawnDensity", "PRESETS",
    "SAMPLER_TITLES", "SAMPLERS", "draw", "check_sampler", "rejection_envelope", "chi_square_test",
    "total_variation", "tv_reference", "SamplingSnapshot", "SamplingModel",
]

SAMPLER_TITLES = {"inverse_cdf": "Inverse CDF", "rejection": "Rejection", "box_muller": "Box–Muller",
                  "ancestral": "Ancestral"}
#: Rejection draws its proposals in batches of at most this many (memory stays small however low the acceptance).
MAX_PROPOSAL_BATCH = 1 << 20
#: Rejection is refused where it would keep fewer proposals than this (a narrow spike far from the rest of a
#: mixture can push it to 1 in 10¹²: one step would never end).
MIN_ACCEPTANCE = 0.01


# ---------------------------------------------------------------------------------------------------------------
# Samplers


def _last(a: np.ndarray, k: int) -> np.ndarray:
    """The last k entries of a (all of them if there are fewer; none for k = 0)."""
    return a[max(0, len(a) - k):]


def _open_uniform(rng: np.random.Generator, n: int) -> np.ndarray:
    """U(0, 1) without the endpoint 0, where an unbounded ppf would return −inf. (A 0 comes once in 2⁵³ draws;
    redrawing it keeps the distribution exactly uniform on the remaining grid.)"""
    u = rng.random(n)
    zero = u == 0
    while zero.any():
        u[zero] = rng.random(int(zero.sum()))
        zero = u == 0
    return u


def sample_inverse_cdf(dist: Distribution, n: int, rng: np.random.Generator, keep: int
                       ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    if isinstance(dist, Categorical):
        u = rng.random(n)
        x = np.searchsorted(_cumulative(dist.probs), u, side="right")
    else:
        u = _open_uniform(rng, n)
        x = dist.ppf(u)
    return x, {"u": _last(u, keep).copy(), "x": _last(x, keep).copy()}


def _cumulative(probs: np.ndarray) -> np.ndarray:
    """Cumulative probabilities ending in exactly 1 — also after any trailing zero-weight outcomes, so u < 1 can
    never select an outcome of weight 0."""
    cum = np.cumsum(probs) / probs.sum()
    cum[np.flatnonzero(probs)[-1]:] = 1.0
    return cum


def sample_box_muller(dist: Gaussian, n: int, rng: np.random.Generator, keep: int
                      ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    pairs = (n + 1) // 2
    u1 = 1.0 - rng.random(pairs)      # in (0, 1], so log(u1) is finite
    u2 = rng.random(pairs)
    radius = np.sqrt(-2.0 * np.log(u1))
    z1, z2 = radius * np.cos(2 * np.pi * u2), radius * np.sin(2 * np.pi * u2)
    values = dist.mean + dist.std * np.column_stack([z1, z2]).ravel()[:n]    # z1, z2 of each pair in turn
    shown = slice(pairs - (min(n, keep) + 1) // 2, pairs)
    return values, {"u1": u1[shown].copy(), "u2": u2[shown].copy(), "z1": z1[shown].copy(), "z2": z2[shown].copy()}


def sample_ancestral(dist: Mixture, n: int, rng: np.random.Generator, keep: int
                     ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    component = np.searchsorted(_cumulative(dist.weights), rng.random(n), side="right")
    x = dist.means[component] + dist.stds[component] * rng.standard_normal(n)
    return x, {"component": _last(component, keep).copy(), "x": _last(x, keep).copy()}


def sample_rejection(dist: Distribution, n: int, rng: np.random.Generator, keep: int
                     ) -> tuple[np.ndarray, dict[str, Any]]:
    """Propose in batches; stop at the proposal that gives the n-th acceptance, as if proposing one at a time, so
    the counts (and the acceptance rate) are those of the sequential algorithm."""
    envelope = _envelope(dist)
    target = dist.pmf if isinstance(dist, Categorical) else dist.pdf
    accepted_values: list[np.ndarray] = []
    shown = {"x": np.empty(0, envelope.dtype), "y": np.empty(0), "accepted": np.empty(0, bool)}  # last proposals
    n_accepted = n_proposed = 0
    while n_accepted < n:
        wanted = n - n_accepted
        size = min(MAX_PROPOSAL_BATCH, int(wanted / envelope.acceptance * 1.1) + 16)
        x = envelope.propose(rng, size)
        y = rng.random(size) * envelope(x)          # a uniform height under the envelope M·g(x)
        accepted = y < target(x)
        running = np.cumsum(accepted)
        used = size if running[-1] < wanted else int(np.searchsorted(running, wanted)) + 1
        x, y, accepted = x[:used], y[:used], accepted[:used]
        accepted_values.append(x[accepted])
        n_accepted += int(running[used - 1])
        n_proposed += used
        for key, part in (("x", x), ("y", y), ("accepted", accepted)):
            shown[key] = _last(np.concatenate([shown[key], _last(part, keep)]), keep)
    values = np.concatenate(accepted_values) if accepted_values else np.empty(0, envelope.dtype)
    trace = dict(shown, n_proposed=np.array(n_proposed), n_accepted=np.array(n_accepted))
    return values, trace


SAMPLERS: dict[str, Callable[..., tuple[np.ndarray, dict[str, np.ndarray]]]] = {
    "inverse_cdf": sample_inverse_cdf,
    "rejection": sample_rejection,
    "box_muller": sample_box_muller,
    "ancestral": sample_ancestral,
}


def check_sampler(dist: Distribution, sampler: str | None) -> str:
    """The sampler's name if it can sample ``dist`` (None → the distribution's default); otherwise ValueError."""
    if not isinstance(dist, Distribution):
        raise ValueError(f"expected a distribution (Categorical, Gaussian, …), not {dist!r}")
    if sampler is None:
        return dist.samplers[0]
    valid = ", ".join(dist.samplers)
    if sampler == "rejection" and getattr(dist, "max_density", 0.0) == math.inf:
        raise ValueError(f"rejection sampling needs a bounded density to put an envelope over, but {dist.label} "
                         f"goes to infinity at an edge (a or b below 1); use {valid} instead")
    if sampler not in SAMPLERS:
        raise ValueError(f"there is no sampler called {sampler!r}; {dist.label} can use: {valid}")
    if sampler not in dist.samplers:
        raise ValueError(f"{SAMPLER_TITLES[sampler]} cannot sample {dist.label}; choose one of: {valid}")
    if sampler == "rejection" and (acceptance := _envelope(dist).acceptance) < MIN_ACCEPTANCE:
        others = ", ".join(SAMPLER_TITLES[name] for name in dist.samplers if name != "rejection")
        raise ValueError(f"rejection sampling would keep only 1 in {1 / acceptance:,.0f} proposals for {dist.label}, "
                         f"too few to watch; use {others} instead")
    return sampler


def draw(dist: Distribution, n: int, rng: np.random.Generator, sampler: str | None = None, keep: int = 200
         ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``n`` draws from ``dist`` with the named sampler (default: ``dist.samplers[0]``).

    Returns ``(values, trace)``: values has shape (n,) — float, or int outcome indices for a categorical — and
    trace holds the sampler's working for the last ``keep`` draws (the keys are listed in the module docstring).
    """
    sampler = check_sampler(dist, sampler)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"the number of samples must be a whole number ≥ 0, not {n!r}")
    if isinstance(keep, bool) or not isinstance(keep, (int, np.integer)) or keep < 0:
        raise ValueError(f"keep must be a whole number ≥ 0, not {keep!r}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy Generator, e.g. np.random.default_rng(0)")
    return SAMPLERS[sampler](dist, int(n), rng, int(keep))


# ---------------------------------------------------------------------------------------------------------------
# Rejection envelopes: a proposal g that is easy to draw from, scaled by M so that M·g(x) ≥ f(x) everywhere.


@dataclass(frozen=True)
class _OutcomeEnvelope:
    """Categorical: propose each of K outcomes with probability 1/K; M·g = max p, so outcome k survives with
    probability p_k / max p."""

    n_outcomes: int
    height: float
    dtype = np.dtype(np.int64)

    def propose(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.integers(0, self.n_outcomes, size)

    def __call__(self, k: Any) -> np.ndarray:
        return np.full(np.shape(k), self.height)

    @property
    def acceptance(self) -> float:
        return 1.0 / (self.n_outcomes * self.height)


@dataclass(frozen=True)
class _UniformEnvelope:
    """Bounded support: a uniform proposal on [lo, hi] under a flat lid at the density's maximum."""

    lo: float
    hi: float
    height: float
    dtype = np.dtype(float)

    def propose(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.lo + (self.hi - self.lo) * rng.random(size)

    def __call__(self, x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return np.where((x >= self.lo) & (x <= self.hi), self.height, 0.0)

    @property
    def acceptance(self) -> float:
        return 1.0 / (self.height * (self.hi - self.lo))


@dataclass(frozen=True)
class _CauchyEnvelope:
    """Unbounded support: a Cauchy proposal (restricted to the support). Its 1/x² tails are heavier than any of
    our densities' tails, so a finite M exists."""

    loc: float
    scale: float
    lo: float
    hi: float
    M: float = 1.0
    dtype = np.dtype(float)

    def _cauchy_cdf(self, x: float) -> float:
        return 0.5 + math.atan((x - self.loc) / self.scale) / math.pi

    @property
    def _mass(self) -> tuple[float, float]:
        return self._cauchy_cdf(self.lo), self._cauchy_cdf(self.hi)

    def propose(self, rng: np.random.Generator, size: int) -> np.ndarray:
        c_lo, c_hi = self._mass
        u = c_lo + (c_hi - c_lo) * rng.random(size)
        return np.clip(self.loc + self.scale * np.tan(np.pi * (u - 0.5)), self.lo, self.hi)

    def __call__(self, x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        c_lo, c_hi = self._mass
        g = 1.0 / (np.pi * self.scale * (1 + ((x - self.loc) / self.scale) ** 2)) / (c_hi - c_lo)
        return np.where((x >= self.lo) & (x <= self.hi), self.M * g, 0.0)

    @property
    def acceptance(self) -> float:
        return 1.0 / self.M


#: M is the largest f/g found on a fine grid, times this margin: f/g is smooth, so the grid misses its maximum by
#: far less than 2 %, and a slightly high M costs only a slightly lower acceptance rate, never exactness.
ENVELOPE_SAFETY = 1.02


def _fit_cauchy_envelope(dist: ContinuousDistribution) -> _CauchyEnvelope:
    """Centre the Cauchy on the median with the distribution's interquartile half-width, then find M."""
    q25, median, q75 = (float(q) for q in dist.ppf(np.array([0.25, 0.5, 0.75])))
    base = _CauchyEnvelope(median, (q75 - q25) / 2, *dist.support)
    # A grid dense where the mass is (quantiles), reaching 1e-12 into each tail, plus the points where a density
    # peaks (the mean, and each mixture component's mean — a narrow component can hide between quantiles).
    tails = np.logspace(-12, -2, 200)
    u = np.concatenate([tails, np.linspace(0.01, 0.99, 20_000), 1 - tails])
    peaks = [dist.mean, *getattr(dist, "means", ())]
    grid = np.concatenate([dist.ppf(u), peaks])
    grid = grid[(grid >= dist.support[0]) & (grid <= dist.support[1])]
    ratio = dist.pdf(grid) / base(grid)
    return _CauchyEnvelope(base.loc, base.scale, base.lo, base.hi, M=ENVELOPE_SAFETY * float(ratio.max()))


@functools.lru_cache(maxsize=32)
def _envelope(dist: Distribution) -> _OutcomeEnvelope | _UniformEnvelope | _CauchyEnvelope:
    """The rejection envelope for ``dist``, computed once per distribution (they are immutable and hashable)."""
    if isinstance(dist, Categorical):
        return _OutcomeEnvelope(len(dist.probs), float(dist.probs.max()))
    lo, hi = dist.support
    if math.isfinite(lo) and math.isfinite(hi):
        return _UniformEnvelope(lo, hi, dist.max_density)
    return _fit_cauchy_envelope(dist)


def rejection_envelope(dist: Distribution, x: Any) -> np.ndarray:
    """M·g(x), the lid rejection sampling puts over the density (for a categorical, x are outcome indices)."""
    check_sampler(dist, "rejection")
    return _envelope(dist)(x)


# ---------------------------------------------------------------------------------------------------------------
# How far the samples are from the truth


def total_variation(counts: np.ndarray, probs: np.ndarray) -> float:
    """½ Σ |counts/n − p|: the largest difference in probability the empirical distribution assigns any event."""
    return 0.5 * float(np.abs(counts / counts.sum() - probs).sum())


def tv_reference(probs: np.ndarray) -> float:
    """c with E[TV] ≈ c/√n: each cell's |p̂ − p| is about half-normal with mean √(2p(1−p)/(πn))."""
    return 0.5 * float(np.sqrt(2 * probs * (1 - probs) / np.pi).sum())


def chi_square_test(counts: np.ndarray, probs: np.ndarray, min_expected: float = 5.0
                    ) -> tuple[float, int, float]:
    """Pearson's chi-square goodness of fit: (statistic, degrees of freedom, p-value).

    Neighbouring cells are merged, left to right, until each expects at least ``min_expected`` counts (the
    textbook condition for the chi-square approximation). With fewer than two cells left the test is undefined:
    (NaN, 0, NaN).
    """
    from scipy import special
    n = int(counts.sum())
    expected = n * probs
    group_counts: list[float] = []
    group_expected: list[float] = []
    count_sum = expected_sum = 0.0
    for c, e in zip(counts.tolist(), expected.tolist()):
        count_sum += c
        expected_sum += e
        if expected_sum >= min_expected:
            group_counts.append(count_sum)
            group_expected.append(expected_sum)
            count_sum = expected_sum = 0.0
    if group_counts:                      # what is left over joins the last full group
        group_counts[-1] += count_sum
        group_expected[-1] += expected_sum
    if len(group_counts) < 2:
        return math.nan, 0, math.nan
    observed, expected_counts = np.array(group_counts), np.array(group_expected)
    statistic = float(np.sum((observed - expected_counts) ** 2 / expected_counts))
    dof = len(group_counts) - 1
    # The chi-square survival function straight from scipy.special: the same p-value as scipy.stats.chisquare, but
    # importing scipy.stats takes ~0.7 s and would freeze the first frames of the panel.
    return statistic, dof, float(special.chdtrc(dof, statistic))


# ---------------------------------------------------------------------------------------------------------------
# The model behind the Sampling panel


@dataclass(frozen=True, kw_only=True, eq=False)
class SamplingSnapshot(Snapshot):
    """What the Sampling panel draws. Categorical: ``counts`` per outcome. Continuous: ``counts`` per bin of
    ``bin_edges`` plus the ``below``/``above`` tails."""

    kind: str
    label: str
    sampler: str
    samplers: tuple[str, ...]               # the samplers valid for this distribution, default first
    n: int
    batch: int
    outcomes: tuple[str, ...]               # empty for continuous
    probs: np.ndarray                       # (K,) true pmf; empty for continuous
    counts: np.ndarray                      # (K,) or (B,) int64
    bin_edges: np.ndarray                   # (B+1,); empty for categorical
    below: int
    above: int
    curve_x: np.ndarray                     # (G,) over plot_range; empty for categorical
    pdf_y: np.ndarray                       # (G,)
    cdf_y: np.ndarray                       # (G,)
    component_pdf_y: np.ndarray             # (C, G) weighted component densities of a Mixture; (0, G) otherwise
    envelope_y: np.ndarray                  # rejection's M·g: (G,) on curve_x, or (K,) per outcome; else empty
    true_mean: float
    true_var: float
    sample_mean: float                      # NaN until n ≥ 1
    sample_var: float                       # unbiased (n − 1); NaN until n ≥ 2
    tv_n: np.ndarray                        # (M,) int64, log-spaced
    tv: np.ndarray                          # (M,) total-variation distance at those n
    tv_reference: float                     # E[TV] ≈ tv_reference / √n
    gof_test: str
    gof_statistic: float
    gof_dof: int
    gof_p: float
    acceptance_rate: float                  # NaN unless rejection
    trace: dict[str, np.ndarray]            # the sampler's working for the most recent draws
    recent: np.ndarray                      # the last ≤ 200 values
    nonfinite_ok: tuple[str, ...] = field(
        default=("sample_mean", "sample_var", "gof_statistic", "gof_p", "acceptance_rate"),
        repr=False, compare=False)

    def __eq__(self, other: object) -> bool:
        """Field by field, arrays by value (NaN equal to NaN) — what "same seed ⇒ same snapshot" means."""
        if type(other) is not type(self):
            return NotImplemented
        return all(_same(getattr(self, name), getattr(other, name)) for name in self.__dataclass_fields__)

    __hash__ = None  # type: ignore[assignment]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


@dataclass(frozen=True)
class _Truth:
    """Everything about the true distribution the panel compares samples with; fixed per (distribution, sampler,
    bins). ``cell_probs`` matches the model's count cells: outcomes, or [below, bin 1 … bin B, above]."""

    cell_probs: np.ndarray
    bin_edges: np.ndarray
    curve_x: np.ndarray
    pdf_y: np.ndarray
    cdf_y: np.ndarray
    component_pdf_y: np.ndarray
    envelope_y: np.ndarray


def _truth(dist: Distribution, sampler: str, bins: int, points: int) -> _Truth:
    empty = np.empty(0)
    if isinstance(dist, Categorical):
        envelope = rejection_envelope(dist, np.arange(len(dist.probs))) if sampler == "rejection" else empty
        return _Truth(dist.probs.copy(), empty, empty, empty, empty, np.empty((0, 0)), envelope)
    lo, hi = dist.plot_range()
    edges = np.linspace(lo, hi, bins + 1)
    cdf_at_edges = dist.cdf(edges)
    cell_probs = np.concatenate([[cdf_at_edges[0]], np.diff(cdf_at_edges), [1 - cdf_at_edges[-1]]])
    x = np.linspace(lo, hi, points)
    pdf_y = dist.pdf(x)
    infinite = ~np.isfinite(pdf_y)
    if infinite.any():
        # A Beta with a or b below 1 is infinite at an edge: draw the curve from half a grid step inside it.
        half_step = (hi - lo) / (points - 1) / 2
        x[infinite] += np.where(x[infinite] <= lo, half_step, -half_step)
        pdf_y = dist.pdf(x)
    components = dist.component_pdf(x) if isinstance(dist, Mixture) else np.empty((0, points))
    envelope = rejection_envelope(dist, x) if sampler == "rejection" else empty
    return _Truth(np.maximum(cell_probs, 0.0), edges, x, pdf_y, dist.cdf(x), components, envelope)


def _whole_number(name: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
        lo_text, hi_text = (f"{bound:_}".replace("_", " ") for bound in (lo, hi))
        raise ValueError(f"{name} must be a whole number from {lo_text} to {hi_text}, not {value!r}")
    return int(value)


class SamplingModel(BaseModel):
    """Draw from a distribution, a batch per step, and keep the statistics the Sampling panel shows.

    >>> model = SamplingModel(PRESETS["Heights N(170, 10)"](), sampler="box_muller", seed=1)
    >>> model.draw_now(10_000); snap = model.snapshot(); round(snap.sample_mean)
    170
    """

    TRACE_KEEP = 200          # trace rows kept for the panel's animation
    RECENT_KEEP = 200         # last values kept
    CURVE_POINTS = 400        # grid for the pdf/cdf curves
    TV_GROWTH = 1.1           # record the TV whenever n has grown by 10 % (at most ~440 records up to n = 2⁶³)
    MAX_BATCH = 1_000_000
    MAX_DRAW = 10_000_000
    DRAW_CHUNK = 100_000      # draw_now's unit of work: ≤ 0.1 s even for Beta by inverse CDF, so it stops quickly
    MAX_BINS = 1000

    def __init__(self, distribution: Distribution | None = None, *, sampler: str | None = None, batch: int = 10,
                 bins: int = 60, seed: int = 0) -> None:
        distribution = PRESETS["Marble bag"]() if distribution is None else distribution
        sampler = check_sampler(distribution, sampler)
        batch = _whole_number("the batch size", batch, 1, self.MAX_BATCH)
        bins = _whole_number("the number of bins", bins, 2, self.MAX_BINS)
        super().__init__(seed=seed)
        self.distribution, self.sampler, self.batch, self.bins = distribution, sampler, batch, bins
        self._configure()

    def tunable(self) -> tuple[str, ...]:
        return ("distribution", "sampler", "batch", "bins")

    def set_params(self, **params: Any) -> None:
        """Change any of distribution / sampler / batch / bins. Everything is checked before anything changes.

        A different distribution, sampler or bin count clears the accumulated samples (the random stream goes on).
        Without an explicit sampler a new distribution keeps the current one if it can, else takes its default.
        """
        unknown = set(params) - set(self.tunable())
        if unknown:
            raise ValueError(f"SamplingModel has no parameter(s) {', '.join(sorted(unknown))}")
        dist = params.get("distribution", self.distribution)
        default_sampler = check_sampler(dist, None)          # also checks that dist is a distribution
        if "sampler" in params:
            sampler = check_sampler(dist, params["sampler"])
        else:
            sampler = self.sampler if self.sampler in dist.samplers else default_sampler
        batch = _whole_number("the batch size", params.get("batch", self.batch), 1, self.MAX_BATCH)
        bins = _whole_number("the number of bins", params.get("bins", self.bins), 2, self.MAX_BINS)

        changed = (dist, sampler, bins) != (self.distribution, self.sampler, self.bins)
        self.distribution, self.sampler, self.batch, self.bins = dist, sampler, batch, bins
        if changed:
            self._configure()

    def reset(self) -> None:
        super().reset()
        self._clear()

    def step(self) -> None:
        self._take(self.batch)

    def draw_now(self, n: int) -> None:
        """Draw n samples at once (the panel's "10 000" and "1 000 000" buttons). Not a step: n_steps is unchanged."""
        n = _whole_number("the number of samples", n, 1, self.MAX_DRAW)
        while n > 0:                                   # chunks keep the memory of a 10-million draw small
            check_stop()
            chunk = min(n, self.DRAW_CHUNK)
            self._take(chunk)
            n -= chunk

    # -- state ---------------------------------------------------------------------------------------------------

    def _configure(self) -> None:
        self._truth = _truth(self.distribution, self.sampler, self.bins, self.CURVE_POINTS)
        self._tv_reference = tv_reference(self._truth.cell_probs)
        self._clear()

    def _clear(self) -> None:
        self.n = 0
        self._counts = np.zeros(len(self._truth.cell_probs), dtype=np.int64)
        self._mean = 0.0
        self._m2 = 0.0                                  # Σ (x − mean)², merged batch by batch (Chan et al.)
        self._tv_n: list[int] = []
        self._tv: list[float] = []
        self._next_tv_n = 1
        _, self._trace = draw(self.distribution, 0, self.rng, self.sampler)   # right keys, no rows, no randomness
        self._recent = np.empty(0, dtype=np.int64 if self.distribution.kind == "categorical" else float)

    def _cells(self, values: np.ndarray) -> np.ndarray:
        """The count cell of each value: the outcome index, or 0 = below, 1 … B = bins, B + 1 = above."""
        if self.distribution.kind == "categorical":
            return values
        edges = self._truth.bin_edges
        lo, hi, bins = edges[0], edges[-1], len(edges) - 1
        # Below lo → −1 → cell 0; x = hi belongs to the last bin (as in np.histogram); above hi → cell B + 1.
        cell = np.clip(np.floor((values - lo) * (bins / (hi - lo))), -1, bins - 1).astype(np.int64) + 1
        return np.where(values > hi, bins + 1, cell)

    def _take(self, count: int) -> None:
        values, trace = draw(self.distribution, count, self.rng, self.sampler, keep=self.TRACE_KEEP)
        cells = self._cells(values)
        # Count in segments that end where the next TV point is due, so the TV curve gets its log-spaced points
        # whatever the batch size — even inside one draw of a million.
        start = 0
        while start < count:
            stop = min(count, start + self._next_tv_n - self.n)
            self._counts += np.bincount(cells[start:stop], minlength=len(self._counts))
            self.n += stop - start
            start = stop
            if self.n >= self._next_tv_n:
                self._tv_n.append(self.n)
                self._tv.append(total_variation(self._counts, self._truth.cell_probs))
                self._next_tv_n = max(self.n + 1, math.ceil(self.TV_GROWTH * self.n))
        self._merge_moments(values.astype(float))
        self._merge_trace(trace)
        self._recent = np.concatenate([self._recent, values[-self.RECENT_KEEP:]])[-self.RECENT_KEEP:]

    def _merge_moments(self, x: np.ndarray) -> None:
        """Chan et al.'s pairwise update: combine the batch's mean and M2 with the running ones. Stable for values
        around 170 over millions of samples, unlike accumulating Σx and Σx²."""
        n_batch = len(x)
        n_before = self.n - n_batch
        batch_mean = float(x.mean())
        batch_m2 = float(((x - batch_mean) ** 2).sum())
        delta = batch_mean - self._mean
        self._mean += delta * n_batch / self.n
        self._m2 += batch_m2 + delta**2 * n_before * n_batch / self.n

    def _merge_trace(self, trace: dict[str, np.ndarray]) -> None:
        """Keep the most recent rows across steps; counts (0-d arrays) add up."""
        rows = (self.TRACE_KEEP + 1) // 2 if self.sampler == "box_muller" else self.TRACE_KEEP  # a row is a pair
        for key, value in trace.items():
            if value.ndim == 0:
                self._trace[key] = self._trace[key] + value
            else:
                self._trace[key] = np.concatenate([self._trace[key], value])[-rows:]

    # -- snapshot ------------------------------------------------------------------------------------------------

    def snapshot(self) -> SamplingSnapshot:
        dist, truth = self.distribution, self._truth
        categorical = dist.kind == "categorical"
        if self.n:
            statistic, dof, p = chi_square_test(self._counts, truth.cell_probs)
        else:
            statistic, dof, p = math.nan, 0, math.nan
        acceptance = math.nan
        if self.sampler == "rejection" and self._trace["n_proposed"] > 0:
            acceptance = float(self._trace["n_accepted"] / self._trace["n_proposed"])
        return SamplingSnapshot(
            step=self.n_steps,
            kind=dist.kind,
            label=dist.label,
            sampler=self.sampler,
            samplers=dist.samplers,
            n=self.n,
            batch=self.batch,
            outcomes=dist.outcomes if categorical else (),
            probs=dist.probs.copy() if categorical else np.empty(0),
            counts=self._counts.copy() if categorical else self._counts[1:-1].copy(),
            bin_edges=truth.bin_edges.copy(),
            below=0 if categorical else int(self._counts[0]),
            above=0 if categorical else int(self._counts[-1]),
            curve_x=truth.curve_x.copy(),
            pdf_y=truth.pdf_y.copy(),
            cdf_y=truth.cdf_y.copy(),
            component_pdf_y=truth.component_pdf_y.copy(),
            envelope_y=truth.envelope_y.copy(),
            true_mean=float(dist.mean),
            true_var=float(dist.var),
            sample_mean=self._mean if self.n >= 1 else math.nan,
            sample_var=self._m2 / (self.n - 1) if self.n >= 2 else math.nan,
            tv_n=np.array(self._tv_n, dtype=np.int64),
            tv=np.array(self._tv, dtype=float),
            tv_reference=self._tv_reference,
            gof_test="chi-square",
            gof_statistic=statistic,
            gof_dof=dof,
            gof_p=p,
            acceptance_rate=acceptance,
            trace={key: value.copy() for key, value in self._trace.items()},
            recent=self._recent.copy(),
        )
