"""Toy point sets (deterministic, right shapes) and the CSV loaders (all or nothing, errors that name lines)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from playground.models.datasets import toy2d
from playground.models.datasets.loaders import load_column_csv, load_points_csv
from playground.models.datasets.toy2d import GMM_PRESETS, POINT_SETS, PRESETS_1D, PRESETS_2D, make_points
from playground.models.gmm import GaussianMixture


# -- toy point sets ------------------------------------------------------------------------------------------------

def test_presets_are_registered_in_display_order():
    assert PRESETS_2D == ("Well-separated blobs", "Overlapping blobs", "Anisotropic", "Unequal sizes", "Two moons")
    assert PRESETS_1D == ("Heights of two groups (1-D)",)
    assert set(GMM_PRESETS) <= set(POINT_SETS)


@pytest.mark.parametrize("name", GMM_PRESETS)
def test_presets_are_deterministic_float64_arrays_of_the_right_shape(name):
    d = 1 if name in PRESETS_1D else 2
    for n in (1, 7, 500):
        points = make_points(name, n, seed=3)
        assert points.shape == (n, d) and points.dtype == np.float64 and np.isfinite(points).all()
        assert np.array_equal(points, make_points(name, n, seed=3))
    assert not np.array_equal(make_points(name, 50, seed=1), make_points(name, 50, seed=2))


def test_presets_have_the_structure_their_names_promise():
    unequal = make_points("Unequal sizes", 2000, seed=0)
    near = [np.mean(np.linalg.norm(unequal - centre, axis=1) < radius) for centre, radius in [((3, 2), 1.8),
                                                                                         ((3, -2), 1.2)]]
    assert np.allclose(near, [0.2, 0.1], atol=0.02)  # the two small groups; the big one holds the rest
    heights = make_points("Heights of two groups (1-D)", 4000, seed=0)[:, 0]
    two_groups = stats.kstest(heights, lambda x: 0.5 * stats.norm.cdf(x, 163, 7) + 0.5 * stats.norm.cdf(x, 177, 7))
    assert two_groups.pvalue > 1e-3
    assert abs(heights.mean() - 170) < 0.5 and abs(heights.std() - np.hypot(7, 7)) < 0.5
    blobs = make_points("Well-separated blobs", 900, seed=0)
    bic = [GaussianMixture(k, seed=0).fit(blobs).bic(blobs) for k in (1, 2, 3, 4, 5)]
    assert int(np.argmin(bic)) == 2
    moons = make_points("Two moons", 1000, seed=0)
    assert abs(np.corrcoef(moons.T)[0, 1]) < 0.6 and np.ptp(moons[:, 0]) > np.ptp(moons[:, 1])


def test_bad_requests_raise_and_new_sets_can_be_registered():
    with pytest.raises(ValueError, match="unknown point set 'Spiral'; choose one of: Well-separated blobs"):
        make_points("Spiral", 10)
    for bad in (0, -5, 2.5, True, 10**7):
        with pytest.raises(ValueError, match="number of points"):
            make_points("Two moons", bad)
    with pytest.raises(ValueError, match="seed"):
        make_points("Two moons", 10, seed=-1)
    with pytest.raises(ValueError, match="already exists"):
        toy2d.register("Two moons")(lambda n, rng: np.zeros((n, 2)))

    @toy2d.register("A line (test only)")
    def line(n, rng):
        return np.c_[np.arange(n), np.arange(n)]
    try:
        assert make_points("A line (test only)", 4).shape == (4, 2)
    finally:
        del POINT_SETS["A line (test only)"]


# -- loading CSV ---------------------------------------------------------------------------------------------------

def write(tmp_path, text, name="points.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


@pytest.mark.parametrize("text", [
    "x,y\n1,2\n3.5,-4e-1\n",
    "1,2\n3.5,-0.4",
    '"x";"y"\n1;2\n3,5;-0,4\n\n\n',
    "1,0;2\n3,5;-0,4\n",
    "x\ty\n1\t2\n3.5\t-0.4\n",
    "  1   2\n3.5 -0.4\n",
    '\ufeffheight,weight\r\n"1","2"\r\n"3.5", "-0.4"\r\n',
])
def test_points_load_from_common_csv_dialects(tmp_path, text):
    points = load_points_csv(write(tmp_path, text))
    assert points.dtype == np.float64
    assert np.array_equal(points, [[1.0, 2.0], [3.5, -0.4]])


def test_bad_rows_are_all_reported_with_line_numbers(tmp_path):
    text = "x,y\n1,2\nabc,3\n4,5\n6\n\n7,nan\n8,inf\n9,10,11\n12,\n13,14\n"
    with pytest.raises(ValueError) as error:
        load_points_csv(write(tmp_path, text))
    message = str(error.value)
    assert message.startswith("'points.csv': 7 of 10 rows could not be read, so nothing was loaded")
    for expected in ("line 3: 'abc' is not a number", "line 5: expected 2 values, found 1", "line 6: empty line",
                     "line 7: 'nan' is not a finite number", "line 8: 'inf' is not a finite number",
                     "and 2 more"):
        assert expected in message
    assert "line 2" not in message and "line 4" not in message


def test_points_and_columns_of_other_widths(tmp_path):
    assert load_points_csv(write(tmp_path, "h\n1\n2\n"), n_columns=1).shape == (2, 1)
    with pytest.raises(ValueError, match="line 1: expected 2 values, found 3; line 2: expected 2 values, found 3"):
        load_points_csv(write(tmp_path, "1,2,3\n4,5,6\n"))
    with pytest.raises(ValueError, match="n_columns"):
        load_points_csv(write(tmp_path, "1,2\n"), n_columns=0)


@pytest.mark.parametrize("content, words", [
    (b"", "is empty"),
    (b"\n\n  \n", "is empty"),
    (b"x,y\n", "header but no rows"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
    (b"1,2\n\x81\x8d\x8f,3\n", "not readable text"),
])
def test_unreadable_files_raise_clear_errors(tmp_path, content, words):
    with pytest.raises(ValueError, match=words):
        load_points_csv(write(tmp_path, content))


def test_missing_folder_and_too_large(tmp_path):
    with pytest.raises(ValueError, match="there is no file at"):
        load_points_csv(tmp_path / "nothing.csv")
    with pytest.raises(ValueError, match="is a folder, not a file"):
        load_points_csv(tmp_path)
    with pytest.raises(ValueError, match=r"files up to 0.0001 MB"):
        load_points_csv(write(tmp_path, "1,2\n" * 100), max_bytes=100)


def test_windows_1252_text_is_read(tmp_path):
    path = write(tmp_path, "Gr\xf6\xdfe;Gewicht\n1,5;70\n1,75;80\n".encode("cp1252"))
    assert np.array_equal(load_points_csv(path), [[1.5, 70.0], [1.75, 80.0]])


def test_one_column_by_position_or_name(tmp_path):
    path = write(tmp_path, "name,height\nAda,163.5\nBob,177\nCy,170\n")
    assert np.array_equal(load_column_csv(path, 1), [163.5, 177.0, 170.0])
    assert np.array_equal(load_column_csv(path, "height"), [163.5, 177.0, 170.0])
    assert np.array_equal(load_column_csv(write(tmp_path, "5\n6\n", "plain.csv")), [5.0, 6.0])
    with pytest.raises(ValueError, match="line 2: 'Ada' is not a number"):
        load_column_csv(path, 0)
    with pytest.raises(ValueError, match="no column called 'weight'"):
        load_column_csv(path, "weight")
    with pytest.raises(ValueError, match="line 3: no column 2"):
        load_column_csv(write(tmp_path, "a,b\n1,2\n3\n", "short.csv"), 1)
    with pytest.raises(ValueError, match="column must be"):
        load_column_csv(path, -1)
