"""The shell: every panel opens and draws, shortcuts act, settings persist, workers stop, export works."""
from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget

from playground import panels as registry
from playground.app import SETTINGS_VERSION, SHORTCUTS, MainWindow
from tests.panels.helpers import image_stats, wait_for_step


@pytest.mark.parametrize("entry", registry.PANELS, ids=lambda e: e.name)
def test_every_panel_opens_and_draws_something(window, qtbot, entry):
    window.panel_list.setCurrentRow(registry.PANELS.index(entry))
    panel = window.current
    assert panel.name == entry.name and panel.active
    panel.step(5)
    wait_for_step(qtbot, panel, 5)
    spread, colours = image_stats(window.grab().toImage())
    assert spread > 20 and colours > 20, "the window looks blank"
    assert window.explanation.toPlainText().strip(), "the explanation pane is empty"


def test_only_the_visible_panel_is_built_at_start(window):
    assert list(window.panels) == [window.current.name]


def test_space_plays_and_pauses(window, qtbot):
    panel = window.current
    window.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert panel.playing and window.transport.play_button.isChecked()
    qtbot.waitUntil(lambda: panel.last_snapshot is not None and panel.last_snapshot.step > 3)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not panel.playing and not window.transport.play_button.isChecked()


@pytest.mark.parametrize("key", [Qt.Key.Key_Right, Qt.Key.Key_PageDown])
def test_right_arrow_and_page_down_take_one_step(window, qtbot, key):
    panel = window.current
    wait_for_step(qtbot, panel, 0)
    window.setFocus()
    qtbot.keyClick(window, key)
    wait_for_step(qtbot, panel, 1)
    qtbot.keyClick(window, key)
    wait_for_step(qtbot, panel, 2)
    assert panel.last_snapshot.step == 2


def test_r_resets_to_step_zero(window, qtbot):
    panel = window.current
    panel.step(7)
    wait_for_step(qtbot, panel, 7)
    window.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: panel.last_snapshot.step == 0)


def test_ctrl_number_switches_panel_and_f1_lists_every_shortcut(window, qtbot):
    window.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.current.name == registry.PANELS[0].name
    qtbot.keyClick(window, Qt.Key.Key_F1)
    dialog = window.shortcuts_dialog
    assert dialog.isVisible()
    table = dialog.findChild(QTableWidget)
    listed = {table.item(row, 0).text() for row in range(table.rowCount())}
    assert listed == {keys for keys, _ in SHORTCUTS}
    dialog.close()


def test_presentation_mode_scales_up_and_hides_side_panes(window, qtbot):
    normal = window.theme
    window.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.presentation and window.theme.font_size >= 1.5 * normal.font_size
    assert window.theme.pen_width >= 1.5 * normal.pen_width
    assert not window.explanation.isVisible() and not window.panel_list.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert not window.presentation and window.explanation.isVisible()


def test_f11_toggles_full_screen(window, qtbot):
    window.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_F11)
    qtbot.waitUntil(window.isFullScreen)
    qtbot.keyClick(window, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not window.isFullScreen())


@pytest.mark.parametrize("theme", ["light", "dark", "projector"])
def test_every_theme_renders(window, qtbot, theme):
    window.set_theme(theme)
    panel = window.current
    panel.step(3)
    wait_for_step(qtbot, panel, 3)
    spread, colours = image_stats(window.grab().toImage())
    assert spread > 20 and colours > 20


def test_export_writes_png_and_svg(window, qtbot, tmp_path):
    panel = window.current
    panel.step(3)
    wait_for_step(qtbot, panel, 3)
    png, svg = window.export_current(tmp_path / "plots.png")
    assert png.stat().st_size > 5000
    text = svg.read_text(encoding="utf-8")
    assert "<svg" in text and "</svg>" in text and len(text) > 5000


def test_settings_round_trip(qtbot, settings):
    first = MainWindow(settings=settings)
    qtbot.addWidget(first)
    first.set_theme("dark")
    first.set_presentation(True)
    first.close()
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    assert second.theme_name == "dark" and second.presentation
    assert not second.window_message.isVisible() and second.window_message.label.text() == ""
    second.close()


@pytest.mark.parametrize("corruption", [
    {"version": "999"},
    {"version": str(SETTINGS_VERSION), "panels": "{not json"},
    {"version": str(SETTINGS_VERSION), "theme": "neon"},
    {"version": str(SETTINGS_VERSION), "panels": "[1, 2]"},
])
def test_corrupt_settings_fall_back_to_defaults_with_a_message(qtbot, settings, corruption):
    for key, value in corruption.items():
        settings.setValue(key, value)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    assert win.theme_name == "light"
    assert "could not be read" in win.window_message.label.text()
    win.close()


def test_bad_saved_panel_state_is_reported_and_defaults_used(qtbot, settings):
    settings.setValue("version", SETTINGS_VERSION)
    settings.setValue("panels", '{"sampling": {"preset": "No such thing"}}')
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    panel = win.current
    assert "could not be used" in panel.message_bar.label.text()
    win.close()


def test_closing_stops_every_worker(qtbot, settings):
    """close() returns with the worker finished, not terminated (bench/bench_shutdown.py measures how fast)."""
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.show()
    panel = win.current
    panel.set_speed(None)
    panel.play()
    qtbot.waitUntil(lambda: panel.last_snapshot is not None and panel.last_snapshot.step > 10)
    worker = panel.worker
    win.close()
    assert worker.isFinished() and not worker.isRunning()


def test_the_ui_thread_never_steps_the_model(window, qtbot):
    panel = window.current
    threads: set[int] = set()
    model = panel.model
    original = model.step

    def recording_step():
        threads.add(threading.get_ident())
        original()

    model.step = recording_step
    panel.set_speed(None)
    panel.play()
    qtbot.waitUntil(lambda: panel.last_snapshot.step > 200)
    panel.pause()
    panel.step(3)
    qtbot.waitUntil(lambda: len(threads) > 0 and not panel.playing)
    assert threads and threading.main_thread().ident not in threads


def test_a_model_that_raises_pauses_the_panel_with_a_message(window, qtbot):
    panel = window.current
    model = panel.model
    wait_for_step(qtbot, panel, 0)
    good = panel.last_snapshot

    def broken_step():
        raise RuntimeError("the sampler caught fire")

    model.step = broken_step
    panel.play()
    qtbot.waitUntil(lambda: panel.message_bar.isVisible())
    assert "caught fire" in panel.message_bar.label.text()
    assert not panel.playing and not window.transport.play_button.isChecked()
    assert panel.last_snapshot.step == good.step


def test_hidden_panel_stops_its_worker_and_resumes_playing_when_shown(window, qtbot):
    panel = window.current
    panel.play()
    qtbot.waitUntil(lambda: panel.last_snapshot is not None and panel.last_snapshot.step > 2)
    worker = panel.worker
    panel.deactivate()
    assert not worker.isRunning() and panel.worker is None and panel.playing
    step = panel.last_snapshot.step
    panel.activate()
    qtbot.waitUntil(lambda: panel.last_snapshot.step > step)
    panel.pause()


def test_switching_panels_stops_the_hidden_panels_worker(window, qtbot):
    first = window.current
    first.play()
    qtbot.waitUntil(lambda: first.last_snapshot is not None and first.last_snapshot.step > 2)
    worker = first.worker
    window.panel_list.setCurrentRow(1)
    assert window.current is not first and window.current.active
    assert first.worker is None and not worker.isRunning() and first.playing  # remembered for when it returns
    window.panel_list.setCurrentRow(0)
    step = first.last_snapshot.step
    qtbot.waitUntil(lambda: first.last_snapshot.step > step)  # it resumed playing
    first.pause()


def test_a_hidden_panel_never_starts_a_worker_and_keeps_what_it_was_told(window, qtbot):
    panel = window.current
    wait_for_step(qtbot, panel, 0)
    panel.deactivate()
    panel.step(4)  # e.g. a debounce timer firing after the panel was hidden
    assert panel.worker is None
    panel.activate()
    wait_for_step(qtbot, panel, 4)


def test_a_long_call_cut_off_by_hiding_the_panel_finishes_when_it_returns(window, qtbot):
    gmm_row = [e.name for e in registry.PANELS].index("gmm")
    window.panel_list.setCurrentRow(gmm_row)
    panel = window.current
    wait_for_step(qtbot, panel, 0)
    panel.choose_k()
    window.panel_list.setCurrentRow(0)  # hide it at once, mid-computation
    assert panel.worker is None
    window.panel_list.setCurrentRow(gmm_row)
    qtbot.waitUntil(lambda: hasattr(panel, "k_choice"), timeout=30_000)
    assert panel.choose_k_button.isEnabled() and not panel.progress.isVisible()


def test_a_bad_seed_is_refused_before_it_reaches_the_model(window):
    with pytest.raises(ValueError, match="seed"):
        window.current.reset(-1)


def test_an_error_while_drawing_pauses_the_panel_with_a_message(window, qtbot):
    panel = window.current
    wait_for_step(qtbot, panel, 0)

    def broken_render(snapshot):
        raise RuntimeError("no ink left")

    panel.render = broken_render
    panel.play()
    qtbot.waitUntil(lambda: panel.message_bar.isVisible())
    assert "no ink left" in panel.message_bar.label.text() and not panel.playing
