"""Diffusion: a network learns to undo noise — the forward process, the reverse process step by step, the learned
score field, the flow of the density over time, and what fewer sampling steps cost."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSlider,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from playground.models import diffusion as dm
from playground.models.datasets.loaders import load_points_csv
from playground.panels.base import Panel
from playground.panels.diffusion_views import FlowView, StepsStrip, arrow_segments, data_box, show_cloud, trail_paths
from playground.theme import Theme
from playground.widgets.params import Param, ParamForm
from playground.widgets.plots import ThemedPlot, brush, log_ticks, pen
from playground.widgets.point_cloud import ColouredPoints

DRAW = "Draw your own"
HIDDEN_WIDTHS = ("32", "64", "128", "256")
BATCH_SIZES = ("64", "128", "256", "512", "1024", "2048")
METHODS = {"DDPM": "ddpm", "DDIM": "ddim"}
#: Small enough to learn Eight Gaussians in a few seconds of Play on a laptop (≈ 0.5 ms a step), big enough to look
#: right: 3 × 64 hidden units, T = 100.
DEFAULTS: dict[str, Any] = {"T": 100, "schedule": "linear", "hidden": "64", "input_embedding": "fourier",
                            "lr": 3e-3, "batch_size": "256"}
STRUCTURAL = ("T", "schedule", "hidden", "input_embedding")
#: Training steps between two measurements of sample quality (each is a DDPM run of 1000 points).
EVAL_EVERY = 250
N_PARTICLES = 2000
N_TRAILS = 20
#: A sampling run plays back in about this long, whatever its number of steps.
PLAYBACK_SECONDS = 3.0
FRAME_MS = 33
SPRAY_PER_EVENT = 6
SPRAY_RADIUS_PX = 12
#: Releasing the mouse applies the drawing after this pause (another stroke started within it waits for that one).
DRAW_DEBOUNCE_MS = 300
#: The drawing canvas always shows at least this box, so strokes do not shift the view.
CANVAS = np.array([[-5.0, -5.0], [5.0, 5.0]])
FIELD_PER_SIDE = 20
FORWARD_CACHE_SIZE = 400
#: Saved drawings / CSV points larger than this are not stored in the settings.
MAX_SAVED_POINTS = 5000


class DiffusionPanel(Panel):
    name = "diffusion"
    title = "Diffusion"
    icon = "diffusion.svg"
    default_speed = None  # one training minibatch is ~0.5 ms: as fast as possible

    # --- model -----------------------------------------------------------------------------------------------
    def create_model(self) -> dm.DiffusionTrainer:
        self.config: dict[str, Any] = dict(DEFAULTS)
        self.data_choice = "Eight Gaussians"
        self.user_points: np.ndarray | None = None      # the points of a drawing or a CSV, once applied
        self.drawing = np.empty((0, 2))                  # the strokes so far (applied on mouse release)
        self.spray_rng = np.random.default_rng(0)
        self.generation = 0                              # bumped whenever the model is replaced or reset
        self.forward_cache: dict[int, np.ndarray] = {}
        self._in_flight: dict[str, bool] = {}
        self._wanted: dict[str, tuple] = {}
        self.run: dm.ReverseRun | None = None
        self.run_step = 0
        self.frame = 0
        self.field_key: tuple | None = None
        self.heatmap_key: tuple | None = None
        self._view_key: tuple | None = None
        return self._make_trainer("Eight Gaussians", self.config, self.seed)

    @staticmethod
    def _make_trainer(data: str | np.ndarray, config: dict[str, Any], seed: int) -> dm.DiffusionTrainer:
        width = int(config["hidden"])
        return dm.DiffusionTrainer(data, T=int(config["T"]), schedule=config["schedule"], hidden=(width,) * 3,
                                   input_embedding=config["input_embedding"], lr=float(config["lr"]),
                                   batch_size=int(config["batch_size"]), seed=seed, eval_every=EVAL_EVERY)

    def _data_argument(self) -> str | np.ndarray:
        return self.user_points if self.user_points is not None else self.data_choice

    def _rebuild(self, *, data: str | np.ndarray | None = None, config: dict[str, Any] | None = None) -> bool:
        """A structural change: a fresh model (training starts again). On bad input the old model stays."""
        config = dict(self.config if config is None else config)
        try:
            model = self._make_trainer(self._data_argument() if data is None else data, config, self.seed)
        except ValueError as exc:
            self.message_bar.show_message(f"The model was not changed: {exc}", "warning")
            return False
        self.config = config
        self._new_generation()
        self.replace_model(model)
        return True

    def _new_generation(self) -> None:
        """What was computed for the previous model is stale: forget it and any requests still on their way."""
        self.generation += 1
        self.forward_cache.clear()
        self._in_flight.clear()
        self._wanted.clear()
        self.field_key = self.heatmap_key = None
        self._view_key = None
        self.flow_view.show_heatmap(None)
        self.flow_status.setText("Press Compute to draw the whole flow.")
        self.steps_strip.clear([])
        self._release_buttons()  # late answers for the old model are dropped, so nothing else would re-enable them

    def reset(self, seed: int | None = None) -> None:
        super().reset(seed)
        self._new_generation()

    # --- settings --------------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        state = {**super().state(), **self.config, "data": self.data_choice,
                 "method": self.sampling_form.values()["method"],
                 "ddim_steps": self.sampling_form.values()["ddim_steps"]}
        if self.user_points is not None and len(self.user_points) <= MAX_SAVED_POINTS:
            state["points"] = np.round(self.user_points, 5).tolist()
        return state

    def restore_state(self, state: dict[str, Any]) -> None:
        config = {key: state.get(key, DEFAULTS[key]) for key in DEFAULTS}
        config["hidden"], config["batch_size"] = str(config["hidden"]), str(config["batch_size"])
        if config["hidden"] not in HIDDEN_WIDTHS or config["batch_size"] not in BATCH_SIZES:
            raise ValueError("a saved hidden width or batch size is not one of the choices")
        choice = state.get("data", self.data_choice)
        points = None
        if "points" in state:
            points = np.asarray(state["points"], dtype=float)
        elif choice not in dm.DIFFUSION_PRESETS:
            choice = "Eight Gaussians"     # a drawing or file too large to save: start from the default
        method = state.get("method", "DDPM")
        if method not in METHODS:
            raise ValueError(f"there is no sampling method called {method!r}")
        model = self._make_trainer(points if points is not None else choice, config,
                                   int(state.get("seed", self.seed)))
        super().restore_state(state)
        self.model = model
        self.config, self.data_choice, self.user_points = config, choice, points
        self.drawing = points.copy() if points is not None and choice == DRAW else np.empty((0, 2))
        self.model_form.set_values(config)
        self.sampling_form.set_values({"method": method, "ddim_steps": int(state.get("ddim_steps", 20))})
        self._show_data_choice()
        self._method_shown()

    # --- lessons ---------------------------------------------------------------------------------------------
    def lesson_targets(self) -> dict[str, Any]:
        return {**super().lesson_targets(), "forward": self.forward_plot, "reverse": self.reverse_plot,
                "samples": self.samples_plot, "schedule": self.schedule_plot, "loss": self.loss_plot,
                "quality": self.quality_plot, "score-field": self.field_plot, "flow": self.flow_view,
                "steps-strip": self.steps_strip, "readout": self.readout, "sample": self.sample_button,
                "run-steps": self.steps_button, "compute-flow": self.flow_button}

    # --- Copy as Python, Export data as CSV ------------------------------------------------------------------
    def python_script(self) -> str:
        from playground.scripts.diffusion import diffusion_script
        return diffusion_script(self.state(), self.user_points, self.last_snapshot)

    def export_tables(self) -> list:
        from playground.export_csv import diffusion_tables
        return diffusion_tables(self.last_snapshot)

    # --- sessions --------------------------------------------------------------------------------------------
    def session_state(self) -> dict[str, Any]:
        """The user's points exactly and however many (state() rounds them and leaves out large sets)."""
        state = self.state()
        if self.user_points is not None:
            state["points"] = self.user_points.copy()
        return state

    # --- building --------------------------------------------------------------------------------------------
    def build(self) -> None:
        self.set_controls_and_plots(self._build_controls(), self._build_plots())
        self._draw_timer = QTimer(self, singleShot=True, interval=DRAW_DEBOUNCE_MS)
        self._draw_timer.timeout.connect(self.apply_drawing)
        self._play_timer = QTimer(self, interval=FRAME_MS)
        self._play_timer.timeout.connect(self._play_tick)
        self._method_shown()
        self._show_reverse_frame()

    def _build_controls(self) -> QWidget:
        self.data_box = QComboBox()
        self.data_box.addItems([*dm.DIFFUSION_PRESETS, DRAW])
        self.data_box.setCurrentText(self.data_choice)
        self.data_box.currentTextChanged.connect(self._data_chosen)
        self.clear_button = QPushButton("Clear drawing")
        self.clear_button.clicked.connect(self.clear_drawing)
        self.load_button = QPushButton("Load CSV…")
        self.load_button.clicked.connect(self._load_csv_dialog)
        self.data_hint = QLabel()
        self.data_hint.setWordWrap(True)
        self.data_hint.setObjectName("Hint")
        data_group = QGroupBox("Data")
        data_layout = QVBoxLayout(data_group)
        data_layout.addWidget(self.data_box)
        row = QHBoxLayout()
        row.addWidget(self.clear_button)
        row.addWidget(self.load_button)
        data_layout.addLayout(row)
        data_layout.addWidget(self.data_hint)

        self.model_form = ParamForm([
            Param("T", "Steps T", DEFAULTS["T"], kind="int", help="Noising steps from data (t = 0) to noise (t = T)"),
            Param("schedule", "Schedule", DEFAULTS["schedule"], kind="choice", choices=dm.SCHEDULES,
                  help="linear: β grows evenly · cosine: the signal fades slowly at both ends"),
            Param("hidden", "Hidden width", DEFAULTS["hidden"], kind="choice", choices=HIDDEN_WIDTHS,
                  help="Units in each of the noise predictor's 3 hidden layers"),
            Param("input_embedding", "Input features", DEFAULTS["input_embedding"], kind="choice",
                  choices=dm.INPUT_EMBEDDINGS,
                  help="fourier: x plus sin/cos waves of x (sharp shapes learn faster) · raw: x alone"),
            Param("lr", "Learning rate", DEFAULTS["lr"], kind="slider", minimum=1e-4, maximum=3e-2, log=True,
                  help="Adam's step size"),
            Param("batch_size", "Batch size", DEFAULTS["batch_size"], kind="choice", choices=BATCH_SIZES,
                  help="Data points (each with its own random t and noise) per training step"),
        ])
        self.model_form.edited.connect(self._model_edited)
        model_group = QGroupBox("Model (Play trains it)")
        QVBoxLayout(model_group).addWidget(self.model_form)

        self.sampling_form = ParamForm([
            Param("method", "Method", "DDPM", kind="choice", choices=tuple(METHODS),
                  help="DDPM: all T small noisy steps · DDIM: fewer, deterministic jumps"),
            Param("ddim_steps", "DDIM steps", 20, kind="int", help="How many jumps from t = T to 0 (1 … T)"),
        ])
        self.sampling_form.edited.connect(self._sampling_edited)
        sampling_group = QGroupBox("Sampling")
        QVBoxLayout(sampling_group).addWidget(self.sampling_form)

        self.readout = QLabel()
        self.readout.setWordWrap(True)
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        self.readout.setObjectName("Readout")
        readout_group = QGroupBox("Now")
        QVBoxLayout(readout_group).addWidget(self.readout)

        controls = QWidget()
        layout = QVBoxLayout(controls)
        for group in (data_group, model_group, sampling_group, readout_group):
            layout.addWidget(group)
        layout.addStretch(1)
        return controls

    def _cloud_plot(self, title: str) -> ThemedPlot:
        plot = ThemedPlot(self.theme, title=title, x_label="x₁", y_label="x₂")
        plot.setMouseEnabled(False, False)
        plot.plot_item.setAspectLocked(True)
        plot.setMinimumSize(120, 120)
        return plot

    def _build_plots(self) -> QWidget:
        self.forward_plot = self._cloud_plot("Forward")
        self.reverse_plot = self._cloud_plot("Reverse")
        self.samples_plot = self._cloud_plot("Samples")
        self.field_plot = self._cloud_plot("Learned score")
        marker = lambda share: (lambda item, t: item.set_size(t.marker * share))  # noqa: E731

        self.forward_cloud = self.forward_plot.styled(ColouredPoints(alpha=200), marker(0.7))
        self.drawing_points = self.forward_plot.styled(ColouredPoints(alpha=230), marker(0.9))
        self.forward_plot.viewport().installEventFilter(self)

        self.reverse_data = self.reverse_plot.styled(ColouredPoints(alpha=45), marker(0.6))
        self.particles = self.reverse_plot.styled(ColouredPoints(alpha=170), marker(0.6))
        self.trails = self.reverse_plot.styled(pg.PlotDataItem(connect="finite"), lambda i, t: i.setPen(
            pen(t, t.foreground, width=0.45, alpha=0.45)))
        self.trail_heads = self.reverse_plot.styled(pg.ScatterPlotItem(pxMode=True), lambda i, t: (
            i.setSize(t.marker * 1.3), i.setBrush(brush(t.color(3))), i.setPen(pen(t, t.foreground, width=0.4))))
        self.reverse_hint = pg.TextItem("Press Sample", anchor=(0.5, 0.0))
        self.reverse_plot.addItem(self.reverse_hint)
        self._style_hint()

        self.samples_data = self.samples_plot.styled(ColouredPoints(alpha=110), marker(0.6))
        self.samples_generated = self.samples_plot.styled(ColouredPoints(alpha=200), marker(0.7))

        self.field_cloud = self.field_plot.styled(ColouredPoints(alpha=80), marker(0.6))
        self.field_arrows = self.field_plot.styled(pg.PlotDataItem(connect="pairs"), lambda i, t: i.setPen(
            pen(t, t.color(3), width=0.7)))

        # The forward process: its t slider, and the schedule beside it.
        self.t_slider = QSlider(Qt.Orientation.Horizontal)
        self.t_slider.setRange(0, self.model.model.T)
        self.t_slider.setToolTip("Noise the data to step t: x_t = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε")
        self.t_slider.valueChanged.connect(self._t_moved)
        self.t_label = QLabel()
        self.t_label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        forward_row = QHBoxLayout()
        forward_row.addWidget(QLabel("t"))
        forward_row.addWidget(self.t_slider, 1)

        self.sample_button = QPushButton("Sample")
        self.sample_button.setToolTip(f"Generate {N_PARTICLES:,} points from noise with the current model")
        self.sample_button.clicked.connect(self.sample)
        self.play_button = QPushButton("▶ Play")
        self.play_button.clicked.connect(self.toggle_playback)
        self.frame_step_button = QPushButton("Step")
        self.frame_step_button.setToolTip("One denoising step (t → t − 1, or one DDIM jump)")
        self.frame_step_button.clicked.connect(lambda: self.show_frame(self.frame + 1))
        self.frame_slider = QSlider(Qt.Orientation.Horizontal)
        self.frame_slider.setToolTip("Scrub through the stored run, from noise (left) to samples (right)")
        self.frame_slider.valueChanged.connect(self.show_frame)
        self.frame_label = QLabel()
        buttons = QHBoxLayout()
        for widget in (self.sample_button, self.play_button, self.frame_step_button):
            buttons.addWidget(widget)
        scrub = QHBoxLayout()
        scrub.addWidget(self.frame_slider, 1)
        scrub.addWidget(self.frame_label)

        self.samples_label = QLabel()
        self.samples_label.setTextFormat(Qt.TextFormat.RichText)
        self.samples_label.setWordWrap(True)

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(_column(self.forward_plot, forward_row, self.t_label))
        top.addWidget(_column(self.reverse_plot, buttons, scrub))
        top.addWidget(_column(self.samples_plot, self.samples_label))
        top.setSizes([1000, 1000, 1000])

        self.schedule_plot = ThemedPlot(self.theme, title="Schedule", x_label="t", y_label="")
        self.schedule_plot.setMouseEnabled(False, False)
        self.schedule_plot.setLogMode(False, True)
        self.schedule_plot.setMinimumWidth(220)
        sp = self.schedule_plot
        self.alpha_bar_curve = sp.styled(pg.PlotDataItem(), lambda i, t: i.setPen(pen(t, t.color(0), width=1.2)))
        self.beta_curve = sp.styled(pg.PlotDataItem(), lambda i, t: i.setPen(pen(t, t.color(1), width=1.2)))
        self.snr_curve = sp.styled(pg.PlotDataItem(), lambda i, t: i.setPen(pen(t, t.color(2), width=1.2,
                                                                                  dashed=True)))
        self.t_marker = sp.styled(pg.InfiniteLine(angle=90), lambda i, t: i.setPen(pen(t, t.foreground, width=0.8)))
        legend = sp.add_legend("top-right")
        legend.addItem(self.alpha_bar_curve, "ᾱ_t kept")
        legend.addItem(self.beta_curve, "β_t added")
        legend.addItem(self.snr_curve, "SNR_t")

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_training_tab(), "Training")
        self.tabs.addTab(self._build_field_tab(), "Score field")
        self.tabs.addTab(self._build_flow_tab(), "Flow over time")
        self.tabs.addTab(self._build_steps_tab(), "Steps vs quality")
        self.tabs.currentChanged.connect(self._tab_shown)

        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.schedule_plot)
        bottom.addWidget(self.tabs)
        bottom.setStretchFactor(0, 1)
        bottom.setStretchFactor(1, 3)
        bottom.setSizes([300, 800])
        plots = QSplitter(Qt.Orientation.Vertical)
        plots.addWidget(top)
        plots.addWidget(bottom)
        plots.setStretchFactor(0, 3)
        plots.setStretchFactor(1, 2)
        plots.setSizes([500, 340])
        return plots

    def _build_training_tab(self) -> QWidget:
        self.loss_plot = ThemedPlot(self.theme, title="Loss ↓", x_label="step", y_label="‖ε̂ − ε‖²")
        self.quality_plot = ThemedPlot(self.theme, title="Sample quality ↓", x_label="step", y_label="distance")
        self.quality_plot.setLogMode(False, True)
        for plot in (self.loss_plot, self.quality_plot):
            plot.setMouseEnabled(False, False)
        self.loss_raw = self.loss_plot.styled(pg.PlotDataItem(), lambda i, t: i.setPen(pen(t, t.color(0), width=0.5,
                                                                                           alpha=0.35)))
        self.loss_smooth = self.loss_plot.styled(pg.PlotDataItem(), lambda i, t: i.setPen(pen(t, t.color(0),
                                                                                              width=1.2)))
        self.energy_curve = self.quality_plot.styled(pg.PlotDataItem(), lambda i, t: (
            i.setPen(pen(t, t.color(0), width=1.2)), i.setSymbol("o"), i.setSymbolSize(t.marker * 0.8),
            i.setSymbolBrush(brush(t.color(0))), i.setSymbolPen(None)))
        self.frechet_curve = self.quality_plot.styled(pg.PlotDataItem(), lambda i, t: (
            i.setPen(pen(t, t.color(1), width=1.2)), i.setSymbol("s"), i.setSymbolSize(t.marker * 0.8),
            i.setSymbolBrush(brush(t.color(1))), i.setSymbolPen(None)))
        self.energy_noise = self.quality_plot.styled(pg.PlotDataItem(), lambda i, t: i.setPen(
            pen(t, t.color(0), width=0.9, dashed=True)))
        self.frechet_noise = self.quality_plot.styled(pg.PlotDataItem(), lambda i, t: i.setPen(
            pen(t, t.color(1), width=0.9, dashed=True)))
        legend = self.quality_plot.add_legend()
        legend.addItem(self.energy_curve, "energy distance")
        legend.addItem(self.frechet_curve, "Fréchet")
        legend.addItem(self.energy_noise, "pure noise")
        page = QSplitter(Qt.Orientation.Horizontal)
        page.addWidget(self.loss_plot)
        page.addWidget(self.quality_plot)
        return page

    def _build_field_tab(self) -> QWidget:
        hint = QLabel("Arrows: the learned score −ε̂(x, t)/√(1−ᾱ_t), the way to denser x_t. Move the t slider.")
        hint.setWordWrap(True)
        hint.setObjectName("Hint")
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(hint)
        layout.addWidget(self.field_plot, 1)
        return page

    def _build_flow_tab(self) -> QWidget:
        self.flow_view = FlowView(self.theme)
        self.flow_button = QPushButton("Compute")
        self.flow_button.setToolTip("x₁'s density at every t: exact for the forward process, from 2,000 DDPM "
                                    "particles for the reverse")
        self.flow_button.clicked.connect(self.compute_flow)
        self.flow_status = QLabel("Press Compute to draw the whole flow.")
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.flow_button)
        row.addWidget(self.flow_status, 1)
        layout.addLayout(row)
        layout.addWidget(self.flow_view, 1)
        return page

    def _build_steps_tab(self) -> QWidget:
        self.steps_strip = StepsStrip(self.theme)
        self.steps_button = QPushButton("Run DDIM: 5 … T steps")
        self.steps_button.setToolTip("The same starting noise each time: fewer steps are faster and blurrier")
        self.steps_button.clicked.connect(self.compare_steps)
        self.steps_progress = QProgressBar()
        self.steps_progress.hide()
        self.steps_status = QLabel("Under each: energy distance to the data ↓ and sampling time.")
        self.steps_status.setWordWrap(True)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.steps_button)
        row.addWidget(self.steps_progress, 1)
        row.addWidget(self.steps_status, 1)
        layout.addLayout(row)
        layout.addWidget(self.steps_strip, 1)
        return page

    def apply_theme(self, theme: Theme) -> None:
        super().apply_theme(theme)
        for plot in (self.forward_plot, self.reverse_plot, self.samples_plot, self.field_plot, self.schedule_plot,
                     self.loss_plot, self.quality_plot):
            plot.apply_theme(theme)
        self.flow_view.apply_theme(theme)
        self.steps_strip.apply_theme(theme)
        self._style_hint()
        self._view_key = None
        self._show_forward()
        self._show_reverse_frame()
        if self.last_snapshot is not None:
            self.render(self.last_snapshot)

    def _style_hint(self) -> None:
        font = QFont()
        font.setPointSizeF(self.theme.font_size * 1.2)
        self.reverse_hint.setFont(font)
        self.reverse_hint.setColor(self.theme.muted)

    # --- controls --------------------------------------------------------------------------------------------
    @Slot(str, object)
    def _model_edited(self, name: str, value: Any) -> None:
        if name == "T" and not (isinstance(value, int) and dm.MIN_T <= value <= dm.MAX_T):
            self.model_form.set_error(name, f"a whole number from {dm.MIN_T} to {dm.MAX_T}")
            return
        config = {**self.config, name: value}
        if name in STRUCTURAL:
            if not self._rebuild(config=config):
                self.model_form.set_error(name, "not accepted — see the message above")
                return
        else:
            self.config = config
            self.set_params(**{name: float(value) if name == "lr" else int(value)})
        self.model_form.accept(name, value)

    @Slot(str, object)
    def _sampling_edited(self, name: str, value: Any) -> None:
        if name == "ddim_steps" and not (isinstance(value, int) and 1 <= value <= int(self.config["T"])):
            self.sampling_form.set_error(name, f"a whole number from 1 to T = {self.config['T']}")
            return
        self.sampling_form.accept(name, value)
        self._method_shown()

    def _method_shown(self) -> None:
        self.sampling_form.set_visible("ddim_steps", self.sampling_form.values()["method"] == "DDIM")

    @Slot(str)
    def _data_chosen(self, name: str) -> None:
        if name == DRAW:
            self.data_choice = DRAW
            self.t_slider.setValue(0)
            if len(self.drawing) >= 2:
                self.apply_drawing()
            else:
                self.message_bar.show_message("Click and drag on the Forward plot to spray points; release the "
                                              "mouse and the model starts learning them.", "info")
            self._show_data_choice()
            return
        if name not in dm.DIFFUSION_PRESETS:
            return                                      # the entry of a loaded CSV file: already applied
        if self._rebuild(data=name):
            self.data_choice, self.user_points = name, None
            self.message_bar.clear()
        self._show_data_choice()

    def _show_data_choice(self) -> None:
        self.data_box.blockSignals(True)
        if self.data_box.findText(self.data_choice) < 0:
            self._set_file_entry(self.data_choice)
        self.data_box.setCurrentText(self.data_choice)
        self.data_box.blockSignals(False)
        drawing = self.data_choice == DRAW
        self.clear_button.setVisible(drawing)
        self.data_hint.setText("Click-drag on the Forward plot to spray points; release to train on them."
                               if drawing else "Or choose “Draw your own”, or load a 2-column CSV.")
        self._view_key = None
        self._show_forward()

    def _set_file_entry(self, text: str) -> None:
        """The combo's last entry names the loaded file (one at a time)."""
        last = self.data_box.count() - 1
        if self.data_box.itemText(last) not in (*dm.DIFFUSION_PRESETS, DRAW):
            self.data_box.removeItem(last)
        self.data_box.addItem(text)

    # --- drawing ---------------------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is not self.forward_plot.viewport() or self.data_choice != DRAW:
            return False
        kind = event.type()
        if kind == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
            self._draw_timer.start()
            return True
        pressed = kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton
        dragged = kind == QEvent.Type.MouseMove and event.buttons() & Qt.MouseButton.LeftButton
        if not (pressed or dragged):
            return False
        self._draw_timer.stop()                         # a new stroke: wait for its release
        vb = self.forward_plot.plot_item.vb
        point = vb.mapSceneToView(self.forward_plot.mapToScene(event.position().toPoint()))
        self.spray(point.x(), point.y())
        return True

    def spray(self, x: float, y: float) -> None:
        """A puff of points around (x, y), about SPRAY_RADIUS_PX pixels across (shown at once, applied later)."""
        px, py = self.forward_plot.plot_item.vb.viewPixelSize()
        puff = np.array([x, y]) + self.spray_rng.normal(0.0, 1.0, (SPRAY_PER_EVENT, 2)) * \
            (SPRAY_RADIUS_PX * np.array([px, py]) / 2)
        self.drawing = np.concatenate([self.drawing, puff])
        self._show_forward()

    @Slot()
    def apply_drawing(self) -> None:
        """The drawing becomes the data: a new model learns it (an empty or one-point drawing is refused)."""
        points = self.drawing.copy()
        if len(points) < 2:
            self.message_bar.show_message("Draw a few strokes first: there is nothing to learn yet.", "info")
            return
        if self._rebuild(data=points):
            self.data_choice, self.user_points = DRAW, points
            self.message_bar.show_message(f"Learning your {len(points):,} points. Keep drawing to add more.", "info")

    @Slot()
    def clear_drawing(self) -> None:
        self._draw_timer.stop()
        self.drawing = np.empty((0, 2))
        self._show_forward()

    @Slot()
    def _load_csv_dialog(self) -> None:
        self.ask_for_file("Load points", self.CSV_FILES, self.load_csv)

    def load_csv(self, path: str) -> bool:
        points = self.read_user_file(lambda p: load_points_csv(p, n_columns=2), path)
        if points is None:
            return False
        if not self._rebuild(data=points):
            return False
        self.data_choice, self.user_points = f"File: {Path(path).name}", points
        self._show_data_choice()
        self.message_bar.show_message(f"Loaded {len(points):,} points from {Path(path).name}.", "info")
        return True

    # --- work on the worker, latest request wins -------------------------------------------------------------
    def _request(self, kind: str, fn: Callable[[Any], Any], on_done: Callable[[Any], None]) -> None:
        """Run ``fn`` on the worker, at most one of each ``kind`` at a time: a request made while one is running
        replaces any other waiting one. Results for a replaced or reset model are dropped."""
        if self._in_flight.get(kind):
            self._wanted[kind] = (fn, on_done)
            return
        self._in_flight[kind] = True
        generation = self.generation

        def done(result: Any) -> None:
            if generation != self.generation:
                return
            self._in_flight[kind] = False
            on_done(result)
            wanted = self._wanted.pop(kind, None)
            if wanted is not None:
                self._request(kind, *wanted)

        self.call(fn, f"{kind} #{generation}", on_done=done)

    def on_fault(self, fault) -> None:
        super().on_fault(fault)
        kind = fault.label.split(" #")[0]
        self._in_flight.pop(kind, None)
        self._wanted.pop(kind, None)
        self._release_buttons(kind)

    def _release_buttons(self, *kinds: str) -> None:
        """A request ended without its result (failed, or made stale by a new model): its button works again."""
        kinds = kinds or ("steps", "flow", "sample")
        if "steps" in kinds:
            self.steps_progress.hide()
            self.steps_button.setEnabled(True)
        if "flow" in kinds:
            self.flow_button.setEnabled(True)
        if "sample" in kinds:
            self.sample_button.setEnabled(True)
            self.sample_button.setText("Sample")

    # --- forward process -------------------------------------------------------------------------------------
    @Slot(int)
    def _t_moved(self, t: int) -> None:
        self._show_t(t)
        self._show_forward()
        if t not in self.forward_cache:
            self._request_forward()
        if self.tabs.currentIndex() == 1:
            self._request_field()

    def _request_forward(self) -> None:
        t = self.t_slider.value()
        if not self.active or t in self.forward_cache:
            return

        def store(cloud: np.ndarray, t: int = t) -> None:
            if len(self.forward_cache) >= FORWARD_CACHE_SIZE:
                self.forward_cache.clear()
            self.forward_cache[t] = cloud
            if t == self.t_slider.value():
                self._show_forward()
                if self.tabs.currentIndex() == 1:
                    show_cloud(self.field_cloud, cloud, self.theme.muted)
            elif self.t_slider.value() not in self.forward_cache:
                self._request_forward()

        self._request("forward", lambda m, t=t: m.forward_cloud(t), store)

    def _show_forward(self) -> None:
        cloud = self.forward_cache.get(self.t_slider.value())
        drawing = self.data_choice == DRAW
        if drawing and self.user_points is None:
            cloud = None                                 # the model still holds the previous data set
        show_cloud(self.forward_cloud, cloud, self.theme.color(0))
        show_cloud(self.drawing_points, self.drawing if drawing else None, self.theme.color(1))

    def _show_t(self, t: int) -> None:
        snap = self.last_snapshot
        self.t_marker.setPos(max(t, 1))
        if snap is None or t > snap.T:
            self.t_label.setText(f"t = {t}")
            return
        if t == 0:
            self.t_label.setText(f"t = 0 / {snap.T} · the data")
            return
        alpha_bar, snr = snap.alpha_bars[t - 1], snap.snr[t - 1]
        self.t_label.setText(f"t = {t} / {snap.T} · ᾱ = {alpha_bar:.2f} · SNR = {snr:.2g}")

    # --- reverse process -------------------------------------------------------------------------------------
    def sample(self) -> None:
        values = self.sampling_form.values()
        method = METHODS[values["method"]]
        steps = int(values["ddim_steps"]) if method == "ddim" else None
        if steps is not None and steps > int(self.config["T"]):
            self.sampling_form.set_error("ddim_steps", f"at most T = {self.config['T']}")
            return
        self.stop_playback()
        self.sample_button.setEnabled(False)
        self.sample_button.setText("Sampling…")
        at_step = self.last_snapshot.step if self.last_snapshot is not None else 0
        self._request("sample", lambda m: m.reverse_run(N_PARTICLES, method, steps, N_TRAILS),
                      lambda run: self._show_run(run, at_step))

    def _show_run(self, run: dm.ReverseRun, at_step: int) -> None:
        self.sample_button.setEnabled(True)
        self.sample_button.setText("Sample")
        self.run, self.run_step = run, at_step
        self.frame_slider.blockSignals(True)
        self.frame_slider.setRange(0, len(run.times) - 1)
        self.frame_slider.blockSignals(False)
        self.show_frame(0)
        self.start_playback()

    def show_frame(self, frame: int) -> None:
        if self.run is None:
            return
        self.frame = int(np.clip(frame, 0, len(self.run.times) - 1))
        if self.frame_slider.value() != self.frame:
            self.frame_slider.blockSignals(True)
            self.frame_slider.setValue(self.frame)
            self.frame_slider.blockSignals(False)
        self._show_reverse_frame()

    def _show_reverse_frame(self) -> None:
        run = self.run
        self.reverse_hint.setVisible(run is None)
        if run is None:
            show_cloud(self.particles, None, self.theme.color(0))
            self.trails.setData([], [])
            self.trail_heads.setData([], [])
            self.frame_label.setText("t = —")
            for widget in (self.play_button, self.frame_step_button, self.frame_slider):
                widget.setEnabled(False)
            return
        for widget in (self.play_button, self.frame_step_button, self.frame_slider):
            widget.setEnabled(True)
        cloud = run.trajectory[self.frame]
        show_cloud(self.particles, cloud, self.theme.color(0))
        self.trails.setData(*trail_paths(run.trajectory, run.trail_index, self.frame))
        heads = cloud[run.trail_index]
        self.trail_heads.setData(heads[:, 0], heads[:, 1])
        self.frame_label.setText(f"t = {int(run.times[self.frame])}")

    def start_playback(self) -> None:
        if self.run is None:
            return
        if self.frame >= len(self.run.times) - 1:
            self.show_frame(0)
        self._play_timer.start()
        self.play_button.setText("⏸ Pause")

    def stop_playback(self) -> None:
        self._play_timer.stop()
        self.play_button.setText("▶ Play")

    @Slot()
    def toggle_playback(self) -> None:
        self.stop_playback() if self._play_timer.isActive() else self.start_playback()

    @Slot()
    def _play_tick(self) -> None:
        if self.run is None:
            self.stop_playback()
            return
        frames = len(self.run.times)
        per_tick = max(1, round(frames / (PLAYBACK_SECONDS * 1000 / FRAME_MS)))
        self.show_frame(self.frame + per_tick)
        if self.frame >= frames - 1:
            self.stop_playback()

    # --- secondary views -------------------------------------------------------------------------------------
    @Slot(int)
    def _tab_shown(self, index: int) -> None:
        if index == 1:
            self._request_field()
        elif index == 2 and self.heatmap_key is None:
            self.compute_flow()

    def _request_field(self) -> None:
        snap = self.last_snapshot
        if snap is None or not self.active:
            return
        t = max(1, self.t_slider.value())
        key = (self.generation, snap.step, t)
        if key == self.field_key:
            return
        self.field_key = key

        def field(model: dm.DiffusionTrainer) -> tuple[np.ndarray, np.ndarray]:
            grid = model.field_grid(FIELD_PER_SIDE)
            return grid, model.score_field(t, grid)

        self._request("field", field, lambda result: self._show_field(result, t, snap.bounds))

    def _show_field(self, result: tuple[np.ndarray, np.ndarray], t: int, bounds: np.ndarray) -> None:
        grid, score = result
        spacing = float(np.min(bounds[1] - bounds[0])) / (FIELD_PER_SIDE - 1)
        self.field_arrows.setData(*arrow_segments(grid, score, 0.9 * spacing))
        self.field_plot.set_labels(title=f"Learned score at t = {t}")
        show_cloud(self.field_cloud, self.forward_cache.get(self.t_slider.value()), self.theme.muted)

    def compute_flow(self) -> None:
        snap = self.last_snapshot
        if not self.active:
            self.activate()
        step = snap.step if snap is not None else 0
        self.flow_button.setEnabled(False)
        self.flow_status.setText("computing…")
        self.heatmap_key = (self.generation, step)

        def shown(heatmap: dm.MarginalHeatmap) -> None:
            self.flow_button.setEnabled(True)
            self.flow_button.setText("Recompute")
            self.flow_view.show_heatmap(heatmap)
            self.flow_status.setText(f"x₁ over time, model at step {step:,}. Bright = dense.")

        self._request("flow", lambda m: m.marginal_heatmap(), shown)

    def compare_steps(self) -> None:
        counts = step_counts(int(self.config["T"]))
        self.steps_strip.clear(counts)
        snap = self.last_snapshot
        if snap is not None:
            self.steps_strip.set_data(snap.data)
        self.steps_progress.setRange(0, len(counts))
        self.steps_progress.setValue(0)
        self.steps_progress.show()
        self.steps_button.setEnabled(False)
        self._steps_counts = counts

        def finished(rows: tuple) -> None:
            self.steps_progress.hide()
            self.steps_button.setEnabled(True)
            best = min(rows, key=lambda r: r.energy_distance)
            slowest = max(rows, key=lambda r: r.seconds)
            self.steps_status.setText(f"Under each: energy distance ↓ and time. Closest: {best.steps} steps; "
                                      f"slowest: {1000 * slowest.seconds:,.0f} ms.")

        self._request("steps", lambda m: m.steps_vs_quality(counts), finished)

    def on_progress(self, progress) -> None:
        if not progress.label.startswith("steps #") or progress.label != f"steps #{self.generation}":
            return
        row: dm.StepsQuality = progress.value
        slot = self._steps_counts.index(row.steps) if row.steps in self._steps_counts else -1
        if slot >= 0:
            self.steps_strip.show_row(slot, row)
            self.steps_progress.setValue(self.steps_strip.filled)

    # --- rendering -------------------------------------------------------------------------------------------
    def render(self, snap: dm.DiffusionSnapshot) -> None:
        self._render_views(snap)
        self.loss_raw.setData(snap.loss_steps, snap.loss_history)
        self.loss_smooth.setData(snap.loss_steps, snap.loss_smoothed)
        energy_ok = np.isfinite(snap.energy_history) & (snap.energy_history > 0)
        frechet_ok = np.isfinite(snap.frechet_history) & (snap.frechet_history > 0)
        self.energy_curve.setData(snap.quality_steps[energy_ok], snap.energy_history[energy_ok])
        self.frechet_curve.setData(snap.quality_steps[frechet_ok], snap.frechet_history[frechet_ok])
        span = [0, max(snap.step, 1)]
        self.energy_noise.setData(span, [snap.noise_energy] * 2)
        self.frechet_noise.setData(span, [snap.noise_frechet] * 2)
        self.loss_plot.follow_curves(self.loss_raw)
        self.quality_plot.follow_curves(self.energy_curve, self.frechet_curve, self.energy_noise, self.frechet_noise)
        self._render_readout(snap)
        if self.t_slider.value() not in self.forward_cache:
            self._request_forward()
        if self.tabs.currentIndex() == 1:
            self._request_field()

    def _render_views(self, snap: dm.DiffusionSnapshot) -> None:
        """What changes only with the model's structure or at an evaluation: ranges, schedule, data, samples."""
        key = (self.generation, snap.T, snap.schedule, snap.bounds.tobytes(), self.data_choice == DRAW)
        if key != self._view_key:
            self._view_key = key
            bounds = snap.bounds
            canvas = np.stack([np.minimum(bounds[0], CANVAS[0]), np.maximum(bounds[1], CANVAS[1])])
            for plot in (self.forward_plot, self.reverse_plot, self.samples_plot, self.field_plot):
                box = canvas if plot is self.forward_plot and self.data_choice == DRAW else bounds
                if plot is self.samples_plot:
                    box = data_box(snap.data)       # samples land on the data: zoom in on it
                plot.setRange(xRange=box[:, 0], yRange=box[:, 1], padding=0.02)
            self.reverse_hint.setPos(float(bounds[:, 0].mean()), float(bounds[1, 1]))
            if self.t_slider.maximum() != snap.T:
                self.t_slider.setRange(0, snap.T)
            floor = 1e-6
            self.alpha_bar_curve.setData(snap.timesteps, np.maximum(snap.alpha_bars, floor))
            self.beta_curve.setData(snap.timesteps, np.maximum(snap.betas, floor))
            self.snr_curve.setData(snap.timesteps, np.maximum(snap.snr, floor))
            high = int(np.ceil(np.log10(max(snap.snr.max(), 1.0))))
            self.schedule_plot.plot_item.getAxis("left").setTicks(log_ticks(-6, high))
            self.schedule_plot.setYRange(-6, high, padding=0.02)
            self.schedule_plot.setXRange(0, snap.T, padding=0.02)
            show_cloud(self.reverse_data, snap.data, self.theme.muted)
            show_cloud(self.samples_data, snap.data, self.theme.muted)
            self._samples_key = None
        self._show_t(self.t_slider.value())
        samples_key = (self.generation, snap.generated_step)
        if samples_key != getattr(self, "_samples_key", None):
            self._samples_key = samples_key
            show_cloud(self.samples_generated, snap.generated, self.theme.color(1))
            muted, orange = self.theme.muted, self.theme.color(1)
            self.samples_label.setText(f"<span style='color:{orange}'>●</span> model samples<br>"
                                       f"<span style='color:{muted}'>●</span> data · step {snap.generated_step:,}")

    def _render_readout(self, snap: dm.DiffusionSnapshot) -> None:
        rows = [f"step <b>{snap.step:,}</b> · {snap.data_name}"]
        if np.isfinite(snap.loss):
            rows.append(f"loss <b>{snap.loss:.3f}</b> (a blind guess scores 1)")
        if len(snap.energy_history):
            rows.append(f"energy distance <b>{snap.energy_history[-1]:.3f}</b> "
                        f"(noise {snap.noise_energy:.3f})")
        if self.run is not None:
            rows.append(f"last run: {self.run.method.upper()}, {len(self.run.times) - 1} steps, "
                        f"{1000 * self.run.seconds:,.0f} ms (model at step {self.run_step:,})")
        text = "<br>".join(rows)
        if text != self.readout.text():
            self.readout.setText(text)


def step_counts(T: int, n: int = 5) -> list[int]:
    """DDIM step counts to compare: 5, 10, 20, 50 and T; for a small T, fewer still (3, 2, 1) so there are n."""
    counts = sorted({c for c in (*dm.DEFAULT_STEP_COUNTS, T) if c <= T})
    for smaller in (3, 2, 1):
        if len(counts) < n and smaller < counts[0]:
            counts.insert(0, smaller)
    return counts[-n:]


def _column(plot: QWidget, *rows: Any) -> QWidget:
    """A plot with rows of controls under it."""
    column = QWidget()
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(plot, 1)
    for row in rows:
        layout.addLayout(row) if isinstance(row, QHBoxLayout) else layout.addWidget(row)
    return column
