"""Small synthetic point sets for the panels: blobs for mixtures, moons where a mixture struggles, 1-D heights.

Every set is a function ``(n, rng) -> (n, D) float64 array`` in the ``POINT_SETS`` registry, so another panel adds
its own with ``@register("Swiss roll")``. ``make_points(name, n, seed=...)`` is the one entry point: the same name,
n and seed always give the same points (in shuffled order, so the row order does not give the groups away).
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from playground.models.base import validate_seed

__all__ = ["POINT_SETS", "PRESETS_2D", "PRESETS_1D", "GMM_PRESETS", "make_points", "register"]

PointSet = Callable[[int, np.random.Generator], np.ndarray]

#: Every known point set, by the name shown to users.
POINT_SETS: dict[str, PointSet] = {}

#: Largest set a preset will make; beyond it a panel would only stall.
MAX_POINTS = 1_000_000


def register(name: str) -> Callable[[PointSet], PointSet]:
    """Add a generator ``(n, rng) -> (n, D) array`` to ``POINT_SETS`` under ``name``."""
    def add(generate: PointSet) -> PointSet:
        if name in POINT_SETS:
            raise ValueError(f"a point set called {name!r} already exists")
        POINT_SETS[name] = generate
        return generate
    return add


def make_points(name: str, n: int, *, seed: int = 0) -> np.ndarray:
    """``n`` points of the set called ``name``, as a float64 array (n, D); the same seed gives the same points."""
    if name not in POINT_SETS:
        raise ValueError(f"unknown point set {name!r}; choose one of: {', '.join(POINT_SETS)}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_POINTS:
        raise ValueError(f"the number of points must be a whole number from 1 to {MAX_POINTS:,}; got {n!r}")
    rng = np.random.default_rng(validate_seed(seed))
    points = np.asarray(POINT_SETS[name](int(n), rng), dtype=np.float64)
    return points[rng.permutation(len(points))]


# ---------------------------------------------------------------------------------------------------------------

def _group_sizes(n: int, weights: list[float]) -> np.ndarray:
    """Split n into groups as close to n × weights as whole numbers allow (largest remainders get the spare points)."""
    exact = n * np.asarray(weights) / sum(weights)
    sizes = np.floor(exact).astype(int)
    sizes[np.argsort(sizes - exact)[: n - sizes.sum()]] += 1
    return sizes


def _gaussian_groups(n: int, rng: np.random.Generator, means: list, covariances: list, weights: list) -> np.ndarray:
    groups = [rng.multivariate_normal(mean, covariance, size=size)
              for mean, covariance, size in zip(means, covariances, _group_sizes(n, weights))]
    return np.concatenate(groups)


def _ellipse(long_sd: float, short_sd: float, degrees: float) -> np.ndarray:
    """Covariance of a Gaussian with these standard deviations along axes rotated by ``degrees``."""
    angle = math.radians(degrees)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    return rotation @ np.diag([long_sd**2, short_sd**2]) @ rotation.T


@register("Well-separated blobs")
def well_separated_blobs(n: int, rng: np.random.Generator) -> np.ndarray:
    """Three round clusters far apart: EM finds them from almost any start."""
    return _gaussian_groups(n, rng, [(-4, -2), (4, -2), (0, 4)], [0.36 * np.eye(2)] * 3, [1, 1, 1])


@register("Overlapping blobs")
def overlapping_blobs(n: int, rng: np.random.Generator) -> np.ndarray:
    """Three clusters that overlap: points in between are shared (soft responsibilities)."""
    return _gaussian_groups(n, rng, [(-1.5, -0.5), (1.5, -0.5), (0, 1.8)], [np.eye(2)] * 3, [1, 1, 1])


@register("Anisotropic")
def anisotropic(n: int, rng: np.random.Generator) -> np.ndarray:
    """Three long, thin clusters at different angles: "full" covariances fit them, "spherical" cannot."""
    covariances = [_ellipse(1.8, 0.35, 30), _ellipse(1.8, 0.35, -30), _ellipse(1.8, 0.35, 90)]
    return _gaussian_groups(n, rng, [(-4, -1), (4, -1), (0, 4)], covariances, [1, 1, 1])


@register("Unequal sizes")
def unequal_sizes(n: int, rng: np.random.Generator) -> np.ndarray:
    """A big wide cluster and two small tight ones (70 % / 20 % / 10 %): the weights π_k matter."""
    covariances = [1.4**2 * np.eye(2), 0.6**2 * np.eye(2), 0.3**2 * np.eye(2)]
    return _gaussian_groups(n, rng, [(-2, 0), (3, 2), (3, -2)], covariances, [0.7, 0.2, 0.1])


@register("Two moons")
def two_moons(n: int, rng: np.random.Generator) -> np.ndarray:
    """Two interleaved half circles: not Gaussian at all, so a mixture needs many components to follow them."""
    upper, lower = _group_sizes(n, [1, 1])
    t_upper, t_lower = rng.uniform(0, math.pi, upper), rng.uniform(0, math.pi, lower)
    moons = np.concatenate([np.c_[np.cos(t_upper), np.sin(t_upper)],
                            np.c_[1 - np.cos(t_lower), 0.5 - np.sin(t_lower)]])
    moons += rng.normal(0.0, 0.08, moons.shape)
    return 3.0 * (moons - [0.5, 0.25])


@register("Heights of two groups (1-D)")
def heights_of_two_groups(n: int, rng: np.random.Generator) -> np.ndarray:
    """Adult heights in cm from two groups, N(163, 7²) and N(177, 7²) half and half: one bump or two?"""
    small, tall = _group_sizes(n, [1, 1])
    return np.concatenate([rng.normal(163, 7, small), rng.normal(177, 7, tall)])[:, None]


#: The 2-D presets of the mixture panel, in display order.
PRESETS_2D = ("Well-separated blobs", "Overlapping blobs", "Anisotropic", "Unequal sizes", "Two moons")
#: The 1-D presets (n, 1).
PRESETS_1D = ("Heights of two groups (1-D)",)
#: Everything the GMM panel offers, in display order.
GMM_PRESETS = PRESETS_2D + PRESETS_1D
