"""Editors for the Sampling panel's distributions: a table of outcomes and weights, a table of mixture components,
and plain number fields. Each editor turns what the student typed into a validated distribution object, or shows
what is wrong beside the field and keeps the last valid distribution in use."""
from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.models import sampling as sm
from playground.widgets.params import Param, ParamForm, parse_number

SUM_TOLERANCE = 1e-9


class DistributionEditor(QWidget):
    #: A new, valid distribution the model should use.
    distribution_changed = Signal(object)

    def load(self, dist: Any) -> None:
        """Show ``dist``'s parameters (no signal)."""
        raise NotImplementedError

    @property
    def error(self) -> str:
        raise NotImplementedError


class _ErrorLine(QWidget):
    """A red message line with an optional one-click fix beside it."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setStyleSheet("color: #c0392b;")
        self.fix = QPushButton()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.fix)
        self._fix_action: Callable[[], None] | None = None
        self.fix.clicked.connect(lambda: self._fix_action and self._fix_action())
        self.hide()

    def show_error(self, text: str, fix: tuple[str, Callable[[], None]] | None = None) -> None:
        self.label.setText(text)
        self.fix.setVisible(fix is not None)
        if fix:
            self.fix.setText(fix[0])
            self._fix_action = fix[1]
        self.show()

    def clear(self) -> None:
        self.label.clear()
        self.hide()

    @property
    def text(self) -> str:
        return "" if self.isHidden() else self.label.text()


class TableEditor(DistributionEditor):
    """Rows of (name-or-number, weight, …) — the categorical outcomes, or the components of a mixture."""

    def __init__(self, headers: list[str], build: Callable[[list[list[str]]], Any],
                 to_rows: Callable[[Any], list[list[str]]], new_row: Callable[[int], list[str]],
                 weight_column: int, parent=None) -> None:
        super().__init__(parent)
        self._build, self._to_rows, self._new_row, self._weight_column = build, to_rows, new_row, weight_column
        self.table = QTableWidget(0, len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setMinimumHeight(140)
        self.add_button = QPushButton("+ Add row")
        self.remove_button = QPushButton("− Remove row")
        self.error_line = _ErrorLine()
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addWidget(self.error_line)
        self.table.itemChanged.connect(self._edited)
        self.add_button.clicked.connect(self._add_row)
        self.remove_button.clicked.connect(self._remove_row)

    def rows(self) -> list[list[str]]:
        return [[(self.table.item(r, c).text() if self.table.item(r, c) else "")
                 for c in range(self.table.columnCount())] for r in range(self.table.rowCount())]

    def set_rows(self, rows: list[list[str]]) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.blockSignals(False)

    def load(self, dist: Any) -> None:
        self.set_rows(self._to_rows(dist))
        self.error_line.clear()

    @property
    def error(self) -> str:
        return self.error_line.text

    @Slot()
    def _edited(self, *_: Any) -> None:
        self.try_apply()

    def try_apply(self) -> bool:
        rows = self.rows()
        try:
            weights = [parse_number(row[self._weight_column], f"weight in row {i + 1}") for i, row in enumerate(rows)]
            total = sum(weights)
            if rows and all(w >= 0 for w in weights) and total > 0 and abs(total - 1) > SUM_TOLERANCE:
                self.error_line.show_error(f"The weights sum to {total:.4g}, not 1.", ("Normalise", self.normalise))
                return False
            dist = self._build(rows)
        except ValueError as exc:
            self.error_line.show_error(_sentence(str(exc)))
            return False
        self.error_line.clear()
        self.distribution_changed.emit(dist)
        return True

    @Slot()
    def normalise(self) -> None:
        rows = self.rows()
        weights = [parse_number(row[self._weight_column], "weight") for row in rows]
        total = sum(weights)
        for row, w in zip(rows, weights):
            row[self._weight_column] = f"{w / total:.6g}"
        # Rounding to 6 digits can leave the sum a hair off 1: give the rest to the largest weight.
        values = [float(row[self._weight_column]) for row in rows]
        largest = max(range(len(values)), key=values.__getitem__)
        rows[largest][self._weight_column] = repr(1 - (sum(values) - values[largest]))
        self.set_rows(rows)
        self.try_apply()

    @Slot()
    def _add_row(self) -> None:
        rows = self.rows()
        rows.append(self._new_row(len(rows)))
        self.set_rows(rows)
        self.try_apply()

    @Slot()
    def _remove_row(self) -> None:
        rows = self.rows()
        row = self.table.currentRow()
        if rows:
            rows.pop(row if 0 <= row < len(rows) else len(rows) - 1)
        self.set_rows(rows)
        self.try_apply()


def categorical_editor() -> TableEditor:
    def build(rows: list[list[str]]) -> Any:
        if not rows:
            raise ValueError("add at least one outcome")
        return sm.Categorical([r[0].strip() for r in rows],
                              [parse_number(r[1], f"weight of '{r[0].strip()}'") for r in rows])

    def to_rows(dist: Any) -> list[list[str]]:
        return [[name, f"{p:.6g}"] for name, p in zip(dist.outcomes, dist.probs)]

    return TableEditor(["Outcome", "Weight"], build, to_rows, lambda i: [f"outcome {i + 1}", "0"], weight_column=1)


def mixture_editor() -> TableEditor:
    def build(rows: list[list[str]]) -> Any:
        if not rows:
            raise ValueError("add at least one component")
        return sm.Mixture([parse_number(r[0], f"weight in row {i + 1}") for i, r in enumerate(rows)],
                          [parse_number(r[1], f"mean in row {i + 1}") for i, r in enumerate(rows)],
                          [parse_number(r[2], f"σ in row {i + 1}") for i, r in enumerate(rows)])

    def to_rows(dist: Any) -> list[list[str]]:
        return [[f"{w:.6g}", f"{m:.6g}", f"{s:.6g}"] for w, m, s in zip(dist.weights, dist.means, dist.stds)]

    return TableEditor(["Weight", "Mean", "σ"], build, to_rows, lambda i: ["0", "0", "1"], weight_column=0)


class FormEditor(DistributionEditor):
    """Number fields for a parametric family, e.g. Gaussian(mean, σ)."""

    def __init__(self, params: list[Param], build: Callable[..., Any], read: Callable[[Any], dict[str, float]],
                 parent=None) -> None:
        super().__init__(parent)
        self._build, self._read = build, read
        self.form = ParamForm(params)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.form)
        self.form.edited.connect(self._edited)

    def load(self, dist: Any) -> None:
        self.form.set_values(self._read(dist))

    @property
    def error(self) -> str:
        return " ".join(filter(None, (self.form.error(n) for n in self.form.params)))

    @Slot(str, object)
    def _edited(self, name: str, value: Any) -> None:
        values = self.form.values()
        values[name] = value
        try:
            dist = self._build(**values)
        except ValueError as exc:
            self.form.set_error(name, _sentence(str(exc)))
            return
        self.form.clear_error()
        for key, v in values.items():
            self.form.accept(key, v)
        self.distribution_changed.emit(dist)


def gaussian_editor() -> FormEditor:
    return FormEditor([Param("mean", "Mean μ", 170.0), Param("std", "Std. dev. σ", 10.0)],
                      lambda mean, std: sm.Gaussian(mean, std), lambda d: {"mean": d.mean, "std": d.std})


def uniform_editor() -> FormEditor:
    return FormEditor([Param("low", "Lower bound a", 0.0), Param("high", "Upper bound b", 1.0)],
                      lambda low, high: sm.Uniform(low, high), lambda d: {"low": d.low, "high": d.high})


def exponential_editor() -> FormEditor:
    return FormEditor([Param("rate", "Rate λ", 1.0)], lambda rate: sm.Exponential(rate), lambda d: {"rate": d.rate})


def beta_editor() -> FormEditor:
    return FormEditor([Param("a", "Shape a", 2.0), Param("b", "Shape b", 5.0)],
                      lambda a, b: sm.Beta(a, b), lambda d: {"a": d.a, "b": d.b})


class DrawnEditor(DistributionEditor):
    """The density is drawn on the plot; this editor only explains how and offers a fresh start."""

    flatten_requested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        hint = QLabel("Drag across the top plot to draw a density. It is made piecewise linear and rescaled so "
                      "that its area is 1.")
        hint.setWordWrap(True)
        self.flatten_button = QPushButton("Start from a flat density")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(hint)
        layout.addWidget(self.flatten_button)
        self.flatten_button.clicked.connect(self.flatten_requested)

    def load(self, dist: Any) -> None:
        pass

    @property
    def error(self) -> str:
        return ""


def editor_for(dist: Any) -> str:
    """Which editor shows ``dist``."""
    return {sm.Categorical: "categorical", sm.Gaussian: "gaussian", sm.Uniform: "uniform",
            sm.Exponential: "exponential", sm.Beta: "beta", sm.Mixture: "mixture",
            sm.DrawnDensity: "drawn"}[type(dist)]


EDITOR_FACTORIES: dict[str, Callable[[], DistributionEditor]] = {
    "categorical": categorical_editor, "gaussian": gaussian_editor, "uniform": uniform_editor,
    "exponential": exponential_editor, "beta": beta_editor, "mixture": mixture_editor, "drawn": DrawnEditor,
}


def _sentence(message: str) -> str:
    # Capitalise plain words only: "σ must be > 0" must not become "Σ must be > 0".
    head = message[:1].upper() if message[:1].isascii() else message[:1]
    return head + message[1:] + ("" if message.endswith((".", "!", "?")) else ".")

