"""The VAE panel's views: the latent map, pictures of images (grid, strips, preview), and the five tabs below them
(interpolation, arithmetic, losses, samples, AE vs VAE).

Each view is built once and redrawn from a :class:`VAESnapshot` (or from images the panel decoded itself); the tabs
own their controls, and the panel connects them and keeps the state (which images, which α). Images
are float32 pixels in [0, 1], ink bright on black, always drawn with fixed levels (0, 1) so a faint decode looks
faint instead of being stretched to full contrast.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from playground.models.vae import SampleQuality, VAESnapshot
from playground.theme import Theme
from playground.widgets.layout import rich_label
from playground.widgets.plots import ThemedPlot, brush, color, pen
from playground.widgets.point_cloud import ColouredPoints

#: Ten categories told apart at a glance (Tableau 10): digits 0–9, sprite shapes, a folder's sub-folders.
CATEGORY_COLOURS = ("#4E79A7", "#F28E2B", "#E15759", "#76B7B2", "#59A14F", "#EDC948", "#B07AA1", "#FF9DA7",
                    "#9C755F", "#7F7F7F")
#: Posterior ellipses drawn at most (each one is 24 vertices; all of them are one polyline with NaN breaks).
MAX_ELLIPSES = 150
ELLIPSE_VERTICES = 24
#: Class names written on the map at the middle of their codes, for at most this many classes.
MAX_CLASS_LABELS = 12
PAD_VALUE = 0.35   # the grey between the images of a strip


def category_colour(i: int) -> str:
    return CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)]


def code_colours(snap: VAESnapshot, colour_by: str) -> np.ndarray:
    """(N, 3) 0–255 colours of the shown codes: by class, or a factor on the viridis scale (low purple, high
    yellow)."""
    if colour_by in snap.factors:
        values = np.asarray(snap.factors[colour_by], dtype=float)
        lo, hi = np.percentile(values, [2, 98]) if len(values) else (0.0, 1.0)
        scaled = np.clip((values - lo) / max(hi - lo, 1e-12), 0, 1)
        return pg.colormap.get("viridis").map(scaled, mode="byte")[:, :3]
    palette = np.array([color(category_colour(k)).getRgb()[:3] for k in range(len(CATEGORY_COLOURS))])
    return palette[np.asarray(snap.labels) % len(CATEGORY_COLOURS)]


def ink_on(hex_color: str) -> str:
    """Black or white, whichever reads better on a fill of ``hex_color``."""
    c = color(hex_color)
    return "#000000" if 0.299 * c.red() + 0.587 * c.green() + 0.114 * c.blue() > 140 else "#ffffff"


def image_grid(images: np.ndarray, side: int, n_cols: int, *, pad: int = 1) -> np.ndarray:
    """(N, side·side) images → one (H, W) float32 picture, ``n_cols`` to a row, ``pad`` grey pixels between
    them. Vectorised: a 15 × 15 manifold is one reshape, not 225 copies."""
    images = np.asarray(images, dtype=np.float32).reshape(len(images), side, side)
    n_rows = -(-len(images) // n_cols)
    missing = n_rows * n_cols - len(images)
    if missing:
        images = np.concatenate([images, np.full((missing, side, side), PAD_VALUE, np.float32)])
    cell = side + pad
    cells = np.full((n_rows, cell, n_cols, cell), PAD_VALUE, np.float32)
    cells[:, pad:, :, pad:] = images.reshape(n_rows, n_cols, side, side).transpose(0, 2, 1, 3)
    picture = cells.reshape(n_rows * cell, n_cols * cell)
    return np.pad(picture, ((0, pad), (0, pad)), constant_values=PAD_VALUE) if pad else picture


def cell_centres(count: int, side: int, pad: int = 1) -> np.ndarray:
    """Pixel coordinates of the middle of each of ``count`` cells along a picture made by :func:`image_grid`."""
    return pad + np.arange(count) * (side + pad) + side / 2


def image_item() -> pg.ImageItem:
    item = pg.ImageItem(axisOrder="row-major")
    item.setAutoDownsample(False)
    return item


def show_image(item: pg.ImageItem, picture: np.ndarray) -> None:
    item.setImage(np.ascontiguousarray(picture, dtype=np.float32), levels=(0.0, 1.0), autoLevels=False)


def bold_font(theme: Theme, factor: float = 1.0) -> QFont:
    font = QFont()
    font.setPointSizeF(theme.font_size * factor)
    font.setBold(True)
    return font


# ---------------------------------------------------------------------------------------------------------------

class CodeMap(ThemedPlot):
    """Held-out images as points at their codes μ(x) (first two latent coordinates), coloured by class or factor;
    in VAE mode each posterior N(μ, σ²) as a faint 1σ ellipse, against the prior's 1σ and 2σ circles."""

    def __init__(self, theme: Theme, *, title: str = "", parent=None) -> None:
        super().__init__(theme, title=title, x_label="z₁", y_label="z₂", parent=parent)
        self.setMouseEnabled(False, False)
        self.plot_item.setAspectLocked(True)
        self.extent = 0.0
        circle = np.linspace(0, 2 * np.pi, 97)
        self._rings = (np.concatenate([np.cos(circle), [np.nan], 2 * np.cos(circle)]),
                       np.concatenate([np.sin(circle), [np.nan], 2 * np.sin(circle)]))
        self.prior = self.styled(pg.PlotDataItem(connect="finite"), lambda i, t: i.setPen(
            pen(t, t.foreground, width=0.9, dashed=True, alpha=0.8)))
        self.prior.setData(*self._rings)
        self.ring_labels = [pg.TextItem(text, anchor=(0.5, 1.0)) for text in ("1σ", "2σ")]
        for label, radius in zip(self.ring_labels, (1, 2)):
            label.setPos(0, radius)
            self.addItem(label)
        self.ellipses = self.styled(pg.PlotDataItem(connect="finite"), lambda i, t: i.setPen(
            pen(t, t.muted, width=0.35, alpha=0.3)))
        self.points = self.styled(ColouredPoints(), lambda i, t: i.set_size(t.marker * 1.05))
        self.class_labels: list[pg.TextItem] = []
        for _ in range(MAX_CLASS_LABELS):
            label = pg.TextItem(anchor=(0.5, 0.5))
            self.addItem(label)
            self.class_labels.append(label)
        self._style_texts(theme)

    def apply_theme(self, theme: Theme) -> None:
        super().apply_theme(theme)
        if hasattr(self, "ring_labels"):
            self._style_texts(theme)

    def _style_texts(self, theme: Theme) -> None:
        for label in self.ring_labels:
            label.setColor(theme.foreground)
            label.setFont(bold_font(theme, 0.85))
        for label in self.class_labels:
            label.setFont(bold_font(theme, 1.15))
            label.setZValue(10)

    def show_codes(self, snap: VAESnapshot, colour_by: str, *, ellipses: bool = True, prior: bool | None = None,
                   extent: float | None = None) -> None:
        """Draw the codes. The prior's circles show in VAE mode unless ``prior`` says otherwise; ``extent`` fixes
        the half-width of the view (to compare two maps at one scale) instead of following the codes."""
        mu = snap.latent_means.astype(np.float64)
        x, y = mu[:, 0], (mu[:, 1] if snap.latent_dim > 1 else np.zeros(len(mu)))
        self.points.setData(x, y, code_colours(snap, colour_by))
        vae = snap.mode == "vae"
        for item in (self.prior, *self.ring_labels):
            item.setVisible(vae if prior is None else prior)
        self.ellipses.setVisible(vae and ellipses)
        if vae and ellipses:
            self.ellipses.setData(*self._ellipse_outlines(snap))
        self._show_class_labels(snap, x, y, colour_by)
        if extent is None:
            self._fit_range(snap)
        else:
            self.extent = extent
            self.setRange(xRange=(-extent, extent), yRange=(-extent, extent), padding=0)

    @staticmethod
    def _ellipse_outlines(snap: VAESnapshot) -> tuple[np.ndarray, np.ndarray]:
        """1σ outlines of up to MAX_ELLIPSES posteriors, one polyline broken by NaNs."""
        chosen = np.linspace(0, len(snap.latent_means) - 1, min(MAX_ELLIPSES, len(snap.latent_means))).astype(int)
        mu = snap.latent_means[chosen].astype(np.float64)
        sigma = np.exp(0.5 * np.clip(snap.latent_logvars[chosen].astype(np.float64), -30, 10))
        if snap.latent_dim == 1:
            mu, sigma = np.column_stack([mu, np.zeros(len(mu))]), np.column_stack([sigma, np.zeros(len(mu))])
        angle = np.linspace(0, 2 * np.pi, ELLIPSE_VERTICES)
        xs = mu[:, :1] + sigma[:, :1] * np.cos(angle)                         # (E, V)
        ys = mu[:, 1:2] + sigma[:, 1:2] * np.sin(angle)
        gap = np.full((len(mu), 1), np.nan)
        return np.hstack([xs, gap]).ravel(), np.hstack([ys, gap]).ravel()

    def _show_class_labels(self, snap: VAESnapshot, x: np.ndarray, y: np.ndarray, colour_by: str) -> None:
        names = snap.label_names
        show = colour_by not in snap.factors and 1 < len(names) <= MAX_CLASS_LABELS
        for k, label in enumerate(self.class_labels):
            members = np.asarray(snap.labels) == k if show and k < len(names) else None
            if members is None or not members.any():
                label.setVisible(False)
                continue
            label.setText(names[k])
            label.setColor(ink_on(category_colour(k)))
            label.fill = brush(category_colour(k), 0.92)
            label.setPos(float(np.median(x[members])), float(np.median(y[members])))
            label.setVisible(True)

    @staticmethod
    def wanted_extent(snap: VAESnapshot) -> float:
        """Half-width of a square view that holds nearly all codes (and, for a VAE, the prior's 3σ)."""
        spread = np.abs(snap.latent_means[:, :2].astype(np.float64)).ravel()
        spread = spread[np.isfinite(spread)]
        return max(3.3 if snap.mode == "vae" else 1.0,
                   1.15 * float(np.percentile(spread, 99.5)) if len(spread) else 0.0)

    def _fit_range(self, snap: VAESnapshot) -> None:
        """A steady square view, changed only when the codes need a clearly different scale, so the map does not
        jitter from frame to frame."""
        wanted = self.wanted_extent(snap)
        if self.extent == 0 or not 0.75 * self.extent <= wanted <= self.extent:
            self.extent = wanted * (1.1 if self.extent else 1.0)
            self.setRange(xRange=(-self.extent, self.extent), yRange=(-self.extent, self.extent), padding=0)


# ---------------------------------------------------------------------------------------------------------------

class ImageView(ThemedPlot):
    """One picture (a single decode, a strip or a grid) with optional labels left of its rows and under its columns,
    and a vertical marker line. Pixel coordinates: x to the right, y downwards (row 0 at the top).

    The labels are text items beside the picture rather than axis ticks, so they stay next to it however the
    widget's shape leaves spare room; the view keeps exactly enough margin for them at the current font size.
    """

    def __init__(self, theme: Theme, *, title: str = "", parent=None) -> None:
        super().__init__(theme, title=title, parent=parent)
        self.setMouseEnabled(False, False)
        self.plot_item.setAspectLocked(True)
        self.plot_item.invertY(True)
        self.plot_item.hideAxis("left")
        self.plot_item.hideAxis("bottom")
        self.image = image_item()
        self.addItem(self.image)
        self.marker = self.styled(pg.PlotDataItem(), lambda i, t: i.setPen(pen(t, t.color(1), width=1.5)))
        self.marker.setVisible(False)
        self.row_texts: list[pg.TextItem] = []
        self.col_texts: list[pg.TextItem] = []
        self._rows: list[tuple[float, str]] = []
        self._cols: list[tuple[float, str]] = []
        self._shape: tuple[int, int] | None = None
        # The view box learns its new size after the widget's resize event: fit when it does.
        self.plot_item.vb.sigResized.connect(lambda _: self._fit())

    def apply_theme(self, theme: Theme) -> None:
        super().apply_theme(theme)
        self.plot_item.showGrid(x=False, y=False)
        for text in (*getattr(self, "row_texts", ()), *getattr(self, "col_texts", ())):
            text.setColor(theme.foreground)
            text.setFont(self._label_font())
        if getattr(self, "_shape", None) is not None:
            self._fit()

    def _label_font(self) -> QFont:
        font = QFont()
        font.setPointSizeF(self.theme.font_size * 0.95)
        return font

    def _apply_labels(self) -> None:
        super()._apply_labels()
        if not self._title:
            self.plot_item.setTitle(None)   # an empty title would still take a 30-pixel row

    def set_axis_labels(self, rows: list[tuple[float, str]] | None = None,
                        cols: list[tuple[float, str]] | None = None) -> None:
        """Row labels as (y of the row's middle, text), column labels as (x of the column's middle, text)."""
        rows, cols = list(rows or []), list(cols or [])
        if rows == self._rows and cols == self._cols:
            return
        self._rows, self._cols = rows, cols
        for texts, wanted, anchor in ((self.row_texts, rows, (1.0, 0.5)), (self.col_texts, cols, (0.5, 0.0))):
            while len(texts) < len(wanted):
                text = pg.TextItem(anchor=anchor, color=self.theme.foreground)
                text.setFont(self._label_font())
                self.addItem(text)
                texts.append(text)
            for i, text in enumerate(texts):
                text.setVisible(i < len(wanted))
                if i < len(wanted):
                    text.setText(wanted[i][1])
        self._fit()

    def show_picture(self, picture: np.ndarray) -> None:
        show_image(self.image, picture)
        if picture.shape != self._shape:
            self._shape = picture.shape
            self._fit()

    def clear_picture(self) -> None:
        self.image.clear()
        self.marker.setVisible(False)

    def mark(self, x: float | None) -> None:
        """A vertical line through the picture at pixel column ``x`` (None hides it)."""
        self.marker.setVisible(x is not None and self._shape is not None)
        if x is not None and self._shape is not None:
            self.marker.setData([x, x], [-0.5, self._shape[0] + 0.5])

    def _fit(self) -> None:
        """Show the picture as large as the widget allows, with room for the labels (measured in pixels)."""
        if self._shape is None:
            return
        height, width = self._shape
        metrics = QFontMetrics(self._label_font())
        label_w = max((metrics.horizontalAdvance(t) for _, t in self._rows), default=0) + (10 if self._rows else 0)
        label_h = metrics.height() + 4 if self._cols else 0
        box = self.plot_item.vb.size()
        pad = 4.0
        scale = max(0.05, min((box.width() - label_w - 2 * pad) / width, (box.height() - label_h - 2 * pad) / height))
        margin_x, margin_y, pad_units = label_w / scale, label_h / scale, pad / scale
        for y, text in zip((r[0] for r in self._rows), self.row_texts):
            text.setPos(-3 / scale, y)
        for x, text in zip((c[0] for c in self._cols), self.col_texts):
            text.setPos(x, height + 2 / scale)
        self.plot_item.vb.setRange(xRange=(-margin_x - pad_units, width + pad_units),
                                   yRange=(-pad_units, height + margin_y + pad_units), padding=0)


class ManifoldView(ThemedPlot):
    """The decoder's output over a grid of latent points, placed at their (z₁, z₂) so it lines up with the map."""

    def __init__(self, theme: Theme, parent=None) -> None:
        super().__init__(theme, title="Decoded grid", x_label="z₁", y_label="z₂", parent=parent)
        self.setMouseEnabled(False, False)
        self.plot_item.setAspectLocked(True)
        self.image = image_item()
        self.addItem(self.image)
        self._geometry: tuple | None = None

    def show_manifold(self, snap: VAESnapshot) -> None:
        values, side = snap.manifold_values, snap.image_side
        if not side:   # images that are not square cannot be tiled
            self.image.clear()
            return
        n = len(values)
        # Rows come from the top (z₂ = +extent); the plot's y axis points up, so the picture is flipped.
        picture = snap.manifold.reshape(n, n, side, side).transpose(0, 2, 1, 3).reshape(n * side, n * side)
        show_image(self.image, picture[::-1])
        spacing = float(values[1] - values[0]) if n > 1 else 1.0
        geometry = (float(values[0]), spacing, n, side)   # setRect scales by the picture's size in pixels
        if geometry != self._geometry:
            self._geometry = geometry
            low, width = geometry[0] - spacing / 2, n * spacing
            self.image.setRect(low, low, width, width)
            self.setRange(xRange=(low, low + width), yRange=(low, low + width), padding=0)


# ---------------------------------------------------------------------------------------------------------------

class LossesTab(QWidget):
    """ELBO, reconstruction and KL per step (the training minibatch in colour, the held-out set dashed), and the KL
    of each latent dimension as bars: a dimension with KL ≈ 0 carries no information (it is 'switched off')."""

    def __init__(self, theme: Theme, parent=None) -> None:
        super().__init__(parent)
        # No axis titles: four plots share a tab, x is the step and every y is in nats per image (the caption says
        # so); the room goes to the curves, readable at presentation size.
        self.elbo_plot = ThemedPlot(theme, title="ELBO ↑")
        self.recon_plot = ThemedPlot(theme, title="Reconstruction ↓")
        self.kl_plot = ThemedPlot(theme, title="KL")
        self.bars_plot = ThemedPlot(theme, title="KL per dimension")
        self.plots = (self.elbo_plot, self.recon_plot, self.kl_plot, self.bars_plot)
        self.curves = {}
        for plot, key, k in ((self.elbo_plot, "elbo", 0), (self.recon_plot, "recon", 1), (self.kl_plot, "kl", 2)):
            self.curves[key] = plot.styled(pg.PlotDataItem(), lambda i, t, k=k: i.setPen(
                pen(t, t.color(k), width=0.8, alpha=0.8)))
            self.curves["held_" + key] = plot.styled(pg.PlotDataItem(), lambda i, t: i.setPen(
                pen(t, t.foreground, width=0.9, dashed=True)))
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7)
        self.bars_plot.styled(self.bars, lambda i, t: i.setOpts(brush=brush(t.color(2), 0.75), pen=None))
        self._n_bars = -1
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        for k, plot in enumerate(self.plots):
            plot.setMouseEnabled(False, False)
            grid.addWidget(plot, k // 2, k % 2)
        caption = rich_label("nats per image, by step · colour: training batch · dashed: held-out images",
                             name="Hint")
        grid.addWidget(caption, 2, 0, 1, 2)

    def apply_theme(self, theme: Theme) -> None:
        for plot in self.plots:
            plot.apply_theme(theme)

    def show_losses(self, snap: VAESnapshot) -> None:
        # An autoencoder trains only the reconstruction; its "KL" is that of encoder outputs nothing trains.
        unused = " (unused at β = 0)" if snap.mode == "autoencoder" else ""
        self.elbo_plot.set_labels(title="ELBO ↑" + unused)
        self.kl_plot.set_labels(title="KL" + unused)
        for key in ("elbo", "recon", "kl"):
            self.curves[key].setData(snap.loss_steps, getattr(snap, f"{key}_history"))
            self.curves["held_" + key].setData(snap.held_out_steps, getattr(snap, f"held_out_{key}_history"))
        for plot in (self.elbo_plot, self.recon_plot, self.kl_plot):
            plot.follow_curves(*plot.listDataItems())
        dims = np.arange(1, snap.latent_dim + 1)
        self.bars.setOpts(x=dims, height=snap.kl_per_dim)
        if snap.latent_dim != self._n_bars:
            self._n_bars = snap.latent_dim
            self.bars_plot.plot_item.getAxis("bottom").setTicks([[(float(d), f"z{subscript(d)}") for d in dims], []])
            self.bars_plot.setXRange(0.4, snap.latent_dim + 0.6, padding=0)
        top = float(snap.kl_per_dim.max()) if len(snap.kl_per_dim) else 1.0
        self.bars_plot.setYRange(0, max(top * 1.1, 0.5), padding=0)


class InterpolationTab(QWidget):
    """Pick two images A and B; the strip decodes points along the latent path between their codes (top) and,
    for comparison, cross-fades their pixels (bottom). α picks a point on the path for the preview."""

    def __init__(self, theme: Theme, parent=None) -> None:
        super().__init__(parent)
        self.pick_a_button, self.pick_b_button = QPushButton("Pick A"), QPushButton("Pick B")
        for button, which in ((self.pick_a_button, "A"), (self.pick_b_button, "B")):
            button.setCheckable(True)
            button.setToolTip(f"Then click a point on the latent map: that image becomes {which}")
        self.random_pair_button = QPushButton("Random pair")
        self.path_box = QComboBox()
        self.path_box.addItem("straight line", "linear")
        self.path_box.addItem("slerp (arc)", "slerp")
        self.path_box.setToolTip("straight line: (1 − α)·A + α·B · slerp: along an arc, keeping the length of z "
                                 "where the prior has its mass")
        self.alpha_slider = QSlider(Qt.Orientation.Horizontal)
        self.alpha_slider.setRange(0, 100)
        self.alpha_label = QLabel()
        self.view = ImageView(theme)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        for widget in (self.pick_a_button, self.pick_b_button, self.random_pair_button, self.path_box):
            row.addWidget(widget)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addLayout(_slider_row("α", self.alpha_slider, self.alpha_label))
        layout.addWidget(self.view, 1)

    @property
    def mode(self) -> str:
        return self.path_box.currentData()

    def show_walk(self, decoded: np.ndarray, crossfade: np.ndarray, side: int, alpha: float) -> None:
        """``decoded`` and ``crossfade``: (frames, side·side) each, A first."""
        n = len(decoded)
        self.view.show_picture(image_grid(np.concatenate([decoded, crossfade]), side, n))
        rows, cols = cell_centres(2, side), cell_centres(n, side)
        self.view.set_axis_labels(rows=[(rows[0], "decoded"), (rows[1], "cross-fade")],
                                  cols=[(cols[0], "A"), (cols[n // 2], "α = ½"), (cols[-1], "B")])
        self.view.mark(cols[0] + alpha * (cols[-1] - cols[0]))


class ArithmeticTab(QWidget):
    """this + s × (mean code of one group − mean code of another): the strip walks s from −2 to 2."""

    def __init__(self, theme: Theme, parent=None) -> None:
        super().__init__(parent)
        self.plus_box, self.minus_box = QComboBox(), QComboBox()
        for box in (self.plus_box, self.minus_box):
            box.setToolTip("A group of held-out images; the direction is the mean code of one group minus the "
                           "other's")
        self.pick_base_button = QPushButton("Pick image")
        self.pick_base_button.setCheckable(True)
        self.pick_base_button.setToolTip("Then click a point on the latent map: the image to change")
        self.strength_slider = QSlider(Qt.Orientation.Horizontal)
        self.strength_slider.setRange(-200, 200)
        self.strength_label = QLabel()
        self.view = ImageView(theme)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(self.pick_base_button)
        row.addWidget(QLabel("+ s × ("))
        row.addWidget(self.plus_box, 1)
        row.addWidget(QLabel("−"))
        row.addWidget(self.minus_box, 1)
        row.addWidget(QLabel(")"))
        layout.addLayout(row)
        layout.addLayout(_slider_row("s", self.strength_slider, self.strength_label))
        layout.addWidget(self.view, 1)

    def set_groups(self, names: list[str], plus: str, minus: str) -> None:
        for box, default in ((self.plus_box, plus), (self.minus_box, minus)):
            box.blockSignals(True)
            box.clear()
            box.addItems(names)
            box.setCurrentText(default)
            box.blockSignals(False)

    def show_walk(self, walk: np.ndarray, strengths: np.ndarray, side: int, strength: float) -> None:
        """``walk``: the decodes at ``strengths`` (S, side·side); s = 0 is the image's own code."""
        self.view.show_picture(image_grid(walk, side, len(walk)))
        cols = cell_centres(len(walk), side)
        self.view.set_axis_labels(cols=[(c, "this" if s == 0 else f"{s:+g}".replace("-", "−"))
                                        for c, s in zip(cols, strengths) if s == int(s)])
        span = strengths[-1] - strengths[0]
        self.view.mark(cols[0] + (strength - strengths[0]) / span * (cols[-1] - cols[0]))


class SamplesTab(QWidget):
    """Held-out images above their reconstructions, decodes of z ~ N(0, I) below, and a Fréchet distance."""

    def __init__(self, theme: Theme, parent=None) -> None:
        super().__init__(parent)
        self.view = ImageView(theme)
        self.quality_label = rich_label()
        self.quality_button = QPushButton("Measure now")
        self.quality_button.setToolTip("Fréchet distance between 500 prior samples and 500 held-out images, in the "
                                       "training images' 16 principal components (FID in miniature)")
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        row = QHBoxLayout()
        row.addWidget(self.quality_label, 1)
        row.addWidget(self.quality_button)
        layout.addLayout(row)

    def show_samples(self, snap: VAESnapshot) -> None:
        n_cols = len(snap.originals)
        side = snap.image_side
        rows = [snap.originals, snap.reconstructions, snap.prior_samples[:2 * n_cols]]
        self.view.show_picture(image_grid(np.concatenate(rows), side, n_cols))
        centres = cell_centres(4, side)
        self.view.set_axis_labels(rows=[(centres[0], "input"), (centres[1], "output"), (centres[2], "samples"),
                                        (centres[3], "z ~ N(0, I)")])

    def show_quality(self, step: int | None, quality: SampleQuality | None) -> None:
        if quality is None:
            self.quality_label.setText("Sample quality: measuring…")
            return
        self.quality_label.setText(
            f"<b>Fréchet distance</b> (FID in miniature, lower = closer to the data): <b>{quality.frechet:.2f}</b>"
            f"<br>diversity of samples {quality.diversity:.2f} vs data {quality.data_diversity:.2f} · measured "
            f"at step {step:,}")


class CompareTab(QWidget):
    """The button that trains an autoencoder and a VAE side by side, and their samples from N(0, I). (Their maps
    need more room: the panel shows them in place of the main map and grid.)"""

    INTRO = ("Both are trained from scratch on the same data, with the same network and seed; their maps then "
             "replace the ones above, and their samples from N(0, I) appear here. The autoencoder's codes leave "
             "gaps, and points drawn from N(0, I) land in them.")

    def __init__(self, theme: Theme, steps: int, parent=None) -> None:
        super().__init__(parent)
        self.button = QPushButton(f"Train both ({steps:,} steps each)")
        self.button.setToolTip("An autoencoder and a VAE, trained from scratch on the same data with the same "
                               "network and seed")
        self.progress = QProgressBar()
        self.progress.hide()
        self.samples = ImageView(theme)
        self.samples.hide()
        self.label = rich_label(self.INTRO)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(self.button)
        row.addWidget(self.progress, 1)
        layout.addLayout(row)
        layout.addWidget(self.samples, 1)
        layout.addWidget(self.label)

    def clear(self) -> None:
        self.samples.hide()
        self.label.setText(self.INTRO)

    def started(self, total: int) -> None:
        self.button.setEnabled(False)
        self.progress.setRange(0, total)
        self.progress.setValue(0)
        self.progress.setFormat("training the autoencoder, then the VAE: %p %")
        self.progress.show()

    def finished(self) -> None:
        self.progress.hide()
        self.button.setEnabled(True)

    def show_result(self, ae: VAESnapshot, ae_quality: SampleQuality, vae: VAESnapshot,
                    vae_quality: SampleQuality, n_samples: int) -> None:
        self.samples.show()
        if ae.image_side:
            n = n_samples
            self.samples.show_picture(image_grid(np.concatenate([ae.prior_samples[:n], vae.prior_samples[:n]]),
                                         ae.image_side, n))
            rows = cell_centres(2, ae.image_side)
            self.samples.set_axis_labels(rows=[(rows[0], "autoencoder"), (rows[1], "VAE")])
        self.label.setText(f"Decodes of z ~ N(0, I). Fréchet distance to the data (lower is better): autoencoder "
                           f"<b>{ae_quality.frechet:.1f}</b> · VAE <b>{vae_quality.frechet:.1f}</b>")


def _slider_row(name: str, slider: QSlider, readout: QLabel) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(QLabel(name))
    row.addWidget(slider, 1)
    row.addWidget(readout)
    return row


def subscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def vector_text(z: np.ndarray, digits: int = 2) -> str:
    """(0.52, −1.10) with real minus signs."""
    return "(" + ", ".join(f"{v:.{digits}f}".replace("-", "−") for v in np.asarray(z).ravel()) + ")"


def finite_or_dash(value: float, fmt: str = ".1f") -> str:
    return format(value, fmt).replace("-", "−") if math.isfinite(value) else "–"
