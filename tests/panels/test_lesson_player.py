"""The lesson player in the window: captions, pointers, Next/Back by key, deterministic Back, leaving, and lessons that
survive panel switches and presentation mode."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QMenu, QMessageBox

from playground.app import SHORTCUTS
from playground.lessons import window as lesson_window
from tests.models.snapshots import assert_snapshots_equal

LESSON = """\
title = "EM, half a step at a time"
panel = "gmm"
description = "A test lesson."

[[steps]]
caption = "Three clouds."
preset = "Well-separated blobs"
seed = 3
params = { n_components = 3, init = "random_points" }
point = "data"

[[steps]]
caption = "One E-step."
run = 1
point = ["data", "phase"]

[[steps]]
caption = "Six more half-steps."
run_to = 7
point = "likelihood"

[[steps]]
caption = "Four components now, from the same seed."
params = { n_components = 4 }
run_to = 5

[[steps]]
caption = "Sampled."
click = "sample"
point = "data"
"""


@pytest.fixture
def lesson_file(tmp_path):
    path = tmp_path / "em.toml"
    path.write_text(LESSON, encoding="utf-8")
    return path


@pytest.fixture
def player(window, qtbot, lesson_file):
    assert lesson_window.open_lesson_file(window, lesson_file)
    player = window.lesson
    qtbot.waitUntil(player.settled)
    return player


def key(qtbot, window, which) -> None:
    window.activateWindow()
    window.setFocus()
    qtbot.keyClick(window, which)


def go(qtbot, player, index: int) -> None:
    player.go_to(index)
    qtbot.waitUntil(player.settled)


def test_a_lesson_shows_its_panel_caption_progress_and_pointer(window, player):
    assert window.current.name == "gmm" and player.panel is window.current
    overlay = player.overlay
    assert overlay.isVisible() and overlay.caption_label.text() == "Three clouds."
    assert "step 1 of 5" in overlay.progress_label.text() and overlay.title_label.full_text.startswith("EM, half")
    assert not overlay.back_button.isEnabled() and overlay.next_button.isEnabled()
    # The caption is large: half as high again as the window's own text at the least, and inside the panel.
    assert overlay.caption_label.fontMetrics().height() >= 1.5 * window.fontMetrics().height()
    panel_box = QRect(player.panel.mapTo(window, QPoint(0, 0)), player.panel.size())
    assert panel_box.contains(overlay.geometry())
    # One frame, drawn around the data plot, above it (an overlay: the plot itself is untouched).
    (frame,) = player.highlights
    plot = player.panel.main_plot
    plot_box = QRect(plot.mapTo(window, QPoint(0, 0)), plot.size())
    assert frame.isVisible() and frame.geometry().contains(plot_box)
    assert frame.testAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)


def test_the_panel_takes_each_steps_settings(window, qtbot, player):
    panel = player.panel
    assert panel.state() == player.resolved[0]
    assert panel.seed == 3 and panel.preset == "Well-separated blobs" and window.transport.seed_box.value() == 3
    go(qtbot, player, 3)
    assert panel.state() == player.resolved[3] and panel.model_form.values()["n_components"] == 4
    assert panel.last_snapshot.step == 5 and panel.last_snapshot.n_components == 4


def test_keys_go_next_and_back_like_a_presentation_clicker(window, qtbot, player):
    panel = player.panel
    key(qtbot, window, Qt.Key.Key_Right)
    assert player.index == 1
    qtbot.waitUntil(player.settled)
    assert panel.last_snapshot.step == 1 and panel.last_snapshot.phase_done == "E"
    key(qtbot, window, Qt.Key.Key_PageDown)
    assert player.index == 2 and "step 3 of 5" in player.overlay.progress_label.text()
    qtbot.waitUntil(player.settled)
    assert panel.last_snapshot.step == 7
    key(qtbot, window, Qt.Key.Key_Left)
    assert player.index == 1
    key(qtbot, window, Qt.Key.Key_PageUp)
    assert player.index == 0
    key(qtbot, window, Qt.Key.Key_PageUp)          # nothing before the first step
    assert player.index == 0
    qtbot.waitUntil(player.settled)
    assert panel.last_snapshot.step == 0 and not panel.playing


def test_back_replays_from_the_seed_to_exactly_the_same_state(qtbot, player):
    go(qtbot, player, 1)
    go(qtbot, player, 2)                            # carried on from step 2
    carried_on = player.panel.last_snapshot
    go(qtbot, player, 4)
    go(qtbot, player, 2)                            # back: restored and replayed from the seed
    assert_snapshots_equal(player.panel.last_snapshot, carried_on)
    go(qtbot, player, 0)
    go(qtbot, player, 2)                            # a jump forward replays too
    assert_snapshots_equal(player.panel.last_snapshot, carried_on)


def test_playing_by_hand_does_not_throw_the_next_step_off(window, qtbot, player):
    go(qtbot, player, 1)
    player.panel.play()                              # a student presses Space mid-lesson
    qtbot.waitUntil(lambda: player.panel.last_snapshot.step > 3)
    player.panel.pause()
    go(qtbot, player, 2)
    disturbed = player.panel.last_snapshot
    go(qtbot, player, 0)
    go(qtbot, player, 1)
    go(qtbot, player, 2)
    clean = player.panel.last_snapshot
    assert disturbed.step == clean.step == 7
    np.testing.assert_array_equal(disturbed.means, clean.means)


def test_a_step_that_presses_a_button_waits_for_its_answer(qtbot, player):
    go(qtbot, player, 4)
    assert player.panel.calls_pending == 0 and player.panel.samples is not None
    assert "step 5 of 5" in player.overlay.progress_label.text() and not player.overlay.next_button.isEnabled()


def test_pointing_at_something_in_a_hidden_tab_brings_it_forward(window, qtbot):
    """The VAE panel's losses live in a tab; the diffusion panel's steps strip too."""
    lesson = load_lesson_text(window, 'panel = "vae"', 'point = "losses"')
    assert lesson_window.start_lesson(window, lesson)
    panel = window.current
    assert panel.tabs.currentWidget() is panel.losses_tab
    qtbot.waitUntil(lambda: window.lesson.highlights[0].isVisible())


def load_lesson_text(window, panel_line: str, point_line: str):
    from playground.lessons import parse_lesson
    return parse_lesson(f'title = "t"\n{panel_line}\n[[steps]]\ncaption = "c"\nseed = 1\n{point_line}\n')


def test_escape_leaves_the_lesson_and_the_keys_step_the_model_again(window, qtbot, player):
    panel = player.panel
    overlay = player.overlay
    key(qtbot, window, Qt.Key.Key_Escape)
    assert window.lesson is None and player.closed and not overlay.isVisible()
    qtbot.waitUntil(lambda: panel.last_snapshot.step == 0)
    key(qtbot, window, Qt.Key.Key_Right)           # → is one model step again
    qtbot.waitUntil(lambda: panel.last_snapshot.step == 1)
    key(qtbot, window, Qt.Key.Key_PageDown)
    qtbot.waitUntil(lambda: panel.last_snapshot.step == 2)
    key(qtbot, window, Qt.Key.Key_Left)            # and ← does nothing
    assert panel.last_snapshot.step == 2


def test_the_exit_button_leaves_too(window, player):
    player.overlay.exit_button.click()
    assert window.lesson is None


def test_a_lesson_survives_a_panel_switch(window, qtbot, player):
    go(qtbot, player, 2)
    lesson_panel = player.panel
    window.panel_list.setCurrentRow(0)              # Sampling
    other = window.current
    qtbot.waitUntil(lambda: not player.overlay.isVisible())
    assert not any(frame.isVisible() for frame in player.highlights)
    key(qtbot, window, Qt.Key.Key_Right)           # on another panel → steps that panel
    qtbot.waitUntil(lambda: other.last_snapshot is not None and other.last_snapshot.step == 1)
    assert player.index == 2
    window.panel_list.setCurrentRow(1)              # back to the lesson's panel
    assert window.current is lesson_panel
    qtbot.waitUntil(lambda: player.overlay.isVisible() and player.highlights[0].isVisible())
    key(qtbot, window, Qt.Key.Key_Right)
    assert player.index == 3


def test_a_lesson_ends_when_its_panel_is_replaced(window, qtbot, player):
    """Opening a session brings fresh panels; the lesson on the old one ends instead of pointing at nothing."""
    fresh = type(player.panel)(window.theme)
    window.install_panel("gmm", fresh)
    qtbot.waitUntil(lambda: window.lesson is None)
    assert player.closed and window.current is fresh
    key(qtbot, window, Qt.Key.Key_Right)           # → steps the new panel
    qtbot.waitUntil(lambda: fresh.last_snapshot is not None and fresh.last_snapshot.step == 1)


def test_presentation_mode_makes_the_caption_larger_still(window, qtbot, player):
    before = player.overlay.caption_label.font().pixelSize()
    window.set_presentation(True)
    qtbot.waitUntil(lambda: player.overlay.caption_label.font().pixelSize() > 1.4 * before)
    assert player.overlay.isVisible() and window.lesson is player
    window.set_presentation(False)
    qtbot.waitUntil(lambda: player.overlay.caption_label.font().pixelSize() == before)


def test_a_broken_lesson_is_refused_and_nothing_changes(window, qtbot, tmp_path, monkeypatch):
    panel = window.current
    qtbot.waitUntil(lambda: panel.last_snapshot is not None)
    before = panel.state()
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    broken = tmp_path / "broken.toml"
    broken.write_text(LESSON.replace('point = "likelihood"', 'point = "likelihod"'), encoding="utf-8")
    assert not lesson_window.open_lesson_file(window, broken)
    assert shown == ["broken.toml, line 20, step 3 'point': the GMM-EM panel has nothing called 'likelihod' "
                     "(did you mean 'likelihood'?); it has: controls, plots, data, likelihood, bic, phase, "
                     "inspector, e-step, m-step, sample, choose-k"]
    assert window.lesson is None and window.current is panel and panel.state() == before
    assert "gmm" not in window.panels                # the check ran on a spare panel


def menus(window) -> dict[str, QMenu]:
    return {menu.title(): menu for menu in window.findChildren(QMenu)}


def test_the_lessons_menu_lists_the_shipped_lessons_by_panel(window):
    lessons_menu = menus(window)["&Lessons"]
    titles = [action.text() for action in lessons_menu.actions()]
    assert titles[:6] == ["Sampling", "GMM-EM", "GAN 1-D", "VAE", "Diffusion", "Markov text"]
    assert "&Open lesson…" in titles
    assert "Mode collapse and its fix" in [action.text() for action in menus(window)["GAN 1-D"].actions()]


def test_the_keyboard_help_lists_the_lesson_keys():
    keys = " ".join(keys for keys, _ in SHORTCUTS)
    assert "Page Up" in keys and "Esc" in keys


def test_a_shipped_lesson_starts_from_the_menu_on_its_own_panel(window, qtbot):
    menus(window)["Markov text"].actions()[0].trigger()
    assert window.current.name == "markov" and window.lesson is not None
    qtbot.waitUntil(window.lesson.settled)
    window.lesson.exit()
