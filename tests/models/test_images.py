"""Procedural images (deterministic, labelled, drawn where their factors say) and the image-folder loader."""
from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from scipy import stats
from scipy.ndimage import gaussian_filter

from playground.models.datasets import images as im
from playground.models.datasets.images import (IMAGE_SETS, ImageSet, as_square, digit_templates, load_image_folder,
                                               make_digits, make_images, make_patterns, make_sprites, tile)


# -- every generated set -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(IMAGE_SETS))
def test_sets_are_deterministic_labelled_float32_in_unit_range(name):
    for n in (1, 13, 400):
        data = make_images(name, n, seed=3)
        assert isinstance(data, ImageSet) and len(data) == n
        assert data.images.shape == (n, data.side ** 2) and data.images.dtype == np.float32
        assert data.images.min() >= 0 and data.images.max() <= 1
        assert data.labels.shape == (n,) and data.labels.dtype == np.int64
        assert data.labels.min() >= 0 and data.labels.max() < len(data.label_names)
        assert all(values.shape == (n,) for values in data.factors.values())
        again = make_images(name, n, seed=3)
        assert np.array_equal(data.images, again.images) and np.array_equal(data.labels, again.labels)
    assert not np.array_equal(make_images(name, 50, seed=1).images, make_images(name, 50, seed=2).images)
    # Every class is present in equal numbers (± 1), in shuffled order.
    data = make_images(name, 1000, seed=0)
    counts = np.bincount(data.labels, minlength=len(data.label_names))
    assert counts.max() - counts.min() <= 1
    assert not np.array_equal(data.labels, np.sort(data.labels))


def test_invalid_requests_raise_clear_errors():
    with pytest.raises(ValueError, match="unknown image set 'faces'; choose one of: digits, sprites, patterns"):
        make_images("faces", 10)
    for bad in (0, -3, 2.5, True, im.MAX_IMAGES + 1):
        with pytest.raises(ValueError, match="number of images must be a whole number"):
            make_digits(bad)
    with pytest.raises(ValueError, match="seed"):
        make_sprites(10, seed=-1)


def test_as_square_and_tile():
    data = make_digits(7, seed=0)
    squares = as_square(data.images)
    assert squares.shape == (7, 16, 16)
    assert np.array_equal(squares[2, 5], data.images[2, 5 * 16:6 * 16])      # row-major
    assert as_square(data.images[0]).shape == (16, 16)
    picture = tile(data.images, 3, pad=1, pad_value=0.5)
    assert picture.shape == (3 * 17 + 1, 3 * 17 + 1)
    assert np.array_equal(picture[18:34, 1:17], squares[3])                  # second row, first column
    assert np.all(picture[-17:-1, 18:] == 0.5)                               # the two unused cells stay padding
    with pytest.raises(ValueError, match="do not make a square"):
        as_square(np.zeros((2, 10)))


# -- the distance field under all the drawing ----------------------------------------------------------------------

def test_nearest_distance_matches_a_plain_loop():
    rng = np.random.default_rng(0)
    ax, ay, bx, by = (rng.uniform(-2, 18, (3, 5)).astype(np.float32) for _ in range(4))
    bx[0, 0], by[0, 0] = ax[0, 0], ay[0, 0]                                  # a zero-length segment is a point
    fast = im._nearest_distance(ax, ay, bx, by)
    pixels = np.stack([im._PIXEL_X, im._PIXEL_Y], axis=1).astype(np.float64)
    for n in range(3):
        best = np.full(256, np.inf)
        for s in range(5):
            a, b = np.array([ax[n, s], ay[n, s]], float), np.array([bx[n, s], by[n, s]], float)
            ab = b - a
            t = np.clip((pixels - a) @ ab / max(ab @ ab, 1e-12), 0, 1)
            best = np.minimum(best, np.linalg.norm(pixels - a - t[:, None] * ab, axis=1))
        # Expanding |p − a|² in float32 costs ~1e-5 px² near a stroke (the distances there are ≈ 0 and the ink 1).
        np.testing.assert_allclose(fast[n] ** 2, best ** 2, atol=1e-4)


# -- digits --------------------------------------------------------------------------------------------------------

def _features(images):
    """Blurred (σ = 1 px) and scaled to unit length: tolerant of a pixel's shift and of ink strength."""
    blurred = gaussian_filter(as_square(images), (0, 1, 1)).reshape(len(images), -1)
    return blurred / np.linalg.norm(blurred, axis=1, keepdims=True)


def test_digits_are_recognised_by_nearest_clean_template():
    """Hold each generated digit against the ten upright, wobble-free templates: most land on their own digit."""
    data = make_digits(2000, seed=11)
    predicted = np.argmax(_features(data.images) @ _features(digit_templates()).T, axis=1)
    correct = predicted == data.labels
    assert correct.mean() > 0.8
    per_digit = [correct[data.labels == d].mean() for d in range(10)]
    assert min(per_digit) > 0.6, per_digit


def test_digits_vary_and_their_factors_are_visible():
    data = make_digits(2000, seed=4)
    ink = data.images.sum(axis=1)
    # A thicker pen puts more ink down (same digit shapes on average).
    assert stats.spearmanr(data.factors["thickness"], ink).statistic > 0.6
    # No two sevens alike: within a class, images differ nearly as much as the data does overall.
    sevens = data.images[data.labels == 7]
    assert np.median(np.linalg.norm(sevens[1:] - sevens[:-1], axis=1)) > 3
    # Slant leans the top to the right: the ink's top half sits right of its bottom half.
    squares = as_square(data.images)
    columns = np.arange(16) + 0.5
    top, bottom = squares[:, :8].sum(axis=1), squares[:, 8:].sum(axis=1)
    lean = (top @ columns) / top.sum(axis=1) - (bottom @ columns) / bottom.sum(axis=1)
    ones = data.labels == 1                                                  # a 1 is a straight stroke
    assert stats.spearmanr(data.factors["slant"][ones], lean[ones]).statistic > 0.7


def test_digits_are_anti_aliased_and_inside_the_frame():
    data = make_digits(500, seed=2)
    inked = data.images > 0.02
    grey = (data.images > 0.02) & (data.images < 0.98)
    assert grey.sum() > 0.25 * inked.sum()                                   # soft edges, not a binary mask
    assert (data.images.max(axis=1) > 0.8).all()          # solid ink (a 1-px pen between pixel centres is greyer)
    squares = as_square(data.images)
    border = np.concatenate([squares[:, 0], squares[:, -1], squares[:, :, 0], squares[:, :, -1]], axis=1)
    assert np.mean(border.max(axis=1) > 0.5) < 0.1                           # few strokes reach the frame


# -- sprites -------------------------------------------------------------------------------------------------------

def _polygon_area(edges):
    x, y = edges[:, 0], edges[:, 1]
    return 0.5 * abs(np.sum(x * edges[:, 3] - edges[:, 2] * y))


def test_sprites_are_drawn_where_their_factors_say():
    data = make_sprites(1200, seed=5)
    radius = 7.0 * data.factors["scale"]
    # Anti-aliased coverage adds up to the shape's true area: outline area × radius² (shoelace formula).
    area = np.array([_polygon_area(im._SPRITE_SEGMENTS[s]) for s in data.labels]) * radius ** 2
    error = data.images.sum(axis=1) / area - 1
    assert np.abs(error).mean() < 0.02
    assert np.abs(error).max() < 0.08                     # the worst: sharp corners of the smallest triangles
    # The ink's centre of mass is the drawn centre for the point-symmetric shapes (square, ellipse).
    squares = as_square(data.images)
    centres = np.arange(16) + 0.5
    mass = squares.sum(axis=(1, 2))
    cx, cy = (squares.sum(axis=1) @ centres) / mass, (squares.sum(axis=2) @ centres) / mass
    symmetric = np.isin(data.labels, [0, 1])
    np.testing.assert_allclose(cx[symmetric], 16 * data.factors["x"][symmetric], atol=0.15)
    np.testing.assert_allclose(cy[symmetric], 16 * data.factors["y"][symmetric], atol=0.15)
    # The shape always fits in the frame.
    assert np.all(np.concatenate([squares[:, 0], squares[:, -1], squares[:, :, 0], squares[:, :, -1]]) < 0.5)
    assert data.label_names == ("square", "ellipse", "heart", "triangle")
    assert 0.5 <= data.factors["scale"].min() and data.factors["scale"].max() <= 1
    assert 0 <= data.factors["rotation"].min() and data.factors["rotation"].max() < 2 * math.pi


# -- 3×3 patterns --------------------------------------------------------------------------------------------------

def test_patterns_show_their_named_lines():
    data = make_patterns(300, seed=1)
    assert data.side == 3 and data.images.shape == (300, 9)
    grids = as_square(data.images) > 0.5
    for grid, label in zip(grids, data.labels):
        name = data.label_names[label]
        if name.endswith("row"):
            row = ["top", "middle", "bottom"].index(name.split()[0])
            assert grid[row].all() and grid.sum() == 3
        elif name.endswith("column"):
            col = ["left", "middle", "right"].index(name.split()[0])
            assert grid[:, col].all() and grid.sum() == 3
        elif name == "diagonal ╲":
            assert np.array_equal(grid, np.eye(3, dtype=bool))
        elif name == "diagonal ╱":
            assert np.array_equal(grid, np.eye(3, dtype=bool)[::-1])
        elif name == "plus":
            assert grid[1].all() and grid[:, 1].all() and grid.sum() == 5
        else:
            assert name == "cross" and np.array_equal(grid, np.eye(3, dtype=bool) | np.eye(3, dtype=bool)[::-1])


# -- a user's folder -----------------------------------------------------------------------------------------------

def _drawing(size=(40, 30), mode="L"):
    """Dark ink (a thick bar) on white paper."""
    from PIL import Image
    img = Image.new(mode, size, "white")
    pixels = np.array(img)
    pixels[size[1] // 4: size[1] // 2, :] = 0
    return Image.fromarray(pixels)


def test_folder_loads_good_images_and_lists_the_bad_ones(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    _drawing().save(tmp_path / "a.png")
    _drawing((30, 60), "RGB").save(tmp_path / "b.jpg", quality=95)       # tall, colour, JPEG
    rgba = Image.new("RGBA", (20, 20), (0, 0, 0, 0))                        # transparent paper, opaque black dot
    rgba.paste((0, 0, 0, 255), (8, 8, 12, 12))
    rgba.save(tmp_path / "c.png")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(200)))
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / ".hidden.png").write_bytes(b"junk")
    (tmp_path / "cats").mkdir()
    _drawing().save(tmp_path / "cats" / "tom.PNG")
    (tmp_path / "cats" / "empty.jpeg").write_bytes(b"")

    data = load_image_folder(tmp_path)
    assert data.images.shape == (4, 256) and data.images.dtype == np.float32
    assert 0 <= data.images.min() and data.images.max() <= 1
    assert data.label_names == (tmp_path.name, "cats")
    assert list(data.labels) == [0, 0, 0, 1]                                  # a.png, b.jpg, c.png, cats/tom.PNG
    skipped = dict(data.skipped)
    assert set(skipped) == {"broken.png", "notes.txt", "cats/empty.jpeg"}
    assert "not a PNG or JPEG" in skipped["notes.txt"]
    assert "not a readable image" in skipped["broken.png"]
    # Dark ink on white paper comes out as bright ink on black, like the generated sets.
    bar = as_square(data.images[0])
    assert bar[:2].mean() < 0.1 and bar[-2:].mean() < 0.1                     # padding takes the paper colour
    assert bar[:, 8].max() > 0.9
    dot = as_square(data.images[2])
    assert dot[7:9, 7:9].mean() > 0.8 and dot[0].max() < 0.1                 # transparent = paper
    assert load_image_folder(tmp_path, invert=False).images[0].mean() > 0.5  # as drawn: mostly white


def test_folder_errors_are_clear(tmp_path, monkeypatch):
    pytest.importorskip("PIL.Image")
    with pytest.raises(ValueError, match="is not a folder"):
        load_image_folder(tmp_path / "missing")
    with pytest.raises(ValueError, match="no readable PNG or JPEG images .* the folder is empty"):
        load_image_folder(tmp_path)
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8\xff garbage")
    with pytest.raises(ValueError, match=r"no readable PNG or JPEG images .*bad\.jpg"):
        load_image_folder(tmp_path)
    with pytest.raises(ValueError, match="invert must be"):
        load_image_folder(tmp_path, invert="yes")
    monkeypatch.setitem(sys.modules, "PIL", None)                            # as if Pillow were not installed
    with pytest.raises(ValueError, match="needs the Pillow package"):
        load_image_folder(tmp_path)
