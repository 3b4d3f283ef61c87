"""The diffusion panel: training, the forward slider, sampling and scrubbing, trails, the field, steps vs quality,
drawing with the mouse, a bad CSV, and saved settings."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from playground import panels as registry
from playground.panels.diffusion import DRAW, N_TRAILS
from tests.panels.helpers import wait_for_step


@pytest.fixture
def panel(window, qtbot):
    window.panel_list.setCurrentRow([e.name for e in registry.PANELS].index("diffusion"))
    panel = window.current
    assert panel.name == "diffusion"
    wait_for_step(qtbot, panel, 0)
    panel.model_form.controls["T"].setText("20")        # small T: every run below is quick
    panel.model_form.controls["T"].editingFinished.emit()
    qtbot.waitUntil(lambda: panel.last_snapshot.T == 20)
    return panel


def test_training_steps_advance_and_the_loss_curve_updates(panel, qtbot):
    panel.step(40)
    wait_for_step(qtbot, panel, 40)
    snap = panel.last_snapshot
    assert len(panel.loss_smooth.xData) == len(snap.loss_steps) > 0
    assert np.isfinite(snap.loss) and snap.loss_smoothed[-1] < snap.loss_history[0]
    assert "step <b>40</b>" in panel.readout.text()


def test_the_forward_slider_goes_from_the_data_to_unit_noise(panel, qtbot):
    panel.t_slider.setValue(0)
    qtbot.waitUntil(lambda: 0 in panel.forward_cache)
    assert np.allclose(panel.forward_cache[0], panel.last_snapshot.data)
    assert panel.forward_cloud.count == len(panel.last_snapshot.data)
    panel.t_slider.setValue(20)
    qtbot.waitUntil(lambda: 20 in panel.forward_cache)
    noise = panel.forward_cache[20]
    data = panel.last_snapshot.data
    scale = np.sqrt(np.mean(data.var(axis=0)))              # the model's standardisation
    spread = (noise - data.mean(axis=0)).std(axis=0) / scale
    assert np.all(np.abs(spread - 1) < 0.1)
    assert "t = 20 / 20" in panel.t_label.text()
    assert panel.t_marker.value() == 20


def test_a_sampling_run_is_scrubbed_without_the_worker(panel, qtbot):
    panel.sampling_form.set_values({"method": "DDIM", "ddim_steps": 10})
    panel.sample()
    qtbot.waitUntil(lambda: panel.run is not None)
    run = panel.run
    assert run.trajectory.shape[0] == 11 and run.method == "ddim"
    panel.stop_playback()
    panel.deactivate()                                       # no worker: scrubbing is UI-side
    panel.frame_slider.setValue(0)
    start = panel.particles._xy.copy()
    panel.frame_slider.setValue(10)
    end = panel.particles._xy.copy()
    assert np.allclose(start, run.trajectory[0]) and np.allclose(end, run.trajectory[10])
    assert not np.allclose(start, end)
    panel.frame_step_button.click()                          # past the end: stays on the last frame
    assert panel.frame == 10 and panel.frame_label.text() == "t = 0"
    x = panel.trails.xData
    assert np.isnan(x).sum() == N_TRAILS and len(x) == N_TRAILS * (10 + 2)
    assert len(panel.trail_heads.data) == N_TRAILS
    panel.activate()


def test_playback_runs_to_the_samples(panel, qtbot):
    panel.sample()
    qtbot.waitUntil(lambda: panel.run is not None)
    assert panel._play_timer.isActive()
    qtbot.waitUntil(lambda: not panel._play_timer.isActive(), timeout=10_000)
    assert panel.frame == len(panel.run.times) - 1 and panel.frame_label.text() == "t = 0"
    assert panel.play_button.text() == "▶ Play"


def test_steps_vs_quality_reports_progress_and_fills_five_plots(panel, qtbot):
    panel.tabs.setCurrentIndex(3)
    panel.compare_steps()
    assert panel.steps_progress.isVisibleTo(panel) and panel.steps_progress.maximum() == 5
    qtbot.waitUntil(lambda: panel.steps_strip.filled == 5)
    assert [row.steps for row in panel.steps_strip.rows] == [2, 3, 5, 10, 20]  # 5, 10, 20 and T, topped up with fewer
    assert all(item.count > 0 for item in panel.steps_strip.sample_items)
    assert "ms" in panel.steps_strip.labels[0].text()
    qtbot.waitUntil(lambda: panel.steps_button.isEnabled())


def test_the_score_field_shows_arrows(panel, qtbot):
    panel.t_slider.setValue(5)
    panel.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: panel.field_arrows.xData is not None and len(panel.field_arrows.xData) > 0)
    assert len(panel.field_arrows.xData) == 6 * 20 * 20                 # shaft + two barbs per grid point
    assert "t = 5" in panel.field_plot.plot_item.titleLabel.text


def test_the_flow_heatmap_is_computed_on_the_worker(panel, qtbot):
    panel.tabs.setCurrentIndex(2)
    assert panel.flow_status.text() == "computing…"
    qtbot.waitUntil(lambda: panel.flow_view.heatmap is not None)
    assert panel.flow_view.heatmap.forward.shape[0] == 21
    assert "step" in panel.flow_status.text()


def spray_at(qtbot, panel, x, y):
    vb = panel.forward_plot.plot_item.vb
    pos = panel.forward_plot.mapFromScene(vb.mapViewToScene(QPointF(x, y)))
    qtbot.mousePress(panel.forward_plot.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
    qtbot.mouseRelease(panel.forward_plot.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)


def test_spraying_with_the_mouse_makes_a_new_model_of_those_points(panel, qtbot):
    panel.data_box.setCurrentText(DRAW)
    assert panel.t_slider.value() == 0 and "spray" in panel.message_bar.label.text()
    old_model = panel.model
    for x, y in ((-3.0, 2.0), (0.0, 2.0), (3.0, 2.0)):
        spray_at(qtbot, panel, x, y)
    assert len(panel.drawing) >= 3 * 6
    qtbot.waitUntil(lambda: panel.model is not old_model and panel.last_snapshot.data_name == "your points")
    data = panel.last_snapshot.data
    assert len(data) == len(panel.drawing)
    assert np.allclose(data[:, 1].mean(), 2.0, atol=0.5) and data[:, 0].min() < -2 and data[:, 0].max() > 2
    panel.clear_drawing()
    panel.apply_drawing()                                     # an empty drawing is refused, the model stays
    assert "nothing to learn" in panel.message_bar.label.text()
    assert panel.last_snapshot.data_name == "your points"


def test_a_bad_csv_keeps_the_old_data_and_names_the_line(panel, qtbot, tmp_path):
    before = panel.last_snapshot.data.copy()
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n3,oops\n", encoding="utf-8")
    assert not panel.load_csv(str(bad))
    assert "line 3" in panel.message_bar.label.text()
    panel.step(1)
    wait_for_step(qtbot, panel, 1)
    assert np.array_equal(panel.last_snapshot.data, before)
    good = tmp_path / "ring.csv"
    angles = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    good.write_text("x,y\n" + "\n".join(f"{np.cos(a):.4f},{np.sin(a):.4f}" for a in angles), encoding="utf-8")
    assert panel.load_csv(str(good))
    qtbot.waitUntil(lambda: len(panel.last_snapshot.data) == 60)
    assert panel.data_box.currentText() == "File: ring.csv"


def test_a_bad_t_is_refused_beside_the_field_and_the_model_stays(panel, qtbot):
    edit = panel.model_form.controls["T"]
    for text in ("0", "5000", "ten"):
        edit.setText(text)
        edit.editingFinished.emit()
        assert panel.model_form.error("T")
    panel.step(1)
    wait_for_step(qtbot, panel, 1)
    assert panel.last_snapshot.T == 20


def test_diffusion_panel_state_round_trips(qtbot, settings):
    from playground.app import MainWindow
    first = MainWindow(settings=settings, panel="diffusion")
    qtbot.addWidget(first)
    panel = first.current
    panel.model_form.controls["T"].setText("30")
    panel.model_form.controls["T"].editingFinished.emit()
    panel.model_form.controls["schedule"].setCurrentText("cosine")
    panel.data_box.setCurrentText("Two moons")
    panel.sampling_form.set_values({"method": "DDIM", "ddim_steps": 7})
    first.close()
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    panel = second.current
    assert panel.name == "diffusion" and panel.data_choice == "Two moons"
    assert panel.sampling_form.values()["ddim_steps"] == 7
    panel.step(1)
    qtbot.waitUntil(lambda: panel.last_snapshot is not None and panel.last_snapshot.step == 1)
    snap = panel.last_snapshot
    assert snap.T == 30 and snap.schedule == "cosine" and snap.data_name == "Two moons"
    second.close()


def test_reset_while_sampling_leaves_the_sample_button_usable(panel, qtbot):
    panel.sample()
    panel.reset()
    qtbot.waitUntil(lambda: panel.sample_button.isEnabled())
    assert panel.sample_button.text() == "Sample"
