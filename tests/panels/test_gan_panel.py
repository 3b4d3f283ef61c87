"""The GAN panel: D and G steps, scenes, live parameters, rewind, a user's CSV, and divergence that pauses."""
from __future__ import annotations

import numpy as np
import pytest

from playground import panels as registry
from playground.models import gan as gm
from tests.panels.helpers import image_stats, wait_for_step


@pytest.fixture
def panel(window, qtbot):
    window.panel_list.setCurrentRow([e.name for e in registry.PANELS].index("gan"))
    panel = window.current
    assert panel.name == "gan"
    wait_for_step(qtbot, panel, 0)
    return panel


def test_the_opening_scene_comes_with_its_seed(panel, window):
    assert panel.preset == "Mode collapse" and panel.seed == gm.GAN_PRESETS["Mode collapse"]["kwargs"]["seed"]
    assert window.transport.seed_box.value() == panel.seed
    assert "What happens" in panel.story.text()


def test_step_d_and_step_g_change_only_their_own_network(panel, qtbot):
    before = panel.last_snapshot
    panel.step_d_button.click()
    qtbot.waitUntil(lambda: not np.array_equal(panel.last_snapshot.d_of_x, before.d_of_x))
    after_d = panel.last_snapshot
    assert np.array_equal(after_d.generated, before.generated)  # G untouched
    panel.step_g_button.click()
    qtbot.waitUntil(lambda: not np.array_equal(panel.last_snapshot.generated, after_d.generated))
    assert np.array_equal(panel.last_snapshot.d_of_x, after_d.d_of_x)  # D untouched


def test_steps_update_every_view(panel, qtbot):
    panel.step(30)
    wait_for_step(qtbot, panel, 30)
    snap = panel.last_snapshot
    assert len(panel.d_loss_curve.xData) == len(snap.loss_steps) > 0
    assert np.allclose(panel.map_gz.data["x"], snap.g_of_z)
    assert "W₁" in panel.readout.text()
    spread, colours = image_stats(panel.grab().toImage())
    assert spread > 10 and colours > 20


def test_every_scene_loads_with_its_settings(panel, qtbot):
    for name, preset in gm.GAN_PRESETS.items():
        panel.preset_box.setCurrentText(name)
        kwargs = preset["kwargs"]
        qtbot.waitUntil(lambda: panel.last_snapshot.step == 0 and panel.last_snapshot.loss_name == kwargs["loss"]
                        and panel.last_snapshot.target_name == kwargs["target"])
        assert panel.loss_box.currentData() == kwargs["loss"]
        assert panel.seed == kwargs["seed"]
        assert preset["claim"][:30] in panel.story.text()


def test_a_live_parameter_leaves_the_scene_and_keeps_training(panel, qtbot):
    panel.step(5)
    wait_for_step(qtbot, panel, 5)
    panel.loss_box.setCurrentIndex(panel.loss_box.findData("wgan_gp"))
    assert panel.preset == ""
    panel.step(5)
    qtbot.waitUntil(lambda: panel.last_snapshot.step == 10 and panel.last_snapshot.loss_name == "wgan_gp")
    assert "critic" in panel.d_plot.plot_item.titleLabel.text.lower()


def test_rewind_returns_to_a_past_step_and_replays_it_exactly(panel, qtbot):
    panel.step(120)
    wait_for_step(qtbot, panel, 120)
    at_120 = panel.last_snapshot
    assert 50 in list(at_120.timeline_steps)
    panel.rewind(50)
    qtbot.waitUntil(lambda: panel.last_snapshot.step == 50)
    assert "Rewound to step 50" in panel.message_bar.label.text()
    panel.step(70)
    wait_for_step(qtbot, panel, 120)
    assert np.array_equal(panel.last_snapshot.generated, at_120.generated)


def test_a_users_csv_becomes_the_target_and_a_bad_one_changes_nothing(panel, qtbot, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01\x02binary")
    before = panel.last_snapshot.target_name
    assert not panel.load_csv(str(bad))
    assert "Nothing was loaded" in panel.message_bar.label.text()
    panel.step(1)
    wait_for_step(qtbot, panel, 1)
    assert panel.last_snapshot.target_name == before
    good = tmp_path / "heights.csv"
    rng = np.random.default_rng(0)
    good.write_text("height\n" + "\n".join(f"{v:.2f}" for v in rng.normal(170, 8, 300)), encoding="utf-8")
    assert panel.load_csv(str(good))
    qtbot.waitUntil(lambda: panel.last_snapshot.step == 0 and 150 < panel.last_snapshot.x_grid.mean() < 190)


def test_divergence_pauses_with_an_explanation(panel, qtbot):
    panel.train_form.set_values({"lr_g": 1e3, "lr_d": 1e3})
    panel._live_changed("lr_g", 1e3)
    panel._live_changed("lr_d", 1e3)
    panel.set_speed(None)
    panel.play()
    qtbot.waitUntil(lambda: panel.message_bar.isVisible() and not panel.playing, timeout=20_000)
    text = panel.message_bar.label.text().lower()
    assert "diverge" in text or "nan" in text or "infinite" in text or "overflow" in text or "too large" in text
    assert np.isfinite(panel.last_snapshot.generated).all()
    offer = panel.message_bar.action_button
    assert offer.isVisible() and offer.text().startswith("Rewind to step")
    target = int(offer.text().split()[-1].replace(",", ""))
    offer.click()
    qtbot.waitUntil(lambda: panel.last_snapshot.step == target)


def test_gan_panel_state_round_trips(qtbot, settings):
    from playground.app import MainWindow
    first = MainWindow(settings=settings, panel="gan")
    qtbot.addWidget(first)
    panel = first.current
    panel.target_box.setCurrentIndex(panel.target_box.findData("trimodal"))
    panel.batch_box.setCurrentText("128")
    first.close()
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    panel = second.current
    assert panel.name == "gan"
    panel.step(1)
    qtbot.waitUntil(lambda: panel.last_snapshot is not None and panel.last_snapshot.step == 1)
    assert panel.last_snapshot.target_name == "trimodal" and panel.batch_box.currentText() == "128"
    second.close()
