"""The VAE panel: training updates the views, the mouse and the sliders decode, interpolation and arithmetic follow
the maths, the autoencoder switch, structural changes, bad folders, and saved settings."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from playground import panels as registry
from playground.models.vae import latent_path
from playground.panels import vae as vp
from tests.panels.helpers import image_stats, wait_for_step


@pytest.fixture
def panel(window, qtbot):
    window.panel_list.setCurrentRow([e.name for e in registry.PANELS].index("vae"))
    panel = window.current
    assert panel.name == "vae"
    panel.step(20)
    wait_for_step(qtbot, panel, 20)
    return panel


def cell(picture: np.ndarray, row: int, col: int, side: int, pad: int = 1) -> np.ndarray:
    """One image of a picture made by image_grid, as a flat row of pixels."""
    top, left = pad + row * (side + pad), pad + col * (side + pad)
    return picture[top:top + side, left:left + side].ravel()


def shown(view) -> np.ndarray:
    return view.image.image


def click_map(qtbot, panel, x: float, y: float) -> None:
    plot = panel.map_plot
    position = plot.mapFromScene(plot.plot_item.vb.mapViewToScene(QPointF(x, y)))
    qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=position)


def test_training_steps_update_the_map_grid_curves_and_readout(panel, qtbot):
    first = panel.last_snapshot
    panel.tabs.setCurrentIndex(vp.TAB_LOSSES)
    panel.step(30)
    wait_for_step(qtbot, panel, 50)
    snap = panel.last_snapshot
    assert panel.map_plot.points.count == len(snap.latent_means) > 100
    assert not np.allclose(snap.latent_means, first.latent_means)
    assert len(panel.losses_tab.curves["elbo"].xData) == len(snap.loss_steps) == 50
    assert len(panel.losses_tab.curves["held_elbo"].xData) == len(snap.held_out_steps)
    assert np.allclose(panel.losses_tab.bars.opts["height"], snap.kl_per_dim)
    assert "step <b>50</b>" in panel.readout.text() and "ELBO" in panel.readout.text()
    spread, colours = image_stats(panel.grab().toImage())
    assert spread > 20 and colours > 50
    picture = shown(panel.manifold_plot)
    n, side = len(snap.manifold_values), snap.image_side
    assert picture.shape == (n * side, n * side) and picture.dtype == np.float32
    # The plot's y axis points up, so the picture is stored upside down: flipped back, its top-left image is the
    # grid's first decode (z₁ lowest, z₂ highest).
    assert np.allclose(picture[::-1][:side, :side].ravel(), snap.manifold[0])


def test_clicking_the_map_decodes_that_point_into_the_preview(panel, qtbot):
    click_map(qtbot, panel, 1.0, -0.5)
    snap = panel.last_snapshot
    pixel = panel.map_plot.plot_item.vb.viewPixelSize()
    assert abs(panel.z[0] - 1.0) < 2 * pixel[0] and abs(panel.z[1] + 0.5) < 2 * pixel[1]
    expected = snap.decoder(panel.z)[0].reshape(snap.image_side, snap.image_side)
    assert np.allclose(shown(panel.preview), expected)
    assert np.allclose(panel.cursor.data["x"], [panel.z[0]])
    # The preview follows training: a later snapshot redraws the same z with newer weights.
    panel.step(10)
    wait_for_step(qtbot, panel, 30)
    later = panel.last_snapshot
    assert np.allclose(shown(panel.preview), later.decoder(panel.z)[0].reshape(later.image_side, -1))
    # Dragging with the button held decodes all along the way.
    plot = panel.map_plot
    position = QPointF(plot.mapFromScene(plot.plot_item.vb.mapViewToScene(QPointF(-1.5, 2.0))))
    QApplication.sendEvent(plot.viewport(), QMouseEvent(QEvent.Type.MouseMove, position, position,
                                                        Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton,
                                                        Qt.KeyboardModifier.NoModifier))
    assert abs(panel.z[0] + 1.5) < 2 * pixel[0] and abs(panel.z[1] - 2.0) < 2 * pixel[1]


def test_latent_sliders_drive_the_preview(panel):
    before = shown(panel.preview).copy()
    panel.sliders[1].setValue(150)   # z₂ = 150 · 8 / 400 = 3
    assert panel.z[1] == pytest.approx(3.0)
    snap = panel.last_snapshot
    assert np.allclose(shown(panel.preview).ravel(), snap.decoder(panel.z)[0])
    assert not np.allclose(shown(panel.preview), before)
    assert panel.slider_values[1].text() == "3.00"


def test_interpolation_strip_ends_are_the_decodes_of_a_and_b(panel, qtbot):
    panel.tabs.setCurrentIndex(vp.TAB_INTERPOLATE)
    qtbot.waitUntil(lambda: panel.pixels is not None)
    panel._redraw()
    snap = panel.last_snapshot
    a, b = panel.pair
    z_a, z_b = snap.latent_means[a], snap.latent_means[b]
    side = snap.image_side
    picture = shown(panel.interpolation_tab.view)
    assert picture.shape[1] == 1 + vp.N_FRAMES * (side + 1)                 # nine frames across, two rows
    assert np.allclose(cell(picture, 0, 0, side), snap.decoder(z_a)[0], atol=1e-6)
    assert np.allclose(cell(picture, 0, vp.N_FRAMES - 1, side), snap.decoder(z_b)[0], atol=1e-6)
    # The cross-fade row starts at image A itself and ends at image B.
    assert np.allclose(cell(picture, 1, 0, side), panel.pixels[a])
    assert np.allclose(cell(picture, 1, vp.N_FRAMES - 1, side), panel.pixels[b])
    panel.interpolation_tab.alpha_slider.setValue(0)
    assert np.allclose(shown(panel.preview).ravel(), snap.decoder(z_a)[0], atol=1e-6)
    panel.interpolation_tab.alpha_slider.setValue(100)
    assert np.allclose(shown(panel.preview).ravel(), snap.decoder(z_b)[0], atol=1e-6)


def test_slerp_and_straight_line_walks_differ(panel):
    panel.tabs.setCurrentIndex(vp.TAB_INTERPOLATE)
    panel.pair = (0, 1)
    snap = panel.last_snapshot
    panel.interpolation_tab.path_box.setCurrentIndex(panel.interpolation_tab.path_box.findData("linear"))
    linear = shown(panel.interpolation_tab.view).copy()
    linear_path = panel.path_line.getData()
    panel.interpolation_tab.path_box.setCurrentIndex(panel.interpolation_tab.path_box.findData("slerp"))
    slerp = shown(panel.interpolation_tab.view)
    side = snap.image_side
    assert np.allclose(cell(linear, 0, 0, side), cell(slerp, 0, 0, side))
    assert not np.allclose(cell(linear, 0, 4, side), cell(slerp, 0, 4, side))
    expected = latent_path(snap.latent_means[0], snap.latent_means[1], 41, "slerp")
    assert np.allclose(panel.path_line.getData()[0], expected[:, 0])
    assert not np.allclose(linear_path[0], expected[:, 0])


def test_picking_a_and_b_on_the_map(panel, qtbot):
    panel.tabs.setCurrentIndex(vp.TAB_INTERPOLATE)
    snap = panel.last_snapshot
    target = 7
    panel.interpolation_tab.pick_a_button.click()
    assert panel.picking == "A" and "→ A" in panel.map_plot.plot_item.titleLabel.text
    x, y = snap.latent_means[target]
    click_map(qtbot, panel, float(x), float(y))
    assert panel.pair[0] == target and panel.picking is None and not panel.interpolation_tab.pick_a_button.isChecked()


def test_latent_arithmetic_adds_the_attribute_direction(panel):
    panel.tabs.setCurrentIndex(vp.TAB_ARITHMETIC)
    tab = panel.arithmetic_tab
    assert tab.plus_box.currentText() == "thick" and tab.minus_box.currentText() == "thin"
    panel.arithmetic_tab.strength_slider.setValue(150)
    snap = panel.last_snapshot
    mu = snap.latent_means.astype(np.float64)
    thickness = snap.factors["thickness"]
    thick = thickness >= np.percentile(thickness, 67)
    thin = thickness <= np.percentile(thickness, 33)
    expected = mu[panel.base_index] + 1.5 * (mu[thick].mean(axis=0) - mu[thin].mean(axis=0))
    assert np.allclose(panel.z, expected)
    assert np.allclose(shown(panel.preview).ravel(), snap.decoder(expected)[0])
    walk = shown(panel.arithmetic_tab.view)
    side = snap.image_side
    centre = len(vp.STRENGTHS) // 2                                           # s = 0: the image's own code
    assert np.allclose(cell(walk, 0, centre, side), snap.decoder(mu[panel.base_index])[0], atol=1e-6)


def test_autoencoder_mode_hides_the_prior_and_restarts_at_beta_zero(panel, qtbot):
    assert panel.map_plot.ellipses.isVisible() and panel.map_plot.prior.isVisible()
    panel.ae_button.click()
    qtbot.waitUntil(lambda: panel.last_snapshot.mode == "autoencoder" and panel.last_snapshot.step == 0)
    assert panel.last_snapshot.beta == 0
    assert not panel.map_plot.ellipses.isVisible() and not panel.map_plot.prior.isVisible()
    assert panel.model_form.controls["beta"].text() == "0" and panel.ae_button.isChecked()
    panel.vae_button.click()
    qtbot.waitUntil(lambda: panel.last_snapshot.mode == "vae" and panel.last_snapshot.step == 0)
    assert panel.last_snapshot.beta == 1.0 and panel.map_plot.prior.isVisible()


def test_a_negative_beta_is_refused_beside_the_field(panel, qtbot):
    panel.model_form.controls["beta"].setText("-1")
    panel.model_form._number_edited("beta")
    assert "β must be" in panel.model_form.error("beta")
    panel.step(1)
    wait_for_step(qtbot, panel, 21)
    assert panel.last_snapshot.beta == 1.0


def test_a_new_latent_size_rebuilds_the_model_and_the_sliders(panel, qtbot):
    panel.model_form.controls["latent_dim"].setCurrentText("5")
    qtbot.waitUntil(lambda: panel.last_snapshot.latent_dim == 5 and panel.last_snapshot.step == 0)
    assert len(panel.z) == 5 and panel.applied["latent_dim"] == 5
    assert [s.isVisibleTo(panel) for s in panel.sliders] == [True] * 5 + [False] * 3
    panel.sliders[4].setValue(-100)
    snap = panel.last_snapshot
    assert panel.z[4] == pytest.approx(-2.0)
    assert np.allclose(shown(panel.preview).ravel(), snap.decoder(panel.z)[0])


def test_another_data_set_recolours_the_map_and_offers_its_factors(panel, qtbot):
    panel.dataset_box.setCurrentIndex(panel.dataset_box.findData("sprites"))
    qtbot.waitUntil(lambda: panel.last_snapshot.dataset_name == "sprites")
    choices = [panel.colour_box.itemText(i) for i in range(panel.colour_box.count())]
    assert choices == ["class", "scale", "rotation", "x", "y"]
    panel.colour_box.setCurrentText("scale")
    assert panel.map_key.isVisibleTo(panel) and "scale" in panel.map_key.text()
    assert len(panel.map_plot.points.colours()) > 5                      # a colour scale, not four classes
    tab = panel.arithmetic_tab
    assert tab.plus_box.currentText() == "large" and tab.minus_box.currentText() == "small"
    # 3×3 patterns: a grid of smaller images still covers the same stretch of latent space.
    panel.dataset_box.setCurrentIndex(panel.dataset_box.findData("patterns"))
    qtbot.waitUntil(lambda: panel.last_snapshot.dataset_name == "patterns")
    image = panel.manifold_plot.image
    values = panel.last_snapshot.manifold_values
    half_cell = (values[1] - values[0]) / 2
    covered = image.mapRectToParent(image.boundingRect())
    assert covered.left() == pytest.approx(values[0] - half_cell) and covered.width() == pytest.approx(
        values[-1] - values[0] + 2 * half_cell)


def test_a_folder_without_images_changes_nothing_and_says_why(panel, qtbot, tmp_path):
    empty, junk = tmp_path / "empty", tmp_path / "junk"
    empty.mkdir()
    junk.mkdir()
    (junk / "notes.txt").write_text("hello", encoding="utf-8")
    (junk / "broken.png").write_bytes(b"\x89PNG not really")
    for folder, reason in ((empty, "the folder is empty"), (junk, "broken.png")):
        panel.message_bar.clear()
        panel.load_folder(str(folder))
        qtbot.waitUntil(lambda: panel.message_bar.isVisible())
        text = panel.message_bar.label.text()
        assert "Nothing was loaded" in text and reason in text
    panel.step(1)
    qtbot.waitUntil(lambda: panel.last_snapshot.step == 21)
    assert panel.last_snapshot.dataset_name == "digits" and panel.dataset_box.currentData() == "digits"


def test_a_folder_with_a_bad_file_trains_on_the_rest_and_lists_it(panel, qtbot, tmp_path):
    rng = np.random.default_rng(0)
    for label in ("dots", "bars"):
        (tmp_path / label).mkdir()
        for i in range(8):
            Image.fromarray((rng.random((20, 20)) * 255).astype(np.uint8)).save(tmp_path / label / f"{i}.png")
    (tmp_path / "dots" / "bad.png").write_bytes(b"garbage")
    panel.load_folder(str(tmp_path))
    qtbot.waitUntil(lambda: panel.last_snapshot.dataset_name == tmp_path.name and panel.last_snapshot.step == 0)
    text = panel.message_bar.label.text()
    assert "Loaded 16 images" in text and "bad.png" in text
    assert panel.last_snapshot.label_names == ("bars", "dots")
    assert panel.dataset_box.currentText() == f"Folder: {tmp_path.name}"


def test_ae_versus_vae_trains_both_and_shows_them_side_by_side(panel, qtbot):
    panel.compare(steps=60)
    qtbot.waitUntil(lambda: panel.comparison is not None, timeout=20_000)
    (ae, _), (vae, _) = panel.comparison
    assert (ae.mode, vae.mode) == ("autoencoder", "vae") and ae.step == vae.step == 60
    assert panel.tabs.currentIndex() == vp.TAB_COMPARE and panel.top_stack.currentIndex() == 1
    assert panel.compare_maps[0].prior.isVisible()            # the prior drawn on the autoencoder's map too
    assert "Fréchet" in panel.compare_tab.label.text()
    panel.tabs.setCurrentIndex(vp.TAB_LOSSES)
    assert panel.top_stack.currentIndex() == 0
    # The result belongs to the latent size it was trained with.
    panel.model_form.controls["latent_dim"].setCurrentText("3")
    qtbot.waitUntil(lambda: panel.last_snapshot.latent_dim == 3)
    assert panel.comparison is None and not panel.compare_tab.samples.isVisibleTo(panel)


def test_vae_panel_state_round_trips(qtbot, settings):
    from playground.app import MainWindow
    first = MainWindow(settings=settings, panel="vae")
    qtbot.addWidget(first)
    panel = first.current
    panel.model_form.controls["latent_dim"].setCurrentText("3")
    panel.train_form.controls["batch_size"].setCurrentText("64")
    qtbot.waitUntil(lambda: panel.applied["latent_dim"] == 3 and panel.applied["batch_size"] == 64)
    first.close()
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    panel = second.current
    assert panel.name == "vae"
    panel.step(1)
    qtbot.waitUntil(lambda: panel.last_snapshot is not None and panel.last_snapshot.step == 1)
    assert panel.last_snapshot.latent_dim == 3 and panel.model.live["batch_size"] == 64
    assert panel.model_form.controls["latent_dim"].currentText() == "3"
    second.close()
