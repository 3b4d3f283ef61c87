"""Sampling: draw from a distribution and watch the histogram converge to the density (error ∝ 1/√n)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from playground.models import sampling as sm
from playground.models.distributions import from_dict
from playground.panels.base import Panel
from playground.panels.sampling_editors import EDITOR_FACTORIES, DrawnEditor, editor_for
from playground.theme import Theme
from playground.widgets.layout import group, rich_label
from playground.widgets.plots import ThemedPlot, brush, color, log_ticks, pen
from playground.widgets.point_cloud import ColouredPoints

DRAW_BUTTONS = (1, 10, 100, 10_000, 1_000_000)
BATCH_CHOICES = (1, 10, 100, 1000)
GUIDES_SHOWN = 12       # inverse-CDF guide lines drawn for the most recent draws
MAX_COMPONENTS = 8
MAX_BAR_LABELS = 24


class SamplingPanel(Panel):
    name = "sampling"
    title = "Sampling"
    icon = "sampling.svg"
    default_speed = 20

    # --- model ---------------------------------------------------------------------------------------------------
    def create_model(self) -> sm.SamplingModel:
        self.preset = next(iter(sm.PRESETS))
        self.distribution = sm.PRESETS[self.preset]()
        self.sampler = self.distribution.samplers[0]
        self.batch = 10
        return sm.SamplingModel(self.distribution, sampler=self.sampler, batch=self.batch, seed=self.seed)

    def use_distribution(self, dist: Any, *, sampler: str | None = None) -> None:
        """Switch to a validated distribution; keep the sampler if it applies to it."""
        sampler = sampler if sampler in dist.samplers else (
            self.sampler if self.sampler in dist.samplers else dist.samplers[0])
        try:
            sm.check_sampler(dist, sampler)
        except ValueError as exc:  # rejection that would waste nearly every proposal on this distribution
            sampler = dist.samplers[0]
            self.message_bar.show_message(f"{str(exc)[:1].upper()}{str(exc)[1:]}. Switched to "
                                          f"{sm.SAMPLER_TITLES[sampler]}.", "info")
        self.distribution, self.sampler = dist, sampler
        self._fill_sampler_box()
        self._show_static(dist)
        self.set_params(distribution=dist, sampler=sampler)

    # --- settings ------------------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {**super().state(), "preset": self.preset, "distribution": self.distribution.to_dict(),
                "sampler": self.sampler, "batch": self.batch}

    def restore_state(self, state: dict[str, Any]) -> None:
        preset = state.get("preset", self.preset)
        if preset not in sm.PRESETS:
            raise ValueError(f"there is no preset called {preset!r}")
        dist = from_dict(state["distribution"]) if "distribution" in state else sm.PRESETS[preset]()
        sampler = state.get("sampler", dist.samplers[0])
        if sampler not in dist.samplers:
            raise ValueError(f"{sampler!r} cannot sample {dist.label}")
        batch = state.get("batch", self.batch)
        if batch not in BATCH_CHOICES:
            raise ValueError(f"{batch!r} samples per step is not one of the choices")
        super().restore_state(state)
        self.model.set_params(distribution=dist, sampler=sampler, batch=batch)
        self.preset, self.distribution, self.sampler, self.batch = preset, dist, sampler, batch
        for box, value in ((self.preset_box, preset), (self.batch_box, f"{batch:,}")):
            box.blockSignals(True)
            box.setCurrentText(value)
            box.blockSignals(False)
        self._load_editor(dist)
        self._fill_sampler_box()
        self._show_static(dist)

    # --- lessons ---------------------------------------------------------------------------------------------------
    def preset_state(self, name: str) -> dict[str, Any]:
        if name not in sm.PRESETS:
            raise ValueError(f"there is no preset called {name!r}; the presets are: {', '.join(sm.PRESETS)}")
        dist = sm.PRESETS[name]()
        return {"preset": name, "distribution": dist.to_dict(), "sampler": dist.samplers[0]}

    def lesson_targets(self) -> dict[str, Any]:
        return {**super().lesson_targets(), "samples": self.main_plot, "sampler": self.sampler_plot,
                "error": self.tv_plot, "readout": self.readout,
                **{f"draw-{n}": button for n, button in self.draw_buttons.items()}}

    # --- Copy as Python, Export data as CSV ------------------------------------------------------------------------
    def python_script(self) -> str:
        from playground.scripts.sampling import sampling_script
        return sampling_script(self.state(), self.last_snapshot)

    def export_tables(self) -> list:
        from playground.export_csv import sampling_tables
        return sampling_tables(self.last_snapshot, self.state())

    # --- building --------------------------------------------------------------------------------------------------
    def build(self) -> None:
        controls = self._build_controls()
        plots = self._build_plots()
        self.set_controls_and_plots(controls, plots)
        self._load_editor(self.distribution)
        self._fill_sampler_box()
        self._show_static(self.distribution)
        self._redraw_timer = QTimer(self, singleShot=True, interval=60)
        self._redraw_timer.timeout.connect(self._send_drawn)

    def _build_controls(self) -> QWidget:
        self.preset_box = QComboBox()
        self.preset_box.addItems(list(sm.PRESETS))
        self.preset_box.currentTextChanged.connect(self._preset_chosen)
        self.editors: dict[str, Any] = {}
        self.editor_stack = QStackedWidget()
        for key, factory in EDITOR_FACTORIES.items():
            editor = factory()
            editor.distribution_changed.connect(self.use_distribution)
            if isinstance(editor, DrawnEditor):
                editor.flatten_requested.connect(self._flatten_drawn)
            self.editors[key] = editor
            self.editor_stack.addWidget(editor)
        self.sampler_box = QComboBox()
        self.sampler_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.sampler_box.currentIndexChanged.connect(self._sampler_chosen)
        self.batch_box = QComboBox()
        self.batch_box.addItems([f"{b:,}" for b in BATCH_CHOICES])
        self.batch_box.setCurrentIndex(BATCH_CHOICES.index(self.batch))
        self.batch_box.currentIndexChanged.connect(self._batch_chosen)

        distribution_group = group("Distribution", self.preset_box, self.editor_stack)

        sampler_group = QGroupBox("Sampler")
        sampler_form = QFormLayout(sampler_group)
        sampler_form.addRow("Method", self.sampler_box)
        sampler_form.addRow("Samples per step", self.batch_box)

        draw_group = QGroupBox("Draw now")
        draw_layout = QGridLayout(draw_group)
        self.draw_buttons: dict[int, QPushButton] = {}
        for i, n in enumerate(DRAW_BUTTONS):
            button = QPushButton(f"{n:,}".replace(",", " "))
            button.setToolTip(f"Draw {n:,} samples at once")
            button.clicked.connect(lambda _=False, n=n: self.draw_now(n))
            draw_layout.addWidget(button, i // 3, i % 3)
            self.draw_buttons[n] = button

        self.readout = rich_label(name="Readout")
        readout_group = group("What the samples say", self.readout)

        controls = QWidget()
        layout = QVBoxLayout(controls)
        for box in (distribution_group, sampler_group, draw_group, readout_group):
            layout.addWidget(box)
        layout.addStretch(1)
        return controls

    def _build_plots(self) -> QWidget:
        t = self.theme
        self.main_plot = ThemedPlot(t, title="Samples vs. true density",
                                    x_label="x", y_label="density")
        self.sampler_plot = ThemedPlot(t, title="How the sampler works", x_label="x", y_label="")
        self.tv_plot = ThemedPlot(t, title=self._tv_title(t), x_label="samples n", y_label="distance to truth")
        self.tv_plot.setLogMode(True, True)
        self.tv_plot.plot_item.getAxis("bottom").setTicks(log_ticks(0, 7))
        self.tv_plot.plot_item.getAxis("left").setTicks(log_ticks(-5, 0))
        for plot in (self.main_plot, self.sampler_plot, self.tv_plot):
            plot.setMouseEnabled(False, False)

        mp = self.main_plot
        self.histogram = mp.styled(pg.PlotDataItem(stepMode="center", fillLevel=0),
                                   lambda i, t: (i.setPen(pen(t, t.color(0), width=0.6)),
                                                 i.setBrush(brush(t.color(0), 0.35))))
        self.bars = mp.styled(pg.BarGraphItem(x=[], height=[], width=0.6),
                              lambda i, t: i.setOpts(brush=brush(t.color(0), 0.55), pen=pen(t, t.color(0), width=0.5)))
        self.component_curves = [
            mp.styled(pg.PlotDataItem(), lambda i, t, k=k: i.setPen(pen(t, t.color(k + 1), width=0.8, dashed=True)))
            for k in range(MAX_COMPONENTS)]
        self.pdf_curve = mp.styled(pg.PlotDataItem(), lambda i, t: i.setPen(pen(t, t.accent, width=1.1)))
        self.pmf_marks = mp.styled(pg.PlotDataItem(connect="pairs"), lambda i, t: i.setPen(pen(t, t.accent, width=1.4)))
        self.knots = mp.styled(pg.ScatterPlotItem(), lambda i, t: (i.setSize(t.marker * 1.3),
                                                                   i.setBrush(brush(t.color(3))), i.setPen(None)))
        self.rug = mp.styled(pg.ScatterPlotItem(symbol="|", pxMode=True),
                             lambda i, t: (i.setSize(t.marker * 2), i.setPen(pen(t, t.foreground, width=0.5, alpha=0.6))))
        self.bar_labels: list[pg.TextItem] = []
        self.main_legend = mp.add_legend()
        mp.viewport().installEventFilter(self)
        mp.viewport().setMouseTracking(False)

        sp = self.sampler_plot
        self.cdf_curve = sp.styled(pg.PlotDataItem(), lambda i, t: i.setPen(pen(t, t.accent, width=1.0)))
        self.guides = sp.styled(pg.PlotDataItem(connect="finite"),
                                lambda i, t: i.setPen(pen(t, t.color(1), width=0.6, alpha=0.8)))
        self.u_points = sp.styled(pg.ScatterPlotItem(),
                                  lambda i, t: (i.setSize(t.marker), i.setBrush(brush(t.color(1))), i.setPen(None)))
        self.envelope = sp.styled(pg.PlotDataItem(), lambda i, t: i.setPen(pen(t, t.muted, width=0.9, dashed=True)))
        self.target_curve = sp.styled(pg.PlotDataItem(), lambda i, t: i.setPen(pen(t, t.accent, width=1.0)))
        self.accepted = sp.styled(pg.ScatterPlotItem(),
                                  lambda i, t: (i.setSize(t.marker), i.setBrush(brush(t.good, 0.8)), i.setPen(None)))
        self.rejected = sp.styled(pg.ScatterPlotItem(symbol="x"),
                                  lambda i, t: (i.setSize(t.marker), i.setBrush(brush(t.bad, 0.8)),
                                                i.setPen(pen(t, t.bad, width=0.5))))
        self.bm_rays = sp.styled(pg.PlotDataItem(connect="finite"),
                                 lambda i, t: i.setPen(pen(t, t.color(1), width=0.5, alpha=0.6)))
        self.bm_points = sp.styled(pg.ScatterPlotItem(),
                                   lambda i, t: (i.setSize(t.marker), i.setBrush(brush(t.color(0), 0.8)), i.setPen(None)))
        self.anc_points = sp.styled(ColouredPoints(), lambda i, t: i.set_size(t.marker * 1.2))
        self.anc_curves = [sp.styled(pg.PlotDataItem(), lambda i, t, k=k: i.setPen(pen(t, t.color(k + 1), width=0.9)))
                           for k in range(MAX_COMPONENTS)]

        tp = self.tv_plot
        self.tv_curve = tp.styled(pg.PlotDataItem(), lambda i, t: (i.setPen(pen(t, t.color(0), width=1.0)),
                                                                   i.setSymbol("o"), i.setSymbolSize(t.marker * 0.8),
                                                                   i.setSymbolBrush(brush(t.color(0))),
                                                                   i.setSymbolPen(None)))
        self.tv_reference = tp.styled(pg.PlotDataItem(), lambda i, t: i.setPen(pen(t, t.muted, width=0.9, dashed=True)))

        plots = QWidget()
        grid = QGridLayout(plots)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.main_plot, 0, 0, 1, 2)
        grid.addWidget(self.sampler_plot, 1, 0)
        grid.addWidget(self.tv_plot, 1, 1)
        grid.setRowStretch(0, 3)
        grid.setRowStretch(1, 2)
        return plots

    @staticmethod
    def _tv_title(t: Theme) -> str:
        # The key lives in the title: a legend box would cover the curve in a plot this small.
        return (f"<span style='color:{t.color(0)}'>●</span> error &nbsp;"
                f"<span style='color:{t.muted}'>┄ 1/√n</span>")

    def apply_theme(self, theme: Theme) -> None:
        super().apply_theme(theme)
        self.tv_plot.set_labels(title=self._tv_title(theme))
        for plot in (self.main_plot, self.sampler_plot, self.tv_plot):
            plot.apply_theme(theme)
        for label in self.bar_labels:
            label.setColor(theme.foreground)
            label.setFont(self._label_font())
        self._show_static(self.distribution)
        if self.last_snapshot is not None:
            self.render(self.last_snapshot)

    # --- controls ------------------------------------------------------------------------------------------------
    def _load_editor(self, dist: Any) -> None:
        key = editor_for(dist)
        editor = self.editors[key]
        editor.load(dist)
        self.editor_stack.setCurrentWidget(editor)

    def _fill_sampler_box(self) -> None:
        box = self.sampler_box
        box.blockSignals(True)
        box.clear()
        for name in self.distribution.samplers:
            box.addItem(sm.SAMPLER_TITLES.get(name, name), name)
        box.setCurrentIndex(list(self.distribution.samplers).index(self.sampler))
        box.blockSignals(False)

    @Slot(str)
    def _preset_chosen(self, name: str) -> None:
        self.preset = name
        dist = sm.PRESETS[name]()
        self._load_editor(dist)
        self.use_distribution(dist, sampler=dist.samplers[0])

    @Slot(int)
    def _sampler_chosen(self, index: int) -> None:
        name = self.sampler_box.itemData(index)
        if name and name != self.sampler:
            try:
                sm.check_sampler(self.distribution, name)
            except ValueError as exc:
                self.message_bar.show_message(f"{str(exc)[:1].upper()}{str(exc)[1:]}.", "warning")
                self._fill_sampler_box()   # back to the sampler in use
                return
            self.sampler = name
            self._show_static(self.distribution)
            self.set_params(sampler=name)

    @Slot(int)
    def _batch_chosen(self, index: int) -> None:
        self.batch = BATCH_CHOICES[index]
        self.set_params(batch=self.batch)

    def draw_now(self, n: int) -> None:
        self.call(lambda model, n=n: model.draw_now(n), f"draw {n}")

    # --- drawing a density with the mouse ------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not isinstance(self.distribution, sm.DrawnDensity) or watched is not self.main_plot.viewport():
            return False
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            self._last_drag = None
            self._drag_to(event.position())
            return True
        if kind == QEvent.Type.MouseMove and event.buttons() & Qt.MouseButton.LeftButton:
            self._drag_to(event.position())
            return True
        if kind == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
            self._last_drag = None
            self._send_drawn()
            return True
        return False

    def _drag_to(self, position: QPointF) -> None:
        point = self.main_plot.plot_item.vb.mapSceneToView(self.main_plot.mapToScene(position.toPoint()))
        x, y = point.x(), max(point.y(), 0.0)
        xs = np.asarray(self.distribution.x_knots, dtype=float)
        heights = self._drawn_heights if getattr(self, "_drawn_heights", None) is not None else \
            np.asarray(self.distribution.pdf(xs), dtype=float)
        previous = getattr(self, "_last_drag", None) or (x, y)
        lo, hi = sorted((previous[0], x))
        # Set every knot the pointer swept over since the last event, interpolating the height between them.
        swept = (xs >= lo - 1e-12) & (xs <= hi + 1e-12)
        if not swept.any():
            swept[np.argmin(np.abs(xs - x))] = True
        if hi > lo:
            heights[swept] = np.interp(xs[swept], [previous[0], x] if previous[0] < x else [x, previous[0]],
                                       [previous[1], y] if previous[0] < x else [y, previous[1]])
        else:
            heights[swept] = y
        self._drawn_heights = heights
        self._last_drag = (x, y)
        self.knots.setData(xs, heights)
        self.pdf_curve.setData(xs, heights)
        self._redraw_timer.start()

    @Slot()
    def _send_drawn(self) -> None:
        heights = getattr(self, "_drawn_heights", None)
        if heights is None:
            return
        try:
            dist = sm.DrawnDensity(self.distribution.x_knots, heights)
        except ValueError as exc:
            self.message_bar.show_message(f"That drawing is not a density: {exc}", "warning")
            return
        self._drawn_heights = None if self._last_drag is None else dist.pdf(np.asarray(dist.x_knots))
        self.use_distribution(dist)

    @Slot()
    def _flatten_drawn(self) -> None:
        xs = np.asarray(self.distribution.x_knots, dtype=float)
        self._drawn_heights = None
        self.use_distribution(sm.DrawnDensity(xs, np.ones_like(xs)))

    # --- rendering -----------------------------------------------------------------------------------------------
    def _label_font(self):
        from PySide6.QtGui import QFont
        font = QFont()
        font.setPointSizeF(self.theme.font_size * 0.95)
        font.setBold(True)
        return font

    def _show_static(self, dist: Any) -> None:
        """Items that depend only on the distribution and sampler (visibility, ticks, axis titles)."""
        categorical = dist.kind == "categorical"
        self.histogram.setVisible(not categorical)
        self.pdf_curve.setVisible(not categorical)
        self.bars.setVisible(categorical)
        self.pmf_marks.setVisible(categorical)
        drawn = isinstance(dist, sm.DrawnDensity)
        self.knots.setVisible(drawn)
        self.main_legend.clear()
        self.main_legend.addItem(self.bars if categorical else self.histogram, "samples")
        self.main_legend.addItem(self.pmf_marks if categorical else self.pdf_curve,
                                 "true probability" if categorical else "true density")
        self.main_plot.set_labels(
            title=("Drag to draw the density — " if drawn else "") +
            ("Samples vs. true probabilities" if categorical else "Samples vs. true density"),
            x_label="outcome" if categorical else "x", y_label="probability" if categorical else "density")
        axis = self.main_plot.plot_item.getAxis("bottom")
        axis.setTicks([[(i, name) for i, name in enumerate(dist.outcomes)]] if categorical else None)
        sampler = self.sampler
        for item in (self.cdf_curve, self.guides, self.u_points):
            item.setVisible(sampler == "inverse_cdf")
        for item in (self.envelope, self.target_curve, self.accepted, self.rejected):
            item.setVisible(sampler == "rejection")
        for item in (self.bm_rays, self.bm_points):
            item.setVisible(sampler == "box_muller")
        self.anc_points.setVisible(sampler == "ancestral")
        for curve in self.anc_curves:
            curve.setVisible(False)
        sp = self.sampler_plot
        sp.plot_item.getAxis("bottom").setTicks(
            [[(i, name) for i, name in enumerate(dist.outcomes)]] if categorical else None)
        if sampler == "inverse_cdf":
            sp.set_labels(title="Inverse CDF: x = F⁻¹(u)",
                          x_label="outcome" if categorical else "x", y_label="F(x) = P(X ≤ x)")
            sp.plot_item.setAspectLocked(False)
        elif sampler == "rejection":
            t = self.theme
            sp.set_labels(title=f"Rejection: <span style='color:{t.good}'>● kept</span> "
                                f"<span style='color:{t.bad}'>✕ rejected</span>",
                          x_label="x", y_label="height")
            sp.plot_item.setAspectLocked(False)
        elif sampler == "box_muller":
            sp.set_labels(title="Box–Muller: r = √(−2 ln u₁), θ = 2πu₂", x_label="z₁", y_label="z₂")
            sp.plot_item.setAspectLocked(True)
        elif sampler == "ancestral":
            sp.set_labels(title="Ancestral: component first, then x", x_label="x",
                          y_label="weighted density")
            sp.plot_item.setAspectLocked(False)
        self._ensure_bar_labels(len(dist.outcomes) if categorical else 0)

    def _ensure_bar_labels(self, count: int) -> None:
        while len(self.bar_labels) < min(count, MAX_BAR_LABELS):
            label = pg.TextItem(anchor=(0.5, 1.0), color=self.theme.foreground)
            label.setFont(self._label_font())
            self.main_plot.addItem(label)
            self.bar_labels.append(label)
        for i, label in enumerate(self.bar_labels):
            label.setVisible(i < count)

    def render(self, snap: sm.SamplingSnapshot) -> None:
        if snap.kind == "categorical":
            self._render_categorical(snap)
        else:
            self._render_continuous(snap)
        self._render_sampler(snap)
        self._render_convergence(snap)
        self._render_readout(snap)

    def _render_categorical(self, snap: sm.SamplingSnapshot) -> None:
        k = len(snap.probs)
        x = np.arange(k, dtype=float)
        freq = snap.counts / snap.n if snap.n else np.zeros(k)
        self.bars.setOpts(x=x, height=freq, width=0.6)
        marks_x = np.repeat(x, 2) + np.tile([-0.4, 0.4], k)
        self.pmf_marks.setData(marks_x, np.repeat(snap.probs, 2))
        for i, label in enumerate(self.bar_labels[:k]):
            label.setText(f"{100 * freq[i]:.1f} %" if snap.n else "")
            label.setPos(i, max(freq[i], snap.probs[i]))
        top = max(float(snap.probs.max()), float(freq.max()) if snap.n else 0.0)
        self.main_plot.setXRange(-0.6, k - 0.4, padding=0)
        self.main_plot.setYRange(0, top * 1.25, padding=0)
        self.rug.setData([], [])

    def _render_continuous(self, snap: sm.SamplingSnapshot) -> None:
        widths = np.diff(snap.bin_edges)
        density = snap.counts / (snap.n * widths) if snap.n else np.zeros_like(widths)
        self.histogram.setData(snap.bin_edges, density)
        if getattr(self, "_drawn_heights", None) is None:
            self.pdf_curve.setData(snap.curve_x, snap.pdf_y)
            if isinstance(self.distribution, sm.DrawnDensity):
                xs = np.asarray(self.distribution.x_knots, dtype=float)
                self.knots.setData(xs, self.distribution.pdf(xs))
        components = snap.component_pdf_y
        for k, curve in enumerate(self.component_curves):
            if k < len(components):
                curve.setData(snap.curve_x, components[k])
                curve.setVisible(True)
            else:
                curve.setVisible(False)
        top = max(float(np.max(snap.pdf_y)), float(density.max()) if snap.n else 0.0)
        self.main_plot.setXRange(snap.bin_edges[0], snap.bin_edges[-1], padding=0.02)
        self.main_plot.setYRange(0, top * 1.15 if top > 0 else 1, padding=0)
        recent = snap.recent[-60:]
        self.rug.setData(recent, np.zeros(len(recent)))

    def _render_sampler(self, snap: sm.SamplingSnapshot) -> None:
        tr = snap.trace
        sp = self.sampler_plot
        if snap.sampler == "inverse_cdf":
            u, x = tr.get("u", np.empty(0))[-GUIDES_SHOWN:], tr.get("x", np.empty(0))[-GUIDES_SHOWN:]
            if snap.kind == "categorical":
                edges = np.concatenate([[0.0], np.cumsum(snap.probs)])
                k = len(snap.probs)
                steps_x = np.repeat(np.arange(-0.5, k + 0.5), 2)[1:-1]
                self.cdf_curve.setData(steps_x, np.repeat(edges[1:], 2))
                x0 = -0.5
                sp.setXRange(-0.6, k - 0.4, padding=0)
            else:
                self.cdf_curve.setData(snap.curve_x, snap.cdf_y)
                x0 = float(snap.curve_x[0])
                sp.setXRange(snap.curve_x[0], snap.curve_x[-1], padding=0.02)
            # For each draw: across from u on the y-axis to the curve, then down to x on the x-axis.
            n = len(u)
            path_x = np.column_stack([np.full(n, x0), x, x, np.full(n, np.nan)]).ravel()
            path_y = np.column_stack([u, u, np.zeros(n), np.full(n, np.nan)]).ravel()
            self.guides.setData(path_x, path_y)
            self.u_points.setData(np.full(n, x0), u)
            sp.setYRange(0, 1.05, padding=0)
        elif snap.sampler == "rejection":
            if snap.kind == "categorical":
                self.target_curve.setData(np.repeat(np.arange(len(snap.probs)), 2) + np.tile([-0.4, 0.4], len(snap.probs)),
                                          np.repeat(snap.probs, 2), connect="pairs")
                self.envelope.setData([-0.5, len(snap.probs) - 0.5], [snap.probs.max()] * 2)
                top = float(snap.probs.max())
            else:
                self.target_curve.setData(snap.curve_x, snap.pdf_y)
                self.envelope.setData(snap.curve_x, snap.envelope_y)
                top = float(np.max(snap.envelope_y)) if len(snap.envelope_y) else float(np.max(snap.pdf_y))
            ok = np.asarray(tr.get("accepted", np.empty(0, bool)), dtype=bool)
            xs, ys = tr.get("x", np.empty(0)), tr.get("y", np.empty(0))
            self.accepted.setData(xs[ok], ys[ok])
            self.rejected.setData(xs[~ok], ys[~ok])
            sp.setYRange(0, top * 1.1 if top > 0 else 1, padding=0)
            if snap.kind == "categorical":
                sp.setXRange(-0.6, len(snap.probs) - 0.4, padding=0)
            else:
                sp.setXRange(snap.curve_x[0], snap.curve_x[-1], padding=0.02)
        elif snap.sampler == "box_muller":
            z1, z2 = tr.get("z1", np.empty(0)), tr.get("z2", np.empty(0))
            self.bm_points.setData(z1, z2)
            last = min(GUIDES_SHOWN, len(z1))
            n = last
            rays_x = np.column_stack([np.zeros(n), z1[-n:], np.full(n, np.nan)]).ravel() if n else []
            rays_y = np.column_stack([np.zeros(n), z2[-n:], np.full(n, np.nan)]).ravel() if n else []
            self.bm_rays.setData(rays_x, rays_y)
            sp.setXRange(-4, 4, padding=0)
            sp.setYRange(-4, 4, padding=0)
        elif snap.sampler == "ancestral":
            components = snap.component_pdf_y
            for k, curve in enumerate(self.anc_curves):
                if k < len(components):
                    curve.setData(snap.curve_x, components[k])
                curve.setVisible(k < len(components))
            comp = np.asarray(tr.get("component", np.empty(0, int)), dtype=int)
            xs = tr.get("x", np.empty(0))
            if len(xs):
                heights = components[comp, np.clip(np.searchsorted(snap.curve_x, xs), 0, len(snap.curve_x) - 1)]
                jitter = np.linspace(0.15, 0.85, len(xs))[np.argsort(np.argsort(xs * 7919 % 1))]
                palette = np.array([color(self.theme.color(k + 1)).getRgb()[:3] for k in range(len(components))])
                self.anc_points.setData(xs, heights * jitter, palette[comp])
            else:
                self.anc_points.setData([], [], np.empty((0, 3)))
            sp.setXRange(snap.curve_x[0], snap.curve_x[-1], padding=0.02)
            sp.setYRange(0, float(components.max()) * 1.1 if components.size else 1, padding=0)

    def _render_convergence(self, snap: sm.SamplingSnapshot) -> None:
        if len(snap.tv_n) == 0:
            self.tv_curve.setData([], [])
            self.tv_reference.setData([], [])
            return
        # A distance of exactly 0 (possible for a few outcomes) has no place on a log axis: leave it out.
        shown = snap.tv > 0
        self.tv_curve.setData(snap.tv_n[shown].astype(float), snap.tv[shown])
        n = np.geomspace(1, max(10.0, float(snap.tv_n[-1])), 50)
        self.tv_reference.setData(n, np.minimum(1.0, snap.tv_reference / np.sqrt(n)))

    def _render_readout(self, snap: sm.SamplingSnapshot) -> None:
        rows = [f"<b>{snap.n:,}</b> samples of {snap.label}"]
        if snap.kind == "continuous" or snap.outcomes == ():
            if snap.n >= 2:
                rows.append(f"mean <b>{snap.sample_mean:.4g}</b> &nbsp;(true {snap.true_mean:.4g})")
                rows.append(f"variance <b>{snap.sample_var:.4g}</b> &nbsp;(true {snap.true_var:.4g})")
            else:
                rows.append(f"true mean {snap.true_mean:.4g}, true variance {snap.true_var:.4g}")
        if snap.sampler == "rejection" and np.isfinite(snap.acceptance_rate):
            rows.append(f"acceptance rate <b>{100 * snap.acceptance_rate:.1f} %</b> (area under f ÷ area under "
                        "the envelope)")
        rows.append(gof_sentence(snap))
        self.readout.setText("<br>".join(rows))


def gof_sentence(snap: Any) -> str:
    """One sentence a student can read: what the goodness-of-fit p-value means right now."""
    if not np.isfinite(snap.gof_p):
        return "Goodness of fit: draw more samples (the chi-square test needs a few per bin)."
    p = snap.gof_p
    head = f"{snap.gof_test.capitalize()} test: <b>p = {p:.3g}</b>. "
    chance = f"{100 * p:.1f} %" if p >= 0.001 else "less than 0.1 %"
    if p >= 0.01:
        return head + (f"If the samples come from this distribution, a mismatch this large happens {chance} of the "
                       "time — no evidence of a problem.")
    return head + (f"A mismatch this large would happen only {chance} of the time by chance — evidence the "
                   "samples do not follow the distribution.")
