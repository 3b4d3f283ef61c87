"""Hostile input to the GMM-EM panel: its number fields, a CSV of points, and drawn data."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import QPointF, Qt

from playground.panels.gmm import MAX_K
from tests.hostile.support import (
    FileCase,
    broken_tables,
    count_used,
    hostile_settings,
    not_a_number,
    numbers_outside,
    refuse,
    run_case,
    settle,
    still_steps,
    type_into,
    undecodable_text,
    unusable_files,
    whole,
)

FIELDS = {"n_components": lambda v: whole(v) and 1 <= v <= MAX_K,
          "tol": lambda v: v >= 0,
          "reg_covar": lambda v: v >= 0}


def data_of(panel) -> dict:
    return {"X": panel.X, "preset": panel.preset, "samples": panel.samples}


@pytest.fixture
def panel(open_panel):
    return open_panel("gmm")


@hostile_settings(60)
@given(field=st.sampled_from(sorted(FIELDS)), data=st.data())
def test_number_fields_refuse_what_is_not_a_valid_number(panel, qtbot, field, data):
    text = data.draw(st.one_of(not_a_number(), numbers_outside(FIELDS[field], integers=field == "n_components")),
                     label="typed")
    edit = panel.model_form.controls[field]
    refuse(qtbot, panel, __name__, f"{field} = {text!r}", lambda: type_into(edit, text), extra=data_of)


def too_few_points() -> st.SearchStrategy[FileCase]:
    """A clean CSV of fewer points than the K = 3 components."""
    point = st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)).map(lambda p: f"{p[0]!r},{p[1]!r}")
    return st.lists(point, min_size=1, max_size=2).map(lambda rows: FileCase("too few points", "\n".join(rows).encode()))


@hostile_settings(40)
@given(case=st.one_of(unusable_files(), undecodable_text(), broken_tables(2), broken_tables(3), too_few_points()))
def test_a_csv_that_cannot_be_used_changes_nothing(panel, qtbot, tmp_path_factory, case):
    path = case.write(tmp_path_factory.mktemp("csv"))
    loaded = []
    refuse(qtbot, panel, __name__, f"CSV: {case.kind}", lambda: loaded.append(panel.load_csv(str(path))),
           extra=data_of)
    assert loaded == [False]
    assert not (path.parent / "PWNED").exists()


def click(qtbot, panel, x: float, y: float) -> None:
    vb = panel.main_plot.plot_item.vb
    position = panel.main_plot.mapFromScene(vb.mapViewToScene(QPointF(x, y)))
    qtbot.mouseClick(panel.main_plot.viewport(), Qt.MouseButton.LeftButton, pos=position)


@hostile_settings(12)
@given(points=st.integers(0, 2), where=st.tuples(st.floats(0.05, 0.95), st.floats(0.05, 0.95)))
def test_too_few_drawn_points_keep_the_fit_on_the_old_ones(panel, qtbot, points, where):
    """Clear, then click 0–2 points (K = 3): EM cannot run on them; the panel says so and the model keeps its data."""
    panel._load_preset(panel.preset, panel.n_points)
    settle(qtbot, panel)
    (x0, x1), (y0, y1) = panel.main_plot.plot_item.vb.viewRange()
    panel.main_plot.plot_item.vb.disableAutoRange()

    def draw():
        qtbot.mouseClick(panel.clear_button, Qt.MouseButton.LeftButton)
        for i in range(points):   # a second point well away from the first, so the click adds rather than inspects
            click(qtbot, panel, x0 + (x1 - x0) * abs(where[0] - 0.5 * i), y0 + (y1 - y0) * abs(where[1] - 0.5 * i))

    refuse(qtbot, panel, __name__, f"{points} drawn point(s)", draw)
    assert len(panel.X) == points
    assert len(panel.model.X) == panel.n_points


@hostile_settings(6)
@given(point=st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)), n=st.integers(3, 200))
def test_identical_points_are_fitted_and_the_collapse_is_explained(panel, qtbot, tmp_path_factory, point, n):
    path = tmp_path_factory.mktemp("same") / "same.csv"
    path.write_text("\n".join(f"{point[0]!r},{point[1]!r}" for _ in range(n)) + "\n", encoding="utf-8")
    loaded = []
    run_case(qtbot, panel, __name__, f"{n} copies of {point}", lambda: loaded.append(panel.load_csv(str(path))))
    assert loaded == [True]
    still_steps(qtbot, panel, 2)
    count_used()
    assert "collapsed" in panel.phase_label.text() or "zero width" in panel.phase_label.text()


@hostile_settings(15)
@given(keys=st.one_of(st.sampled_from(["-5", "0", "1e9", "99999999999", "-0", "abc", " ", "1,5"]),
                      # QTest types ASCII only (anything else aborts it).
                      st.text(alphabet="0123456789-+.,eE xyz#", max_size=12)))
def test_the_spin_boxes_cannot_hold_an_invalid_number(panel, qtbot, hostile_window, keys):
    """The samples count and the transport bar's seed are spin boxes: whatever is typed, they keep a valid value
    (there is nothing to refuse, so nothing is counted as a case), and the seed given to the panel is valid."""
    for box, low, high in ((panel.sample_count, 1, 100_000), (hostile_window.transport.seed_box, 0, 2**31 - 1)):
        box.lineEdit().selectAll()
        qtbot.keyClicks(box.lineEdit(), keys)
        qtbot.keyClick(box, Qt.Key.Key_Return)
        assert low <= box.value() <= high
    assert 0 <= panel.seed <= 2**31 - 1 and panel.message_bar.level != "error"
