"""Gaussian mixtures fitted by expectation–maximisation (EM), and a trainer that shows EM one half-step at a time.

A Gaussian mixture says a point is drawn by first picking component k with probability π_k, then drawing from
N(μ_k, Σ_k), so P(x) = Σ_k π_k N(x | μ_k, Σ_k). EM fits it by alternating two steps; neither lowers the likelihood:

* E-step: every point's responsibilities, r_ik = π_k N(x_i | μ_k, Σ_k) / Σ_j π_j N(x_i | μ_j, Σ_j);
* M-step: N_k = Σ_i r_ik,  π_k = N_k / N,  μ_k = Σ_i r_ik x_i / N_k,  Σ_k = Σ_i r_ik (x_i − μ_k)(x_i − μ_k)ᵀ / N_k.

``GaussianMixture`` follows scikit-learn (``fit``, ``predict_proba``, ``bic``, fitted attributes ending in ``_``) and
``GMMTrainer`` wraps it for the live panel. How it is computed, and why:

* Arrays are component-first, (K, N): a sum or maximum over components is then an element-wise operation between K
  contiguous rows instead of a strided reduction along short rows.
* Each Gaussian is evaluated through the Cholesky factor U of its precision matrix (Σ⁻¹ = U Uᵀ, U upper triangular):
  log N(x | μ, Σ) = −½ ‖Uᵀ(x − μ)‖² + log det U − (D/2) log 2π, and responsibilities come out of a log-sum-exp, so a
  point far from every component still gets finite log-densities and responsibilities that sum to 1.
* The M-step reads every first and second moment Σ_i r_ik [1, x_i, x_i x_iᵀ] from one matrix product of the (K, N)
  responsibilities with a feature matrix computed once per data set. This shortcut loses digits for a component that
  is very thin compared with its distance from the data's centre (a collapsed one); those few are recomputed with the
  exact formula Σ_i r_ik (x_i − μ_k)(x_i − μ_k)ᵀ.
* Degenerate data never gives NaN. A component whose covariance has no width in some direction (it collapsed onto one
  point, or its points lie on a line) is kept invertible by ``reg_covar`` — and, if that is 0, by a floor of 1e-12 of
  the data's variance. A component that loses all its points is moved to the point farthest from the other means and
  keeps its (tiny) weight, so the move changes the likelihood by at most that weight (< 1e-10) and EM itself decides
  whether the component grows back. Each such fix is described in plain words in the step's note.
"""
from __future__ import annotations

import copy
import functools
import math
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

import numpy as np

from playground.models.base import BaseModel, Snapshot, validate_seed

__all__ = ["GaussianMixture", "GMMTrainer", "GMMSnapshot", "check_points", "component_log_pdf",
           "COVARIANCE_TYPES", "INITS"]

COVARIANCE_TYPES = ("full", "diag", "spherical", "tied")
INITS = ("kmeans++", "random", "random_points")

LOG_2PI = math.log(2 * math.pi)
EPS = np.finfo(np.float64).eps
#: A component whose weight π_k falls below this has lost its points. Moving it changes the mean log-likelihood by
#: at most about π_k, so re-seeding keeps the log-likelihood curve non-decreasing.
EMPTY_WEIGHT = 1e-10
#: Smallest variance ever allowed in any direction, as a fraction of the data's variance: it only matters when
#: reg_covar = 0 and a component collapses, and keeps the density finite there.
VARIANCE_FLOOR = 1e-12
#: A component whose smallest variance is below this fraction of its mean square distance from the data's centre is
#: too thin for the one-product moment shortcut (which would lose about 1e-16 / THIN of its relative precision).
THIN = 1e-6
#: Points per block in the E-step times K: 65 536 doubles (512 KB) per temporary stay in a core's L2 cache and are
#: still large enough to make the per-block Python overhead negligible (measured best among 16k–256k).
BLOCK_ELEMENTS = 65536


# ---------------------------------------------------------------------------------------------------------------
# Checking what the user gave us.

def check_points(X: Any, *, n_components: int = 1, n_features: int | None = None) -> np.ndarray:
    """``X`` as a new float64 array of shape (n_points, n_features), or a ValueError saying what is wrong with it."""
    try:
        array = np.asarray(X)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"X must be a table of numbers with the same number of columns in every row ({exc})") from None
    if array.dtype.kind == "c":
        raise ValueError("X contains complex numbers; a Gaussian mixture needs real numbers")
    if array.dtype.kind not in "biuf":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError("X must contain only numbers; it contains text or other objects") from None
    if array.ndim == 1:
        raise ValueError(f"X must be 2-D, of shape (n_points, n_features); it is 1-D with {array.shape[0]} values. "
                         "For one feature use X.reshape(-1, 1); for one point use X.reshape(1, -1).")
    if array.ndim != 2:
        raise ValueError(f"X must be 2-D, of shape (n_points, n_features); it has shape {array.shape}")
    n, d = array.shape
    if n == 0:
        raise ValueError("X has no points")
    if d == 0:
        raise ValueError("X has points but no features (0 columns)")
    array = np.array(array, dtype=np.float64)  # always a copy: the caller may change their array later
    bad = ~np.isfinite(array)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(f"X contains {int(bad.sum())} NaN or infinite value(s), the first at X[{i}, {j}] = "
                         f"{array[i, j]}; remove or replace them before fitting")
    if n_features is not None and d != n_features:
        raise ValueError(f"X has {d} feature(s) per point but the model was fitted on {n_features}")
    if n < n_components:
        raise ValueError(f"cannot fit {n_components} components to {n} point(s): a mixture needs at least as many "
                         "points as components")
    return array


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(repr(c) for c in choices)}; got {value!r}")
    return value


def _check_count(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be a whole number ≥ {minimum}; got {value!r}")
    return int(value)


def _check_nonnegative(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a number ≥ 0; got {value!r}")
    return float(value)


# ---------------------------------------------------------------------------------------------------------------
# A data set prepared once for many EM steps.

@dataclass(frozen=True)
class _Data:
    X: np.ndarray          # (N, D) the points
    center: np.ndarray     # (D,)   their mean; everything below is relative to it, which keeps the moments accurate
    XcT: np.ndarray        # (D, N) centred points, transposed so each feature is one contiguous row
    features: np.ndarray   # (N, 1 + 2D + D(D−1)/2) columns [1, x_a, x_a², x_a x_b for a < b] of the centred points
    variance: float        # mean variance of the features (1 if the points are all identical): the data's scale


@functools.lru_cache(maxsize=16)
def _second_moment_pairs(d: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (a, b) of the second-moment columns of _Data.features: the squares first, then a < b."""
    upper_a, upper_b = np.triu_indices(d, 1)
    return np.concatenate([np.arange(d), upper_a]), np.concatenate([np.arange(d), upper_b])


def _prepare(X: np.ndarray) -> _Data:
    n, d = X.shape
    center = X.mean(axis=0)
    Xc = X - center
    features = np.empty((n, 1 + d + d * (d + 1) // 2))
    features[:, 0] = 1.0
    features[:, 1:1 + d] = Xc
    for column, (a, b) in enumerate(zip(*_second_moment_pairs(d)), start=1 + d):
        np.multiply(Xc[:, a], Xc[:, b], out=features[:, column])
    variance = float(np.mean(Xc**2)) or 1.0
    return _Data(X, center, np.ascontiguousarray(Xc.T), features, variance)


# ---------------------------------------------------------------------------------------------------------------
# Gaussian densities through Cholesky factors of the precisions.

def _squared_mahalanobis(XcT: np.ndarray, means_c: np.ndarray, prec_chol: np.ndarray, covariance_type: str,
                         q: np.ndarray, term: np.ndarray) -> np.ndarray:
    """Fill q with q_ik = ‖U_kᵀ(x_i − μ_k)‖², laid out (K, N), using ``term`` (K, N) as scratch; returns q.

    Built one coordinate of U_kᵀ(x − μ_k) at a time so no (K, D, N) array is needed; the caller lends the buffers so
    that a loop over blocks of points does not ask the operating system for fresh memory each time.
    """
    d = len(XcT)
    if covariance_type == "full":
        A = prec_chol.transpose(0, 2, 1)                   # (K, D, D): A[k] = U_kᵀ
        b = np.einsum("ked,kd->ke", A, means_c)            # (K, D):   U_kᵀ μ_k
    elif covariance_type == "tied":
        Y = prec_chol.T @ XcT                              # (D, N): one factor shared by all components
        b = means_c @ prec_chol                            # (K, D)
    else:                                                  # diag, or spherical: the same precision on every axis
        u = prec_chol if covariance_type == "diag" else np.repeat(prec_chol[:, None], d, axis=1)   # (K, D)
        b = means_c * u
    for e in range(d):
        coordinate = q if e == 0 else term                 # (K, N): coordinate e of U_kᵀ(x − μ_k) for every k
        if covariance_type == "full":
            np.matmul(A[:, e, :], XcT, out=coordinate)
        elif covariance_type == "tied":
            np.copyto(coordinate, Y[e])
        else:
            np.multiply(u[:, e, None], XcT[e], out=coordinate)
        coordinate -= b[:, e, None]
        np.square(coordinate, out=coordinate)
        if e > 0:
            q += coordinate
    return q


def _log_det_prec_chol(prec_chol: np.ndarray, covariance_type: str, n_features: int) -> np.ndarray | float:
    """log det U_k, (K,) — or one number for tied."""
    if covariance_type == "full":
        return np.log(np.diagonal(prec_chol, axis1=1, axis2=2)).sum(axis=1)
    if covariance_type == "tied":
        return float(np.log(np.diag(prec_chol)).sum())
    if covariance_type == "diag":
        return np.log(prec_chol).sum(axis=1)
    return n_features * np.log(prec_chol)


def _log_sum_exp_normalise(log_prob_k: np.ndarray, resp: np.ndarray, log_prob: np.ndarray) -> None:
    """From log π_k N(x_i | k), (K, N), write the responsibilities into ``resp`` (K, N) and log P(x_i) into
    ``log_prob`` (N,). Overwrites its first argument."""
    top = log_prob_k.max(axis=0)                           # (N,) subtracting it keeps exp() from under/overflowing
    log_prob_k -= top
    np.exp(log_prob_k, out=resp)
    total = resp.sum(axis=0)                               # (N,) ≥ 1: the largest term is exp(0)
    resp *= 1.0 / total                                    # one division per point, not per point and component
    np.add(top, np.log(total), out=log_prob)


def _full_from_typed(covariances: np.ndarray, covariance_type: str, n_components: int, n_features: int) -> np.ndarray:
    """Covariances as full (K, D, D) matrices whatever the type."""
    if covariance_type == "full":
        return covariances.copy()
    if covariance_type == "tied":
        return np.broadcast_to(covariances, (n_components, n_features, n_features)).copy()
    if covariance_type == "diag":
        return covariances[:, :, None] * np.eye(n_features)
    return covariances[:, None, None] * np.eye(n_features)


def component_log_pdf(X: Any, means: Any, covariances: Any) -> np.ndarray:
    """log N(x_i | μ_k, Σ_k) for full (K, D, D) covariances (a snapshot's), laid out (K, N).

    For drawing: the mixture's log-density is ``scipy.special.logsumexp(np.log(weights)[:, None] + result, axis=0)``.
    """
    means = np.atleast_2d(np.asarray(means, dtype=np.float64))
    covariances = np.asarray(covariances, dtype=np.float64).reshape(len(means), means.shape[1], means.shape[1])
    X = check_points(X, n_features=means.shape[1])
    prec_chol = np.linalg.inv(np.linalg.cholesky(covariances)).transpose(0, 2, 1)
    q = _squared_mahalanobis(np.ascontiguousarray(X.T), means, prec_chol, "full",
                             np.empty((len(means), len(X))), np.empty((len(means), len(X))))
    log_det = _log_det_prec_chol(prec_chol, "full", means.shape[1])
    return log_det[:, None] - 0.5 * (means.shape[1] * LOG_2PI + q)


# ---------------------------------------------------------------------------------------------------------------

def _kmeans_plusplus(Xc: np.ndarray, n_components: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of K seed points: the first uniformly, each next one with probability ∝ its squared distance to the
    nearest seed so far (k-means++), so seeds spread over the data."""
    n = len(Xc)
    seeds = [int(rng.integers(n))]
    nearest = ((Xc - Xc[seeds[0]]) ** 2).sum(axis=1)       # (N,)
    for _ in range(1, n_components):
        cumulative = np.cumsum(nearest)
        if cumulative[-1] > 0:
            seeds.append(min(int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right")), n - 1))
        else:  # every point already sits on a seed (fewer distinct points than components)
            seeds.append(int(rng.integers(n)))
        nearest = np.minimum(nearest, ((Xc - Xc[seeds[-1]]) ** 2).sum(axis=1))
    return np.array(seeds)


def _names(components: Iterable[int]) -> str:
    """'component 2' or 'components 1, 3 and 4' (counting from 1, as the panel does)."""
    numbers = [str(k + 1) for k in components]
    if len(numbers) == 1:
        return f"component {numbers[0]}"
    return f"components {', '.join(numbers[:-1])} and {numbers[-1]}"


class GaussianMixture:
    """A mixture of K Gaussians fitted by EM, in scikit-learn's style.

    Parameters: ``n_components`` K; ``covariance_type`` "full" (any ellipse), "diag" (axis-aligned ellipses),
    "spherical" (circles) or "tied" (one ellipse shape shared by all components); ``init`` "kmeans++" (k-means++ seeds,
    then each point to its nearest seed), "random" (random responsibilities: every component starts near the data's
    mean) or "random_points" (K random data points as means, the data's covariance for each); ``reg_covar`` added to
    every variance so no component can shrink to zero width; EM stops after ``max_iter`` iterations or when the
    mean log-likelihood gains less than ``tol``. ``seed`` seeds the model's own Generator (``fit`` restarts it, so the
    same seed gives the same fit; ``sample`` continues it).

    Fitted attributes: ``weights_`` (K,), ``means_`` (K, D), ``covariances_`` ((K, D, D) full, (D, D) tied, (K, D)
    diag, (K,) spherical), ``precisions_cholesky_`` (same layouts), ``converged_``, ``n_iter_``, ``lower_bounds_``
    (the mean log-likelihood at the start of each iteration, i.e. of the initial parameters and after each M-step but
    the last), ``lower_bound_`` (its last value) and ``notes_`` (what was regularised or re-seeded, one line per event).

    ``lower_bounds_`` never decreases — EM's guarantee — with one caveat shared with scikit-learn: a component held
    open by ``reg_covar`` (or, when that is 0, by the variance floor) in a direction where it has no width is not at
    the exact maximum of the M-step, so on such degenerate data the curve can dip by small amounts (about 1e-7
    relative with the default reg_covar). Data whose spread is itself
    close to ``reg_covar`` (values around 0.001) or very large (around 10⁴ and more, where the ratio of the widest to
    the narrowest variance nears the limits of double precision) can dip more; rescale such data.
    """

    def __init__(self, n_components: int = 1, *, covariance_type: str = "full", init: str = "kmeans++",
                 reg_covar: float = 1e-6, max_iter: int = 100, tol: float = 1e-4, seed: int = 0) -> None:
        self.n_components = _check_count("n_components", n_components, 1)
        self.covariance_type = _check_choice("covariance_type", covariance_type, COVARIANCE_TYPES)
        self.init = _check_choice("init", init, INITS)
        self.reg_covar = _check_nonnegative("reg_covar", reg_covar)
        self.max_iter = _check_count("max_iter", max_iter, 0)
        self.tol = _check_nonnegative("tol", tol)
        self.seed = validate_seed(seed)
        self.rng = np.random.default_rng(self.seed)

    # -- fitting ---------------------------------------------------------------------------------------------------

    def fit(self, X: Any) -> "GaussianMixture":
        """Initialise, then alternate E- and M-steps until the gain is below ``tol`` or ``max_iter`` is reached."""
        return self._fit(_prepare(check_points(X, n_components=self.n_components)))

    def _fit(self, data: _Data) -> "GaussianMixture":
        self.rng = np.random.default_rng(self.seed)
        notes = [f"Initialisation: {note}"] if (note := self._initialize(data)) else []
        lower_bounds: list[float] = []
        self.converged_ = False
        for iteration in range(1, self.max_iter + 1):
            resp, log_likelihood = self._e_step(data)
            note = self._m_step(data, resp)
            if note:
                notes.append(f"Iteration {iteration}: {note}")
            change = log_likelihood - (lower_bounds[-1] if lower_bounds else -np.inf)
            lower_bounds.append(log_likelihood)
            if abs(change) < self.tol:
                self.converged_ = True
                break
        self.n_iter_ = len(lower_bounds)
        self.lower_bounds_ = np.array(lower_bounds)
        self.lower_bound_ = lower_bounds[-1] if lower_bounds else -np.inf
        self.notes_ = notes
        return self

    def initialize(self, X: Any) -> str:
        """Set the initial parameters from ``init`` (restarting the Generator from ``seed``); returns the note.

        With ``initialize``, ``e_step`` and ``m_step`` a notebook can run EM by hand, one step at a time.
        """
        data = _prepare(check_points(X, n_components=self.n_components))
        self.rng = np.random.default_rng(self.seed)
        return self._initialize(data)

    def _initialize(self, data: _Data) -> str:
        n, d = data.X.shape
        k = self.n_components
        self.n_features_in_ = d
        if self.init == "kmeans++":
            seeds = data.XcT[:, _kmeans_plusplus(data.XcT.T, k, self.rng)]            # (D, K)
            distance = np.zeros((k, n))                                                 # (K, N) squared distances
            for e in range(d):
                distance += (data.XcT[e] - seeds[e][:, None]) ** 2
            resp = (distance.argmin(axis=0) == np.arange(k)[:, None]).astype(np.float64)  # one-hot (K, N)
            return self._m_step(data, resp)
        if self.init == "random":
            resp = self.rng.random((k, n))
            return self._m_step(data, resp / resp.sum(axis=0))
        # random_points: K data points as means (distinct ones while there are enough), the data's spread for each
        _, distinct = np.unique(data.X, axis=0, return_index=True)
        if len(distinct) >= k:
            chosen = self.rng.choice(np.sort(distinct), size=k, replace=False)
        else:
            chosen = np.concatenate([np.sort(distinct), self.rng.choice(n, size=k - len(distinct))])
        means_c = data.XcT[:, chosen].T                                                 # (K, D)
        overall = (data.XcT @ data.XcT.T) / n                                           # (D, D)
        raw = np.broadcast_to(overall, (k, d, d)).copy()
        return self._set_parameters(data, np.full(k, 1.0 / k), means_c, raw, notes=[])

    def e_step(self, X: Any) -> tuple[np.ndarray, float]:
        """Responsibilities (N, K) of the current parameters, and the mean log-likelihood per point."""
        data = self._prepared(X)
        resp, log_likelihood = self._e_step(data)
        return resp.T, log_likelihood

    def _e_step(self, data: _Data) -> tuple[np.ndarray, float]:
        resp, log_prob = self._responsibilities(data)
        return resp, float(log_prob.mean())

    def m_step(self, X: Any, resp: Any) -> str:
        """Re-estimate weights, means and covariances from responsibilities (N, K); returns what was fixed, or ""."""
        data = _prepare(check_points(X, n_components=self.n_components))
        resp = np.asarray(resp, dtype=np.float64)
        if resp.shape != (len(data.X), self.n_components):
            raise ValueError(f"resp must have shape (n_points, n_components) = ({len(data.X)}, {self.n_components}); "
                             f"got {resp.shape}")
        if not np.isfinite(resp).all() or (resp < 0).any() or resp.sum() <= 0:
            raise ValueError("responsibilities must be finite, non-negative and not all zero")
        self.n_features_in_ = data.X.shape[1]
        return self._m_step(data, resp.T)

    def _m_step(self, data: _Data, resp: np.ndarray) -> str:
        """The M-step for responsibilities laid out (K, N)."""
        d = data.X.shape[1]
        pair_a, pair_b = _second_moment_pairs(d)
        if self.covariance_type in ("diag", "spherical"):
            pair_a, pair_b = pair_a[:d], pair_b[:d]             # only the squares are needed
        moments = resp @ data.features[:, :1 + d + len(pair_a)]  # (K, 1 + D + pairs): Σ_i r_ik [1, x_i, x_i x_iᵀ]
        nk = moments[:, 0] + 10 * EPS                          # (K,) the tiny term keeps an empty component at 0/ε
        means_c = moments[:, 1:1 + d] / nk[:, None]            # (K, D) relative to the data's centre
        second = np.zeros((self.n_components, d, d))           # (K, D, D) E_k[x xᵀ] (diagonal only for diag types)
        second[:, pair_a, pair_b] = moments[:, 1 + d:] / nk[:, None]
        second[:, pair_b, pair_a] = second[:, pair_a, pair_b]
        raw = second - means_c[:, :, None] * means_c[:, None, :]  # (K, D, D) unregularised covariances
        if len(pair_a) == d:
            raw *= np.eye(d)                                   # diag types: off-diagonal terms are never used
        raw = self._recompute_thin(data, resp, nk, means_c, raw)
        weights = nk / nk.sum()

        notes: list[str] = []
        empty = np.flatnonzero(weights < EMPTY_WEIGHT)
        if 0 < len(empty) < self.n_components:
            means_c, raw = self._reseed(data, weights, means_c, raw, empty)
            them = "it" if len(empty) == 1 else "them"
            notes.append(f"{_names(empty).capitalize()} had no points left: moved {them} to the point farthest from "
                         f"the other means, keeping a near-zero weight (EM lets {them} grow back only if that explains "
                         "some points better).")
        return self._set_parameters(data, weights, means_c, raw, notes)

    @staticmethod
    def _recompute_thin(data: _Data, resp: np.ndarray, nk: np.ndarray, means_c: np.ndarray,
                        raw: np.ndarray) -> np.ndarray:
        """Redo, with the exact two-pass formula, the covariance of any component that is too thin for the shortcut."""
        smallest = np.linalg.eigvalsh(raw)[:, 0]                                         # (K,)
        scale = (means_c**2).sum(axis=1) + np.trace(raw, axis1=1, axis2=2)              # (K,)
        thin = np.flatnonzero(smallest < THIN * scale)
        if len(thin) == 0:
            return raw
        raw = raw.copy()
        for k in thin:
            centred = data.XcT.T - means_c[k]                                            # (N, D)
            raw[k] = (centred.T * resp[k]) @ centred / nk[k]
        return raw

    @staticmethod
    def _reseed(data: _Data, weights: np.ndarray, means_c: np.ndarray, raw: np.ndarray,
                empty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Move each empty component to the point farthest from every other mean; give it their average shape."""
        means_c, raw = means_c.copy(), raw.copy()
        alive = np.setdiff1d(np.arange(len(weights)), empty)
        typical = np.einsum("k,kde->de", weights[alive], raw[alive]) / weights[alive].sum()
        nearest = np.full(len(data.X), np.inf)                                           # (N,)
        for k in alive:
            nearest = np.minimum(nearest, ((data.XcT.T - means_c[k]) ** 2).sum(axis=1))
        for k in empty:
            farthest = int(np.argmax(nearest))
            means_c[k] = data.XcT[:, farthest]
            raw[k] = typical
            nearest = np.minimum(nearest, ((data.XcT.T - means_c[k]) ** 2).sum(axis=1))
        return means_c, raw

    def _set_parameters(self, data: _Data, weights: np.ndarray, means_c: np.ndarray, raw: np.ndarray,
                        notes: list[str]) -> str:
        """Regularise the raw full covariances (K, D, D) into this model's type, store everything, return the note."""
        k, d = means_c.shape
        reg, floor = self.reg_covar, VARIANCE_FLOOR * data.variance
        kind = self.covariance_type
        if kind == "full":
            widths = np.linalg.eigvalsh(raw)                                   # (K, D) variances along the axes
        elif kind == "tied":
            raw = np.einsum("k,kde->de", weights, raw)[None]                   # (1, D, D) the weighted average shape
            widths = np.linalg.eigvalsh(raw)
        else:
            widths = np.diagonal(raw, axis1=1, axis2=2).copy()                 # (K, D)
            if kind == "spherical":
                widths = widths.mean(axis=1, keepdims=True)                    # (K, 1)

        no_width = widths < 0.01 * reg                                         # (K, D) reg_covar ≥ 100× the own width
        flat = no_width.any(axis=1)                                            # (K,) held open by reg_covar
        lift = np.maximum(floor - (widths.min(axis=1) + reg), 0.0)             # (K,) extra needed to reach the floor
        held = flat & (lift == 0)
        if held.any():
            if kind == "tied":
                what = "The shared covariance has no width in " + ("any direction" if no_width.all()
                                                                    else "some direction")
            else:
                owners = np.flatnonzero(held)
                if no_width[held].all():
                    shape = "collapsed onto a single point"
                else:
                    verb = "has" if len(owners) == 1 else "have"
                    shape = f"{verb} no width in some direction (points on a line or plane)"
                what = f"{_names(owners).capitalize()} {shape}"
            notes.append(f"{what}: reg_covar = {reg:g} keeps the covariance invertible.")
        if (lift > 0).any():
            what = "The shared covariance" if kind == "tied" else _names(np.flatnonzero(lift > 0)).capitalize()
            notes.append(f"{what} shrank to zero width in some direction (the likelihood would become infinite) and "
                         f"reg_covar = {reg:g} is too small to stop it: widened to {floor:.3g}, 1e-12 of the data's "
                         "variance.")

        eye = np.eye(d)
        if kind in ("full", "tied"):
            covariances = raw + (reg + lift)[:, None, None] * eye
            prec_chol = _precision_cholesky(covariances, floor)
            if kind == "tied":
                covariances, prec_chol = covariances[0], prec_chol[0]
        else:
            variances = np.maximum(widths + reg, floor)
            covariances = variances[:, 0] if kind == "spherical" else variances
            prec_chol = 1.0 / np.sqrt(covariances)

        self.weights_ = weights
        self.means_ = means_c + data.center
        self.covariances_ = covariances
        self.precisions_cholesky_ = prec_chol
        self.n_features_in_ = d
        return " ".join(notes)

    # -- using a fitted model --------------------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "means_"):
            raise ValueError("this GaussianMixture has no parameters yet: call fit(X) (or initialize(X)) first")

    def _prepared(self, X: Any) -> _Data:
        self._check_fitted()
        return _prepare(check_points(X, n_features=self.n_features_in_))

    def _responsibilities(self, data: _Data) -> tuple[np.ndarray, np.ndarray]:
        """Responsibilities (K, N) and log P(x_i) (N,).

        Computed over blocks of points whose (K, block) temporaries stay in the CPU cache: on 100 000 points that
        alone makes the E-step several times faster than one pass over whole arrays.
        """
        k, (n, d) = self.n_components, data.X.shape
        means_c = self.means_ - data.center
        log_det = _log_det_prec_chol(self.precisions_cholesky_, self.covariance_type, d)
        constant = np.reshape(np.log(self.weights_) + log_det - 0.5 * d * LOG_2PI, (-1, 1))   # (K, 1)
        half_prec_chol = self.precisions_cholesky_ * math.sqrt(0.5)  # so the block below yields ½q directly
        resp, log_prob = np.empty((k, n)), np.empty(n)
        block = max(1024, BLOCK_ELEMENTS // k)
        buffers = np.empty((2, k, min(block, n)))
        for start in range(0, n, block):
            stop = min(start + block, n)
            if stop - start != buffers.shape[2]:              # the last, shorter block
                buffers = np.empty((2, k, stop - start))
            half_q = _squared_mahalanobis(data.XcT[:, start:stop], means_c, half_prec_chol, self.covariance_type,
                                          buffers[0], buffers[1])
            log_prob_k = np.subtract(constant, half_q, out=half_q)   # log π_k + log N(x_i | μ_k, Σ_k), (K, block)
            _log_sum_exp_normalise(log_prob_k, resp[:, start:stop], log_prob[start:stop])
        return resp, log_prob

    def score_samples(self, X: Any) -> np.ndarray:
        """log P(x_i) for every point, (N,)."""
        return self._responsibilities(self._prepared(X))[1]

    def score(self, X: Any) -> float:
        """Mean log-likelihood per point."""
        return float(self.score_samples(X).mean())

    def predict_proba(self, X: Any) -> np.ndarray:
        """Responsibilities (N, K): how much each component explains each point; rows sum to 1."""
        return self._responsibilities(self._prepared(X))[0].T

    def predict(self, X: Any) -> np.ndarray:
        """The most responsible component of each point, (N,)."""
        return self._responsibilities(self._prepared(X))[0].argmax(axis=0)

    def full_covariances(self) -> np.ndarray:
        """The covariances as full (K, D, D) matrices whatever ``covariance_type`` is (for drawing ellipses)."""
        self._check_fitted()
        return _full_from_typed(self.covariances_, self.covariance_type, self.n_components, self.n_features_in_)

    def sample(self, n: int = 1, rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``n`` new points (n, D) and the component each came from (n,): pick k with probability π_k, draw from it.
        Drawn with ``rng`` if given, else with the model's own Generator (which ``sample`` then continues)."""
        self._check_fitted()
        n = _check_count("the number of samples", n, 0)
        rng = self.rng if rng is None else rng
        labels = rng.choice(self.n_components, size=n, p=self.weights_ / self.weights_.sum())
        noise = rng.standard_normal((n, self.n_features_in_))
        factors = np.linalg.cholesky(self.full_covariances())                 # (K, D, D): Σ_k = L_k L_kᵀ
        points = np.empty_like(noise)
        for k in range(self.n_components):
            mine = labels == k
            points[mine] = self.means_[k] + noise[mine] @ factors[k].T
        return points, labels

    def n_parameters(self) -> int:
        """Free parameters: K − 1 weights, K·D mean coordinates and the covariances' entries."""
        self._check_fitted()
        k, d = self.n_components, self.n_features_in_
        covariance = {"full": k * d * (d + 1) // 2, "tied": d * (d + 1) // 2, "diag": k * d, "spherical": k}
        return (k - 1) + k * d + covariance[self.covariance_type]

    def bic(self, X: Any) -> float:
        """Bayesian information criterion −2 log L + p log N: lower is better; penalises parameters more than AIC."""
        return self._criterion(self._prepared(X), "bic")

    def aic(self, X: Any) -> float:
        """Akaike information criterion −2 log L + 2p: lower is better."""
        return self._criterion(self._prepared(X), "aic")

    def _criterion(self, data: _Data, which: str) -> float:
        return self._criteria(self._e_step(data)[1], len(data.X))[which]

    def _criteria(self, log_likelihood: float, n: int) -> dict[str, float]:
        """BIC and AIC from the mean log-likelihood per point over n points."""
        deviance = -2.0 * log_likelihood * n
        return {"bic": deviance + math.log(n) * self.n_parameters(), "aic": deviance + 2.0 * self.n_parameters()}


def _precision_cholesky(covariances: np.ndarray, floor: float) -> np.ndarray:
    """Upper-triangular U_k with Σ_k⁻¹ = U_k U_kᵀ, (K, D, D). Covariances arrive positive definite; if rounding says
    otherwise, the offending one is widened until its Cholesky factorisation succeeds."""
    try:
        lower = np.linalg.cholesky(covariances)
    except np.linalg.LinAlgError:
        lower = np.empty_like(covariances)
        eye = np.eye(covariances.shape[-1])
        for k, covariance in enumerate(covariances):
            jitter = floor
            while True:
                try:
                    lower[k] = np.linalg.cholesky(covariance)
                    break
                except np.linalg.LinAlgError:
                    covariance = covariance + jitter * eye
                    jitter *= 10
    return np.linalg.inv(lower).transpose(0, 2, 1)


# ---------------------------------------------------------------------------------------------------------------
# The live trainer the panel drives.

@dataclass(frozen=True, kw_only=True)
class GMMSnapshot(Snapshot):
    X: np.ndarray               # (N, D) the data
    resp: np.ndarray            # (N, K) responsibilities of the latest E-step (before it: of the initial parameters)
    weights: np.ndarray         # (K,)
    means: np.ndarray           # (K, D)
    covariances: np.ndarray     # (K, D, D) always full matrices, whatever the covariance type, for drawing
    phase_done: str             # "init" | "E" | "M": what the last step was
    next_phase: str             # "E" | "M": what step() will do next
    n_iter: int                 # completed full iterations (= M-steps done)
    log_likelihood: float       # mean log-likelihood per point of the current parameters
    lower_bounds: np.ndarray    # (n_iter + 1,) its history: see GMMTrainer.lower_bounds
    converged: bool
    n_components: int
    covariance_type: str


class GMMTrainer(BaseModel):
    """EM on a data set, one half-step at a time, for the panel: ``step()`` alternates an E-step and an M-step.

    ``lower_bounds`` holds one value per M-step plus the initial one: entry 0 is the mean log-likelihood of the
    initial parameters and entry i the mean log-likelihood right after the i-th M-step (for a GMM the EM lower bound
    equals the log-likelihood once the E-step has run, so these are the same numbers). EM guarantees it never
    decreases (see ``GaussianMixture`` for the one rounding-sized caveat). It is computed as soon as the M-step
    finishes, together with the next responsibilities — which the following E-step then simply shows, so a full
    iteration costs one pass of each step.

    The panel's buttons call ``e_step_only``, ``m_step_only`` and ``em_step`` (through ``Call``; they do not count
    as ``run()`` steps). ``set_params`` changes ``tol`` and ``reg_covar`` live (``reg_covar`` from the next M-step on);
    ``X``, ``n_components``, ``covariance_type`` and ``init`` re-initialise from the seed.
    """

    def __init__(self, X: Any, *, n_components: int = 3, covariance_type: str = "full", init: str = "kmeans++",
                 tol: float = 1e-4, reg_covar: float = 1e-6, seed: int = 0) -> None:
        super().__init__(seed=seed)
        GaussianMixture(n_components, covariance_type=covariance_type, init=init, reg_covar=reg_covar, tol=tol)
        self.X = check_points(X, n_components=n_components)
        self.n_components, self.covariance_type, self.init = int(n_components), covariance_type, init
        self.tol, self.reg_covar = float(tol), float(reg_covar)
        self._data = _prepare(self.X)
        self.reset()

    #: Like ``fit``'s ``max_iter`` (scikit-learn's default is 100), with room to watch a slow convergence. Past it
    #: ``step`` does nothing: the curve, which every frame copies and draws, stays bounded. Without it, playing at
    #: full speed went on iterating a converged mixture and the soak saw the steps/s fall 4× in three minutes.
    MAX_ITERATIONS = 5_000

    def tunable(self) -> tuple[str, ...]:
        return ("tol", "reg_covar", "X", "n_components", "covariance_type", "init")

    # -- state -----------------------------------------------------------------------------------------------------

    def reset(self) -> None:
        super().reset()
        self.gmm = GaussianMixture(self.n_components, covariance_type=self.covariance_type, init=self.init,
                                   reg_covar=self.reg_covar, tol=self.tol, seed=self.seed)
        init_note = self.gmm._initialize(self._data)
        self._look_ahead()
        self.resp = self._next_resp                 # (K, N) shown before the first E-step
        self.lower_bounds = [self._next_log_likelihood]
        self.phase_done, self.n_iter = "init", 0
        self.note = " ".join(filter(None, [f"Initialised with {self.init} (seed {self.seed}).", init_note]))

    def _look_ahead(self) -> None:
        """Responsibilities and log-likelihood of the current parameters, for the next E-step and the curve."""
        self._next_resp, self._next_log_likelihood = self.gmm._e_step(self._data)

    @property
    def next_phase(self) -> str:
        return "M" if self.phase_done == "E" else "E"

    @property
    def converged(self) -> bool:
        """The last M-step raised the mean log-likelihood by less than ``tol``."""
        return len(self.lower_bounds) >= 2 and abs(self.lower_bounds[-1] - self.lower_bounds[-2]) < self.tol

    # -- stepping --------------------------------------------------------------------------------------------------

    def step(self) -> None:
        """One half-step: the E-step or the M-step, whichever is next — or nothing after ``MAX_ITERATIONS``."""
        if self.n_iter >= self.MAX_ITERATIONS:
            self.note = f"EM stopped after {self.MAX_ITERATIONS:,} iterations, the most the trainer takes."
            return
        if self.next_phase == "E":
            self.e_step_only()
        else:
            self.m_step_only()

    def e_step_only(self) -> None:
        """E-step: every point's responsibilities under the current parameters."""
        self.resp = self._next_resp
        self.phase_done = "E"
        self.note = ""

    def m_step_only(self) -> None:
        """M-step: weights, means and covariances from the responsibilities (running the E-step first if they are
        stale, i.e. if the last step was not an E-step)."""
        notes = []
        if self.phase_done != "E":
            self.e_step_only()
            notes.append("Ran the E-step first: an M-step needs fresh responsibilities.")
        notes.append(self.gmm._m_step(self._data, self.resp))
        self._look_ahead()
        self.lower_bounds = self.lower_bounds + [self._next_log_likelihood]
        self.n_iter += 1
        self.phase_done = "M"
        self.note = " ".join(filter(None, notes))

    def em_step(self) -> None:
        """A full iteration: E-step then M-step."""
        self.e_step_only()
        self.m_step_only()

    def sample(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``n`` points drawn from the current mixture, and their components (see ``GaussianMixture.sample``)."""
        return self.gmm.sample(n)

    # -- parameters and data ---------------------------------------------------------------------------------------

    def set_params(self, **params: Any) -> None:
        unknown = set(params) - set(self.tunable())
        if unknown:
            raise ValueError(f"GMMTrainer has no parameter(s) {', '.join(sorted(unknown))}; "
                             f"it has {', '.join(self.tunable())}")
        merged = {name: params.get(name, getattr(self, name))
                  for name in ("n_components", "covariance_type", "init", "tol", "reg_covar")}
        GaussianMixture(merged["n_components"], covariance_type=merged["covariance_type"], init=merged["init"],
                        reg_covar=merged["reg_covar"], tol=merged["tol"])
        if "X" in params:
            X = check_points(params["X"], n_components=merged["n_components"])
        else:
            X = check_points(self.X, n_components=merged["n_components"])

        structural = "X" in params or any(merged[name] != getattr(self, name)
                                          for name in ("n_components", "covariance_type", "init"))
        self.n_components = int(merged["n_components"])
        self.covariance_type, self.init = merged["covariance_type"], merged["init"]
        self.tol, self.reg_covar = float(merged["tol"]), float(merged["reg_covar"])
        self.gmm.tol, self.gmm.reg_covar = self.tol, self.reg_covar
        if structural:
            if "X" in params:
                self.X, self._data = X, _prepare(X)
            self.reset()

    def set_data(self, X: Any, *, keep_parameters: bool = False) -> None:
        """New points. By default EM starts again from ``init``; with ``keep_parameters`` the current mixture carries
        on over the new points (when they have the same number of features) and the likelihood curve starts again.
        On invalid ``X`` raises ValueError and keeps the old data."""
        X = check_points(X, n_components=self.n_components)
        keep = keep_parameters and X.shape[1] == self.X.shape[1]
        self.X, self._data = X, _prepare(X)
        if not keep:
            self.reset()
            return
        self._look_ahead()
        self.resp = self._next_resp
        self.lower_bounds = [self._next_log_likelihood]
        self.phase_done, self.n_iter = "init", 0
        self.note = f"New data ({len(X)} points): the current mixture carries on; its likelihood curve starts again."

    def choose_k(self, k_values: Iterable[int] = range(1, 11), *, max_iter: int = 100
                 ) -> Iterator[tuple[int, int, int]]:
        """Fit a fresh mixture for each K on the current data (same seed, type, init and tol) — a generator.

        Yields ``(k, done, total)`` after each K (``done`` counts from 1 to ``total``); returns a dict of arrays
        "k", "bic", "aic", "log_likelihood" (mean per point), plus "note" naming any K skipped for having more
        components than points. The trainer's own state is not touched.
        """
        ks = [_check_count("every K", k, 1) for k in k_values]
        if not ks:
            raise ValueError("choose_k needs at least one value of K")
        data, n = self._data, len(self.X)
        usable = [k for k in ks if k <= n]
        skipped = [k for k in ks if k > n]
        rows = []
        for done, k in enumerate(usable, start=1):
            gmm = GaussianMixture(k, covariance_type=self.covariance_type, init=self.init, reg_covar=self.reg_covar,
                                  tol=self.tol, max_iter=max_iter, seed=self.seed)._fit(data)
            log_likelihood = gmm._e_step(data)[1]
            criteria = gmm._criteria(log_likelihood, n)
            rows.append((k, criteria["bic"], criteria["aic"], log_likelihood))
            yield k, done, len(usable)
        columns = np.array(rows, dtype=np.float64).reshape(-1, 4).T
        return {"k": columns[0].astype(int), "bic": columns[1], "aic": columns[2], "log_likelihood": columns[3],
                "note": f"skipped K = {', '.join(map(str, skipped))}: more components than the {n} points"
                        if skipped else ""}

    # -- what the panel sees ---------------------------------------------------------------------------------------

    def snapshot(self) -> GMMSnapshot:
        return GMMSnapshot(
            step=self.n_steps,
            note=self.note,
            X=self.X.copy(),
            resp=np.array(self.resp.T, order="C"),       # always a copy, even when the transpose is contiguous
            weights=self.gmm.weights_.copy(),
            means=self.gmm.means_.copy(),
            covariances=self.gmm.full_covariances(),
            phase_done=self.phase_done,
            next_phase=self.next_phase,
            n_iter=self.n_iter,
            log_likelihood=float(self.lower_bounds[-1]),
            lower_bounds=np.array(self.lower_bounds),
            converged=self.converged,
            n_components=self.n_components,
            covariance_type=self.covariance_type,
        )

    # Arrays here are never modified in place — every update binds a new one — so a checkpoint can share them with the
    # live trainer; only the two Generators change in place and need copies. This keeps run()'s per-frame
    # checkpoint cheap with 100 000 points.
    def checkpoint(self) -> dict:
        return _copy_state(self.__dict__)

    def restore(self, state: dict) -> None:
        self.__dict__.update(_copy_state(state))


def _copy_state(state: dict) -> dict:
    copied = dict(state)
    copied["rng"] = copy.deepcopy(state["rng"])
    copied["gmm"] = copy.copy(state["gmm"])
    copied["gmm"].rng = copy.deepcopy(state["gmm"].rng)
    return copied
