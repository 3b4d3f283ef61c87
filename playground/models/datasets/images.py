"""Small grayscale images for the autoencoder and VAE, drawn at run time (no downloads) or read from a user's folder.

* **digits** — handwritten-style 0–9 at 16×16. Each digit is a stroke skeleton (polylines and arcs in a unit box),
  bent by a smooth random displacement, slanted, rotated, scaled and shifted, then drawn as a pen of random width:
  a pixel's ink is how much of it the pen covers, from its distance to the nearest stroke segment (anti-aliased).
* **sprites** — a square, ellipse, heart or triangle at a random position, scale and rotation (in the spirit of
  dSprites), filled and anti-aliased from its signed distance; the factors are kept.
* **patterns** — the 3×3 images of the classic autoencoder exercise (9 pixels squeezed into 3 numbers): rows,
  columns, diagonals, a plus and a cross, with a little ink noise.
* :func:`load_image_folder` — a user's PNG/JPEG files, made 16×16 grayscale; files it cannot read are skipped and
  listed. It needs Pillow.

Pixels are float32 in [0, 1], ink bright on a dark background, one image per row: shape (N, side·side) in row-major
order. :func:`as_square` gives (N, side, side) back and :func:`tile` lays images out as one picture. The same name,
n and seed always give the same images.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from playground.models.base import check_stop, validate_seed

__all__ = ["ImageSet", "IMAGE_SETS", "make_images", "make_digits", "make_sprites", "make_patterns",
           "digit_templates", "load_image_folder", "as_square", "tile", "SIDE", "MAX_IMAGES"]

SIDE = 16
#: Largest set a generator makes at once; beyond it a panel would only stall.
MAX_IMAGES = 100_000


@dataclass(frozen=True)
class ImageSet:
    """Images with what is known about each: a class label and, for generated sets, the factors that drew it."""

    name: str
    images: np.ndarray                      # (N, side·side) float32 in [0, 1]
    side: int
    labels: np.ndarray                      # (N,) int64 index into label_names
    label_names: tuple[str, ...]
    factors: dict[str, np.ndarray] = field(default_factory=dict)   # name → (N,) float64, e.g. "scale", "slant"
    skipped: tuple[tuple[str, str], ...] = ()                      # (file name, why) for a user's folder

    def __len__(self) -> int:
        return len(self.images)


def as_square(images: np.ndarray, side: int | None = None) -> np.ndarray:
    """(N, side·side) or (side·side,) → (N, side, side) or (side, side)."""
    images = np.asarray(images)
    side = side or math.isqrt(images.shape[-1])
    if side * side != images.shape[-1]:
        raise ValueError(f"{images.shape[-1]} pixels do not make a square image")
    return images.reshape(*images.shape[:-1], side, side)


def tile(images: np.ndarray, n_cols: int, *, pad: int = 1, pad_value: float = 0.5) -> np.ndarray:
    """Lay out (N, side·side) images in rows of ``n_cols`` as one (H, W) picture, ``pad`` pixels apart."""
    squares = as_square(np.asarray(images, dtype=np.float32).reshape(len(images), -1))
    n, side = len(squares), squares.shape[1]
    n_rows = -(-n // n_cols)
    cell = side + pad
    out = np.full((n_rows * cell + pad, n_cols * cell + pad), pad_value, dtype=np.float32)
    for i, square in enumerate(squares):
        r, c = divmod(i, n_cols)
        out[pad + r * cell: pad + r * cell + side, pad + c * cell: pad + c * cell + side] = square
    return out


# ---------------------------------------------------------------------------------------------------------------
# Drawing: distances from pixel centres to line segments, vectorised over images × segments × pixels.

_PIXEL_X = np.tile(np.arange(SIDE, dtype=np.float32) + 0.5, SIDE)       # (P,) column centres, row-major
_PIXEL_Y = np.repeat(np.arange(SIDE, dtype=np.float32) + 0.5, SIDE)     # (P,)
_PIXEL_XY1 = np.stack([_PIXEL_X, _PIXEL_Y, np.ones_like(_PIXEL_X)])     # (3, P)
_PIXEL_NORM2 = _PIXEL_X ** 2 + _PIXEL_Y ** 2                             # (P,)
#: Images per chunk, so the (chunk, segments, pixels) temporaries stay a few megabytes.
_CHUNK = 256


def _nearest_distance(ax, ay, bx, by):
    """Distance from every pixel centre p to the nearest of the segments a→b. ax… are (N, S); returns (N, P).

    With t = clip((p − a)·(b − a) / |b − a|², 0, 1) the nearest point of a segment is a + t (b − a), and
    |p − a − t (b − a)|² = |p − a|² − t (2 (p − a)·(b − a) − t |b − a|²). Both |p − a|² and (p − a)·(b − a) are
    affine in (p_x, p_y, 1), so they come out of two small matrix products — twice as fast as per-pixel arithmetic.
    """
    abx, aby = bx - ax, by - ay
    length2 = np.maximum(abx * abx + aby * aby, 1e-12)[..., None]          # (N, S, 1)
    along = np.stack([abx, aby, -(ax * abx + ay * aby)], axis=-1) @ _PIXEL_XY1          # (N, S, P) (p − a)·(b − a)
    dist2 = np.stack([-2 * ax, -2 * ay, ax * ax + ay * ay], axis=-1) @ _PIXEL_XY1      # (N, S, P) |p − a|² − |p|²
    t = along / length2
    np.maximum(t, 0, out=t)                                                # clip to the segment (np.clip is slower)
    np.minimum(t, 1, out=t)
    along *= 2
    along -= t * length2
    along *= t
    dist2 -= along
    return np.sqrt(np.maximum(dist2.min(axis=1) + _PIXEL_NORM2, 0))


def _inside(ax, ay, bx, by):
    """Even–odd rule: is each pixel centre inside the closed polygon whose edges are a→b? (N, S) → (N, P) bool."""
    ax, ay, bx, by = (v[..., None] for v in (ax, ay, bx, by))
    straddles = (ay > _PIXEL_Y) != (by > _PIXEL_Y)                         # the edge crosses the pixel's row
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing_x = ax + (_PIXEL_Y - ay) * (bx - ax) / (by - ay)
    crosses = straddles & (_PIXEL_X < crossing_x)                          # … to the right of the pixel
    return np.logical_xor.reduce(crosses, axis=1)


def _render(templates: list[np.ndarray], template_of: np.ndarray, place: Callable, draw: Callable,
            *per_image: np.ndarray) -> np.ndarray:
    """Draw image i from the segments ``templates[template_of[i]]`` (each (S_k, 4) [ax, ay, bx, by]).

    Images sharing a template are drawn together, so none pays for a longer template's segments.
    ``place(segments, index)`` maps a template to pixels for the images ``index`` (n,): four (n, S_k) arrays.
    """
    out = np.empty((len(template_of), SIDE * SIDE), dtype=np.float32)
    for k, segments in enumerate(templates):
        index = np.flatnonzero(template_of == k)
        for start in range(0, len(index), _CHUNK):
            chunk = index[start:start + _CHUNK]
            ends = (end.astype(np.float32) for end in place(segments, chunk))
            out[chunk] = draw(*ends, *(values[chunk].astype(np.float32) for values in per_image))
    return out


def _draw_strokes(ax, ay, bx, by, half_width):
    """Ink of a round pen of half-width ``half_width`` (N,) along the segments: 1 inside, a 1-pixel linear ramp at
    the edge — the fraction of a pixel the pen covers, near enough."""
    distance = _nearest_distance(ax, ay, bx, by)                           # (N, P)
    return np.clip(half_width[:, None] + 0.5 - distance, 0, 1)


def _draw_filled(ax, ay, bx, by):
    """Ink of a filled polygon: coverage from the signed distance to its outline."""
    distance = _nearest_distance(ax, ay, bx, by)                           # (N, P)
    signed = np.where(_inside(ax, ay, bx, by), -distance, distance)
    return np.clip(0.5 - signed, 0, 1)


# ---------------------------------------------------------------------------------------------------------------
# Digits: stroke skeletons in a unit box (x right, y down), a few variants per digit as people write them.

def _arc(cx, cy, rx, ry, start, end, n=10):
    """Points on an elliptic arc from angle ``start`` to ``end`` in degrees, counter-clockwise as seen (y is down)."""
    angles = np.radians(np.linspace(start, end, n))
    return np.stack([cx + rx * np.cos(angles), cy - ry * np.sin(angles)], axis=1)


def _line(*points):
    return np.array(points, dtype=float)


def _join(*parts):
    """One stroke through consecutive parts (arcs and lines): each part's last point joins the next one's first."""
    return np.concatenate(parts)


def _figure_eight(n=32):
    """An 8 in one stroke: down through the middle into the lower loop, up through the middle into the upper."""
    t = np.linspace(0, 2 * np.pi, n)
    return np.stack([0.5 + (0.4 - 0.06 * np.cos(t)) * np.sin(2 * t), 0.5 - 0.49 * np.cos(t)], axis=1)


_DIGIT_STROKES: dict[int, list[list[np.ndarray]]] = {
    0: [[_arc(0.5, 0.5, 0.46, 0.48, 95, 455, 20)]],
    1: [[_line((0.55, 0.0), (0.55, 1.0))],
        [_line((0.25, 0.25), (0.6, 0.0), (0.6, 1.0))],
        [_line((0.25, 0.22), (0.55, 0.0), (0.55, 1.0)), _line((0.2, 1.0), (0.9, 1.0))]],
    2: [[_join(_arc(0.5, 0.3, 0.42, 0.28, 160, -30, 12), _line((0.05, 1.0), (0.97, 1.0)))],
        [_join(_arc(0.5, 0.3, 0.42, 0.28, 170, -20, 12), _line((0.55, 0.68), (0.05, 1.0), (0.97, 1.0)))]],
    3: [[_join(_arc(0.45, 0.26, 0.42, 0.26, 155, -90, 12), _arc(0.45, 0.75, 0.48, 0.25, 90, -155, 12)[1:])],
        [_join(_line((0.1, 0.0), (0.9, 0.0), (0.45, 0.45)), _arc(0.45, 0.72, 0.48, 0.27, 90, -155, 12))]],
    4: [[_line((0.7, 1.0), (0.7, 0.0), (0.02, 0.68), (1.0, 0.68))],
        [_line((0.15, 0.0), (0.08, 0.62), (1.0, 0.62)), _line((0.72, 0.2), (0.72, 1.0))]],
    5: [[_join(_line((0.92, 0.0), (0.2, 0.0), (0.13, 0.45)), _arc(0.5, 0.69, 0.45, 0.31, 140, -145, 14))]],
    6: [[_join(_arc(0.58, 0.62, 0.48, 0.62, 65, 180, 8), _arc(0.52, 0.7, 0.42, 0.3, 180, 540, 16)[1:])]],
    7: [[_line((0.02, 0.0), (0.98, 0.0), (0.35, 1.0))],
        [_line((0.02, 0.0), (0.98, 0.0), (0.35, 1.0)), _line((0.3, 0.52), (0.85, 0.52))],
        [_line((0.02, 0.15), (0.05, 0.0), (0.98, 0.0), (0.4, 1.0))]],
    8: [[_arc(0.5, 0.25, 0.36, 0.25, 0, 360, 14), _arc(0.5, 0.74, 0.46, 0.26, 0, 360, 16)],
        [_figure_eight()]],
    9: [[_arc(0.48, 0.3, 0.42, 0.3, 0, 360, 16), _line((0.9, 0.3), (0.82, 1.0))],
        [_join(_arc(0.48, 0.3, 0.42, 0.3, 0, 360, 16), _arc(0.1, 0.3, 0.8, 0.7, 0, -80, 8)[1:])]],
}
_DIGIT_ASPECT = {0: 0.72, 1: 0.45, 2: 0.7, 3: 0.66, 4: 0.75, 5: 0.68, 6: 0.66, 7: 0.68, 8: 0.64, 9: 0.66}


def _segments(strokes: list[np.ndarray]) -> np.ndarray:
    """Polylines → (S, 4) segments [ax, ay, bx, by]."""
    return np.concatenate([np.concatenate([s[:-1], s[1:]], axis=1) for s in strokes])


_DIGIT_VARIANTS = [(digit, k) for digit in range(10) for k in range(len(_DIGIT_STROKES[digit]))]
_DIGIT_SEGMENTS = [_segments(_DIGIT_STROKES[d][k]) for d, k in _DIGIT_VARIANTS]           # V × (S_v, 4)
_DIGIT_OF_VARIANT = np.array([d for d, _ in _DIGIT_VARIANTS])
_ASPECT_OF_VARIANT = np.array([_DIGIT_ASPECT[d] for d, _ in _DIGIT_VARIANTS])


def _render_digits(variant, height, aspect, slant, rotation, centre_x, centre_y, half_width, wobble):
    """Draw digits from per-image parameters (each (N,); ``wobble`` (N, 2, 2, 3): amplitude, frequency, phase)."""

    def place(segments, i):
        x, y = segments[None, :, 0::2], segments[None, :, 1::2]          # (1, S, 2) both ends, unit box
        # A smooth random displacement bends the strokes the way a hand does: two long sine waves per axis.
        amplitude, frequency, phase = (wobble[i, ..., k][..., None, None] for k in range(3))   # (n, 2, 2, 1, 1)
        waves = amplitude * np.sin(2 * np.pi * frequency * (x + y)[:, None, None] + phase)    # (n, 2, 2, S, 2)
        x = x + waves[:, 0, 0] + waves[:, 0, 1]
        y = y + waves[:, 1, 0] + waves[:, 1, 1]
        # Unit box → pixels: scale, slant (a shear: the top leans right), rotate, move to the centre.
        u = (x - 0.5) * (height[i] * aspect[i])[:, None, None]
        v = (y - 0.5) * height[i][:, None, None]
        u = u - slant[i][:, None, None] * v
        cos, sin = np.cos(rotation[i])[:, None, None], np.sin(rotation[i])[:, None, None]
        px = centre_x[i][:, None, None] + cos * u - sin * v
        py = centre_y[i][:, None, None] + sin * u + cos * v
        return px[..., 0], py[..., 0], px[..., 1], py[..., 1]

    return _render(_DIGIT_SEGMENTS, variant, place, _draw_strokes, half_width)


_DIGIT_HEIGHT = 12.0          # pixels, at scale 1
_DIGIT_SCALE = (0.78, 1.0)    # uniform range
_DIGIT_SLANT = 0.12           # mean shear: a right-handed lean
_DIGIT_THICKNESS = (1.0, 2.5)  # pen width in pixels, uniform range


def make_digits(n: int, *, seed: int = 0) -> ImageSet:
    """``n`` handwritten-style digits 0–9 at 16×16, labels 0–9 spread evenly; factors: slant, thickness, scale."""
    n, rng = _count(n), np.random.default_rng(validate_seed(seed))
    labels = rng.permutation(np.arange(n) % 10)
    # A variant of the digit (a 7 with or without a bar, an open or closed 4, …), drawn uniformly among its kind.
    n_variants = np.bincount(_DIGIT_OF_VARIANT, minlength=10)
    first_variant = np.concatenate([[0], np.cumsum(n_variants)[:-1]])
    variant = first_variant[labels] + (rng.random(n) * n_variants[labels]).astype(int)
    scale = rng.uniform(*_DIGIT_SCALE, n)
    height = _DIGIT_HEIGHT * scale
    aspect = _ASPECT_OF_VARIANT[variant] * rng.uniform(0.85, 1.15, n)
    slant = rng.normal(_DIGIT_SLANT, 0.15, n).clip(-0.25, 0.5)
    rotation = rng.normal(0, np.radians(5), n)
    thickness = rng.uniform(*_DIGIT_THICKNESS, n)                         # pen width in pixels
    centre_x = SIDE / 2 + rng.uniform(-1.2, 1.2, n)
    centre_y = SIDE / 2 + rng.uniform(-0.6, 0.6, n)
    wobble = np.stack([rng.uniform(0, 0.05, (n, 2, 2)),                   # amplitude (unit box)
                       rng.uniform(0.3, 1.0, (n, 2, 2)),                  # frequency (waves per unit)
                       rng.uniform(0, 2 * np.pi, (n, 2, 2))], axis=-1)    # phase
    images = _render_digits(variant, height, aspect, slant, rotation, centre_x, centre_y, thickness / 2, wobble)
    return ImageSet("digits", images, SIDE, labels.astype(np.int64), tuple(str(d) for d in range(10)),
                    {"slant": slant, "thickness": thickness, "scale": scale})


def digit_templates() -> np.ndarray:
    """The average digit of each class, (10, 256): the first variant at the mean size, slant and pen width,
    centred, unrotated, without wobble. A reference a nearest-template classifier holds generated digits against."""
    variant = np.concatenate([[0], np.cumsum(np.bincount(_DIGIT_OF_VARIANT, minlength=10))[:-1]])
    ones, zeros = np.ones(10), np.zeros(10)
    return _render_digits(variant, _DIGIT_HEIGHT * np.mean(_DIGIT_SCALE) * ones, _ASPECT_OF_VARIANT[variant],
                          _DIGIT_SLANT * ones, zeros, SIDE / 2 * ones, SIDE / 2 * ones,
                          np.mean(_DIGIT_THICKNESS) / 2 * ones, np.zeros((10, 2, 2, 3)))


# ---------------------------------------------------------------------------------------------------------------
# Sprites: closed outlines scaled to a circumradius of 1 about the origin.

def _outline(points: np.ndarray) -> np.ndarray:
    points = points - (points.max(axis=0) + points.min(axis=0)) / 2      # centre the bounding box
    points = points / np.max(np.hypot(points[:, 0], points[:, 1]))
    return np.concatenate([points, np.roll(points, -1, axis=0)], axis=1)  # (S, 4) closed polygon edges


def _heart(n=36):
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    x = 16 * np.sin(t) ** 3
    y = 13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t)
    return np.stack([x, -y], axis=1)                                      # y down: the lobes on top


SPRITE_SHAPES = ("square", "ellipse", "heart", "triangle")
_SPRITE_SEGMENTS = [
    _outline(np.array([(-1, -1), (1, -1), (1, 1), (-1, 1)], dtype=float)),
    _outline(_arc(0, 0, 1.0, 0.55, 0, 360, 25)[:-1]),
    _outline(_heart()),
    _outline(_arc(0, 0, 1, 1, 90, 450, 4)[:-1]),
]


def make_sprites(n: int, *, seed: int = 0) -> ImageSet:
    """``n`` filled shapes at 16×16; labels = shape; factors: scale (0.5–1), rotation (radians), x and y (centre,
    as a fraction of the width)."""
    n, rng = _count(n), np.random.default_rng(validate_seed(seed))
    shape = rng.permutation(np.arange(n) % len(SPRITE_SHAPES))
    scale = rng.uniform(0.5, 1.0, n)
    radius = 7.0 * scale                                                  # circumradius in pixels
    rotation = rng.uniform(0, 2 * np.pi, n)
    margin = radius + 0.5
    centre_x = margin + rng.random(n) * (SIDE - 2 * margin)              # the shape always fits
    centre_y = margin + rng.random(n) * (SIDE - 2 * margin)

    def place(segments, i):
        x, y = segments[None, :, 0::2], segments[None, :, 1::2]          # (1, S, 2) both ends, radius 1
        cos, sin, r = (v[i][:, None, None] for v in (np.cos(rotation), np.sin(rotation), radius))
        px = centre_x[i][:, None, None] + r * (cos * x - sin * y)
        py = centre_y[i][:, None, None] + r * (sin * x + cos * y)
        return px[..., 0], py[..., 0], px[..., 1], py[..., 1]

    images = _render(_SPRITE_SEGMENTS, shape, place, _draw_filled)
    return ImageSet("sprites", images, SIDE, shape.astype(np.int64), SPRITE_SHAPES,
                    {"scale": scale, "rotation": rotation, "x": centre_x / SIDE, "y": centre_y / SIDE})


# ---------------------------------------------------------------------------------------------------------------
# 3×3 patterns

_PATTERNS = {
    "top row": "###......", "middle row": "...###...", "bottom row": "......###",
    "left column": "#..#..#..", "middle column": ".#..#..#.", "right column": "..#..#..#",
    "diagonal ╲": "#...#...#", "diagonal ╱": "..#.#.#..", "plus": ".#.###.#.", "cross": "#.#.#.#.#",
}


def make_patterns(n: int, *, seed: int = 0) -> ImageSet:
    """``n`` 3×3 line patterns (rows, columns, diagonals, plus, cross): ink 0.75–1 on 0–0.15, labels = pattern."""
    n, rng = _count(n), np.random.default_rng(validate_seed(seed))
    masks = np.array([[c == "#" for c in p] for p in _PATTERNS.values()], dtype=bool)   # (10, 9)
    labels = rng.permutation(np.arange(n) % len(masks))
    ink = rng.uniform(0.75, 1.0, (n, 9))
    background = rng.uniform(0.0, 0.15, (n, 9))
    images = np.where(masks[labels], ink, background).astype(np.float32)
    return ImageSet("patterns", images, 3, labels.astype(np.int64), tuple(_PATTERNS))


IMAGE_SETS: dict[str, Callable[..., ImageSet]] = {"digits": make_digits, "sprites": make_sprites,
                                                  "patterns": make_patterns}


def make_images(name: str, n: int, *, seed: int = 0) -> ImageSet:
    """``n`` images of the set called ``name`` (one of ``IMAGE_SETS``)."""
    if name not in IMAGE_SETS:
        raise ValueError(f"unknown image set {name!r}; choose one of: {', '.join(IMAGE_SETS)}")
    return IMAGE_SETS[name](n, seed=seed)


def _count(n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_IMAGES:
        raise ValueError(f"the number of images must be a whole number from 1 to {MAX_IMAGES:,}; got {n!r}")
    return int(n)


# ---------------------------------------------------------------------------------------------------------------
# A user's folder

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
MAX_FILE_BYTES = 50 * 1024 * 1024


def load_image_folder(path: str | os.PathLike, *, side: int = SIDE, invert: bool | str = "auto",
                      max_images: int = 20_000) -> ImageSet:
    """Every PNG/JPEG in ``path`` and in its sub-folders (one level), as ``side``×``side`` grayscale.

    A sub-folder's name becomes the label of its images ("cats/", "dogs/"); images directly in ``path`` take the
    folder's own name. Each image is padded to a square with its border colour (nothing is cut off), shrunk with
    area averaging and, with ``invert="auto"``, inverted when its border is light — so dark ink on white paper
    becomes bright ink on black, like the generated sets. Files that cannot be read are skipped and listed in
    ``.skipped`` with the reason; if none can be read, a ValueError lists them.
    """
    try:
        from PIL import Image
    except ImportError:
        raise ValueError("reading image files needs the Pillow package: pip install pillow") from None
    folder = Path(path)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder")
    if invert not in (True, False, "auto"):
        raise ValueError(f"invert must be True, False or 'auto', not {invert!r}")
    if isinstance(side, bool) or not isinstance(side, (int, np.integer)) or not 2 <= side <= 128:
        raise ValueError(f"side must be a whole number from 2 to 128, not {side!r}")

    entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    files = [(p, folder.name) for p in entries if p.is_file()]
    for sub in (p for p in entries if p.is_dir()):
        files += [(f, sub.name) for f in sorted(sub.iterdir()) if f.is_file() and not f.name.startswith(".")]

    images, label_of, skipped = [], [], []
    for file, label in files:
        check_stop()                                                      # thousands of files take a while
        shown = str(file.relative_to(folder))
        if file.suffix.lower() not in IMAGE_SUFFIXES:
            skipped.append((shown, "not a PNG or JPEG file"))
        elif file.stat().st_size > MAX_FILE_BYTES:
            skipped.append((shown, f"larger than {MAX_FILE_BYTES // 2**20} MB"))
        elif len(images) >= max_images:
            skipped.append((shown, f"more than {max_images} images"))
        else:
            try:
                images.append(_read_gray(file, side, invert, Image))
                label_of.append(label)
            except Exception as exc:  # noqa: BLE001 - any decoding failure means "skip this file", never a crash
                skipped.append((shown, _reason(exc)))
    if not images:
        listed = "; ".join(f"{name} ({why})" for name, why in skipped[:5]) or "the folder is empty"
        raise ValueError(f"no readable PNG or JPEG images in {folder}: {listed}")
    label_names = tuple(dict.fromkeys(label_of))                          # in order of first appearance
    labels = np.array([label_names.index(label) for label in label_of], dtype=np.int64)
    return ImageSet(folder.name, np.stack(images).astype(np.float32), side, labels, label_names,
                    skipped=tuple(skipped))


def _read_gray(file: Path, side: int, invert: bool | str, Image) -> np.ndarray:
    from PIL import ImageOps
    with Image.open(file) as img:
        img.draft("L", (4 * side, 4 * side))                              # JPEG: decode at a reduced size, fast
        img = ImageOps.exif_transpose(img)
        if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
            img = img.convert("RGBA")                                     # transparent parts are white paper
            img = Image.alpha_composite(Image.new("RGBA", img.size, "white"), img)
        img = img.convert("L")
        img.thumbnail((4 * side, 4 * side), Image.Resampling.BOX)
        gray = np.asarray(img, dtype=np.float32) / 255                    # (h, w)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    background = float(np.median(border))
    h, w = gray.shape
    extra = abs(h - w)
    padding = ((extra // 2, extra - extra // 2), (0, 0)) if h < w else ((0, 0), (extra // 2, extra - extra // 2))
    square = np.pad(gray, padding, constant_values=background)
    small = np.asarray(Image.fromarray(square, mode="F").resize((side, side), Image.Resampling.BOX))
    if invert is True or (invert == "auto" and background > 0.5):
        small = 1 - small
    return np.clip(small, 0, 1).ravel()


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    if "cannot identify image file" in text:
        return "not a readable image (damaged, or not really a PNG/JPEG)"
    return text if len(text) < 120 else text[:117] + "…"
