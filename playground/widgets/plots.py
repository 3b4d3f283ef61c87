"""A pyqtgraph PlotWidget that follows the app's theme, and remembers how to restyle the items drawn on it.

Panels create every plot item once (``setData`` per frame, never new items) and register a small style function
with :meth:`ThemedPlot.styled`; a theme or presentation-scale change then restyles everything in place.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont

from playground.theme import Theme

StyleFn = Callable[[Any, Theme], None]


def color(hex_color: str, alpha: float = 1.0) -> QColor:
    c = QColor(hex_color)
    c.setAlphaF(alpha)
    return c


def pen(theme: Theme, hex_color: str, *, width: float = 1.0, alpha: float = 1.0, dashed: bool = False):
    p = pg.mkPen(color(hex_color, alpha), width=width * theme.pen_width)
    if dashed:
        p.setStyle(Qt.PenStyle.DashLine)
    return p


def brush(hex_color: str, alpha: float = 1.0):
    return pg.mkBrush(color(hex_color, alpha))


class ThemedPlot(pg.PlotWidget):
    def __init__(self, theme: Theme, *, title: str = "", x_label: str = "", y_label: str = "",
                 parent=None, **kwargs) -> None:
        super().__init__(parent=parent, **kwargs)
        self.theme = theme
        self._title, self._x_label, self._y_label = title, x_label, y_label
        self._styled: list[tuple[Any, StyleFn]] = []
        self.plot_item: pg.PlotItem = self.getPlotItem()
        self.plot_item.setMenuEnabled(False)
        self.plot_item.hideButtons()
        self.legend: pg.LegendItem | None = None
        _let_title_shrink(self.plot_item.titleLabel)
        self.apply_theme(theme)

    def styled(self, item: Any, style: StyleFn, *, add: bool = True) -> Any:
        """Add ``item`` to the plot and style it now and on every theme change."""
        if add:
            self.addItem(item)
        self._styled.append((item, style))
        style(item, self.theme)
        return item

    def add_legend(self, corner: str = "top-right") -> pg.LegendItem:
        """A legend in ``corner`` ("top-right", "top-left", "bottom-left", "bottom-right") of the plot."""
        vertical, horizontal = corner.split("-")
        offset = (10 if horizontal == "left" else -10, 10 if vertical == "top" else -10)
        self.legend = self.plot_item.addLegend(offset=offset)
        self._style_legend()
        return self.legend

    def follow(self, x: tuple[float, float] | None = None, y: tuple[float, float] | None = None, *,
               slack: float = 0.25) -> None:
        """Keep data spanning ``x``/``y`` in view without moving the axes on every frame.

        Redrawing an axis whose range changed (new ticks, new labels) is the dearest part of a frame; curves that
        grow every step would trigger it 30 times a second. The range only moves when the data leaves it or fills
        less than half of it, and then with ``slack`` to spare, so it moves a few times a minute instead.
        """
        vb = self.plot_item.vb
        vb.disableAutoRange()
        (x0, x1), (y0, y1) = vb.viewRange()
        if x is not None and all(np.isfinite(x)):
            lo, hi = x
            span = max(hi - lo, 1e-12)
            if lo < x0 or hi > x1 or span < 0.5 * (x1 - x0):
                self.setXRange(lo, hi + slack * span, padding=0)
        if y is not None and all(np.isfinite(y)):
            lo, hi = y
            span = max(hi - lo, 1e-12)
            if lo < y0 or hi > y1 or span < 0.5 * (y1 - y0):
                self.setYRange(lo - 0.5 * slack * span, hi + 0.5 * slack * span, padding=0)

    def follow_curves(self, *items: pg.PlotDataItem, slack: float = 0.25) -> None:
        """:meth:`follow` the finite data of ``items`` (in view coordinates: log10 on a log axis)."""
        log_x, log_y = (self.plot_item.ctrl.logXCheck.isChecked(), self.plot_item.ctrl.logYCheck.isChecked())
        xs, ys = [], []
        for item in items:
            if item.xData is None or not len(item.xData):
                continue
            x, y = np.asarray(item.xData, dtype=float), np.asarray(item.yData, dtype=float)
            keep = np.isfinite(x) & np.isfinite(y) & (x > 0 if log_x else True) & (y > 0 if log_y else True)
            if keep.any():
                xs.append(np.log10(x[keep]) if log_x else x[keep])
                ys.append(np.log10(y[keep]) if log_y else y[keep])
        if xs:
            x, y = np.concatenate(xs), np.concatenate(ys)
            self.follow(x=(float(x.min()), float(x.max())), y=(float(y.min()), float(y.max())), slack=slack)

    def set_labels(self, *, title: str | None = None, x_label: str | None = None, y_label: str | None = None):
        """Change any of the three texts; panels call this every frame, so nothing is re-laid out unless it changed."""
        wanted = (self._title if title is None else title, self._x_label if x_label is None else x_label,
                  self._y_label if y_label is None else y_label)
        if wanted == (self._title, self._x_label, self._y_label):
            return
        self._title, self._x_label, self._y_label = wanted
        self._apply_labels()

    def _apply_labels(self) -> None:
        t = self.theme
        size = f"{t.font_size:.1f}pt"
        self.plot_item.setTitle(self._title, color=t.foreground, size=f"{t.font_size * 1.05:.1f}pt", bold=True)
        style = {"color": t.muted, "font-size": size}
        self.plot_item.setLabel("bottom", self._x_label, **style)
        self.plot_item.setLabel("left", self._y_label, **style)

    def _style_legend(self) -> None:
        if self.legend is None:
            return
        t = self.theme
        self.legend.setLabelTextColor(t.foreground)
        self.legend.setLabelTextSize(f"{t.font_size * 0.85:.1f}pt")
        self.legend.setBrush(brush(t.background, 0.8))
        self.legend.setPen(pen(t, t.muted, width=0.3, alpha=0.5))

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setBackground(theme.background)
        font = QFont()
        font.setPointSizeF(theme.font_size * 0.9)
        for name in ("left", "bottom"):
            axis = self.plot_item.getAxis(name)
            axis.setPen(pg.mkPen(color(theme.muted), width=max(1.0, theme.scale)))  # grid lines use it too
            axis.setTextPen(pg.mkPen(theme.muted))
            axis.setTickFont(font)
            # Major and minor grid lines, labels on major ticks only: every grid line is repainted on every frame,
            # and the sub-minor level pyqtgraph draws by default made each axis cost ~2.3 ms a frame (GAN panel at
            # full speed: 17 -> 26 frames/s without it).
            axis.setStyle(tickTextOffset=int(4 * theme.scale), maxTickLevel=1, maxTextLevel=1)
            axis.enableAutoSIPrefix(False)  # "probability (×0.001)" confuses more than it helps
        self.plot_item.showGrid(x=True, y=True, alpha=theme.grid_alpha)
        self._apply_labels()
        self._style_legend()
        for item, style in self._styled:
            style(item, theme)


def _let_title_shrink(title: pg.LabelItem) -> None:
    """pyqtgraph makes a plot at least as wide as its title; at presentation scale in a narrow plot that pushes
    the axes out of the widget. Keep the title's natural (preferred) width but allow it to be clipped."""
    natural_update = title.updateMin

    def update_min() -> None:
        natural_update()
        title.setMinimumWidth(0)
        title._sizeHint[Qt.SizeHint.MinimumSize] = (0, title._sizeHint[Qt.SizeHint.MinimumSize][1])

    title.updateMin = update_min


def log_ticks(lo_exponent: int, hi_exponent: int) -> list[list[tuple[float, str]]]:
    """Major ticks at powers of ten only (log-mode axes take log10 positions): no crowded minor labels."""
    def label(e: int) -> str:
        if 0 <= e <= 3:
            return f"{10 ** e:,}".replace(",", " ")
        if -3 <= e < 0:
            return f"{10.0 ** e:g}"
        return "10" + str(e).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return [[(float(e), label(e)) for e in range(lo_exponent, hi_exponent + 1)], []]
