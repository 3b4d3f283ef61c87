"""Hostile input to the Diffusion panel: its number fields, a CSV of points, and drawings with nothing to learn."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import QPointF, Qt

from playground.models import diffusion as dm
from playground.panels.diffusion import DRAW
from tests.hostile.support import (
    FileCase,
    broken_tables,
    hostile_settings,
    not_a_number,
    numbers_outside,
    refuse,
    settle,
    type_into,
    undecodable_text,
    unusable_files,
    whole,
)


def data_of(panel) -> dict:
    return {"points": panel.user_points, "choice": panel.data_choice, "config": panel.config}


@pytest.fixture
def panel(open_panel):
    return open_panel("diffusion")


@hostile_settings(40)
@given(data=st.data())
def test_steps_t_refuses_what_is_not_a_whole_number_in_range(panel, qtbot, data):
    text = data.draw(st.one_of(not_a_number(), numbers_outside(lambda v: whole(v) and dm.MIN_T <= v <= dm.MAX_T,
                                                               integers=True)), label="typed")
    edit = panel.model_form.controls["T"]
    refuse(qtbot, panel, __name__, f"T = {text!r}", lambda: type_into(edit, text), extra=data_of)


@hostile_settings(30)
@given(data=st.data())
def test_ddim_steps_refuses_what_is_not_a_whole_number_up_to_t(panel, qtbot, data):
    panel.sampling_form.controls["method"].setCurrentText("DDIM")
    t = int(panel.config["T"])
    text = data.draw(st.one_of(not_a_number(), numbers_outside(lambda v: whole(v) and 1 <= v <= t, integers=True)),
                     label="typed")
    edit = panel.sampling_form.controls["ddim_steps"]
    refuse(qtbot, panel, __name__, f"DDIM steps = {text!r}", lambda: type_into(edit, text), extra=data_of)


def nothing_to_learn() -> st.SearchStrategy[FileCase]:
    """A clean CSV of one point, or of one point repeated."""
    point = st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)).map(lambda p: f"{p[0]!r},{p[1]!r}")
    return st.tuples(point, st.integers(1, 300)).map(
        lambda pn: FileCase("one point" if pn[1] == 1 else "identical points", "\n".join([pn[0]] * pn[1]).encode()))


@hostile_settings(40)
@given(case=st.one_of(unusable_files(), undecodable_text(), broken_tables(2), broken_tables(1), nothing_to_learn()))
def test_a_csv_that_cannot_be_used_changes_nothing(panel, qtbot, tmp_path_factory, case):
    path = case.write(tmp_path_factory.mktemp("csv"))
    loaded = []
    refuse(qtbot, panel, __name__, f"CSV: {case.kind}", lambda: loaded.append(panel.load_csv(str(path))),
           extra=data_of)
    assert loaded == [False]
    assert not (path.parent / "PWNED").exists()


@hostile_settings(10)
@given(where=st.tuples(st.floats(-4, 4), st.floats(-4, 4)))
def test_an_empty_drawing_keeps_the_model(panel, qtbot, where):
    """"Draw your own" with nothing drawn, and a click released on an empty canvas: zero points to learn."""
    panel.data_box.setCurrentText("Eight Gaussians")
    panel.clear_drawing()
    settle(qtbot, panel)
    viewport, vb = panel.forward_plot.viewport(), panel.forward_plot.plot_item.vb
    position = panel.forward_plot.mapFromScene(vb.mapViewToScene(QPointF(*where)))

    def choose_draw_and_release():
        panel.data_box.setCurrentText(DRAW)
        qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=position)

    # Choosing "Draw your own" is a real choice (saved as the panel's data), but the model keeps its data set.
    refuse(qtbot, panel, __name__, "an empty drawing", choose_draw_and_release, extra=data_of,
           ignore=("state", "choice"))
    assert len(panel.drawing) == 0
