"""The Compare panel: four families train on the worker and draw, the table follows them, points sprayed with the
mouse become everyone's data, bad input changes nothing, the layout fits the space, settings persist."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QSize, Qt

from playground import panels as registry
from playground.models import compare as cm
from playground.panels.diffusion import DRAW
from tests.panels.helpers import image_stats, wait_for_step


@pytest.fixture
def panel(window, qtbot):
    window.panel_list.setCurrentRow([e.name for e in registry.PANELS].index("compare"))
    panel = window.current
    assert panel.name == "compare"
    wait_for_step(qtbot, panel, 0)
    return panel


def test_the_four_families_train_on_the_worker_and_the_table_follows(panel, qtbot):
    first = panel.last_snapshot
    assert panel.table.cell_text(0, 0) != "—"                         # the untrained baseline is measured
    panel.step(260)                                                    # past the first evaluation (every 250)
    qtbot.waitUntil(lambda: panel.last_snapshot.evaluated_step == 250 and panel.last_snapshot.step == 260,
                    timeout=60_000)
    snap = panel.last_snapshot
    for row, family in enumerate(cm.FAMILIES):
        assert panel.table.cell_text(row, 0) == f"{snap.energy[row]:.2f}", family
        assert panel.table.cell_text(row, 2) == f"{snap.recall[row]:.2f}", family
        assert panel.table.cell_text(row, 3) not in ("—", ""), family   # training time
    assert panel.table.cell_text(4, 1) == f"{snap.ideal[1]:.2f}"     # the fresh-data row
    assert not np.array_equal(snap.samples, first.samples)
    for i, plot in enumerate(panel.family_plots):
        assert plot.samples.count == cm.N_SAMPLES and plot.data.count == len(snap.data)
        np.testing.assert_array_equal(plot.samples._xy, snap.samples[i])
    assert "step <b>260</b>" in panel.readout.text() and "from step <b>250</b>" in panel.readout.text()
    spread, colours = image_stats(panel.grab().toImage())
    assert spread > 20 and colours > 20, "the panel looks blank"


def test_each_family_is_drawn_in_its_own_colour(panel):
    colours = [plot.samples.colours() for plot in panel.family_plots]
    assert all(len(c) == 1 for c in colours) and len(set().union(*colours)) == 4
    assert all("●" in plot.plot_item.titleLabel.text for plot in panel.family_plots)


def spray_at(qtbot, plot, x, y):
    vb = plot.plot_item.vb
    pos = plot.mapFromScene(vb.mapViewToScene(QPointF(x, y)))
    qtbot.mousePress(plot.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
    qtbot.mouseRelease(plot.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)


def test_spraying_points_on_any_plot_makes_them_everyones_data(panel, qtbot):
    panel.data_box.setCurrentText(DRAW)
    assert "spray points" in panel.message_bar.label.text()
    spray_at(qtbot, panel.family_plots[0], -3.0, 2.0)                  # 6 points: too few, nothing is sent
    qtbot.waitUntil(lambda: "Draw a little more" in panel.message_bar.label.text())
    assert panel.last_snapshot.data_name == "Eight Gaussians"
    for plot, x in zip(panel.family_plots[1:], (-1.0, 1.0, 3.0)):     # any of the four plots takes strokes
        spray_at(qtbot, plot, x, 2.0)
    drawn = len(panel.canvas.points)
    assert drawn == 4 * 6 and all(plot.drawing.count == drawn for plot in panel.family_plots)
    qtbot.waitUntil(lambda: panel.last_snapshot.data_name == "your points", timeout=30_000)
    snap = panel.last_snapshot
    assert snap.step == 0 and snap.config["n_points"] == drawn and len(snap.data) == drawn
    assert abs(snap.data[:, 1].mean() - 2.0) < 0.5 and snap.data[:, 0].min() < -2 and snap.data[:, 0].max() > 2
    panel.step(3)
    wait_for_step(qtbot, panel, 3)
    assert panel.last_snapshot.data_name == "your points"
    panel.clear_drawing()
    assert len(panel.canvas.points) == 0 and panel.family_plots[0].drawing.count == 0


@pytest.mark.parametrize("text", ["0", "51", "three", "2.5"])
def test_a_bad_number_of_components_is_refused_beside_the_field(panel, qtbot, text):
    edit = panel.model_form.controls["gmm_components"]
    edit.setText(text)
    edit.editingFinished.emit()
    assert panel.model_form.error("gmm_components")
    panel.step(2)
    wait_for_step(qtbot, panel, 2)
    assert panel.last_snapshot.config["gmm_components"] == cm.DEFAULTS["gmm_components"]
    assert panel.last_snapshot.data_name == "Eight Gaussians"


def test_a_mixture_larger_than_the_drawing_is_refused_and_nothing_changes(panel, qtbot):
    panel.data_box.setCurrentText(DRAW)
    for x in (-3.0, -1.0, 1.0, 3.0):
        spray_at(qtbot, panel.family_plots[0], x, 0.0)
    qtbot.waitUntil(lambda: panel.last_snapshot.data_name == "your points", timeout=30_000)
    edit = panel.model_form.controls["gmm_components"]
    edit.setText("30")                                                # 24 points: 30 components cannot fit
    edit.editingFinished.emit()
    assert panel.model_form.error("gmm_components") and "at least as many" in panel.message_bar.label.text()
    panel.step(1)
    wait_for_step(qtbot, panel, 1)
    assert panel.last_snapshot.config["gmm_components"] == cm.DEFAULTS["gmm_components"]
    assert len(panel.last_snapshot.data) == 24


def test_a_new_size_restarts_all_four_with_it(panel, qtbot):
    panel.step(5)
    wait_for_step(qtbot, panel, 5)
    panel.model_form.controls["gan_width"].setCurrentText("32")
    panel.model_form.controls["gmm_components"].setText("3")
    panel.model_form.controls["gmm_components"].editingFinished.emit()
    qtbot.waitUntil(lambda: panel.last_snapshot.config["gmm_components"] == 3
                    and panel.last_snapshot.config["gan_width"] == 32)
    assert panel.last_snapshot.step == 0 and panel.model.gan.hidden == (32, 32)
    panel.data_box.setCurrentText("Swiss roll")
    qtbot.waitUntil(lambda: panel.last_snapshot.data_name == "Swiss roll")
    assert panel.last_snapshot.config["gmm_components"] == 3           # the sizes stay


@pytest.mark.parametrize("size, in_a_row", [(QSize(1200, 420), True), (QSize(700, 700), False)])
def test_the_family_plots_go_in_a_row_or_a_square_to_be_largest(panel, qtbot, size, in_a_row):
    area = panel.plots_area
    area.resize(size)
    area.relayout()
    assert panel.grid.in_a_row is in_a_row
    assert panel.grid.height() <= size.height()
    side = min(plot.width() for plot in panel.family_plots)
    assert side > 100


def test_compare_panel_state_round_trips(qtbot, settings):
    from playground.app import MainWindow
    first = MainWindow(settings=settings, panel="compare")
    qtbot.addWidget(first)
    panel = first.current
    panel.data_box.setCurrentText("Concentric rings")
    panel.model_form.controls["vae_width"].setCurrentText("128")
    panel.model_form.controls["gmm_components"].setText("12")
    panel.model_form.controls["gmm_components"].editingFinished.emit()
    state = panel.state()
    assert json.loads(json.dumps(state)) == state
    first.close()
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    panel = second.current
    assert panel.name == "compare" and panel.data_box.currentText() == "Concentric rings"
    assert panel.model_form.values()["gmm_components"] == 12 and panel.model_form.values()["vae_width"] == "128"
    panel.step(1)
    wait_for_step(qtbot, panel, 1)
    config = panel.last_snapshot.config
    assert config["data"] == "Concentric rings" and config["gmm_components"] == 12 and config["vae_width"] == 128
    second.close()


def test_a_drawing_is_saved_with_the_settings(qtbot, settings):
    from playground.app import MainWindow
    points = np.random.default_rng(0).normal(size=(30, 2)).round(3)
    settings.setValue("version", __import__("playground.app", fromlist=["SETTINGS_VERSION"]).SETTINGS_VERSION)
    settings.setValue("last_panel", "compare")
    settings.setValue("panels", json.dumps({"compare": {"data": DRAW, "points": points.tolist(), "seed": 3}}))
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    panel = win.current
    wait_for_step(qtbot, panel, 0)
    assert panel.data_box.currentText() == DRAW and panel.canvas.enabled and panel.seed == 3
    np.testing.assert_allclose(panel.last_snapshot.data[np.lexsort(panel.last_snapshot.data.T)],
                               points[np.lexsort(points.T)])
    win.close()


@pytest.mark.parametrize("bad", [{"gmm_components": 0}, {"gan_width": 65}, {"data": "Nowhere"},
                                 {"data": DRAW, "points": [[0, 0], [1, 1]]}, {"n_points": "many"}])
def test_bad_saved_settings_are_refused_before_anything_changes(qtbot, settings, bad):
    from playground.app import SETTINGS_VERSION, MainWindow
    settings.setValue("version", SETTINGS_VERSION)
    settings.setValue("last_panel", "compare")
    settings.setValue("panels", json.dumps({"compare": {"data": "Two moons", **bad}}))
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    panel = win.current
    assert "could not be used" in panel.message_bar.label.text()
    wait_for_step(qtbot, panel, 0)
    assert panel.last_snapshot.config == {**cm.DEFAULTS}
    assert panel.data_box.currentText() == cm.DEFAULTS["data"]
    win.close()
