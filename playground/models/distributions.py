"""The distributions the Sampling panel draws from: a categorical table and six continuous densities.

Every distribution is immutable and checks its parameters when it is made, raising ``ValueError`` with a message a
student can act on ("weight for 'blue' is negative (-0.3); weights must be ≥ 0"). Two distributions with the same
parameters compare equal, so a panel can tell a real change from a re-sent one.

Common attributes: ``label`` ("N(170, 10²)"), ``kind`` ("categorical" or "continuous"), ``mean``, ``var`` and
``samplers`` (the sampler names that work for it, the default first; see :mod:`playground.models.sampling`).

Continuous distributions add ``pdf(x)``, ``cdf(x)``, ``ppf(u)`` (the inverse CDF, exact or to ~1e-10),
``support`` = (lo, hi) with ±inf allowed, and ``plot_range()``: a finite window holding 99.9 % of the mass plus a
margin. Those with a bounded support also know ``max_density``, the height a rejection envelope must clear.

A :class:`Categorical` has ``outcomes``, ``probs`` and ``pmf(k)``. Its samples are outcome *indices* 0 … K−1, so
its ``mean`` and ``var`` are those of the index.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Sequence

import numpy as np

# scipy.special is imported inside the functions that use it: at module level it added ~0.1 s to the app's
# start-up, and the first panel shown needs none of it.

__all__ = [
    "Distribution", "ContinuousDistribution", "Categorical", "Gaussian", "Uniform", "Exponential", "Beta",
    "Mixture", "DrawnDensity", "PRESETS", "from_dict",
]

#: How far weights may sum from 1 before we refuse them (and offer to normalise).
WEIGHT_TOLERANCE = 1e-9
#: ``plot_range`` covers the central 99.9 % of the mass, widened by this fraction of its width on each side.
PLOT_TAIL = 0.0005
PLOT_MARGIN = 0.05
#: Every parameter lies within ±MAX_ABS and every scale (σ, λ, a, b, a uniform's width) is at least MIN_SCALE:
#: beyond that, squares overflow (σ = 1e300) or a plot's bins become narrower than the spacing of float64 numbers
#: (N(1e15, 1e-10)), and sampling or drawing fails instead of showing a distribution.
MAX_ABS = 1e6
MIN_SCALE = 1e-6
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _fmt(x: float) -> str:
    """A number as a student would write it: 170, 0.3, 1e-05."""
    return f"{x:.4g}"


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, not {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if abs(value) > MAX_ABS:
        raise ValueError(f"{name} must be between {_fmt(-MAX_ABS)} and {_fmt(MAX_ABS)}, got {_fmt(value)} "
                         "(rescale: thousands or millions of a unit)")
    return value


def _positive(name: str, value: Any) -> float:
    value = _number(name, value)
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {_fmt(value)}")
    if value < MIN_SCALE:
        raise ValueError(f"{name} must be at least {_fmt(MIN_SCALE)}, got {_fmt(value)}")
    return value


def _weights(names: Sequence[str], weights: Any, *, normalise: bool, noun: str) -> np.ndarray:
    """Check one weight per name (each ≥ 0 and finite, not all zero); return them summing to exactly 1.

    ``names`` are already quoted for messages ("'blue'", "component 2"). Unless ``normalise``, the weights must
    already sum to 1 within WEIGHT_TOLERANCE; the tiny rescale that remains only removes rounding.
    """
    values = list(weights)
    if len(values) != len(names):
        raise ValueError(f"{len(names)} {noun} but {len(values)} weights; give exactly one weight to each")
    w = np.empty(len(values))
    for i, (name, value) in enumerate(zip(names, values)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"weight for {name} must be a number, not {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"weight for {name} is {value}; weights must be finite numbers")
        if value < 0:
            raise ValueError(f"weight for {name} is negative ({_fmt(value)}); weights must be ≥ 0")
        w[i] = value
    total = math.fsum(w)
    if total == 0:
        raise ValueError("all weights are zero; give at least one a positive weight")
    if not normalise and abs(total - 1) > WEIGHT_TOLERANCE:
        raise ValueError(f"weights must sum to 1; they sum to {total:.10g} (normalise to rescale them)")
    return w / total


class Distribution:
    """Base of every distribution: immutable after ``__init__``, equal when the parameters are equal."""

    kind: str
    label: str
    mean: float
    var: float
    samplers: tuple[str, ...]

    def _freeze(self, **attributes: Any) -> None:
        """Set the attributes once, make arrays read-only, and cache the hash (a model hashes it every step)."""
        for name, value in attributes.items():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_hash", hash((type(self).__name__, self._params())))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} cannot be changed; make a new one")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} cannot be changed; make a new one")

    def _params(self) -> tuple:
        """The constructor's arguments as plain tuples: what equality, hashing and repr are based on."""
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._params() == self._params()

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"{type(self).__name__}{self._params()!r}"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (settings, saved sessions); :func:`from_dict` turns it back into a distribution."""
        return {"type": type(self).__name__,
                "params": [list(p) if isinstance(p, tuple) else p for p in self._params()]}

    # Immutable, so a copy is the object itself (model checkpoints deep-copy their state often).
    def __copy__(self) -> "Distribution":
        return self

    def __deepcopy__(self, memo: dict) -> "Distribution":
        return self


class ContinuousDistribution(Distribution):
    kind = "continuous"
    support: tuple[float, float]

    def pdf(self, x: Any) -> np.ndarray:
        raise NotImplementedError

    def cdf(self, x: Any) -> np.ndarray:
        raise NotImplementedError

    def ppf(self, u: Any) -> np.ndarray:
        raise NotImplementedError

    def plot_range(self) -> tuple[float, float]:
        lo, hi = float(self.ppf(PLOT_TAIL)), float(self.ppf(1 - PLOT_TAIL))
        margin = PLOT_MARGIN * (hi - lo)
        return max(lo - margin, self.support[0]), min(hi + margin, self.support[1])


def _outside_unit(u: np.ndarray, x: np.ndarray) -> np.ndarray:
    """ppf is undefined outside [0, 1]: NaN there."""
    return np.where((u >= 0) & (u <= 1), x, np.nan)


# ---------------------------------------------------------------------------------------------------------------


class Categorical(Distribution):
    """A finite list of named outcomes with probabilities: a bag of marbles, tomorrow's weather."""

    kind = "categorical"
    samplers = ("inverse_cdf", "rejection")

    def __init__(self, outcomes: Sequence[str], weights: Sequence[float]) -> None:
        names = _outcome_names(outcomes)
        probs = _weights([repr(name) for name in names], weights, normalise=False, noun="outcomes")
        self._set_up(names, probs)

    @classmethod
    def normalised(cls, outcomes: Sequence[str], weights: Sequence[float]) -> "Categorical":
        """The categorical with weights rescaled to sum to 1 (they must still be ≥ 0 and not all zero)."""
        names = _outcome_names(outcomes)
        probs = _weights([repr(name) for name in names], weights, normalise=True, noun="outcomes")
        dist = cls.__new__(cls)
        dist._set_up(names, probs)
        return dist

    def _set_up(self, names: tuple[str, ...], probs: np.ndarray) -> None:
        index = np.arange(len(probs))
        mean = float(probs @ index)
        shown = ", ".join(f"{name} {_fmt(p)}" for name, p in zip(names[:4], probs))
        self._freeze(outcomes=names, probs=probs, mean=mean, var=float(probs @ (index - mean) ** 2),
                     label=f"Categorical({shown}{', …' if len(names) > 4 else ''})")

    def pmf(self, k: Any) -> np.ndarray:
        """P(outcome index = k)."""
        return self.probs[k]

    def _params(self) -> tuple:
        return self.outcomes, tuple(self.probs.tolist())


def _outcome_names(outcomes: Sequence[str]) -> tuple[str, ...]:
    names = tuple(str(name) if isinstance(name, str) else name for name in outcomes)   # numpy strings → str
    if not names:
        raise ValueError("add at least one outcome")
    seen: set[str] = set()
    for i, name in enumerate(names, start=1):
        if not isinstance(name, str):
            raise ValueError(f"outcome {i} must be a name (text), not {name!r}")
        if not name.strip():
            raise ValueError(f"outcome {i} has no name; give every outcome a name")
        if name in seen:
            raise ValueError(f"the outcome {name!r} appears twice; every outcome needs its own name")
        seen.add(name)
    return names


class Gaussian(ContinuousDistribution):
    """N(μ, σ²): heights, measurement errors, anything that is a sum of many small effects."""

    samplers = ("inverse_cdf", "box_muller", "rejection")

    def __init__(self, mean: float, std: float) -> None:
        mean, std = _number("the mean μ", mean), _positive("σ", std)
        self._freeze(std=std, mean=mean, var=std**2, support=(-math.inf, math.inf),
                     label=f"N({_fmt(mean)}, {_fmt(std)}²)")

    def pdf(self, x: Any) -> np.ndarray:
        z = (np.asarray(x, dtype=float) - self.mean) / self.std
        return np.exp(-0.5 * z**2 - _LOG_SQRT_2PI) / self.std

    def cdf(self, x: Any) -> np.ndarray:
        from scipy import special
        return special.ndtr((np.asarray(x, dtype=float) - self.mean) / self.std)

    def ppf(self, u: Any) -> np.ndarray:
        from scipy import special
        return self.mean + self.std * special.ndtri(np.asarray(u, dtype=float))

    def _params(self) -> tuple:
        return self.mean, self.std


class Uniform(ContinuousDistribution):
    """Every value between ``low`` and ``high`` equally likely."""

    samplers = ("inverse_cdf", "rejection")

    def __init__(self, low: float, high: float) -> None:
        low, high = _number("the lower bound", low), _number("the upper bound", high)
        if not low < high:
            raise ValueError(f"the lower bound {_fmt(low)} must be below the upper bound {_fmt(high)}")
        if high - low < MIN_SCALE:
            raise ValueError(f"the bounds must be at least {_fmt(MIN_SCALE)} apart; {_fmt(low)} and {_fmt(high)} "
                             f"are {_fmt(high - low)} apart")
        width = high - low
        self._freeze(low=low, high=high, mean=(low + high) / 2, var=width**2 / 12, support=(low, high),
                     max_density=1 / width, label=f"U({_fmt(low)}, {_fmt(high)})")

    def pdf(self, x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return np.where((x >= self.low) & (x <= self.high), self.max_density, 0.0)

    def cdf(self, x: Any) -> np.ndarray:
        return np.clip((np.asarray(x, dtype=float) - self.low) / (self.high - self.low), 0.0, 1.0)

    def ppf(self, u: Any) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        return _outside_unit(u, self.low + u * (self.high - self.low))

    def _params(self) -> tuple:
        return self.low, self.high


class Exponential(ContinuousDistribution):
    """Waiting times: λ e^(−λx) for x ≥ 0, mean 1/λ."""

    samplers = ("inverse_cdf", "rejection")

    def __init__(self, rate: float) -> None:
        rate = _positive("the rate λ", rate)
        self._freeze(rate=rate, mean=1 / rate, var=1 / rate**2, support=(0.0, math.inf),
                     label=f"Exp({_fmt(rate)})")

    def pdf(self, x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return np.where(x >= 0, self.rate * np.exp(-self.rate * np.maximum(x, 0)), 0.0)

    def cdf(self, x: Any) -> np.ndarray:
        return -np.expm1(-self.rate * np.maximum(np.asarray(x, dtype=float), 0))

    def ppf(self, u: Any) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _outside_unit(u, -np.log1p(-u) / self.rate)

    def _params(self) -> tuple:
        return (self.rate,)


class Beta(ContinuousDistribution):
    """A density on [0, 1] ∝ x^(a−1) (1−x)^(b−1): proportions and probabilities."""

    def __init__(self, a: float, b: float) -> None:
        from scipy import special
        a, b = _positive("a", a), _positive("b", b)
        bounded = a >= 1 and b >= 1   # below 1 the density goes to infinity at an edge
        self._freeze(a=a, b=b, mean=a / (a + b), var=a * b / ((a + b) ** 2 * (a + b + 1)), support=(0.0, 1.0),
                     samplers=("inverse_cdf", "rejection") if bounded else ("inverse_cdf",),
                     label=f"Beta({_fmt(a)}, {_fmt(b)})", _log_norm=special.betaln(a, b))
        mode = (a - 1) / (a + b - 2) if a + b > 2 else 0.5
        object.__setattr__(self, "max_density", float(self.pdf(mode)) if bounded else math.inf)

    def pdf(self, x: Any) -> np.ndarray:
        from scipy import special
        x = np.asarray(x, dtype=float)
        inside = (x >= 0) & (x <= 1)
        xc = np.clip(x, 0, 1)
        with np.errstate(divide="ignore", over="ignore"):
            log_pdf = special.xlogy(self.a - 1, xc) + special.xlog1py(self.b - 1, -xc) - self._log_norm
            return np.where(inside, np.exp(log_pdf), 0.0)

    def cdf(self, x: Any) -> np.ndarray:
        from scipy import special
        return special.betainc(self.a, self.b, np.clip(np.asarray(x, dtype=float), 0, 1))

    def ppf(self, u: Any) -> np.ndarray:
        from scipy import special
        u = np.asarray(u, dtype=float)
        return _outside_unit(u, special.betaincinv(self.a, self.b, np.clip(u, 0, 1)))

    def _params(self) -> tuple:
        return self.a, self.b


class Mixture(ContinuousDistribution):
    """A 1-D Gaussian mixture Σ_k w_k N(μ_k, σ_k²): pick a component by its weight, then draw from it."""

    samplers = ("ancestral", "inverse_cdf", "rejection")
    #: Newton steps that polish the table's first guess in ``ppf`` (each roughly squares the relative error).
    NEWTON_STEPS = 2

    def __init__(self, weights: Sequence[float], means: Sequence[float], stds: Sequence[float]) -> None:
        self._set_up(weights, means, stds, normalise=False)

    @classmethod
    def normalised(cls, weights: Sequence[float], means: Sequence[float], stds: Sequence[float]) -> "Mixture":
        """The mixture with weights rescaled to sum to 1 (they must still be ≥ 0 and not all zero)."""
        dist = cls.__new__(cls)
        dist._set_up(weights, means, stds, normalise=True)
        return dist

    def _set_up(self, weights: Sequence[float], means: Sequence[float], stds: Sequence[float], *,
                normalise: bool) -> None:
        means, stds = list(means), list(stds)
        n = len(means)
        if n == 0:
            raise ValueError("add at least one component")
        if len(stds) != n:
            raise ValueError(f"{n} means but {len(stds)} standard deviations; give each component both")
        names = [f"component {k}" for k in range(1, n + 1)]
        w = _weights(names, weights, normalise=normalise, noun="components")
        mu = np.array([_number(f"the mean of {name}", m) for name, m in zip(names, means)])
        sigma = np.array([_positive(f"σ of {name}", s) for name, s in zip(names, stds)])
        mean = float(w @ mu)
        label = " + ".join(f"{_fmt(wk)}·N({_fmt(mk)}, {_fmt(sk)}²)" for wk, mk, sk in zip(w, mu, sigma))
        # ppf's first guess: x against z = Φ⁻¹(F(x)) on a grid that covers every component. In z-space a Gaussian's
        # quantile curve is a straight line, so linear interpolation is already close, even far out in the tails.
        table_x = np.unique((mu[:, None] + sigma[:, None] * np.linspace(-10, 10, 401)).ravel())
        self._freeze(weights=w, means=mu, stds=sigma, mean=mean, var=float(w @ (sigma**2 + mu**2)) - mean**2,
                     support=(-math.inf, math.inf), label=label, _table_x=table_x)
        object.__setattr__(self, "_table_z", self._z_of(table_x))

    @property
    def n_components(self) -> int:
        return len(self.weights)

    def _z(self, x: Any) -> np.ndarray:
        """Standardised distance of x from each component, shape (C, *x.shape) (components first keeps the
        inner loops long and fast)."""
        x = np.asarray(x, dtype=float)
        column = (-1,) + (1,) * x.ndim
        return (x - self.means.reshape(column)) / self.stds.reshape(column)

    @staticmethod
    def _weighted_sum(per_component: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return np.tensordot(weights, per_component, axes=1)   # Σ_k weights_k · per_component[k]

    def component_pdf(self, x: Any) -> np.ndarray:
        """w_k N(x | μ_k, σ_k²) for each component: shape (C, *x.shape). Summing over k gives pdf(x)."""
        z = self._z(x)
        scale = (self.weights / self.stds).reshape((-1,) + (1,) * (z.ndim - 1))
        return scale * np.exp(-0.5 * z**2 - _LOG_SQRT_2PI)

    def pdf(self, x: Any) -> np.ndarray:
        return self._weighted_sum(np.exp(-0.5 * self._z(x) ** 2 - _LOG_SQRT_2PI), self.weights / self.stds)

    def cdf(self, x: Any) -> np.ndarray:
        from scipy import special
        return self._weighted_sum(special.ndtr(self._z(x)), self.weights)

    def sf(self, x: Any) -> np.ndarray:
        """1 − cdf(x), computed without cancellation so the upper tail keeps its precision."""
        from scipy import special
        return self._weighted_sum(special.ndtr(-self._z(x)), self.weights)

    def _z_of(self, x: np.ndarray) -> np.ndarray:
        """Φ⁻¹(F(x)), taking the upper half from the survival function so it stays exact in both tails."""
        from scipy import special
        lower = self.cdf(x)
        return np.where(lower <= 0.5, special.ndtri(lower), -special.ndtri(self.sf(x)))

    def ppf(self, u: Any) -> np.ndarray:
        from scipy import special
        u = np.asarray(u, dtype=float)
        with np.errstate(invalid="ignore"):
            x = np.interp(special.ndtri(u), self._table_z, self._table_x)
            # Newton on F(x) = u in the lower half and on 1 − F(x) = 1 − u in the upper half: each tail is solved
            # on the function that is accurate there.
            upper = u > 0.5
            target = np.where(upper, 1 - u, u)
            sign = np.where(upper, -1.0, 1.0)
            for _ in range(self.NEWTON_STEPS):
                z = self._z(x)
                tail = self._weighted_sum(special.ndtr(np.where(upper, -z, z)), self.weights)
                density = self._weighted_sum(np.exp(-0.5 * z**2 - _LOG_SQRT_2PI), self.weights / self.stds)
                step = sign * (tail - target) / density
                x = x - np.where(density > 0, step, 0.0)
        x = np.where(u == 0, -np.inf, np.where(u == 1, np.inf, x))
        return _outside_unit(u, x)

    def _params(self) -> tuple:
        return tuple(self.weights.tolist()), tuple(self.means.tolist()), tuple(self.stds.tolist())


class DrawnDensity(ContinuousDistribution):
    """A density the user draws: straight lines through (x_knots[i], heights[i]), rescaled to integrate to 1."""

    samplers = ("inverse_cdf", "rejection")

    def __init__(self, x_knots: Sequence[float], heights: Sequence[float]) -> None:
        x = np.array([_number(f"knot {i}", v) for i, v in enumerate(x_knots, start=1)])
        h_list = list(heights)
        if len(x) < 2:
            raise ValueError("a drawn density needs at least two points")
        if len(h_list) != len(x):
            raise ValueError(f"{len(x)} knots but {len(h_list)} heights; give one height per knot")
        steps = np.diff(x)
        if (steps <= 0).any():
            i = int(np.argmax(steps <= 0))
            raise ValueError(f"the knots must increase from left to right, but {_fmt(x[i + 1])} follows "
                             f"{_fmt(x[i])}")
        h = np.empty(len(x))
        for i, (xi, value) in enumerate(zip(x, h_list)):
            value = _number(f"the height at x = {_fmt(xi)}", value)
            if value < 0:
                raise ValueError(f"the height at x = {_fmt(xi)} is negative ({_fmt(value)}); heights must be ≥ 0")
            h[i] = value
        if not h.any():
            raise ValueError("the drawn density is zero everywhere; raise at least one point above zero")
        h /= math.fsum(steps * (h[:-1] + h[1:]) / 2)      # trapezoids are exact for straight lines
        cum = np.concatenate([[0.0], np.cumsum(steps * (h[:-1] + h[1:]) / 2)])
        cum /= cum[-1]                                    # exactly 1 at the right end, so ppf(1) = last knot
        # Mean and variance: Simpson's rule is exact for the quadratic x·f and the cubic (x − mean)²·f.
        mid = (x[:-1] + x[1:]) / 2
        h_mid = (h[:-1] + h[1:]) / 2
        mean = float(np.sum(steps / 6 * (x[:-1] * h[:-1] + 4 * mid * h_mid + x[1:] * h[1:])))
        var = float(np.sum(steps / 6 * ((x[:-1] - mean) ** 2 * h[:-1] + 4 * (mid - mean) ** 2 * h_mid
                                        + (x[1:] - mean) ** 2 * h[1:])))
        self._freeze(x_knots=x, heights=h, mean=mean, var=var, support=(float(x[0]), float(x[-1])),
                     max_density=float(h.max()), label=f"drawn density on [{_fmt(x[0])}, {_fmt(x[-1])}]",
                     _widths=steps, _slopes=np.diff(h) / steps, _cum=cum)

    def pdf(self, x: Any) -> np.ndarray:
        return np.interp(np.asarray(x, dtype=float), self.x_knots, self.heights, left=0.0, right=0.0)

    def _segment(self, x: np.ndarray) -> np.ndarray:
        return np.clip(np.searchsorted(self.x_knots, x, side="right") - 1, 0, len(self._widths) - 1)

    def cdf(self, x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        i = self._segment(x)
        t = np.clip(x - self.x_knots[i], 0, self._widths[i])
        return np.minimum(self._cum[i] + self.heights[i] * t + 0.5 * self._slopes[i] * t**2, 1.0)

    def ppf(self, u: Any) -> np.ndarray:
        """Solve cum_i + h_i t + ½ s_i t² = u for t in the segment holding u — a quadratic, solved exactly."""
        u = np.asarray(u, dtype=float)
        # Largest i with cum_i ≤ u: segments with no mass (cum_i = cum_{i+1}) are skipped.
        i = np.clip(np.searchsorted(self._cum, u, side="right") - 1, 0, len(self._widths) - 1)
        r = np.maximum(u - self._cum[i], 0)
        h = self.heights[i]
        # t = 2r / (h + √(h² + 2sr)) is the root of ½ s t² + h t − r = 0 written without the cancellation of the
        # textbook formula; it also covers s = 0 (t = r/h) and h = 0 (t = √(2r/s)).
        denominator = h + np.sqrt(np.maximum(h**2 + 2 * self._slopes[i] * r, 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(denominator > 0, 2 * r / denominator, 0.0)
        return _outside_unit(u, self.x_knots[i] + np.clip(t, 0, self._widths[i]))

    def plot_range(self) -> tuple[float, float]:
        """The whole drawing area, so the canvas the user drags on never moves under their mouse."""
        return self.support

    def _params(self) -> tuple:
        return tuple(self.x_knots.tolist()), tuple(self.heights.tolist())


# ---------------------------------------------------------------------------------------------------------------


def _default_drawing() -> DrawnDensity:
    """Two bumps of different sizes on [0, 10]: something worth redrawing."""
    x = np.linspace(0, 10, 41)
    heights = np.exp(-0.5 * ((x - 3) / 0.9) ** 2) + 0.6 * np.exp(-0.5 * ((x - 7) / 1.3) ** 2)
    return DrawnDensity(x, heights)


#: The panel's preset list, in display order. Each value makes a fresh distribution.
PRESETS: dict[str, Callable[[], Distribution]] = {
    "Marble bag": lambda: Categorical(["red", "blue", "green"], [0.5, 0.3, 0.2]),
    "Weather": lambda: Categorical(["sunny", "rainy", "cloudy"], [0.5, 0.2, 0.3]),
    "Heights N(170, 10)": lambda: Gaussian(170, 10),
    "Uniform(0, 1)": lambda: Uniform(0, 1),
    "Exponential(1)": lambda: Exponential(1),
    "Beta(2, 5)": lambda: Beta(2, 5),
    "Two-group heights mixture": lambda: Mixture([0.5, 0.5], [162, 176], [7, 7]),
    "Draw your own": _default_drawing,
}


def from_dict(data: Any) -> Distribution:
    """The distribution :meth:`Distribution.to_dict` described; ValueError if the data is not one."""
    families = {cls.__name__: cls for cls in (Categorical, Gaussian, Uniform, Exponential, Beta, Mixture,
                                              DrawnDensity)}
    if not isinstance(data, dict) or data.get("type") not in families or not isinstance(data.get("params"), list):
        raise ValueError(f"not a saved distribution: {str(data)[:80]}")
    try:
        return families[data["type"]](*data["params"])
    except TypeError as exc:
        raise ValueError(f"a saved {data['type']} has the wrong parameters ({exc})") from None
