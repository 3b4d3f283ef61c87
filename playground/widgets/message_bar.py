"""A one-line message strip at the top of a panel: what went wrong, in words, with an optional fix-it button."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

_STYLES = {
    "info": ("#e7f1fb", "#0b3d66", "#5a9bd5"),
    "warning": ("#fff4e0", "#5c3b00", "#e69f00"),
    "error": ("#fde8e4", "#6b1a0b", "#d55e00"),
}


class MessageBar(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MessageBar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action_button = QPushButton()
        self.close_button = QPushButton("✕")
        self.close_button.setFlat(True)
        self.close_button.setToolTip("Dismiss")
        self.close_button.clicked.connect(self.clear)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action_button)
        layout.addWidget(self.close_button)
        self.level = ""
        self._action: Callable[[], None] | None = None
        self.action_button.clicked.connect(self._run_action)
        self.hide()

    def show_message(self, text: str, level: str = "error", *, action: tuple[str, Callable[[], None]] | None = None):
        background, foreground, border = _STYLES[level]
        self.setStyleSheet(f"#MessageBar {{ background: {background}; border: 1px solid {border}; border-radius: 4px; }}"
                           f"#MessageBar QLabel {{ color: {foreground}; }}")
        self.level = level
        self.label.setText(text)
        self._action = action[1] if action else None
        self.action_button.setText(action[0] if action else "")
        self.action_button.setVisible(action is not None)
        self.show()

    @property
    def text(self) -> str:
        return self.label.text() if self.isVisible() or not self.isHidden() else ""

    @Slot()
    def clear(self) -> None:
        self.level = ""
        self.label.clear()
        self._action = None
        self.hide()

    @Slot()
    def _run_action(self) -> None:
        action = self._action
        self.clear()
        if action is not None:
            action()
