"""The worker is released after the window has painted the frame, not before (panels/paint_watcher.py)."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from playground.panels.paint_watcher import PaintWatcher


class PaintCounter(QLabel):
    def __init__(self) -> None:
        super().__init__("frame 0")
        self.paints = 0

    def paintEvent(self, event) -> None:
        self.paints += 1
        super().paintEvent(event)


def shown_window(qtbot) -> tuple[QWidget, PaintCounter]:
    window = QWidget()
    label = PaintCounter()
    QVBoxLayout(window).addWidget(label)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: label.paints > 0)
    return window, label


def test_the_callback_runs_after_the_changed_widget_has_painted(qtbot):
    _, label = shown_window(qtbot)
    watcher = PaintWatcher(label)
    painted_at_callback = []
    before = label.paints
    label.setText("frame 1")  # what render() does: change something, and Qt schedules the paint
    watcher.after_next_paint(lambda: painted_at_callback.append(label.paints))
    assert painted_at_callback == []  # not synchronously
    qtbot.waitUntil(lambda: painted_at_callback != [])
    assert painted_at_callback[0] > before


def test_a_frame_that_paints_nothing_is_released_by_the_fallback(qtbot):
    _, label = shown_window(qtbot)
    watcher = PaintWatcher(label)
    released = []
    watcher.after_next_paint(lambda: released.append(True))  # nothing changed: no paint will come
    qtbot.waitUntil(lambda: released == [True], timeout=2000)


def test_a_newer_callback_releases_the_one_still_waiting(qtbot):
    _, label = shown_window(qtbot)
    watcher = PaintWatcher(label)
    calls = []
    watcher.after_next_paint(lambda: calls.append("old"))
    watcher.after_next_paint(lambda: calls.append("new"))
    assert calls == ["old"]
    qtbot.waitUntil(lambda: calls == ["old", "new"], timeout=2000)


def test_the_window_is_watched_only_while_a_frame_waits(qtbot):
    _, label = shown_window(qtbot)
    watcher = PaintWatcher(label)
    assert not watcher.watching
    released = []
    label.setText("frame 1")
    watcher.after_next_paint(lambda: released.append(True))
    assert watcher.watching
    qtbot.waitUntil(lambda: released == [True])
    assert not watcher.watching
