"""The one transport bar every panel shares: Play/Pause, Step, Reset, speed, seed, Copy as Python."""
from __future__ import annotations

import secrets

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QSpinBox, QToolButton, QWidget

#: Speed positions, in steps per second; the last one (None) means "as fast as the machine allows".
SPEEDS: tuple[float | None, ...] = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, None)
MAX_SEED = 2**31 - 1


def speed_text(speed: float | None) -> str:
    return "unlimited" if speed is None else f"{speed:g} steps/s"


class TransportBar(QWidget):
    play_toggled = Signal(bool)
    step_clicked = Signal()
    reset_clicked = Signal()
    speed_changed = Signal(object)   # float | None
    seed_changed = Signal(int)
    copy_python_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TransportBar")
        self.play_button = QPushButton("▶  Play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Play / pause (Space)")
        self.step_button = QPushButton("Step ▸")
        self.step_button.setToolTip("One step (→ or Page Down)")
        self.reset_button = QPushButton("⟲  Reset")
        self.reset_button.setToolTip("Start again from the seed (R)")
        self.speed_slider = QSlider(Qt.Orientation.Horizontal)
        self.speed_slider.setRange(0, len(SPEEDS) - 1)
        self.speed_slider.setPageStep(1)
        self.speed_slider.setMinimumWidth(140)
        self.speed_slider.setToolTip("Steps per second")
        self.speed_label = QLabel()
        self.speed_label.setMinimumWidth(110)
        self.seed_box = QSpinBox()
        self.seed_box.setRange(0, MAX_SEED)
        self.seed_box.setToolTip("Random seed: the same seed and settings always give the same run")
        self.seed_box.setMinimumWidth(90)
        self.new_seed_button = QToolButton()
        self.new_seed_button.setText("New seed")
        self.new_seed_button.setToolTip("New random seed")
        self.copy_python_button = QPushButton("Copy as Python")
        self.copy_python_button.setToolTip("Put a short Python script on the clipboard that reproduces this panel's "
                                           "experiment with playground.models (Ctrl+Shift+C)")

        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        for widget in (self.play_button, self.step_button, self.reset_button):
            layout.addWidget(widget)
        layout.addSpacing(16)
        layout.addWidget(QLabel("Speed"))
        layout.addWidget(self.speed_slider)
        layout.addWidget(self.speed_label)
        layout.addStretch(1)
        layout.addWidget(QLabel("Seed"))
        layout.addWidget(self.seed_box)
        layout.addWidget(self.new_seed_button)
        layout.addSpacing(16)
        layout.addWidget(self.copy_python_button)

        self.play_button.toggled.connect(self._play_toggled)
        self.step_button.clicked.connect(self.step_clicked)
        self.reset_button.clicked.connect(self.reset_clicked)
        self.speed_slider.valueChanged.connect(self._speed_moved)
        self.seed_box.editingFinished.connect(lambda: self.seed_changed.emit(self.seed_box.value()))
        self.new_seed_button.clicked.connect(self._new_seed)
        self.copy_python_button.clicked.connect(self.copy_python_clicked)
        self.set_speed(SPEEDS[6])

    # --- state the window pushes in (no signals emitted) -------------------------------------------------------
    def set_playing(self, playing: bool) -> None:
        self.play_button.blockSignals(True)
        self.play_button.setChecked(playing)
        self.play_button.blockSignals(False)
        self._label_play(playing)

    def set_speed(self, speed: float | None) -> None:
        index = SPEEDS.index(speed) if speed in SPEEDS else min(
            range(len(SPEEDS) - 1), key=lambda i: abs(SPEEDS[i] - speed))  # type: ignore[operator]
        self.speed_slider.blockSignals(True)
        self.speed_slider.setValue(index)
        self.speed_slider.blockSignals(False)
        self.speed_label.setText(speed_text(SPEEDS[index]))

    def set_seed(self, seed: int) -> None:
        self.seed_box.blockSignals(True)
        self.seed_box.setValue(int(seed))
        self.seed_box.blockSignals(False)

    @property
    def speed(self) -> float | None:
        return SPEEDS[self.speed_slider.value()]

    # --- user actions -----------------------------------------------------------------------------------------
    def _label_play(self, playing: bool) -> None:
        self.play_button.setText("⏸  Pause" if playing else "▶  Play")

    @Slot(bool)
    def _play_toggled(self, playing: bool) -> None:
        self._label_play(playing)
        self.play_toggled.emit(playing)

    @Slot(int)
    def _speed_moved(self, index: int) -> None:
        self.speed_label.setText(speed_text(SPEEDS[index]))
        self.speed_changed.emit(SPEEDS[index])

    @Slot()
    def _new_seed(self) -> None:
        seed = secrets.randbelow(100_000)  # short enough to read out to a class
        self.seed_box.setValue(seed)
        self.seed_changed.emit(seed)
