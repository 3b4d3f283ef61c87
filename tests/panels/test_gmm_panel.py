"""The GMM-EM panel: E and M alternate, points added with the mouse enter the fit, bad CSVs change nothing."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from playground.models.gmm import GMMTrainer
from playground.panels.gmm import COLLAPSE_SCENE, SCENES, collapse_points
from tests.panels.helpers import image_stats, wait_for_step


@pytest.fixture
def panel(window, qtbot):
    window.panel_list.setCurrentRow([e.name for e in __import__("playground.panels", fromlist=["PANELS"]).PANELS]
                                    .index("gmm"))
    panel = window.current
    assert panel.name == "gmm"
    wait_for_step(qtbot, panel, 0)
    return panel


def test_steps_alternate_e_and_m_and_the_likelihood_never_falls(panel, qtbot):
    phases = []
    for n in range(1, 9):
        panel.step()
        wait_for_step(qtbot, panel, n)
        phases.append(panel.last_snapshot.phase_done)
    assert phases == ["E", "M"] * 4
    bounds = panel.last_snapshot.lower_bounds
    assert len(bounds) == 5 and np.all(np.diff(bounds) >= -1e-10)
    assert panel.ll_curve.yData is not None and len(panel.ll_curve.yData) == 5
    assert "M-step" in panel.main_plot.plot_item.titleLabel.text or "E-step" in panel.main_plot.plot_item.titleLabel.text


def test_e_and_m_buttons_do_one_half_step_each(panel, qtbot):
    qtbot.mouseClick(panel.e_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.last_snapshot.phase_done == "E")
    qtbot.mouseClick(panel.m_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.last_snapshot.phase_done == "M" and panel.last_snapshot.n_iter == 1)
    qtbot.mouseClick(panel.em_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.last_snapshot.n_iter == 2)


def test_points_are_coloured_by_responsibility(panel, qtbot):
    panel.preset_box.setCurrentText("Overlapping blobs")
    panel.step(6)
    qtbot.waitUntil(lambda: panel.last_snapshot.step == 6 and len(panel.last_snapshot.X) == panel.n_points)
    assert panel.points.count == len(panel.last_snapshot.X)
    assert len(panel.points.colours()) > panel.last_snapshot.n_components  # blends, not only pure colours
    panel.hard_labels.setChecked(True)
    assert len(panel.points.colours()) <= panel.last_snapshot.n_components


def click_at(qtbot, panel, x, y, modifier=Qt.KeyboardModifier.NoModifier):
    vb = panel.main_plot.plot_item.vb
    pos = panel.main_plot.mapFromScene(vb.mapViewToScene(QPointF(x, y)))
    qtbot.mouseClick(panel.main_plot.viewport(), Qt.MouseButton.LeftButton, modifier, pos)


def test_clicked_points_enter_the_fit_and_shift_click_erases(panel, qtbot):
    panel.step(2)
    wait_for_step(qtbot, panel, 2)
    n = len(panel.last_snapshot.X)
    X = panel.last_snapshot.X
    empty = (X[:, 0].max() + 0.5, X[:, 1].max() + 0.5)
    panel.main_plot.plot_item.vb.setRange(xRange=(X[:, 0].min() - 1, empty[0] + 1),
                                          yRange=(X[:, 1].min() - 1, empty[1] + 1), padding=0)
    panel.main_plot.plot_item.vb.disableAutoRange()
    click_at(qtbot, panel, *empty)
    qtbot.waitUntil(lambda: len(panel.last_snapshot.X) == n + 1)
    assert np.allclose(panel.last_snapshot.X[-1], empty, atol=0.2)
    assert panel.last_snapshot.resp.shape == (n + 1, panel.last_snapshot.n_components)
    click_at(qtbot, panel, *empty, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: len(panel.last_snapshot.X) == n)


def test_clicking_a_point_shows_its_responsibilities_and_the_mean_update(panel, qtbot):
    panel.step(2)
    wait_for_step(qtbot, panel, 2)
    panel.inspect(0)
    text = panel.inspector.text()
    assert "component 1" in text and "Σᵢ rᵢ" in text
    snap = panel.last_snapshot
    k = int(np.argmax(snap.resp[0]))
    mean = snap.resp[:, k] @ snap.X / snap.resp[:, k].sum()
    assert f"{mean[0]:.3g}" in text


def test_a_bad_csv_leaves_the_old_data(panel, qtbot, tmp_path):
    panel.step(1)
    wait_for_step(qtbot, panel, 1)
    before = panel.last_snapshot.X.copy()
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n3,oops\n5\n", encoding="utf-8")
    assert not panel.load_csv(str(bad))
    assert "line 3" in panel.message_bar.label.text() and "Nothing was loaded" in panel.message_bar.label.text()
    panel.step(1)
    wait_for_step(qtbot, panel, 2)
    assert np.array_equal(panel.last_snapshot.X, before)
    good = tmp_path / "good.csv"
    good.write_text("x,y\n" + "\n".join(f"{i % 7},{(i * 3) % 11}" for i in range(50)), encoding="utf-8")
    assert panel.load_csv(str(good))
    qtbot.waitUntil(lambda: len(panel.last_snapshot.X) == 50)


def test_bad_k_is_refused_beside_the_field(panel, qtbot):
    edit = panel.model_form.controls["n_components"]
    for text, message in (("0", "between 1 and"), ("2.5", "whole number"), ("eleven", "not a number")):
        edit.setText(text)
        edit.editingFinished.emit()
        assert message in panel.model_form.error("n_components")
    panel.step(1)
    wait_for_step(qtbot, panel, 1)
    assert panel.last_snapshot.n_components == 3


def test_sampling_and_choose_k_run_on_the_worker(panel, qtbot):
    panel.preset_box.setCurrentText("Well-separated blobs")
    qtbot.waitUntil(lambda: len(panel.last_snapshot.X) == panel.n_points)
    panel.sample_from_model()
    qtbot.waitUntil(lambda: panel.samples is not None)
    assert len(panel.samples[0]) == panel.sample_count.value()
    panel.choose_k()
    assert panel.progress.isVisible()
    qtbot.waitUntil(lambda: hasattr(panel, "k_choice"), timeout=30_000)
    assert not panel.progress.isVisible()
    assert list(panel.k_choice["k"]) == list(range(1, 11))
    assert "BIC is lowest at K" in panel.k_plot.plot_item.titleLabel.text


def test_one_dimensional_data_is_a_histogram_with_component_curves(panel, qtbot):
    panel.preset_box.setCurrentText("Heights of two groups (1-D)")
    panel.step(10)
    qtbot.waitUntil(lambda: panel.last_snapshot.step >= 10 and panel.last_snapshot.X.shape[1] == 1)
    assert panel.histogram.isVisible() and panel.mixture_curve.isVisible()
    assert sum(c.isVisible() for c in panel.component_curves) == panel.last_snapshot.n_components
    spread, colours = image_stats(panel.grab().toImage())
    assert spread > 10 and colours > 10


def test_the_collapse_scene_collapses_without_regularisation_and_not_with_it():
    """The teaching claim of the failure scene, at the panel's default seed 0."""
    settings = SCENES[COLLAPSE_SCENE]
    unregularised = GMMTrainer(collapse_points(), seed=0, **settings)
    regularised = GMMTrainer(collapse_points(), seed=0, **{**settings, "reg_covar": 0.01})
    for model in (unregularised, regularised):
        for _ in range(60):
            model.advance()
    tiny = np.linalg.det(unregularised.snapshot().covariances).min()
    kept = np.linalg.det(regularised.snapshot().covariances).min()
    assert tiny < 1e-9 and kept >= 0.9e-4
    assert np.isfinite(unregularised.snapshot().lower_bounds).all()


def test_gmm_panel_state_round_trips(qtbot, settings):
    from playground.app import MainWindow
    first = MainWindow(settings=settings, panel="gmm")
    qtbot.addWidget(first)
    first.current.preset_box.setCurrentText("Two moons")
    first.current._model_param_edited("n_components", 5)
    first.close()
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    panel = second.current
    assert panel.name == "gmm" and panel.preset == "Two moons"
    panel.step(1)
    qtbot.waitUntil(lambda: panel.last_snapshot is not None and panel.last_snapshot.step == 1)
    assert panel.last_snapshot.n_components == 5
    second.close()


@pytest.mark.parametrize("bad", [{"n_points": 10**9}, {"n_points": "many"}, {"preset": "Two moons", "n_components": 0}])
def test_bad_saved_settings_are_refused_before_anything_changes(qtbot, settings, bad):
    import json

    from playground.app import SETTINGS_VERSION, MainWindow
    settings.setValue("version", SETTINGS_VERSION)
    settings.setValue("last_panel", "gmm")
    settings.setValue("panels", json.dumps({"gmm": {"preset": "Anisotropic", **bad}}))
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    panel = win.current
    assert "could not be used" in panel.message_bar.label.text()
    assert panel.preset == "Anisotropic" and len(panel.X) == panel.n_points == 500
    win.close()
