"""Guided lessons: TOML files of captioned steps that drive a panel (format.py), and the player (player.py).

The lessons that ship with the app live in assets/lessons/, one file each; a lecturer can open their own.
"""
from __future__ import annotations

from playground import panels as registry
from playground.lessons.format import Lesson, LessonError, LessonStep, load_lesson, parse_lesson, rehearse
from playground.resources import assets_root

__all__ = ["Lesson", "LessonError", "LessonStep", "load_lesson", "parse_lesson", "rehearse", "shipped_lessons"]


def shipped_lessons() -> list[Lesson]:
    """Every lesson in assets/lessons/, in panel order, then by file name. Raises LessonError for a broken one."""
    folder = assets_root() / "lessons"
    lessons = [load_lesson(path) for path in sorted(folder.glob("*.toml"))] if folder.is_dir() else []
    order = {entry.name: i for i, entry in enumerate(registry.PANELS)}
    return sorted(lessons, key=lambda lesson: (order.get(lesson.panel, len(order)), lesson.file))
