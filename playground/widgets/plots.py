"""A pyqtgraph PlotWidget that follows the app's theme, and remembers how to restyle the items drawn on it.

Panels create every plot item once (``setData`` per frame, never new items) and register a small style function
with :meth:`ThemedPlot.styled`; a theme or presentation-scale change then restyles everything in place.
"""
from __future__ import annotations

from typing import Any, Callable

import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont

from playground.theme import Theme

StyleFn = Callable[[Any, Theme], None]


def color(hex_color: str, alpha: float = 1.0) -> QColor:
    c = QColor(hex_color)
    c.setAlphaF(alpha)
    return c


def pen(theme: Theme, hex_color: str, *, width: float = 1.0, alpha: float = 1.0, dashed: bool = False):
    from PySide6.QtCore import Qt
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
        self.apply_theme(theme)

    def styled(self, item: Any, style: StyleFn, *, add: bool = True) -> Any:
        """Add ``item`` to the plot and style it now and on every theme change."""
        if add:
            self.addItem(item)
        self._styled.append((item, style))
        style(item, self.theme)
        return item

    def add_legend(self) -> pg.LegendItem:
        self.legend = self.plot_item.addLegend(offset=(-10, 10))
        self._style_legend()
        return self.legend

    def set_labels(self, *, title: str | None = None, x_label: str | None = None, y_label: str | None = None):
        if title is not None:
            self._title = title
        if x_label is not None:
            self._x_label = x_label
        if y_label is not None:
            self._y_label = y_label
        self._apply_labels()

    def _apply_labels(self) -> None:
        t = self.theme
        size = f"{t.font_size:.1f}pt"
        self.plot_item.setTitle(self._title, color=t.foreground, size=f"{t.font_size * 1.15:.1f}pt", bold=True)
        style = {"color": t.muted, "font-size": size}
        self.plot_item.setLabel("bottom", self._x_label, **style)
        self.plot_item.setLabel("left", self._y_label, **style)

    def _style_legend(self) -> None:
        if self.legend is None:
            return
        t = self.theme
        self.legend.setLabelTextColor(t.foreground)
        self.legend.setLabelTextSize(f"{t.font_size * 0.95:.1f}pt")
        self.legend.setBrush(brush(t.background, 0.8))
        self.legend.setPen(pen(t, t.muted, width=0.3, alpha=0.5))

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setBackground(theme.background)
        font = QFont()
        font.setPointSizeF(theme.font_size * 0.9)
        for name in ("left", "bottom"):
            axis = self.plot_item.getAxis(name)
            axis.setPen(pen(theme, theme.muted, width=0.5))
            axis.setTextPen(pg.mkPen(theme.muted))
            axis.setTickFont(font)
            axis.setStyle(tickTextOffset=int(4 * theme.scale))
        self.plot_item.showGrid(x=True, y=True, alpha=theme.grid_alpha)
        self._apply_labels()
        self._style_legend()
        for item, style in self._styled:
            style(item, theme)
