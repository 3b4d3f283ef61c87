"""One declarative form for every panel's parameters.

A panel lists :class:`Param` declarations; :class:`ParamForm` builds the controls, reports edits as plain values,
shows a validation message *beside the field* that caused it, and saves/restores its values as a JSON-able dict.
Numbers are typed into line edits on purpose: a student may type "-1" for σ and must be told why that is wrong,
rather than being silently clamped by a spin box.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QVBoxLayout,
    QWidget,
)


@dataclass(frozen=True)
class Param:
    name: str
    label: str
    default: Any
    kind: str = "number"          # number | int | choice | bool | slider
    choices: tuple[str, ...] = ()
    minimum: float | None = None  # for sliders (and the hint shown for numbers)
    maximum: float | None = None
    log: bool = False             # sliders: logarithmic mapping
    help: str = ""


def parse_number(text: str, label: str) -> float:
    """A float from what a student typed, or ValueError saying what is wrong with it."""
    stripped = text.strip().replace("−", "-")  # a pasted Unicode minus is still a minus
    if not stripped:
        raise ValueError(f"{label}: enter a number")
    try:
        value = float(stripped)
    except ValueError:
        raise ValueError(f"{label}: '{text.strip()[:40]}' is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{label}: must be a finite number, not {stripped}")
    return value


class _Slider(QWidget):
    """A horizontal slider with its value shown beside it; linear or logarithmic."""

    valueChanged = Signal(float)
    STEPS = 1000

    def __init__(self, param: Param, parent=None) -> None:
        super().__init__(parent)
        self.param = param
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, self.STEPS)
        self.readout = QLabel()
        self.readout.setMinimumWidth(56)
        self.readout.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.readout)
        self.slider.valueChanged.connect(self._moved)
        self._value = float(param.default)

    def _to_value(self, position: int) -> float:
        lo, hi = float(self.param.minimum), float(self.param.maximum)
        f = position / self.STEPS
        value = math.exp(math.log(lo) + f * (math.log(hi) - math.log(lo))) if self.param.log else lo + f * (hi - lo)
        return float(f"{value:.3g}") if self.param.log else value

    def _to_position(self, value: float) -> int:
        lo, hi = float(self.param.minimum), float(self.param.maximum)
        value = min(max(value, lo), hi)
        f = (math.log(value) - math.log(lo)) / (math.log(hi) - math.log(lo)) if self.param.log else (value - lo) / (hi - lo)
        return round(f * self.STEPS)

    def value(self) -> float:
        return self._value

    def set_value(self, value: float) -> None:
        """Show exactly ``value`` (the slider itself can only land near it)."""
        self.slider.blockSignals(True)
        self.slider.setValue(self._to_position(value))
        self.slider.blockSignals(False)
        self._value = float(value)
        self.readout.setText(readout_text(value))

    @Slot(int)
    def _moved(self, position: int) -> None:
        self._value = self._to_value(position)
        self.readout.setText(readout_text(self._value))
        self.valueChanged.emit(self._value)


class ParamForm(QWidget):
    #: (name, value) after the user changed one field; numbers arrive parsed, or as the raw text if unparsable
    #: (the panel decides what is valid and calls :meth:`set_error`).
    edited = Signal(str, object)

    def __init__(self, params: list[Param] | tuple[Param, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.params = {p.name: p for p in params}
        self.controls: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self.rows: dict[str, tuple[QLabel, QWidget]] = {}
        self._good: dict[str, Any] = {p.name: p.default for p in params}
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for p in params:
            control = self._make_control(p)
            error = QLabel()
            error.setObjectName("FieldError")
            error.setWordWrap(True)
            error.setStyleSheet("color: #c0392b;")
            error.hide()
            cell = QWidget()
            cell_layout = QVBoxLayout(cell)
            cell_layout.setContentsMargins(0, 0, 0, 0)
            cell_layout.setSpacing(2)
            cell_layout.addWidget(control)
            cell_layout.addWidget(error)
            label = QLabel(p.label)
            if p.help:
                label.setToolTip(p.help)
                control.setToolTip(p.help)
            form.addRow(label, cell)
            self.controls[p.name], self.errors[p.name] = control, error
            self.rows[p.name] = (label, cell)

    def _make_control(self, p: Param) -> QWidget:
        if p.kind == "choice":
            box = QComboBox()
            box.addItems(list(p.choices))
            box.setCurrentText(str(p.default))
            box.currentTextChanged.connect(lambda text, n=p.name: self._emit(n, text))
            return box
        if p.kind == "bool":
            check = QCheckBox()
            check.setChecked(bool(p.default))
            check.toggled.connect(lambda on, n=p.name: self._emit(n, bool(on)))
            return check
        if p.kind == "slider":
            slider = _Slider(p)
            slider.set_value(float(p.default))
            slider.valueChanged.connect(lambda v, n=p.name: self._emit(n, v))
            return slider
        edit = QLineEdit(_format(p.default))
        edit.editingFinished.connect(lambda n=p.name: self._number_edited(n))
        return edit

    def _number_edited(self, name: str) -> None:
        edit: QLineEdit = self.controls[name]  # type: ignore[assignment]
        p = self.params[name]
        try:
            value: Any = parse_number(edit.text(), p.label)
            if p.kind == "int":
                if value != int(value):
                    raise ValueError(f"{p.label}: must be a whole number, not {edit.text().strip()}")
                value = int(value)
        except ValueError as exc:
            self.set_error(name, str(exc))
            return
        if value == self._good.get(name) and not self.errors[name].isVisibleTo(self):
            return
        self._emit(name, value)

    def _emit(self, name: str, value: Any) -> None:
        self.edited.emit(name, value)

    # --- what the panel calls -------------------------------------------------------------------------------------
    def set_error(self, name: str, message: str) -> None:
        self.errors[name].setText(message)
        self.errors[name].show()

    def clear_error(self, name: str | None = None) -> None:
        for n in [name] if name else list(self.errors):
            self.errors[n].clear()
            self.errors[n].hide()

    def error(self, name: str) -> str:
        return self.errors[name].text() if not self.errors[name].isHidden() else ""

    def accept(self, name: str, value: Any) -> None:
        """The panel accepted ``value`` for ``name``: remember it as the last good value, clear any error."""
        self._good[name] = value
        self.clear_error(name)

    def values(self) -> dict[str, Any]:
        """The last *accepted* values — what the model is actually using."""
        return dict(self._good)

    def set_values(self, values: dict[str, Any], *, emit: bool = False) -> None:
        for name, value in values.items():
            if name not in self.controls:
                continue
            control = self.controls[name]
            control.blockSignals(not emit)
            try:
                if isinstance(control, QComboBox):
                    control.setCurrentText(str(value))
                elif isinstance(control, QCheckBox):
                    control.setChecked(bool(value))
                elif isinstance(control, _Slider):
                    control.set_value(float(value))
                else:
                    control.setText(_format(value))
            finally:
                control.blockSignals(False)
            self._good[name] = value
            self.clear_error(name)

    def set_visible(self, name: str, visible: bool) -> None:
        label, cell = self.rows[name]
        label.setVisible(visible)
        cell.setVisible(visible)

    def set_label(self, name: str, text: str) -> None:
        self.rows[name][0].setText(text)


def readout_text(value: float) -> str:
    """Three significant digits, but plain whole numbers from a thousand to a million ("2,000", not "2e+03")."""
    if 1000 <= abs(value) < 1e6:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
