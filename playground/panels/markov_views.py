"""The Markov text panel's four views: the generated text, the next-token bars, the transition graph and the
perplexity-against-order chart. Each is built once and redrawn from a :class:`MarkovSnapshot`.

One colour code runs through all of them: the context the model looked at is blue (series colour 0), the token it
chose is orange (series colour 1), text copied verbatim from the corpus is underlined in green (series colour 2).
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont, QFontMetricsF, QTextCharFormat, QTextCursor, QTextOption
from PySide6.QtWidgets import QTextEdit

from playground.models.markov import N_CANDIDATES, MarkovSnapshot, PerplexityCurve, TransitionGraph
from playground.theme import Theme
from playground.widgets.plots import ThemedPlot, brush, color, pen

CONTEXT, CHOSEN, COPIED = 0, 1, 2   # series colour indices
MAX_GRAPH_NODES = 50
#: Edge-width buckets of the transition graph: (lowest probability in the bucket, pen width).
EDGE_BUCKETS = ((0.0, 0.35), (0.1, 0.8), (0.3, 1.5), (0.6, 2.4))
#: Copied runs are underlined only in this many characters at the end of the text (a very long run stays fast).
HIGHLIGHT_WINDOW = 40_000
#: The bar chart always has room for this many bars, so a few bars are not drawn absurdly thick.
MIN_BAR_ROWS = 8
#: Bars longer than this show their percentage inside the bar.
LABEL_INSIDE_FROM = 0.75
BAR_ALPHA = 0.55

_VISIBLE = {" ": "␣", "\n": "⏎", "\n\n": "¶", "\t": "⇥"}

#: A run of this many characters without a space is a word Qt cannot break at a word boundary, and laying it out
#: that way takes time growing with the square of its length (200 000 characters: 3 s, 400 000: 13 s, with the UI
#: frozen). Text holding one wraps anywhere instead: 0.05 s.
_LONG_WORD = re.compile(r"\S{500}")


def wrap_mode_for(text: str) -> QTextOption.WrapMode:
    """How a text box should wrap ``text``: at word boundaries, unless a very long word would freeze the layout."""
    if _LONG_WORD.search(text):
        return QTextOption.WrapMode.WrapAnywhere
    return QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere


def visible_token(token: str, max_chars: int = 14) -> str:
    """A token as a label: whitespace made visible (a space is '␣', a line break '⏎', a blank line '¶'),
    long words cut short."""
    shown = _VISIBLE.get(token)
    if shown is None:
        shown = token.replace(" ", "␣").replace("\n", "⏎").replace("\t", "⇥")
    return shown if len(shown) <= max_chars else shown[:max_chars - 1] + "…"


_NAMED = {" ": "␣ space", "\n": "⏎ new line", "\n\n": "¶ blank line", "\t": "⇥ tab"}


def bar_label(token: str) -> str:
    """A token as a bar chart label: whitespace by name, punctuation in quotes (a lone '.' is easily missed)."""
    if token in _NAMED:
        return _NAMED[token]
    if not any(c.isalnum() for c in token):
        return f"‘{visible_token(token)}’"
    return visible_token(token)


def visible_context(context: Sequence[str], level: str, max_chars: int = 22) -> str:
    """The context tokens as one readable string; characters keep their whitespace visible, words are spaced.
    Cut from the left, since the tokens nearest the next one matter most."""
    if level == "char":
        text = "".join(visible_token(t) for t in context)
    else:
        text = " ".join(visible_token(t) for t in context)
    return text if len(text) <= max_chars else "…" + text[-(max_chars - 1):]


def percent(p: float) -> str:
    value = 100 * p
    if value >= 9.95:
        return f"{value:.0f} %"
    if value >= 0.095:
        return f"{value:.1f} %"
    return "<0.1 %" if value > 0 else "0 %"


def _ink_on(hex_color: str, background: str, alpha: float) -> str:
    """Black or white, whichever reads better on ``hex_color`` drawn at ``alpha`` over ``background``."""
    fg, bg = color(hex_color), color(background)
    r, g, b = (alpha * f + (1 - alpha) * k for f, k in ((fg.red(), bg.red()), (fg.green(), bg.green()),
                                                        (fg.blue(), bg.blue())))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffffff"


def html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---------------------------------------------------------------------------------------------------------------

class GeneratedTextView(QTextEdit):
    """The prompt and the generated text, with the context, the chosen token and copied runs highlighted.

    The document holds plain text only and grows by appending; the highlights are extra selections recomputed
    per frame, so nothing is re-laid out except the new text.
    """

    def __init__(self, theme: Theme, parent=None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)
        self.setPlaceholderText("The generated text appears here — press Step or Generate.")
        self._text = ""
        self._utf16: np.ndarray | None = None    # code point index → UTF-16 position, when they differ
        # Follow the newest token — unless the reader has scrolled up to read something earlier.
        self._follow = True
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(lambda value: setattr(self, "_follow", value >= bar.maximum() - 2))
        bar.rangeChanged.connect(lambda _, maximum: self._follow and bar.setValue(maximum))
        self.apply_theme(theme)

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        font = QFont(self.font())
        font.setPointSizeF(theme.font_size * 1.25)
        self.setFont(font)
        self.document().setDefaultFont(font)

    @property
    def text(self) -> str:
        return self._text

    def show_snapshot(self, snap: MarkovSnapshot, prompt_spans: tuple[np.ndarray, np.ndarray]) -> None:
        self._sync_text(snap.text)
        self.setExtraSelections(self._selections(snap, prompt_spans))
        if self._follow:
            self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())

    def _sync_text(self, text: str) -> None:
        if text == self._text:
            return
        appended = bool(self._text) and text.startswith(self._text)
        if appended:
            # A long word may end in the new text and start in the old: look a word's length back.
            wrap = wrap_mode_for(text[max(0, len(self._text) - 500):])
            if wrap == QTextOption.WrapMode.WrapAnywhere != self.wordWrapMode():
                self.setWordWrapMode(wrap)
            cursor = QTextCursor(self.document())
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertText(text[len(self._text):])
        else:
            self.setWordWrapMode(wrap_mode_for(text))
            self.setPlainText(text)   # this scrolls to the top …
            self._follow = True       # … but a new text is followed to its end
        new_part = text[len(self._text):] if appended else text
        self._text = text
        if self._utf16 is None and appended and (not new_part or max(new_part) <= "\uffff"):
            return  # still all single units (the usual case): no need to scan the whole text every frame
        # QTextDocument counts UTF-16 units: a character outside the BMP (most emoji) takes two.
        if text and max(text) > "\uffff":
            wide = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32) > 0xFFFF
            self._utf16 = np.arange(len(text) + 1) + np.concatenate(([0], np.cumsum(wide)))
        else:
            self._utf16 = None

    def _selection(self, start: int, end: int, fmt: QTextCharFormat) -> QTextEdit.ExtraSelection:
        if self._utf16 is not None:
            start, end = int(self._utf16[start]), int(self._utf16[end])
        cursor = QTextCursor(self.document())
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        selection = QTextEdit.ExtraSelection()
        selection.cursor, selection.format = cursor, fmt
        return selection

    def _selections(self, snap: MarkovSnapshot, prompt_spans: tuple[np.ndarray, np.ndarray]) -> list:
        t = self.theme
        out = []
        if snap.prompt_length:
            fmt = QTextCharFormat()
            fmt.setForeground(color(t.muted))
            fmt.setFontItalic(True)
            out.append(self._selection(0, snap.prompt_length, fmt))
        n = len(snap.tokens)
        starts = np.asarray(snap.token_starts, dtype=np.int64)

        def end(i: int) -> int:  # only a few tokens' ends are needed: not a pass over the whole text per frame
            return int(starts[i]) + len(snap.tokens[i])
        if snap.copied.any():
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.SingleUnderline)
            fmt.setUnderlineColor(color(t.color(COPIED)))
            fmt.setBackground(color(t.color(COPIED), 0.10))
            edges = np.diff(np.concatenate(([0], snap.copied.astype(np.int8), [0])))
            run_starts, run_ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)   # token indices
            # A run is recent if its last token ends inside the window; the token starts are sorted, so only runs
            # ending after the window's first token can be.
            first_recent = max(0, int(np.searchsorted(starts, len(snap.text) - HIGHLIGHT_WINDOW)) - 1)
            late = run_ends - 1 >= first_recent
            for a, b in zip(run_starts[late], run_ends[late]):
                if end(b - 1) >= len(snap.text) - HIGHLIGHT_WINDOW:
                    out.append(self._selection(int(starts[a]), end(b - 1), fmt))
        if snap.last is not None and n:
            # Spans of every token, the prompt's first: the context is the used_order tokens before the last one.
            n_prompt = len(prompt_spans[0])

            def span(i: int) -> tuple[int, int]:  # token i counting the prompt's tokens first
                if i < n_prompt:
                    return int(prompt_spans[0][i]), int(prompt_spans[1][i])
                return int(starts[i - n_prompt]), end(i - n_prompt)

            chosen = n_prompt + n - 1
            first_context = max(0, chosen - snap.last.used_order)
            if first_context < chosen:
                fmt = QTextCharFormat()
                fmt.setBackground(color(t.color(CONTEXT), 0.30))
                out.append(self._selection(span(first_context)[0], span(chosen - 1)[1], fmt))
            fmt = QTextCharFormat()
            fmt.setBackground(color(t.color(CHOSEN), 0.45))
            fmt.setFontWeight(QFont.Weight.Bold)
            out.append(self._selection(*span(chosen), fmt))
        return out


# ---------------------------------------------------------------------------------------------------------------

class NextTokenBars(ThemedPlot):
    """Horizontal bars: the most likely next tokens after the context, the chosen one in orange."""

    def __init__(self, theme: Theme, parent=None) -> None:
        super().__init__(theme, title="", x_label="probability (%)", y_label="", parent=parent)
        self.setMouseEnabled(False, False)
        self.plot_item.invertY(True)   # the most likely token on top
        self.plot_item.showGrid(x=True, y=False, alpha=theme.grid_alpha)
        # Coloured per bar on every render (the chosen one orange), so there is no theme style to register.
        self.bars = pg.BarGraphItem(x0=np.zeros(0), y=np.zeros(0), width=np.zeros(0), height=0.72)
        self.addItem(self.bars)
        self.labels: list[pg.TextItem] = []
        for _ in range(N_CANDIDATES):
            label = pg.TextItem(anchor=(0, 0.5))
            self.addItem(label)
            self.labels.append(label)
        self.plot_item.getAxis("bottom").setTicks([[(v, f"{v}") for v in (0, 25, 50, 75, 100)], []])
        self._style_labels()
        self.show_empty()

    def apply_theme(self, theme: Theme) -> None:
        super().apply_theme(theme)
        self.plot_item.showGrid(x=True, y=False, alpha=theme.grid_alpha)
        # The tokens are what this chart is about: larger than ordinary tick labels.
        font = QFont()
        font.setPointSizeF(theme.font_size * 1.1)
        axis = self.plot_item.getAxis("left")
        axis.setTickFont(font)
        axis.setTextPen(pg.mkPen(theme.foreground))
        # The token axis is as wide as the widest label seen so far, set by _fit_token_axis: left to itself,
        # pyqtgraph re-fits it to every new set of labels, and the re-layout repaints the chart twice a frame.
        axis.setStyle(autoExpandTextSpace=False)
        self._token_axis_width = 0.0
        self._fit_token_axis(["‘newline’"])
        if hasattr(self, "labels"):
            self._style_labels()

    def _fit_token_axis(self, labels: Sequence[str]) -> None:
        """Widen the token axis if a label needs it; it never narrows (see apply_theme)."""
        axis = self.plot_item.getAxis("left")
        metrics = QFontMetricsF(axis.style["tickFont"] or QFont())
        needed = (max((metrics.horizontalAdvance(label) for label in labels), default=0.0)
                  + axis.style["tickTextOffset"][0] + max(0, axis.style["tickLength"]) + metrics.averageCharWidth())
        if needed > self._token_axis_width:
            self._token_axis_width = needed
            axis.setWidth(int(np.ceil(needed)))

    def _style_labels(self) -> None:
        font = QFont()
        font.setPointSizeF(self.theme.font_size * 0.95)
        for label in self.labels:
            label.setFont(font)

    def show_empty(self, message: str = "Press Step: the model picks the first token") -> None:
        self.bars.setOpts(x0=np.zeros(0), y=np.zeros(0), width=np.zeros(0), brushes=[])
        for label in self.labels:
            label.setVisible(False)
        self.token_labels: list[str] = []
        self.plot_item.getAxis("left").setTicks([[], []])
        self.set_labels(title=message, x_label="probability (%)")
        self._set_range(1)

    def _set_range(self, n: int) -> None:
        self.setXRange(0, 107, padding=0)   # room for the "100" tick label
        self.setYRange(-0.6, max(n, MIN_BAR_ROWS) - 0.4, padding=0)

    def show_token(self, snap: MarkovSnapshot) -> None:
        last = snap.last
        if last is None:
            self.show_empty()
            return
        t = self.theme
        p = np.asarray(last.probabilities, dtype=float)
        n = len(p)
        y = np.arange(n, dtype=float)
        chosen = last.chosen_rank if last.chosen_rank < n else -1
        normal, picked = brush(t.color(CONTEXT), BAR_ALPHA), brush(t.color(CHOSEN), 0.95)
        self.bars.setOpts(x0=np.zeros(n), y=y, width=100 * p, height=0.72,
                          brushes=[picked if i == chosen else normal for i in range(n)], pens=[None] * n)
        for i, label in enumerate(self.labels):
            label.setVisible(i < n)
            if i < n:
                label.setText(percent(p[i]))
                # A long bar carries its percentage inside its end: beside it, it could run off the plot.
                inside = p[i] > LABEL_INSIDE_FROM
                label.setAnchor((1.0, 0.5) if inside else (0.0, 0.5))
                if inside:
                    label.setColor(_ink_on(t.color(CHOSEN), t.background, 0.95) if i == chosen
                                   else _ink_on(t.color(CONTEXT), t.background, BAR_ALPHA))
                else:
                    label.setColor(t.color(CHOSEN) if i == chosen else t.foreground)
                label.setPos(100 * p[i] + (-1.5 if inside else 1.5), i)
        self.token_labels = [("▶ " if i == chosen else "") + bar_label(token)
                             for i, token in enumerate(last.candidates)]
        self.plot_item.getAxis("left").setTicks([list(enumerate(self.token_labels)), []])
        self._fit_token_axis(self.token_labels)
        context = visible_context(last.context, snap.level)
        title = (f"After “<span style='color:{t.color(CONTEXT)}'>{html_escape(context)}</span>”" if last.context
                 else "No context (token frequencies)")
        if last.backed_off and last.context:
            title += " <i>(backed off)</i>"
        x_label = "probability (%)"
        if chosen < 0:
            x_label = f"probability (%) · chose ‘{visible_token(last.token)}’, ranked {last.chosen_rank + 1}"
        self.set_labels(title=title, x_label=x_label)
        self._set_range(n)


# ---------------------------------------------------------------------------------------------------------------

class TransitionGraphView(ThemedPlot):
    """Order-1 transitions of a small vocabulary as a graph: edge width grows with the probability.

    The busiest token (for the nursery rhymes, "the") sits in the middle and the others round a circle in order of
    first use, so its edges are spokes and words that follow each other in the text sit close together. The
    previous token (the last of the context) and the edges out of it are blue — the choices one token of context
    allows — and the edge the model took to the token just written is orange.
    """

    def __init__(self, theme: Theme, parent=None) -> None:
        super().__init__(theme, title="", parent=parent)
        self.setMouseEnabled(False, False)
        self.plot_item.setAspectLocked(True)
        self.graph: TransitionGraph | None = None
        self.positions = np.zeros((0, 2))
        self.hub: int | None = None
        self.edges = [self.styled(pg.PlotDataItem(connect="pairs"),
                                  lambda i, t, w=w, k=k: i.setPen(pen(t, t.muted, width=w, alpha=0.12 + 0.1 * k)))
                      for k, (_, w) in enumerate(EDGE_BUCKETS)]
        self.options = [self.styled(pg.PlotDataItem(connect="pairs"),
                                    lambda i, t, w=w: i.setPen(pen(t, t.color(CONTEXT), width=w + 0.4, alpha=0.9)))
                        for _, w in EDGE_BUCKETS]
        self.taken = self.styled(pg.PlotDataItem(), lambda i, t: i.setPen(pen(t, t.color(CHOSEN), width=2.6)))
        self.nodes = self.styled(pg.ScatterPlotItem(pxMode=True), lambda i, t: (
            i.setSize(t.marker * 1.1), i.setBrush(brush(t.background)), i.setPen(pen(t, t.muted, width=0.5))))
        self.context_node = self.styled(pg.ScatterPlotItem(pxMode=True), lambda i, t: (
            i.setSize(t.marker * 2.2), i.setBrush(brush(t.color(CONTEXT))), i.setPen(None)))
        self.current_node = self.styled(pg.ScatterPlotItem(pxMode=True), lambda i, t: (
            i.setSize(t.marker * 2.6), i.setBrush(brush(t.color(CHOSEN))), i.setPen(pen(t, t.foreground, width=0.6))))
        self.labels: list[pg.TextItem] = []
        for _ in range(MAX_GRAPH_NODES):
            label = pg.TextItem(anchor=(0.5, 0.5))
            label.setVisible(False)
            self.addItem(label)
            self.labels.append(label)
        self.setRange(xRange=(-1.6, 1.6), yRange=(-1.6, 1.6), padding=0)

    def _apply_labels(self) -> None:
        super()._apply_labels()
        # Positions on a circle have no meaningful axes (setLabel shows an axis again, so hide them after it).
        self.plot_item.hideAxis("left")
        self.plot_item.hideAxis("bottom")

    def apply_theme(self, theme: Theme) -> None:
        super().apply_theme(theme)
        if getattr(self, "graph", None) is not None:
            self._place_labels()

    def set_graph(self, graph: TransitionGraph, level: str) -> None:
        """A new graph (a new corpus): lay it out once."""
        if graph is self.graph:
            return
        self.graph = graph
        n = len(graph.tokens)
        degree = np.bincount(graph.source, minlength=n) + np.bincount(graph.target, minlength=n)
        self.hub = int(np.argmax(degree)) if n >= 8 and degree.max() >= 0.5 * n else None
        ring = [i for i in range(n) if i != self.hub]
        angle = np.pi / 2 - 2 * np.pi * np.arange(len(ring)) / max(len(ring), 1)   # clockwise from the top
        self.positions = np.zeros((n, 2))
        self.positions[ring] = np.column_stack([np.cos(angle), np.sin(angle)])
        self.nodes.setData(self.positions[:, 0], self.positions[:, 1])
        not_loop = graph.source != graph.target   # a token followed by itself would be a dot: left out
        for (lo, hi), item in zip(_bucket_ranges(), self.edges):
            keep = not_loop & (graph.probability >= lo) & (graph.probability < hi)
            item.setData(*self._segments(graph.source[keep], graph.target[keep]))
        self.set_labels(title="Word → next word" if level == "word" else "Character → next character")
        self._place_labels()

    def _segments(self, source: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """x and y of line segments source → target, as pairs for connect='pairs'."""
        ends = np.stack([self.positions[source], self.positions[target]], axis=1).reshape(-1, 2)   # (2E, 2)
        return ends[:, 0], ends[:, 1]

    def _place_labels(self) -> None:
        graph, t = self.graph, self.theme
        font = QFont()
        font.setPointSizeF(t.font_size * 0.85)
        hub_font = QFont(font)
        hub_font.setBold(True)
        for i, label in enumerate(self.labels):
            visible = graph is not None and i < len(graph.tokens)
            label.setVisible(visible)
            if not visible:
                continue
            label.setText(visible_token(graph.tokens[i], 10))
            label.setColor(t.foreground)
            # The hub's label sits on its spokes: give it a backing (TextItem has no setter for its fill).
            label.fill = brush(t.background, 0.85) if i == self.hub else pg.mkBrush(None)
            if i == self.hub:
                label.setFont(hub_font)
                label.setAngle(0)
                label.setAnchor((0.5, 1.25))
                label.setPos(0.0, 0.0)
                continue
            # Radial labels, reading outwards: neighbours on the circle never overlap.
            x, y = self.positions[i]
            degrees = float(np.degrees(np.arctan2(y, x)))
            right = x >= -1e-9
            label.setFont(font)
            label.setAngle(degrees if right else degrees - 180)
            label.setAnchor((0.0, 0.5) if right else (1.0, 0.5))
            label.setPos(1.06 * x, 1.06 * y)

    def show_step(self, snap: MarkovSnapshot) -> None:
        graph = self.graph
        if graph is None:
            return
        index = {token: i for i, token in enumerate(graph.tokens)}
        current = index.get(snap.tokens[-1]) if snap.tokens else None
        previous = None
        if snap.last is not None and snap.last.context:
            previous = index.get(snap.last.context[-1])
        if previous is not None:
            out = np.flatnonzero((graph.source == previous) & (graph.target != previous))
            p = graph.probability[out]
            for (lo, hi), item in zip(_bucket_ranges(), self.options):
                keep = out[(p >= lo) & (p < hi)]
                item.setData(*self._segments(graph.source[keep], graph.target[keep]))
            self.context_node.setData([self.positions[previous, 0]], [self.positions[previous, 1]])
        else:
            for item in self.options:
                item.setData([], [])
            self.context_node.setData([], [])
        if current is not None:
            self.current_node.setData([self.positions[current, 0]], [self.positions[current, 1]])
        else:
            self.current_node.setData([], [])
        if current is not None and previous is not None and current != previous:
            self.taken.setData(*self._segments(np.array([previous]), np.array([current])))
        else:
            self.taken.setData([], [])


def _bucket_ranges() -> list[tuple[float, float]]:
    lows = [low for low, _ in EDGE_BUCKETS]
    return list(zip(lows, lows[1:] + [math.inf]))


# ---------------------------------------------------------------------------------------------------------------

class PerplexityChart(ThemedPlot):
    """Train and held-out perplexity against the order: where more context stops helping and starts memorising."""

    def __init__(self, theme: Theme, parent=None) -> None:
        super().__init__(theme, title=self._key_title(theme), x_label="order (tokens of context)",
                         y_label="perplexity", parent=parent)
        self.setMouseEnabled(False, False)
        self.train = self.styled(pg.PlotDataItem(), lambda i, t: (
            i.setPen(pen(t, t.color(0), width=1.0)), i.setSymbol("o"), i.setSymbolSize(t.marker * 1.2),
            i.setSymbolBrush(brush(t.color(0))), i.setSymbolPen(None)))
        self.held_out = self.styled(pg.PlotDataItem(), lambda i, t: (
            i.setPen(pen(t, t.color(1), width=1.0, dashed=True)), i.setSymbol("s"), i.setSymbolSize(t.marker * 1.2),
            i.setSymbolBrush(brush(t.color(1))), i.setSymbolPen(None)))
        self.order_line = self.styled(pg.InfiniteLine(angle=90, movable=False),
                                      lambda i, t: i.setPen(pen(t, t.muted, width=0.8, dashed=True)))
        self.hint = pg.TextItem(anchor=(0.5, 0.5))
        self.addItem(self.hint)
        self.curve: PerplexityCurve | None = None
        self.clear_curve()

    @staticmethod
    def _key_title(t: Theme) -> str:
        # The key lives in the title: a legend box would cover the points in a plot this small.
        return (f"<span style='color:{t.color(0)}'>●</span> train &nbsp;"
                f"<span style='color:{t.color(1)}'>■</span> held-out")

    def apply_theme(self, theme: Theme) -> None:
        super().apply_theme(theme)
        self.set_labels(title=self._key_title(theme))
        if hasattr(self, "hint"):
            self.hint.setColor(theme.muted)

    def clear_curve(self, why: str = "Press “Compute” above") -> None:
        self.curve = None
        self.train.setData([], [])
        self.held_out.setData([], [])
        self.hint.setText(why)
        self.hint.setColor(self.theme.muted)
        self.hint.setPos(3.5, 0.5)
        self.hint.setVisible(True)
        self.setXRange(0.5, 6.5, padding=0)
        self.setYRange(0, 1, padding=0)
        self.set_labels(y_label="perplexity")

    def show_curve(self, curve: PerplexityCurve) -> None:
        self.curve = curve
        self.hint.setVisible(False)
        orders = curve.orders.astype(float)
        held_out = np.where(np.isfinite(curve.held_out), curve.held_out, np.nan)
        self.train.setData(orders, curve.train)
        self.held_out.setData(orders, held_out, connect="finite")
        top = float(np.nanmax(np.concatenate([curve.train, held_out])))
        self.setXRange(0.5, orders[-1] + 0.5, padding=0)
        self.setYRange(0, top * 1.1, padding=0)
        self.set_labels(y_label=f"perplexity (α = {curve.smoothing:g})")

    def set_order(self, order: int) -> None:
        self.order_line.setValue(order)
