"""GAN 1-D: a generator learns a distribution against a discriminator — collapse, fixes, and rewind."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from playground.models import gan as gm
from playground.panels.base import Panel
from playground.theme import Theme
from playground.widgets.layout import group, rich_label
from playground.widgets.params import Param, ParamForm
from playground.widgets.plots import ThemedPlot, brush, pen

HIDDEN_WIDTHS = (8, 16, 32, 64, 128)
BATCH_SIZES = (32, 64, 128, 256, 512, 1024)
LOSS_TITLES = {"non_saturating": "non-saturating", "minimax": "minimax (original)", "wgan_gp": "WGAN-GP"}
HISTOGRAM_BINS = 60


class GANPanel(Panel):
    name = "gan"
    title = "GAN 1-D"
    icon = "gan.svg"
    default_speed = 100  # training steps per second

    # --- model -----------------------------------------------------------------------------------------------
    def create_model(self) -> gm.GAN1D:
        self.preset = "Mode collapse"
        self.target_name = gm.GAN_PRESETS[self.preset]["kwargs"]["target"]
        self.custom_target: gm.Target1D | None = None
        self.hidden_width = 32
        model = gm.make_preset(self.preset)
        self.seed = model.seed  # a scene's claim holds at its own seed
        return model

    def _new_model(self, **overrides: Any) -> bool:
        """A structural change (target, width, preset): a fresh model, the live parameters carried over.
        False (and a message) if the model refuses the settings; the old model then stays."""
        kwargs = {**self._live_values(), "hidden": (self.hidden_width, self.hidden_width), "seed": self.seed,
                  "target": self.custom_target or self.target_name, **overrides}
        try:
            model = gm.GAN1D(**kwargs)
        except ValueError as exc:
            self.message_bar.show_message(str(exc), "warning")
            return False
        self.replace_model(model)  # the new worker draws it at once
        return True

    def _live_values(self) -> dict[str, Any]:
        values = self.train_form.values()
        return {"loss": self.loss_box.currentData(), "noise": self.noise_box.currentText(),
                "lr_g": float(values["lr_g"]), "lr_d": float(values["lr_d"]), "d_steps": int(values["d_steps"]),
                "batch_size": int(self.batch_box.currentText()), "gp_weight": float(values["gp_weight"])}

    # --- settings --------------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {**super().state(), "preset": self.preset, "target": self.target_name, "hidden": self.hidden_width,
                **self._live_values()}

    def restore_state(self, state: dict[str, Any]) -> None:
        target = state.get("target", self.target_name)
        if target not in gm.TARGETS:
            raise ValueError(f"there is no target called {target!r}")
        hidden = int(state.get("hidden", self.hidden_width))
        if hidden not in HIDDEN_WIDTHS:
            raise ValueError(f"a hidden width of {hidden} is not one of the choices")
        live = {k: state[k] for k in ("loss", "noise", "lr_g", "lr_d", "d_steps", "batch_size", "gp_weight")
                if k in state}
        model = gm.GAN1D(target, hidden=(hidden, hidden), seed=int(state.get("seed", self.seed)), **live)
        super().restore_state(state)
        self.model = model
        self.preset = state.get("preset", "") if state.get("preset") in gm.GAN_PRESETS else ""
        self.target_name, self.hidden_width = target, hidden
        self._show_values(model.hyperparameters(), target, hidden)
        self._show_preset_story()

    # --- lessons ---------------------------------------------------------------------------------------------
    def preset_state(self, name: str) -> dict[str, Any]:
        """A scene's settings, its seed included (a scene's claim holds at its own seed)."""
        if name not in gm.GAN_PRESETS:
            raise ValueError(f"there is no scene called {name!r}; the scenes are: {', '.join(gm.GAN_PRESETS)}")
        live = ("loss", "noise", "lr_g", "lr_d", "d_steps", "batch_size", "gp_weight")
        unsaved = set(gm.GAN_PRESETS[name]["kwargs"]) - {"target", "hidden", "seed", *live}
        if unsaved:  # e.g. Adam's betas: state() does not keep them, so restoring would quietly lose them
            raise ValueError(f"the scene {name!r} sets {', '.join(sorted(unsaved))}, which a lesson cannot set; "
                             "choose another scene")
        model = gm.make_preset(name)
        hyper = model.hyperparameters()
        return {"preset": name, "seed": model.seed, "target": gm.GAN_PRESETS[name]["kwargs"]["target"],
                "hidden": model.hidden[0], **{k: hyper[k] for k in live}}

    def lesson_targets(self) -> dict[str, Any]:
        return {**super().lesson_targets(), "densities": self.density_plot, "discriminator": self.d_plot,
                "mapping": self.map_plot, "losses": self.loss_plot, "distance": self.w_plot,
                "readout": self.readout, "scene": self.story, "timeline": self.timeline,
                "step-d": self.step_d_button, "step-g": self.step_g_button}

    # --- Copy as Python, Export data as CSV ------------------------------------------------------------------
    def python_script(self) -> str:
        from playground.scripts.gan import gan_script
        return gan_script(self.state(), self.last_snapshot, betas=self.model.betas, custom_target=self.custom_target)

    def export_tables(self) -> list:
        from playground.export_csv import gan_tables
        return gan_tables(self.last_snapshot)

    # --- sessions --------------------------------------------------------------------------------------------
    def session_state(self) -> dict[str, Any]:
        """A loaded CSV column too: the numbers themselves, since the file may be gone next time."""
        state = self.state()
        if self.custom_target is not None:
            state.update(data=self.custom_target.data.copy(), data_name=self.custom_target.name)
        return state

    def restore_session(self, state: dict[str, Any]) -> None:
        if "data" not in state:
            self.restore_state(state)
            return
        custom = gm.Empirical1D(state["data"], name=str(state.get("data_name", "your data")))
        hidden = state.get("hidden", self.hidden_width)
        live = {k: state[k] for k in ("loss", "noise", "lr_g", "lr_d", "d_steps", "batch_size", "gp_weight")
                if k in state}
        # Built first so that bad numbers or settings change nothing; restore_state then sets up the controls.
        model = gm.GAN1D(custom, hidden=(hidden, hidden), seed=state.get("seed", self.seed), **live)
        self.restore_state(state)
        self.model, self.custom_target = model, custom
        self.message_bar.show_message(f"Target: {len(custom.data):,} numbers from {custom.name}.", "info")

    # --- building --------------------------------------------------------------------------------------------
    def build(self) -> None:
        self.set_controls_and_plots(self._build_controls(), self._build_plots())
        self._show_values(self.model.hyperparameters(), self.target_name, self.hidden_width)
        self._show_preset_story()

    def _build_controls(self) -> QWidget:
        self.preset_box = QComboBox()
        self.preset_box.addItems(["(your own settings)", *gm.GAN_PRESETS])
        self.preset_box.setCurrentText(self.preset)
        self.preset_box.currentTextChanged.connect(self._preset_chosen)
        self.story = rich_label()
        preset_group = group("Scene", self.preset_box, self.story)

        self.target_box = QComboBox()
        for name, target in gm.TARGETS.items():
            self.target_box.addItem(name, name)
            self.target_box.setItemData(self.target_box.count() - 1, target.description, Qt.ItemDataRole.ToolTipRole)
        self.target_box.currentIndexChanged.connect(self._target_chosen)
        self.load_button = QPushButton("Load CSV column…")
        self.load_button.clicked.connect(self._load_csv_dialog)
        self.loss_box = QComboBox()
        for name in gm.LOSSES:
            self.loss_box.addItem(LOSS_TITLES[name], name)
        self.loss_box.currentIndexChanged.connect(lambda _: self._live_changed("loss", self.loss_box.currentData()))
        self.noise_box = QComboBox()
        self.noise_box.addItems(list(gm.NOISES))
        self.noise_box.currentTextChanged.connect(lambda v: self._live_changed("noise", v))
        self.hidden_box = QComboBox()
        self.hidden_box.addItems([str(w) for w in HIDDEN_WIDTHS])
        self.hidden_box.currentTextChanged.connect(self._hidden_chosen)
        self.batch_box = QComboBox()
        self.batch_box.addItems([str(b) for b in BATCH_SIZES])
        self.batch_box.currentTextChanged.connect(lambda v: self._live_changed("batch_size", int(v)))
        model_group = QGroupBox("Model")
        grid = QGridLayout(model_group)
        for row, (label, widget) in enumerate((("Target", self.target_box), ("", self.load_button),
                                               ("Loss", self.loss_box), ("Noise z", self.noise_box),
                                               ("Hidden width", self.hidden_box), ("Batch size", self.batch_box))):
            grid.addWidget(QLabel(label), row, 0)
            grid.addWidget(widget, row, 1)

        self.train_form = ParamForm([
            Param("lr_g", "lr G", 1e-3, kind="slider", minimum=1e-5, maximum=3e-2, log=True,
                  help="Generator learning rate"),
            Param("lr_d", "lr D", 1e-3, kind="slider", minimum=1e-5, maximum=3e-2, log=True,
                  help="Discriminator learning rate"),
            Param("d_steps", "D steps per G step", 1, kind="int"),
            Param("gp_weight", "Gradient penalty λ", 1.0, help="WGAN-GP only: weight of (|f′(x̂)| − 1)²"),
        ])
        self.train_form.edited.connect(self._form_edited)
        self.step_d_button = QPushButton("Step D")
        self.step_d_button.setToolTip("One discriminator update only")
        self.step_g_button = QPushButton("Step G")
        self.step_g_button.setToolTip("One generator update only")
        self.step_d_button.clicked.connect(lambda: self.call(lambda m: m.step_d(), "step D"))
        self.step_g_button.clicked.connect(lambda: self.call(lambda m: m.step_g(), "step G"))
        row = QHBoxLayout()
        row.addWidget(self.step_d_button)
        row.addWidget(self.step_g_button)
        train_group = group("Training", self.train_form, row)

        self.readout = rich_label(name="Readout")
        readout_group = group("Now", self.readout)

        controls = QWidget()
        layout = QVBoxLayout(controls)
        for box in (preset_group, model_group, train_group, readout_group):
            layout.addWidget(box)
        layout.addStretch(1)
        return controls

    def _build_plots(self) -> QWidget:
        t = self.theme
        self.density_plot = ThemedPlot(t, title="Real data vs generated", x_label="", y_label="density")
        self.d_plot = ThemedPlot(t, title="", x_label="", y_label="D(x)")
        self.map_plot = ThemedPlot(t, title="Noise z → generated G(z)", x_label="x", y_label="")
        self.loss_plot = ThemedPlot(t, title="Losses", x_label="step", y_label="loss")
        self.w_plot = ThemedPlot(t, title="W₁ to the data ↓", x_label="step", y_label="W₁ (x units)")
        for plot in (self.density_plot, self.d_plot, self.map_plot, self.loss_plot, self.w_plot):
            plot.setMouseEnabled(False, False)
        for plot in (self.d_plot, self.map_plot):
            plot.setXLink(self.density_plot)

        dp = self.density_plot
        self.target_curve = dp.styled(pg.PlotDataItem(fillLevel=0), lambda i, t: (
            i.setPen(pen(t, t.accent, width=1.1)), i.setBrush(brush(t.accent, 0.12))))
        self.generated_hist = dp.styled(pg.PlotDataItem(stepMode="center", fillLevel=0), lambda i, t: (
            i.setPen(pen(t, t.color(1), width=0.5)), i.setBrush(brush(t.color(1), 0.35))))
        self.generated_curve = dp.styled(pg.PlotDataItem(), lambda i, t: i.setPen(pen(t, t.color(1), width=1.2)))
        legend = dp.add_legend()
        legend.addItem(self.target_curve, "real data")
        legend.addItem(self.generated_hist, "generated")

        d = self.d_plot
        self.half_line = d.styled(pg.InfiniteLine(angle=0, pos=0.5), lambda i, t: i.setPen(pen(t, t.muted, width=0.6,
                                                                                             dashed=True)))
        self.d_curve = d.styled(pg.PlotDataItem(), lambda i, t: i.setPen(pen(t, t.color(0), width=1.2)))
        self.push_lines = d.styled(pg.PlotDataItem(connect="pairs"), lambda i, t: i.setPen(pen(t, t.color(3),
                                                                                               width=1.0)))
        self.push_heads_right = d.styled(pg.ScatterPlotItem(symbol="t2"), lambda i, t: (
            i.setSize(t.marker * 1.4), i.setBrush(brush(t.color(3))), i.setPen(None)))
        self.push_heads_left = d.styled(pg.ScatterPlotItem(symbol="t3"), lambda i, t: (
            i.setSize(t.marker * 1.4), i.setBrush(brush(t.color(3))), i.setPen(None)))
        self.push_dots = d.styled(pg.ScatterPlotItem(), lambda i, t: (
            i.setSize(t.marker * 0.8), i.setBrush(brush(t.color(1))), i.setPen(None)))

        m = self.map_plot
        self.map_lines = m.styled(pg.PlotDataItem(connect="pairs"), lambda i, t: i.setPen(pen(t, t.color(1), width=0.6,
                                                                                              alpha=0.7)))
        self.map_z = m.styled(pg.ScatterPlotItem(), lambda i, t: (i.setSize(t.marker * 0.8),
                                                                   i.setBrush(brush(t.muted)), i.setPen(None)))
        self.map_gz = m.styled(pg.ScatterPlotItem(), lambda i, t: (i.setSize(t.marker * 0.8),
                                                                    i.setBrush(brush(t.color(1))), i.setPen(None)))
        m.plot_item.getAxis("left").setTicks([[(0.0, "z"), (1.0, "G(z)")], []])
        m.setYRange(-0.1, 1.1, padding=0)

        self.d_loss_curve = self.loss_plot.styled(pg.PlotDataItem(), lambda i, t: i.setPen(pen(t, t.color(0),
                                                                                                width=0.9)))
        self.g_loss_curve = self.loss_plot.styled(pg.PlotDataItem(), lambda i, t: i.setPen(pen(t, t.color(1),
                                                                                                width=0.9)))
        losses = self.loss_plot.add_legend()
        losses.addItem(self.d_loss_curve, "D")
        losses.addItem(self.g_loss_curve, "G")
        self.w_curve = self.w_plot.styled(pg.PlotDataItem(), lambda i, t: i.setPen(pen(t, t.color(2), width=1.1)))

        self.timeline = QSlider(Qt.Orientation.Horizontal)
        self.timeline.setToolTip("Drag back through training and release: training resumes from there")
        self.timeline.sliderReleased.connect(self._rewind_to_slider)
        self.timeline.valueChanged.connect(self._timeline_moved)
        self.timeline_label = QLabel("Timeline")
        timeline_row = QWidget()
        row = QHBoxLayout(timeline_row)
        row.setContentsMargins(6, 0, 6, 0)
        row.addWidget(QLabel("Rewind"))
        row.addWidget(self.timeline, 1)
        row.addWidget(self.timeline_label)

        left = QSplitter(Qt.Orientation.Vertical)
        for plot in (self.density_plot, self.d_plot, self.map_plot):
            left.addWidget(plot)
        left.setSizes([300, 150, 170])
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.loss_plot)
        right.addWidget(self.w_plot)
        plots = QSplitter(Qt.Orientation.Horizontal)
        plots.addWidget(left)
        plots.addWidget(right)
        plots.setStretchFactor(0, 3)
        plots.setStretchFactor(1, 2)
        plots.setSizes([620, 360])
        outer = QWidget()
        layout = QVBoxLayout(outer)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(plots, 1)
        layout.addWidget(timeline_row)
        return outer

    def apply_theme(self, theme: Theme) -> None:
        super().apply_theme(theme)
        for plot in (self.density_plot, self.d_plot, self.map_plot, self.loss_plot, self.w_plot):
            plot.apply_theme(theme)
        if self.last_snapshot is not None:
            self.render(self.last_snapshot)

    # --- controls --------------------------------------------------------------------------------------------
    def _show_values(self, hyper: dict[str, Any], target: str, hidden: int) -> None:
        for box, value in ((self.loss_box, LOSS_TITLES[hyper["loss"]]), (self.noise_box, hyper["noise"]),
                           (self.batch_box, str(hyper["batch_size"])), (self.hidden_box, str(hidden))):
            box.blockSignals(True)
            box.setCurrentText(value)
            box.blockSignals(False)
        self.target_box.blockSignals(True)
        index = self.target_box.findData(target)
        if index >= 0:
            self.target_box.setCurrentIndex(index)
        self.target_box.blockSignals(False)
        self.train_form.set_values({k: hyper[k] for k in ("lr_g", "lr_d", "d_steps", "gp_weight")})
        self.preset_box.blockSignals(True)
        self.preset_box.setCurrentText(self.preset or "(your own settings)")
        self.preset_box.blockSignals(False)

    def _show_preset_story(self) -> None:
        preset = gm.GAN_PRESETS.get(self.preset)
        if preset is None:
            self.story.setText("Your own settings. Pick a scene to see a failure mode and its fix.")
            return
        self.story.setText(f"<b>What happens</b> (about {preset['steps']:,} steps): {preset['claim']}<br><br>"
                           f"<b>Watch</b>: {preset['watch']}")

    @Slot(str)
    def _preset_chosen(self, name: str) -> None:
        if name not in gm.GAN_PRESETS:
            self.preset = ""
            self._show_preset_story()
            return
        self.preset = name
        kwargs = gm.GAN_PRESETS[name]["kwargs"]
        model = gm.make_preset(name)
        self.target_name, self.custom_target = kwargs["target"], None
        self.hidden_width = model.hidden[0]
        self.seed = model.seed
        self.seed_changed.emit(self.seed)
        self._show_values(model.hyperparameters(), self.target_name, self.hidden_width)
        self._show_preset_story()
        self.replace_model(model)
        self.message_bar.clear()

    def _leave_preset(self) -> None:
        if self.preset:
            self.preset = ""
            self.preset_box.blockSignals(True)
            self.preset_box.setCurrentIndex(0)
            self.preset_box.blockSignals(False)
            self._show_preset_story()

    @Slot(int)
    def _target_chosen(self, _index: int) -> None:
        self.target_name, self.custom_target = self.target_box.currentData(), None
        self._leave_preset()
        self._new_model()

    @Slot(str)
    def _hidden_chosen(self, text: str) -> None:
        self.hidden_width = int(text)
        self._leave_preset()
        self._new_model()

    def _live_changed(self, name: str, value: Any) -> None:
        self._leave_preset()
        self.set_params(**{name: value})

    @Slot(str, object)
    def _form_edited(self, name: str, value: Any) -> None:
        if name == "d_steps" and not 1 <= value <= 50:
            self.train_form.set_error(name, "between 1 and 50")
            return
        if name == "gp_weight" and not 0 <= value <= 1000:
            self.train_form.set_error(name, "between 0 and 1000")
            return
        self.train_form.accept(name, value)
        self._live_changed(name, value)

    @Slot()
    def _load_csv_dialog(self) -> None:
        self.ask_for_file("Load a column of numbers", self.CSV_FILES, self.load_csv)

    def load_csv(self, path: str, column: int | str = 0) -> bool:
        target = self.read_user_file(lambda p: gm.Empirical1D.from_csv(p, column), path)
        if target is None:
            return False
        if not self._new_model(target=target):
            return False
        self.custom_target = target
        self._leave_preset()
        text = f"Target: {len(target.data):,} numbers from {Path(path).name}."
        if target.skipped_lines:
            lines = ", ".join(str(n) for n in target.skipped_lines[:8]) + (" …" if len(target.skipped_lines) > 8 else "")
            self.message_bar.show_message(f"{text} Skipped {len(target.skipped_lines)} row(s) with no usable number "
                                          f"in that column: line {lines}.", "warning")
        else:
            self.message_bar.show_message(text, "info")
        return True

    # --- timeline --------------------------------------------------------------------------------------------
    def _timeline_steps(self) -> np.ndarray:
        return self.last_snapshot.timeline_steps if self.last_snapshot is not None else np.empty(0, int)

    @Slot(int)
    def _timeline_moved(self, index: int) -> None:
        steps = self._timeline_steps()
        if self.timeline.isSliderDown() and len(steps):
            self.timeline_label.setText(f"step {steps[min(index, len(steps) - 1)]:,}")

    @Slot()
    def _rewind_to_slider(self) -> None:
        steps = self._timeline_steps()
        if not len(steps):
            return
        target = int(steps[min(self.timeline.value(), len(steps) - 1)])
        self.rewind(target)

    def rewind(self, step: int) -> None:
        self.pause()
        self.call(lambda m: m.rewind(step), "rewind", on_done=lambda s: self.message_bar.show_message(
            f"Rewound to step {s:,}. Press Play to train on from here (change a setting first to try another path).",
            "info"))

    def on_fault(self, fault) -> None:
        """A diverging run was already rolled back to its last good frame; offer to go further back, to the last
        timeline point, which is usually before the trouble started."""
        steps = self._timeline_steps()
        if fault.bad_input or not len(steps):
            super().on_fault(fault)
            return
        target = int(steps[-1])
        self.message_bar.show_message(
            f"{fault.message} Lower the learning rates, then rewind and train on.", "error",
            action=(f"Rewind to step {target:,}", lambda: self.rewind(target)))

    # --- rendering -------------------------------------------------------------------------------------------
    def render(self, snap: gm.GANSnapshot) -> None:
        x = snap.x_grid
        self.target_curve.setData(x, snap.target_pdf)
        counts, edges = np.histogram(snap.generated, bins=HISTOGRAM_BINS, range=(x[0], x[-1]))
        density = counts / max(1, len(snap.generated)) / np.diff(edges)
        self.generated_hist.setData(edges, density)
        self.generated_curve.setData(x, snap.generated_density)
        top = max(float(snap.target_pdf.max()), float(density.max()), float(snap.generated_density.max()))
        if (x[0], x[-1]) != getattr(self, "_x_span", None):  # the grid is fixed for a model's life
            self._x_span = (x[0], x[-1])
            self.density_plot.setXRange(x[0], x[-1], padding=0)
        self.density_plot.follow(y=(0.0, top if top > 0 else 1.0))

        wgan = snap.loss_name == "wgan_gp"
        self.d_plot.set_labels(y_label="critic f(x)" if wgan else "D(x)",
                               title="Critic f(x): higher = more real" if wgan else "D(x) = P(real)")
        self.half_line.setVisible(not wgan)
        self.d_curve.setData(x, snap.d_of_x)
        lo, hi = (float(snap.d_of_x.min()), float(snap.d_of_x.max())) if wgan else (0.0, 1.0)
        span = max(hi - lo, 1e-6)
        self.d_plot.setYRange(lo - 0.08 * span, hi + 0.08 * span, padding=0)
        self._render_push(snap, lo, span)

        z = snap.z_strip
        # Noise values drawn on the same axis as the data, scaled into the data's range so both rows are readable.
        z_pos = x[0] + (z - z.min()) / max(np.ptp(z), 1e-9) * (x[-1] - x[0])
        self.map_lines.setData(np.column_stack([z_pos, snap.g_of_z]).ravel(),
                               np.tile([0.0, 1.0], len(z)))
        self.map_z.setData(z_pos, np.zeros(len(z)))
        self.map_gz.setData(snap.g_of_z, np.ones(len(z)))

        self.d_loss_curve.setData(snap.loss_steps, snap.d_loss_history)
        self.g_loss_curve.setData(snap.loss_steps, snap.g_loss_history)
        self.w_curve.setData(snap.wasserstein_steps, snap.wasserstein_history)
        if len(snap.loss_steps):
            losses = np.concatenate([snap.d_loss_history, snap.g_loss_history])
            losses = losses[np.isfinite(losses)]
            if len(losses):
                self.loss_plot.follow(x=(0.0, float(snap.loss_steps[-1])),
                                      y=(float(losses.min()), float(losses.max())))
        if len(snap.wasserstein_steps):
            self.w_plot.follow(x=(0.0, float(snap.wasserstein_steps[-1])),
                               y=(0.0, float(np.nanmax(snap.wasserstein_history))))
        # Text re-lays out the controls column; five times a second is plenty to read it.
        now = time.monotonic()
        if now - getattr(self, "_last_text", 0.0) > 0.2 or not self.playing:
            self._last_text = now
            self._render_timeline(snap)
            self._render_readout(snap)

    def _render_push(self, snap: gm.GANSnapshot, lo: float, span: float) -> None:
        """Arrows on a few generated samples: which way, and how hard, the generator is pushed."""
        if not len(snap.push_x):
            for item in (self.push_lines, self.push_heads_left, self.push_heads_right, self.push_dots):
                item.setData([], [])
            return
        x = snap.x_grid
        width = x[-1] - x[0]
        scale = 0.08 * width / max(float(np.abs(snap.push).max()), 1e-12)
        ends = snap.push_x + scale * snap.push
        y = lo + span * (0.1 + 0.8 * np.linspace(0, 1, len(snap.push_x)))  # stagger so arrows never overlap
        self.push_lines.setData(np.column_stack([snap.push_x, ends]).ravel(), np.repeat(y, 2))
        right, left = snap.push > 0, snap.push < 0
        self.push_heads_right.setData(ends[right], y[right])
        self.push_heads_left.setData(ends[left], y[left])
        self.push_dots.setData(snap.push_x, y)

    def _render_timeline(self, snap: gm.GANSnapshot) -> None:
        steps = snap.timeline_steps
        if self.timeline.isSliderDown():
            return
        self.timeline.blockSignals(True)
        self.timeline.setRange(0, max(0, len(steps) - 1))
        self.timeline.setValue(max(0, len(steps) - 1))
        self.timeline.blockSignals(False)
        self.timeline_label.setText(f"step {snap.step:,}")

    def _render_readout(self, snap: gm.GANSnapshot) -> None:
        rows = [f"step <b>{snap.step:,}</b> · loss {LOSS_TITLES[snap.loss_name]}",
                f"distance to the data W₁ = <b>{snap.wasserstein:.3f}</b>"]
        if np.isfinite(snap.d_loss):
            rows.append(f"D loss {snap.d_loss:.3f} · G loss {snap.g_loss:.3f}")
        if len(snap.mode_shares):
            shares = " · ".join(f"{100 * s:.0f} %" for s in snap.mode_shares)
            rows.append(f"samples per mode: <b>{shares}</b>")
            if snap.mode_shares.max() > 0.9 and len(snap.mode_shares) > 1:
                rows.append(f"<span style='color:{self.theme.bad}'><b>Mode collapse</b>: one mode takes "
                            f"{100 * snap.mode_shares.max():.0f} % of the samples.</span>")
        self.readout.setText("<br>".join(rows))
