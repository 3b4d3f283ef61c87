"""Two small builders every panel's controls column uses."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QLabel, QLayout, QVBoxLayout, QWidget


def rich_label(text: str = "", *, name: str = "") -> QLabel:
    """A word-wrapped rich-text label (readouts, explanations beside the controls)."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    if name:
        label.setObjectName(name)
    return label


def group(title: str, *items: QWidget | QLayout) -> QGroupBox:
    """A titled box stacking ``items`` (widgets or layouts) top to bottom."""
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    for item in items:
        if isinstance(item, QLayout):
            layout.addLayout(item)
        else:
            layout.addWidget(item)
    return box
