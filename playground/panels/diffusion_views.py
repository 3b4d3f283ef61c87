"""Pieces of the diffusion panel that only draw: point clouds in one colour, arrows of the score field, particle
trails, the flow heatmaps and the strip of DDIM runs with fewer and fewer steps."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QWidget

from playground.models.diffusion import MarginalHeatmap, StepsQuality
from playground.theme import Theme
from playground.widgets.plots import ThemedPlot, color
from playground.widgets.point_cloud import ColouredPoints

#: Barbs of an arrow head: this far back from the tip (as a share of the arrow) and this many degrees off the shaft.
HEAD_SHARE, HEAD_ANGLE = 0.35, 28.0
#: Arrows longer than this many times the 90th-percentile length are cut back to it (a few huge ones near the
#: data at small t would otherwise hide the rest).
LONGEST = 1.4


def rgb_of(hex_color: str) -> np.ndarray:
    c = color(hex_color)
    return np.array([c.red(), c.green(), c.blue()], dtype=np.uint8)


def show_cloud(item: ColouredPoints, points: np.ndarray | None, hex_color: str) -> None:
    """All of ``points`` (N, 2) in one colour (None or empty: nothing)."""
    if points is None or not len(points):
        item.setData(np.empty(0), np.empty(0), np.empty((0, 3)))
        return
    item.setData(points[:, 0], points[:, 1], np.broadcast_to(rgb_of(hex_color), (len(points), 3)))


def data_box(data: np.ndarray, margin: float = 0.15) -> np.ndarray:
    """(2, 2): the data's bounding box widened by ``margin`` of its size — where good samples land."""
    low, high = data.min(axis=0), data.max(axis=0)
    pad = margin * np.maximum(high - low, 1e-6)
    return np.stack([low - pad, high + pad])


def _hide_axes(plot: ThemedPlot) -> None:
    """Small multiples need no axes (set_labels and apply_theme show them again, so call it after those)."""
    plot.plot_item.hideAxis("left")
    plot.plot_item.hideAxis("bottom")


def arrow_segments(origins: np.ndarray, vectors: np.ndarray, length: float) -> tuple[np.ndarray, np.ndarray]:
    """x and y for one ``connect="pairs"`` item: a shaft and two barbs per arrow (6 points each).

    Arrows keep their directions and relative lengths; the 90th-percentile one is ``length`` long."""
    magnitude = np.hypot(vectors[:, 0], vectors[:, 1])                         # (M,)
    finite = np.isfinite(magnitude) & (magnitude > 0)
    origins, vectors, magnitude = origins[finite], vectors[finite], magnitude[finite]
    if not len(origins):
        return np.empty(0), np.empty(0)
    reference = float(np.percentile(magnitude, 90)) or 1.0
    shown = np.minimum(magnitude / reference, LONGEST) * length                  # (M,) drawn lengths
    unit = vectors / magnitude[:, None]
    tips = origins + unit * shown[:, None]
    segments = [origins, tips]
    for sign in (1, -1):
        a = math.radians(sign * HEAD_ANGLE)
        rotated = np.column_stack([unit[:, 0] * math.cos(a) - unit[:, 1] * math.sin(a),
                                   unit[:, 0] * math.sin(a) + unit[:, 1] * math.cos(a)])
        segments += [tips, tips - rotated * (HEAD_SHARE * shown)[:, None]]
    xy = np.stack(segments, axis=1).reshape(-1, 2)                               # (6M, 2)
    return xy[:, 0], xy[:, 1]


def trail_paths(trajectory: np.ndarray, index: np.ndarray, upto: int) -> tuple[np.ndarray, np.ndarray]:
    """The paths of particles ``index`` over frames 0 … upto, one polyline each, NaN between them."""
    paths = trajectory[: upto + 1, index, :2].transpose(1, 0, 2)                 # (n_trails, frames, 2)
    gap = np.full((len(index), 1, 2), np.nan)
    xy = np.concatenate([paths, gap], axis=1).reshape(-1, 2)
    return xy[:, 0], xy[:, 1]


def density_lut(theme: Theme) -> np.ndarray:
    """Background → the first series colour → the foreground: zero density is invisible, peaks stand out."""
    stops = np.array([rgb_of(theme.background), rgb_of(theme.color(0)), rgb_of(theme.foreground)], dtype=float)
    f = np.linspace(0, 2, 256)
    low = np.minimum(f.astype(int), 1)
    frac = (f - low)[:, None]
    return np.clip(stops[low] + frac * (stops[low + 1] - stops[low]), 0, 255).astype(np.uint8)


class FlowView(QWidget):
    """Two heatmaps of one coordinate's density over time: the forward process (data → noise, exact) and the reverse
    process (noise → data, particles of a DDPM run), each read left to right in its own direction of time."""

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme
        self.forward_plot = ThemedPlot(theme, title="Forward: data → noise", x_label="t", y_label="x₁")
        self.reverse_plot = ThemedPlot(theme, title="Reverse: noise → data", x_label="t (T → 0)", y_label="x₁")
        self.reverse_plot.plot_item.invertX(True)   # generation runs from t = T on the left to t = 0 on the right
        self.images = []
        for plot in (self.forward_plot, self.reverse_plot):
            plot.setMouseEnabled(False, False)
            image = pg.ImageItem()
            plot.addItem(image)
            self.images.append(image)
        self.reverse_plot.setYLink(self.forward_plot)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.forward_plot)
        layout.addWidget(self.reverse_plot)
        self.heatmap: MarginalHeatmap | None = None

    def show_heatmap(self, heatmap: MarginalHeatmap | None) -> None:
        self.heatmap = heatmap
        for image in self.images:
            image.setVisible(heatmap is not None)
        if heatmap is None:
            return
        # Levels to the 99th percentile of both maps: the sharp data at t = 0 would otherwise wash out the rest.
        top = float(np.percentile(np.concatenate([heatmap.forward.ravel(), heatmap.reverse.ravel()]), 99)) or 1.0
        T = heatmap.forward.shape[0] - 1
        lo, hi = float(heatmap.edges[0]), float(heatmap.edges[-1])
        for image, density in zip(self.images, (heatmap.forward, heatmap.reverse)):
            image.setImage(density.astype(np.float32), levels=(0.0, top), lut=density_lut(self.theme))
            image.setRect(QRectF(-0.5, lo, T + 1, hi - lo))     # rows are t = 0 … T, columns the bins
        for plot in (self.forward_plot, self.reverse_plot):
            plot.setXRange(-0.5, T + 0.5, padding=0)
            plot.setYRange(lo, hi, padding=0)

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        for plot in (self.forward_plot, self.reverse_plot):
            plot.apply_theme(theme)
        self.show_heatmap(self.heatmap)


class StepsStrip(QWidget):
    """One small plot per DDIM step count, the samples over the data, with distance and time written below."""

    def __init__(self, theme: Theme, n_slots: int = 5, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme
        self.plots: list[ThemedPlot] = []
        self.data_items: list[ColouredPoints] = []
        self.sample_items: list[ColouredPoints] = []
        self.labels: list[QLabel] = []
        self.data: np.ndarray | None = None
        self.rows: list[StepsQuality | None] = [None] * n_slots
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(4)
        for i in range(n_slots):
            plot = ThemedPlot(theme, title="")
            plot.setMouseEnabled(False, False)
            _hide_axes(plot)
            plot.plot_item.setAspectLocked(True)
            plot.setMinimumSize(60, 60)
            data = plot.styled(ColouredPoints(alpha=70), lambda item, t: item.set_size(t.marker * 0.6))
            samples = plot.styled(ColouredPoints(alpha=200), lambda item, t: item.set_size(t.marker * 0.6))
            label = QLabel("")
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            label.setObjectName("Readout")
            grid.addWidget(plot, 0, i)
            grid.addWidget(label, 1, i)
            grid.setColumnStretch(i, 1)
            self.plots.append(plot)
            self.data_items.append(data)
            self.sample_items.append(samples)
            self.labels.append(label)
        grid.setRowStretch(0, 1)

    def set_data(self, data: np.ndarray) -> None:
        self.data = data
        box = data_box(data)
        for plot, item in zip(self.plots, self.data_items):
            show_cloud(item, data, self.theme.muted)
            plot.setRange(xRange=box[:, 0], yRange=box[:, 1], padding=0)

    def clear(self, counts: list[int]) -> None:
        """Empty slots titled with the step counts about to run."""
        self.rows = [None] * len(self.plots)
        for i, plot in enumerate(self.plots):
            plot.set_labels(title=f"{counts[i]} steps" if i < len(counts) else "")
            _hide_axes(plot)
            show_cloud(self.sample_items[i], None, self.theme.color(1))
            self.labels[i].setText("…" if i < len(counts) else "")

    def show_row(self, i: int, row: StepsQuality) -> None:
        if i >= len(self.plots):
            return
        self.rows[i] = row
        self.plots[i].set_labels(title=f"{row.steps} steps")
        _hide_axes(self.plots[i])
        show_cloud(self.sample_items[i], row.samples, self.theme.color(1))
        milliseconds = 1000 * row.seconds
        self.labels[i].setText(f"<b>{row.energy_distance:.3f}</b><br>{milliseconds:,.0f} ms")

    @property
    def filled(self) -> int:
        return sum(row is not None for row in self.rows)

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        for plot in self.plots:
            plot.apply_theme(theme)
            _hide_axes(plot)
        for item in self.data_items:
            if self.data is not None:
                show_cloud(item, self.data, theme.muted)
        for i, row in enumerate(self.rows):
            if row is not None:
                show_cloud(self.sample_items[i], row.samples, theme.color(1))
