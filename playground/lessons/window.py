"""Lessons in the main window: the Lessons menu, "Open lesson…", starting and leaving a lesson, and its keys.

While a lesson runs on the panel shown, → / Page Down go to the next step and ← / Page Up to the one before (what a
presentation clicker sends), Esc leaves it. On another panel the keys do what they always do; the lesson waits,
hidden, until its panel is shown again. The window keeps the running lesson in ``window.lesson``.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from playground import panels as registry
from playground.lessons import Lesson, LessonError, load_lesson, shipped_lessons
from playground.lessons.player import LessonPlayer, prepare

if TYPE_CHECKING:
    from playground.app import MainWindow

LESSON_FILES = "Lessons (*.toml)"


def build_lessons_menu(window: "MainWindow", menu: QMenu) -> None:
    """One submenu per panel listing its shipped lessons, then "Open lesson…" for a lecturer's own file."""
    try:
        lessons = shipped_lessons()
    except LessonError as exc:  # a damaged installation: say so, and keep the rest of the app working
        lessons = []
        window.window_message.show_message(f"The shipped lessons could not be read: {exc}", "warning")
    for entry in registry.PANELS:
        own = [lesson for lesson in lessons if lesson.panel == entry.name]
        if not own:
            continue
        submenu = menu.addMenu(entry.title)
        for lesson in own:
            action = submenu.addAction(lesson.title)
            action.setToolTip(lesson.description)
            action.triggered.connect(lambda _=False, lesson=lesson: start_lesson(window, lesson))
    menu.setToolTipsVisible(True)
    menu.addSeparator()
    menu.addAction("&Open lesson…").triggered.connect(lambda: open_lesson_dialog(window))
    menu.addAction("&Leave the lesson (Esc)").triggered.connect(lambda: stop_lesson(window))


def open_lesson_dialog(window: "MainWindow") -> None:
    path, _ = QFileDialog.getOpenFileName(window, "Open lesson", str(Path.home()), LESSON_FILES)
    if path:
        open_lesson_file(window, path)


def open_lesson_file(window: "MainWindow", path: str | Path, step: int = 1,
                     refuse: Callable[[LessonError], None] | None = None) -> bool:
    """Load a lesson file and start it at ``step`` (1-based). On any problem ``refuse(error)`` — by default a
    message box — and nothing changes."""
    try:
        lesson = load_lesson(path)
    except LessonError as exc:
        (refuse or (lambda e: _refuse(window, e)))(exc)
        return False
    return start_lesson(window, lesson, step, refuse)


def start_lesson(window: "MainWindow", lesson: Lesson, step: int = 1,
                 refuse: Callable[[LessonError], None] | None = None) -> bool:
    """Check ``lesson`` against its panel (on a spare one), then leave any running lesson, show the panel and
    play the lesson from ``step``. False, after ``refuse(error)`` (a message box), if the lesson cannot be used."""
    refuse = refuse or (lambda exc: _refuse(window, exc))
    if not 1 <= step <= len(lesson.steps):
        refuse(LessonError(lesson.file, None, "", f"it has {len(lesson.steps)} steps; there is no step {step}"))
        return False
    try:
        resolved = prepare(lesson, window.theme)
    except LessonError as exc:
        refuse(exc)
        return False
    stop_lesson(window)
    names = [entry.name for entry in registry.PANELS]
    window.panel_list.setCurrentRow(names.index(lesson.panel))
    panel = window.panel(lesson.panel)
    player = LessonPlayer(lesson, panel, resolved, host=window)
    player.step_shown.connect(lambda _index: _follow_panel(window, player))
    player.finished.connect(lambda: _forget(window, player))
    window.lesson = player
    player.go_to(step - 1)
    return True


def stop_lesson(window: "MainWindow") -> None:
    if window.lesson is not None:
        window.lesson.exit()


def lesson_key(window: "MainWindow", key: str) -> bool:
    """Handle a lesson key ("next", "back" or "exit") if a lesson runs on the panel shown; False otherwise."""
    player = window.lesson
    if player is None or player.panel is not window.current:
        return False
    {"next": player.next, "back": player.back, "exit": player.exit}[key]()
    return True


def _follow_panel(window: "MainWindow", player: LessonPlayer) -> None:
    """The transport bar shows what a lesson step set (seed and speed are the panel's own)."""
    if player.panel is window.current:
        window.transport.set_speed(player.panel.speed)
        window.transport.set_seed(player.panel.seed)


def _forget(window: "MainWindow", player: LessonPlayer) -> None:
    if window.lesson is player:
        window.lesson = None


def _refuse(window: "MainWindow", exc: LessonError) -> None:
    QMessageBox.warning(window, "This lesson cannot be used", str(exc))
