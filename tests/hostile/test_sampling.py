"""Hostile input to the Sampling panel: the distribution editors' number fields, the tables of outcomes and
mixture components, and a drawn density."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from playground.models import sampling as sm
from tests.hostile.support import (
    count_case,
    count_used,
    hostile_settings,
    not_a_number,
    number_text,
    refuse,
    run_case,
    said,
    settle,
    still_steps,
    type_into,
)

#: A preset that opens each editor, and the editor's fields.
EDITORS = {"gaussian": ("Heights N(170, 10)", ("mean", "std")), "uniform": ("Uniform(0, 1)", ("low", "high")),
           "exponential": ("Exponential(1)", ("rate",)), "beta": ("Beta(2, 5)", ("a", "b"))}
TABLES = {"categorical": "Marble bag", "mixture": "Two-group heights mixture"}


def data_of(panel) -> dict:
    return {"distribution": panel.distribution, "sampler": panel.sampler, "preset": panel.preset}


@pytest.fixture
def panel(open_panel):
    return open_panel("sampling")


def show_preset(qtbot, panel, preset: str) -> None:
    """Choose ``preset`` afresh (a valid input) and put its editor back to what the model uses."""
    if panel.distribution != sm.PRESETS[preset]():
        box = panel.preset_box
        if box.currentText() == preset:   # leave it and come back: choosing the shown entry again does nothing
            box.setCurrentIndex((box.currentIndex() + 1) % box.count())
        box.setCurrentText(preset)
        settle(qtbot, panel)
    editor = {p: key for key, (p, _) in EDITORS.items()} | {p: key for key, p in TABLES.items()}
    panel.editors[editor[preset]].load(panel.distribution)


def any_number() -> st.SearchStrategy[str]:
    """Numbers of every size and sign, typed."""
    return st.one_of(st.floats(allow_nan=False, allow_infinity=False),
                     st.sampled_from([0.0, -0.0, 1e-300, 1e-7, 1e6, 1e7, 1e300, -1e300, 5e-324]),
                     st.floats(-1e7, 1e7)).map(number_text)


def assert_in_use(qtbot, panel) -> None:
    """An accepted distribution is the model's, and it samples: a step and a 10 000-sample draw, with no error."""
    assert panel.model.distribution == panel.distribution
    still_steps(qtbot, panel)
    panel.draw_now(10_000)
    settle(qtbot, panel)
    assert panel.message_bar.level != "error", panel.message_bar.label.text()
    count_used()


@hostile_settings(70)
@given(editor=st.sampled_from(sorted(EDITORS)), data=st.data())
def test_the_number_fields_refuse_or_use_every_value(panel, qtbot, editor, data):
    preset, fields = EDITORS[editor]
    show_preset(qtbot, panel, preset)
    field = data.draw(st.sampled_from(fields), label="field")
    text = data.draw(st.one_of(not_a_number(), any_number()), label="typed")
    form = panel.editors[editor].form
    what = f"{editor} {field} = {text!r}"
    guard = run_case(qtbot, panel, __name__, what, lambda: type_into(form.controls[field], text), extra=data_of)
    if said(panel):
        guard.assert_intact(what)
        still_steps(qtbot, panel)
    else:
        assert form.values()[field] == float(text.replace("−", "-")), f"{text!r} neither refused nor used"
        assert_in_use(qtbot, panel)


def table_text(column: str) -> st.SearchStrategy[str]:
    names = st.one_of(st.sampled_from(["", " ", "\t", "red", "blue", "\u200b", "名前", "🎲" * 3, "x" * 5000]),
                      st.text(max_size=30), st.text(min_size=500, max_size=3000))
    return names if column == "Outcome" else st.one_of(not_a_number(), any_number())


@hostile_settings(70)
@given(table=st.sampled_from(sorted(TABLES)), data=st.data())
def test_the_tables_refuse_or_use_every_cell(panel, qtbot, table, data):
    show_preset(qtbot, panel, TABLES[table])
    editor = panel.editors[table]
    row = data.draw(st.integers(0, editor.table.rowCount() - 1), label="row")
    column = data.draw(st.integers(0, editor.table.columnCount() - 1), label="column")
    header = editor.table.horizontalHeaderItem(column).text()
    text = data.draw(table_text(header), label="typed")
    what = f"{table} row {row} {header} = {text!r}"
    guard = run_case(qtbot, panel, __name__, what, lambda: editor.table.item(row, column).setText(text),
                     extra=data_of)
    if said(panel):
        guard.assert_intact(what)
        still_steps(qtbot, panel)
    else:
        assert editor.rows()[row][column] == text
        assert_in_use(qtbot, panel)


@hostile_settings(8)
@given(table=st.sampled_from(sorted(TABLES)), keep=st.integers(0, 1))
def test_removing_rows_down_to_none_is_refused(panel, qtbot, table, keep):
    """Every row removed (or all but one of a categorical, whose weight then no longer sums to 1)."""
    show_preset(qtbot, panel, TABLES[table])
    editor = panel.editors[table]

    def remove_rows():
        while editor.table.rowCount() > keep:
            editor.table.selectRow(0)
            qtbot.mouseClick(editor.remove_button, Qt.MouseButton.LeftButton)

    refuse(qtbot, panel, __name__, f"{table} with {keep} row(s)", remove_rows, extra=data_of)


def drag(qtbot, panel, points: list[tuple[float, float]]) -> None:
    """Press, move through ``points`` (data coordinates) and release on the main plot. (QTest's mouseMove carries
    no pressed button, so the moves are sent as the events a real drag delivers.)"""
    vb, viewport = panel.main_plot.plot_item.vb, panel.main_plot.viewport()
    where = [panel.main_plot.mapFromScene(vb.mapViewToScene(QPointF(x, y))) for x, y in points]
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=where[0])
    for position in where[1:]:
        QApplication.sendEvent(viewport, QMouseEvent(QEvent.Type.MouseMove, QPointF(position), QPointF(position),
                                                     Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton,
                                                     Qt.KeyboardModifier.NoModifier))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=where[-1])


@hostile_settings(12)
@given(heights=st.lists(st.floats(-4.9, -0.05), min_size=2, max_size=6))
def test_a_drawing_flat_on_zero_is_refused(panel, qtbot, heights):
    """Dragging below the x-axis all the way across makes a density that is zero everywhere."""
    if not isinstance(panel.distribution, sm.DrawnDensity):
        panel.preset_box.setCurrentText("Draw your own")
        settle(qtbot, panel)
    xs = np.asarray(panel.distribution.x_knots, dtype=float)
    panel.main_plot.plot_item.vb.setRange(xRange=(xs[0] - 1, xs[-1] + 1), yRange=(-5.0, 1.0), padding=0)

    def flatten_everything():
        # Sweep past both ends, there and back, below zero.
        x = np.linspace(xs[0] - 0.5, xs[-1] + 0.5, 8 * len(heights))
        path = list(zip(x, np.resize(heights, len(x))))
        drag(qtbot, panel, path + path[::-1])

    refuse(qtbot, panel, __name__, f"a drawing at heights {heights}", flatten_everything, extra=data_of)


@hostile_settings(10)
@given(gap=st.floats(60, 1e5), sigma=st.floats(1e-6, 0.05))
def test_rejection_is_refused_where_it_would_keep_almost_no_proposal(panel, qtbot, gap, sigma):
    """Two narrow components far apart: rejection would keep 1 proposal in thousands (one step might never end).
    A mixture edited into that shape while rejection samples switches to ancestral sampling and says so; choosing
    rejection for it is refused."""
    show_preset(qtbot, panel, TABLES["mixture"])
    editor, box = panel.editors["mixture"], panel.sampler_box
    box.setCurrentIndex(box.findData("rejection"))      # fine for the two-group heights: half are kept
    settle(qtbot, panel)
    assert panel.model.sampler == "rejection"
    count_case(__name__)
    editor.set_rows([["0.5", "0", repr(sigma)], ["0.5", repr(gap), repr(sigma)]])
    assert editor.try_apply()
    settle(qtbot, panel)
    assert panel.model.sampler == panel.sampler == "ancestral" == box.currentData()
    assert "Switched to Ancestral" in panel.message_bar.label.text()
    count_used()
    refuse(qtbot, panel, __name__, f"rejection with components {gap:g} apart, σ = {sigma:g}",
           lambda: box.setCurrentIndex(box.findData("rejection")), extra=data_of)
    assert box.currentData() == "ancestral"
