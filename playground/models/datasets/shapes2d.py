"""Point clouds with shape, for the diffusion panel: thin curves, separated modes and sharp edges that a Gaussian
cannot imitate, so what the model learned is visible at a glance.

Importing this module registers the sets in :data:`playground.models.datasets.toy2d.POINT_SETS` (``make_points`` then
draws them like any other set). "Two moons" already lives in toy2d and is reused. All sets span roughly −4…4 on each
axis, the scale of the other toy sets.
"""
from __future__ import annotations

import math

import numpy as np

from playground.models.datasets.toy2d import register

__all__ = ["DIFFUSION_PRESETS"]


def _split(n: int, weights: list[float]) -> np.ndarray:
    """n as whole-number group sizes in proportion to ``weights`` (largest remainders get the spare points)."""
    exact = n * np.asarray(weights, float) / sum(weights)
    sizes = np.floor(exact).astype(int)
    sizes[np.argsort(sizes - exact)[: n - sizes.sum()]] += 1
    return sizes


@register("Eight Gaussians")
def eight_gaussians(n: int, rng: np.random.Generator) -> np.ndarray:
    """Eight tight, equal blobs on a circle of radius 3: separate modes, none may be dropped."""
    which = np.repeat(np.arange(8), _split(n, [1] * 8))
    angles = which * (2 * math.pi / 8)
    centres = 3.0 * np.c_[np.cos(angles), np.sin(angles)]
    return centres + rng.normal(0.0, 0.2, (n, 2))


@register("Swiss roll")
def swiss_roll(n: int, rng: np.random.Generator) -> np.ndarray:
    """A spiral of one and a half turns, denser where it is tighter: a thin curved manifold."""
    turn = rng.uniform(1.5 * math.pi, 4.5 * math.pi, n)
    points = np.c_[turn * np.cos(turn), turn * np.sin(turn)] / 3.5
    return points + rng.normal(0.0, 0.08, (n, 2))


@register("Concentric rings")
def concentric_rings(n: int, rng: np.random.Generator) -> np.ndarray:
    """Rings of radius 1, 2.25 and 3.5, points in proportion to their length: nested, with empty space between."""
    radii = np.array([1.0, 2.25, 3.5])
    radius = np.repeat(radii, _split(n, list(radii)))
    angle = rng.uniform(0, 2 * math.pi, n)
    return radius[:, None] * np.c_[np.cos(angle), np.sin(angle)] + rng.normal(0.0, 0.07, (n, 2))


@register("Checkerboard")
def checkerboard(n: int, rng: np.random.Generator) -> np.ndarray:
    """The dark squares of a 4 × 4 board on [−4, 4]²: uniform density with sharp edges and corners."""
    dark = [(i, j) for i in range(4) for j in range(4) if (i + j) % 2 == 0]          # 8 squares
    square = rng.integers(0, len(dark), n)
    corners = np.array(dark, float)[square] * 2.0 - 4.0                                # lower-left corner of each
    return corners + rng.uniform(0.0, 2.0, (n, 2))


@register("Smiley")
def smiley(n: int, rng: np.random.Generator) -> np.ndarray:
    """A face: an outline circle, two eyes and a smiling mouth — parts of different shapes and sizes."""
    face, left_eye, right_eye, mouth = _split(n, [0.5, 0.1, 0.1, 0.3])
    angle = rng.uniform(0, 2 * math.pi, face)
    outline = 3.5 * np.c_[np.cos(angle), np.sin(angle)]
    eyes = [rng.normal(centre, 0.22, (size, 2)) for centre, size in (((-1.2, 1.2), left_eye), ((1.2, 1.2), right_eye))]
    arc = rng.uniform(math.radians(200), math.radians(340), mouth)                     # the lower part of a circle
    smile = 2.0 * np.c_[np.cos(arc), np.sin(arc)] + [0.0, -0.2]
    return np.concatenate([outline, *eyes, smile]) + rng.normal(0.0, 0.06, (n, 2))


#: The diffusion panel's built-in data sets, in display order (simplest first).
DIFFUSION_PRESETS = ("Eight Gaussians", "Two moons", "Concentric rings", "Swiss roll", "Checkerboard", "Smiley")
