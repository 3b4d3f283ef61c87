"""Pieces of the Compare panel that only draw or listen: the four family plots (2 × 2, or a row of four when the
space is wide), the table of measures, the curve of distance against training time, and spraying points with the
mouse (the diffusion panel's gesture, on any of several plots)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.models.compare import CompareSnapshot
from playground.panels.diffusion import DRAW_DEBOUNCE_MS, SPRAY_PER_EVENT, SPRAY_RADIUS_PX
from playground.panels.diffusion_views import _hide_axes, show_cloud
from playground.theme import Theme
from playground.widgets.plots import ThemedPlot, log_ticks, pen
from playground.widgets.point_cloud import ColouredPoints

#: What each column of the table shows, and what it means (the header's tooltip).
COLUMNS = (
    ("Distance ↓", "Energy distance between the samples and the data (lower is better). Fresh data scores about "
                   "the value in the last row, never 0: two samples of one distribution differ."),
    ("Precision ↑", "Quality: the share of samples that land where the data is (inside the k-nearest-neighbour "
                    "balls around the data points, k = 3)."),
    ("Recall ↑", "Coverage: the share of data points near some sample (inside the samples' k-NN balls). A model "
                 "that drops part of the data (mode collapse) scores low."),
    ("Training", "CPU time spent training so far (this machine, the worker thread)."),
    ("Sampling", "CPU time to draw the samples shown: one network pass for the GAN and the VAE, T = 100 for "
                 "diffusion."),
)
#: Pixels between the plots, the table and the progress plot.
SPACING = 4
#: The best value of a column is bold: lower is better for distance and times, higher for precision and recall.
HIGHER_IS_BETTER = (False, True, True, False, False)


def family_title(name: str, colour: str) -> str:
    return f"<span style='color:{colour}'>●</span> {name}"


class FamilyPlot(ThemedPlot):
    """One family's samples (in its colour) over the data (faint), plus the points being drawn."""

    def __init__(self, theme: Theme, family: str, index: int) -> None:
        super().__init__(theme, title=family_title(family, theme.color(index)))
        self.family, self.index = family, index
        self.setMouseEnabled(False, False)
        self.plot_item.setAspectLocked(True)
        self.setMinimumSize(110, 110)
        _hide_axes(self)
        marker = lambda share: (lambda item, t: item.set_size(t.marker * share))  # noqa: E731
        self.data = self.styled(ColouredPoints(alpha=70), marker(0.6))
        self.samples = self.styled(ColouredPoints(alpha=210), marker(0.7))
        self.drawing = self.styled(ColouredPoints(alpha=230), marker(0.8))

    def apply_theme(self, theme: Theme) -> None:
        super().apply_theme(theme)
        if hasattr(self, "family"):                    # ThemedPlot.__init__ applies the theme before we are named
            self.set_labels(title=family_title(self.family, theme.color(self.index)))
        _hide_axes(self)


class FamilyGrid(QWidget):
    """The four family plots, 2 × 2 or in one row (the owner decides: see ComparePlots)."""

    def __init__(self, plots: list[FamilyPlot], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plots = plots
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(4)
        self.in_a_row: bool | None = None
        self.arrange(False)

    def arrange(self, in_a_row: bool) -> None:
        if in_a_row == self.in_a_row:
            return
        self.in_a_row = in_a_row
        for plot in self.plots:
            self.grid.removeWidget(plot)
        for i, plot in enumerate(self.plots):
            row, column = (0, i) if in_a_row else divmod(i, 2)
            self.grid.addWidget(plot, row, column)
        for i in range(4):
            self.grid.setColumnStretch(i, 1 if in_a_row or i < 2 else 0)
            self.grid.setRowStretch(i, 1 if (i == 0 or not in_a_row and i < 2) else 0)


class ComparePlots(QWidget):
    """The family plots on top; the table and the progress plot below.

    The family plots are square (equal axes), so they go 2 × 2 or in a row — whichever makes each one larger — and
    take only the height that needs. The table keeps its natural size. The progress plot is a supplement: beside the
    table if there is width to spare, else under it if the row of plots left height to spare, else hidden."""

    def __init__(self, grid: FamilyGrid, table: "MeasuresTable", progress: ThemedPlot, theme: Theme,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid, self.table, self.progress, self.theme = grid, table, progress, theme
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(SPACING)
        layout.addWidget(grid)
        self.below = QGridLayout()
        self.below.setSpacing(SPACING)
        self.below.addWidget(table, 0, 0, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(self.below, 1)
        self.progress_place: str | None = None

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.relayout()

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.relayout()

    def relayout(self) -> None:
        width, height, font = self.width(), self.height(), self.theme.font_size
        title = 2.6 * font                                          # a plot title's height in pixels, about
        room = height - self.table.maximumHeight() - SPACING        # what the family plots may take
        side_in_a_row = min(width / 4, room - title)
        side_in_a_square = min(width / 2, room / 2 - title)
        in_a_row = side_in_a_row > side_in_a_square
        self.grid.arrange(in_a_row)
        grid_height = max(int(min(room, side_in_a_row + title if in_a_row else room)), 60)
        self.grid.setFixedHeight(grid_height)
        spare_width = width - self.table.minimumWidth() - SPACING
        spare_height = room - grid_height - SPACING
        place = "beside" if spare_width >= 15 * font else "under" if spare_height >= 9 * font else "hidden"
        self._place_progress(place)

    def _place_progress(self, place: str) -> None:
        if place == self.progress_place:
            return
        self.progress_place = place
        self.below.removeWidget(self.progress)
        self.progress.setVisible(place != "hidden")
        for i in range(2):
            self.below.setRowStretch(i, 0)
            self.below.setColumnStretch(i, 0)
        if place == "beside":
            self.below.addWidget(self.progress, 0, 1)
            self.below.setColumnStretch(1, 1)
            self.below.setRowStretch(0, 1)
        elif place == "under":
            self.below.addWidget(self.progress, 1, 0)
            self.below.setRowStretch(1, 1)
            self.below.setColumnStretch(0, 1)


class MeasuresTable(QTableWidget):
    """One row per family and one for fresh data (the ideal); the best value of each column in bold. The first
    column names the row with the family's colour dot (a label: a table item cannot colour part of its text)."""

    def __init__(self, families: tuple[str, ...], theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(len(families) + 1, len(COLUMNS) + 1, parent)
        self.families, self.theme = families, theme
        self.setHorizontalHeaderItem(0, QTableWidgetItem(""))
        for column, (title, meaning) in enumerate(COLUMNS, start=1):
            header = QTableWidgetItem(title)
            header.setToolTip(meaning)
            self.setHorizontalHeaderItem(column, header)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.names: list[QLabel] = []
        for row in range(self.rowCount()):
            name = QLabel()
            name.setTextFormat(Qt.TextFormat.RichText)
            name.setContentsMargins(6, 0, 8, 0)
            self.setCellWidget(row, 0, name)
            self.names.append(name)
            for column in range(1, self.columnCount()):
                item = QTableWidgetItem("—")
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.setItem(row, column, item)
        self._texts: list[list[str]] = []
        self.apply_theme(theme)

    def cell_text(self, row: int, column: int) -> str:
        """The text under COLUMNS[column] in ``row`` (rows follow the families, then fresh data)."""
        return self.item(row, column + 1).text()

    def show_snapshot(self, snap: CompareSnapshot) -> None:
        n = len(self.families)
        values = np.column_stack([snap.energy, snap.precision, snap.recall, snap.train_seconds,
                                  snap.sample_seconds])                                  # (4, 5)
        texts = [[f"{e:.2f}", f"{p:.2f}", f"{r:.2f}", _seconds(t), _seconds(s)] for e, p, r, t, s in values]
        energy, precision, recall = snap.ideal
        texts.append([f"{energy:.2f}", f"{precision:.2f}", f"{recall:.2f}", "", ""])
        if texts == self._texts:
            return
        self._texts = texts
        best = [np.nanargmax(col) if higher else np.nanargmin(col) for col, higher in zip(values.T, HIGHER_IS_BETTER)]
        for row, row_texts in enumerate(texts):
            for column, text in enumerate(row_texts):
                item = self.item(row, column + 1)
                item.setText(text)
                font = item.font()
                font.setBold(bool(row < n and best[column] == row))
                item.setFont(font)
        self.fit_to_contents()

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        font = QFont()
        font.setPointSizeF(theme.font_size)
        self.setFont(font)
        self.horizontalHeader().setFont(font)
        for row, name in enumerate([*self.families, "Fresh data"]):
            dot = theme.color(row) if row < len(self.families) else theme.muted
            self.names[row].setText(f"<span style='color:{dot}'>●</span>&nbsp;{name}")
            self.names[row].setFont(font)
            for column in range(1, self.columnCount()):
                self.item(row, column).setFont(font)
        self._texts = []                                   # bold fonts are set again on the next snapshot
        self.fit_to_contents()

    def fit_to_contents(self) -> None:
        """Never clip a number or a header: as wide and as tall as the contents at the current font size."""
        self.resizeColumnsToContents()
        self.resizeRowsToContents()
        frame = 2 * self.frameWidth()
        self.setMinimumWidth(sum(self.columnWidth(c) for c in range(self.columnCount())) + frame)
        self.setMaximumHeight(self.horizontalHeader().sizeHint().height()
                              + sum(self.rowHeight(r) for r in range(self.rowCount())) + frame)

    def sizeHint(self):
        hint = super().sizeHint()
        hint.setHeight(self.maximumHeight())
        return hint


def _seconds(seconds: float) -> str:
    """A CPU time the way a person reads it: ms below a second."""
    if not np.isfinite(seconds):
        return "—"
    return f"{seconds:.1f} s" if seconds >= 1 else f"{1000 * seconds:.1f} ms" if seconds < 0.01 else \
        f"{1000 * seconds:.0f} ms"


class ProgressPlot(ThemedPlot):
    """Distance to the data against training CPU time, one curve per family (both axes logarithmic: the GMM is done
    in milliseconds, the networks take seconds)."""

    def __init__(self, theme: Theme, families: tuple[str, ...]) -> None:
        super().__init__(theme, title="", x_label="training time (CPU s)", y_label="distance ↓")
        self.setMouseEnabled(False, False)
        self.setLogMode(True, True)
        self.curves = [self.styled(pg.PlotDataItem(), lambda item, t, i=i: (
            item.setPen(pen(t, t.color(i), width=1.2)), item.setSymbol("o"), item.setSymbolSize(t.marker * 0.7),
            item.setSymbolBrush(pg.mkBrush(t.color(i))), item.setSymbolPen(None))) for i in range(len(families))]
        self.ideal = self.styled(pg.InfiniteLine(angle=0), lambda item, t: item.setPen(
            pen(t, t.muted, width=0.9, dashed=True)))
        self._key: tuple | None = None

    def show_snapshot(self, snap: CompareSnapshot) -> None:
        key = (len(snap.history_steps), snap.history_steps[-1] if len(snap.history_steps) else -1, snap.ideal)
        if key == self._key:
            return
        self._key = key
        xs, ys = [], [snap.ideal[0]]
        for i, curve in enumerate(self.curves):
            seconds, energy = snap.train_seconds_history[:, i], snap.energy_history[:, i]
            shown = (seconds > 0) & np.isfinite(energy) & (energy > 0)     # step 0 has no training time yet
            curve.setData(seconds[shown], energy[shown])
            xs += seconds[shown].tolist()
            ys += energy[shown].tolist()
        self.ideal.setPos(np.log10(max(snap.ideal[0], 1e-6)))
        # Labels at powers of ten only (log axes crowd their minor labels), over whole decades.
        for axis, values in (("bottom", xs or [1e-3, 1.0]), ("left", ys)):
            low, high = _decades(values)
            self.plot_item.getAxis(axis).setTicks(log_ticks(low, high))
            (self.setXRange if axis == "bottom" else self.setYRange)(low, high, padding=0.02)

    def forget(self) -> None:
        self._key = None


def _decades(values: list[float]) -> tuple[int, int]:
    """The whole powers of ten around positive ``values``: (floor of the smallest, ceiling of the largest)."""
    logs = np.log10(np.asarray(values, dtype=float))
    low, high = int(np.floor(logs.min())), int(np.ceil(logs.max()))
    return low, max(high, low + 1)


class SprayCanvas(QObject):
    """Spray points with the mouse on any of ``plots``, as on the diffusion panel: pressing or dragging the left
    button adds a puff of SPRAY_PER_EVENT points about SPRAY_RADIUS_PX pixels across; ``drawn`` carries all the
    points once the mouse has been released for DRAW_DEBOUNCE_MS (a new stroke within that waits for its own end)."""

    sprayed = Signal()
    drawn = Signal(object)

    def __init__(self, plots: list[ThemedPlot], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.plots = {plot.viewport(): plot for plot in plots}
        self.enabled = False
        self.points = np.empty((0, 2))
        self.rng = np.random.default_rng(0)
        self.timer = QTimer(self, singleShot=True, interval=DRAW_DEBOUNCE_MS)
        self.timer.timeout.connect(lambda: self.drawn.emit(self.points.copy()))
        for viewport in self.plots:
            viewport.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        plot = self.plots.get(watched)
        if plot is None or not self.enabled:
            return False
        kind = event.type()
        if kind == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
            self.timer.start()
            return True
        pressed = kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton
        dragged = kind == QEvent.Type.MouseMove and event.buttons() & Qt.MouseButton.LeftButton
        if not (pressed or dragged):
            return False
        self.timer.stop()
        vb = plot.plot_item.vb
        point = vb.mapSceneToView(plot.mapToScene(event.position().toPoint()))
        self.spray(plot, point.x(), point.y())
        return True

    def spray(self, plot: ThemedPlot, x: float, y: float) -> None:
        """A puff of points around (x, y) in ``plot``'s data units."""
        px, py = plot.plot_item.vb.viewPixelSize()
        puff = np.array([x, y]) + self.rng.normal(0.0, 1.0, (SPRAY_PER_EVENT, 2)) * \
            (SPRAY_RADIUS_PX * np.array([px, py]) / 2)
        self.points = np.concatenate([self.points, puff])
        self.sprayed.emit()

    def clear(self) -> None:
        self.timer.stop()
        self.points = np.empty((0, 2))
        self.sprayed.emit()

    def show_on(self, items: list[ColouredPoints], colour: str) -> None:
        for item in items:
            show_cloud(item, self.points if self.enabled else None, colour)
