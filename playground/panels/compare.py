"""Compare: a Gaussian mixture, a GAN, a VAE and a diffusion model learn the same points side by side, with the same
measures of quality, coverage and cost for each."""
from __future__ import annotations

import time
from typing import Any

import numpy as np
from PySide6.QtCore import Slot
from PySide6.QtWidgets import QComboBox, QPushButton, QVBoxLayout, QWidget

from playground.models import compare as cm
from playground.models.base import validate_seed
from playground.panels.base import Panel
from playground.panels.compare_views import (
    ComparePlots,
    FamilyGrid,
    FamilyPlot,
    MeasuresTable,
    ProgressPlot,
    SprayCanvas,
)
from playground.panels.diffusion import CANVAS, DRAW, MAX_SAVED_POINTS
from playground.panels.diffusion_views import data_box, show_cloud
from playground.theme import Theme
from playground.widgets.layout import group, rich_label
from playground.widgets.params import Param, ParamForm

WIDTHS = tuple(str(w) for w in cm.WIDTHS)
SIZES = ("gmm_components", "gan_width", "vae_width", "diffusion_width")
MIN_SLIDER_POINTS, MAX_SLIDER_POINTS = 200, 10_000
#: The table and readout are rewritten at most this often while playing (text layout is dear; the eye is slower).
TEXT_INTERVAL = 0.2


class ComparePanel(Panel):
    name = "compare"
    title = "Compare"
    icon = "compare.svg"
    default_speed = None  # a step is ~2 ms of work for the four together: as fast as possible

    # --- model -----------------------------------------------------------------------------------------------
    def create_model(self) -> cm.CompareTrainer:
        self.config: dict[str, Any] = {key: value for key, value in cm.DEFAULTS.items()}
        self.data_choice: str = cm.DEFAULTS["data"]
        self.user_points: np.ndarray | None = None   # the drawing, once applied
        self._view_key: tuple | None = None
        self._samples_key: tuple | None = None
        self._last_text = 0.0
        return cm.CompareTrainer(seed=self.seed, **self._arguments(self.config))

    @staticmethod
    def _arguments(config: dict[str, Any]) -> dict[str, Any]:
        return {key: config[key] for key in cm.DEFAULTS}

    def _apply(self, **changes: Any) -> bool:
        """A new configuration for all four families. Checked here first (cheap), so a bad one changes nothing;
        the worker then starts every family again from the seed."""
        config = {**self.config, **changes}
        try:
            cm.check_config(dict(config))
        except ValueError as exc:
            self.message_bar.show_message(f"Nothing was changed: {exc}", "warning")
            return False
        self.config = config
        self._view_key = self._samples_key = None
        self.progress_plot.forget()
        self.set_params(**changes)
        return True

    # --- settings --------------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        state = {**super().state(), "data": self.data_choice, "n_points": int(self.config["n_points"]),
                 **{key: int(self.config[key]) for key in SIZES}}
        if self.user_points is not None and len(self.user_points) <= MAX_SAVED_POINTS:
            state["points"] = np.round(self.user_points, 5).tolist()
        return state

    def restore_state(self, state: dict[str, Any]) -> None:
        choice = state.get("data", self.data_choice)
        points = np.asarray(state["points"], dtype=float) if "points" in state else None
        if points is not None:
            choice = DRAW
        elif choice == DRAW:
            choice = cm.DEFAULTS["data"]     # a drawing too large to save: start from the default
        elif choice not in cm.PRESETS:
            raise ValueError(f"there is no data set called {choice!r}")
        config = {**self.config, "data": points if points is not None else choice,
                  **{key: state[key] for key in ("n_points", *SIZES) if key in state}}
        # Validate by building the model before anything of the panel changes.
        model = cm.CompareTrainer(seed=validate_seed(state.get("seed", self.seed)), **self._arguments(config))
        super().restore_state(state)
        self.model = model
        self.config, self.data_choice, self.user_points = config, choice, points
        self.canvas.points = points.copy() if points is not None else np.empty((0, 2))
        self._show_controls()

    def python_script(self) -> str:
        from playground.scripts.compare import compare_script
        return compare_script(self.state(), self.user_points, self.last_snapshot,
                              data_seed=int(self.config["data_seed"]))

    def export_tables(self) -> list:
        from playground.export_csv import compare_tables
        return compare_tables(self.last_snapshot)

    # --- building --------------------------------------------------------------------------------------------
    def build(self) -> None:
        self.set_controls_and_plots(self._build_controls(), self._build_plots())
        self.canvas = SprayCanvas(self.family_plots, self)
        self.canvas.sprayed.connect(self._show_drawing)
        self.canvas.drawn.connect(self.apply_drawing)
        self._show_controls()

    def _build_controls(self) -> QWidget:
        self.data_box = QComboBox()
        self.data_box.addItems([*cm.PRESETS, DRAW])
        self.data_box.currentTextChanged.connect(self._data_chosen)
        self.size_form = ParamForm([Param("n_points", "Points", cm.DEFAULTS["n_points"], kind="slider",
                                          minimum=MIN_SLIDER_POINTS, maximum=MAX_SLIDER_POINTS, log=True,
                                          help="How many points the preset makes (all four learn the same ones)")])
        self.size_form.edited.connect(lambda _, value: self._points_chosen(int(round(value))))
        self.clear_button = QPushButton("Clear drawing")
        self.clear_button.clicked.connect(self.clear_drawing)
        self.data_hint = rich_label(name="Hint")
        data_group = group("Data", self.data_box, self.size_form, self.clear_button, self.data_hint)

        self.model_form = ParamForm([
            Param("gmm_components", "GMM components", cm.DEFAULTS["gmm_components"], kind="int",
                  help=f"K, the number of Gaussians in the mixture (1 … {cm.MAX_COMPONENTS})"),
            Param("gan_width", "GAN width", str(cm.DEFAULTS["gan_width"]), kind="choice", choices=WIDTHS,
                  help="Units in each of the 2 hidden layers of the generator and of the discriminator"),
            Param("vae_width", "VAE width", str(cm.DEFAULTS["vae_width"]), kind="choice", choices=WIDTHS,
                  help="Units in each of the 2 hidden layers of the encoder and of the decoder"),
            Param("diffusion_width", "Diffusion width", str(cm.DEFAULTS["diffusion_width"]), kind="choice",
                  choices=WIDTHS, help="Units in each of the 3 hidden layers of the noise predictor"),
        ])
        self.model_form.edited.connect(self._size_edited)
        sizes_hint = rich_label("Any change starts all four again from the seed: a fair race.", name="Hint")
        model_group = group("Model sizes", self.model_form, sizes_hint)

        self.readout = rich_label(name="Readout")
        readout_group = group("Now", self.readout)

        controls = QWidget()
        layout = QVBoxLayout(controls)
        for box in (data_group, model_group, readout_group):
            layout.addWidget(box)
        layout.addStretch(1)
        return controls

    def _build_plots(self) -> QWidget:
        self.family_plots = [FamilyPlot(self.theme, name, i) for i, name in enumerate(cm.FAMILIES)]
        self.grid = FamilyGrid(self.family_plots)
        self.table = MeasuresTable(cm.FAMILIES, self.theme)
        self.progress_plot = ProgressPlot(self.theme, cm.FAMILIES)
        self.progress_plot.setMinimumSize(120, 80)
        self.plots_area = ComparePlots(self.grid, self.table, self.progress_plot, self.theme)
        return self.plots_area

    def apply_theme(self, theme: Theme) -> None:
        super().apply_theme(theme)
        for plot in (*self.family_plots, self.progress_plot):
            plot.apply_theme(theme)
        self.table.apply_theme(theme)
        self.plots_area.apply_theme(theme)
        self.progress_plot.forget()
        self._view_key = self._samples_key = None
        self._show_drawing()
        if self.last_snapshot is not None:
            self.render(self.last_snapshot)

    def lesson_targets(self) -> dict[str, Any]:
        families = {name.lower(): plot for name, plot in zip(cm.FAMILIES, self.family_plots)}   # "gmm", "gan", …
        return {**super().lesson_targets(), **families, "table": self.table, "progress": self.progress_plot,
                "data-box": self.data_box, "sizes": self.model_form, "readout": self.readout}

    def reset(self, seed: int | None = None) -> None:
        super().reset(seed)
        self._samples_key = None
        self.progress_plot.forget()

    # --- controls --------------------------------------------------------------------------------------------
    @Slot(str)
    def _data_chosen(self, name: str) -> None:
        if name == DRAW:
            self.data_choice = DRAW
            if len(self.canvas.points) >= cm.MIN_POINTS:
                self.apply_drawing(self.canvas.points.copy())
            else:
                self.message_bar.show_message(
                    f"Click and drag on any of the four plots to spray points (at least {cm.MIN_POINTS}); release "
                    "the mouse and all four models start learning them.", "info")
            self._show_controls()
            return
        if name in cm.PRESETS and self._apply(data=name):
            self.data_choice, self.user_points = name, None
            self.message_bar.clear()
        self._show_controls()

    def _points_chosen(self, n_points: int) -> None:
        if self._apply(n_points=n_points):
            self.size_form.accept("n_points", n_points)
        else:
            self.size_form.set_values({"n_points": self.config["n_points"]})

    @Slot(str, object)
    def _size_edited(self, name: str, value: Any) -> None:
        if name == "gmm_components":
            if not isinstance(value, int) or not 1 <= value <= cm.MAX_COMPONENTS:
                self.model_form.set_error(name, f"a whole number from 1 to {cm.MAX_COMPONENTS}")
                return
        else:
            value = int(value)
        if not self._apply(**{name: value}):
            self.model_form.set_error(name, "not accepted — see the message above")
            return
        self.model_form.accept(name, value if name == "gmm_components" else str(value))

    def _show_controls(self) -> None:
        """The controls show what the model is using (after a restore, a refusal or a drawing)."""
        self.data_box.blockSignals(True)
        self.data_box.setCurrentText(self.data_choice)
        self.data_box.blockSignals(False)
        drawing = self.data_choice == DRAW
        self.canvas.enabled = drawing
        self.clear_button.setVisible(drawing)
        self.size_form.set_visible("n_points", not drawing)
        self.size_form.set_values({"n_points": self.config["n_points"]} if not drawing else {})
        self.model_form.set_values({key: (self.config[key] if key == "gmm_components" else str(self.config[key]))
                                    for key in SIZES})
        self.data_hint.setText("Click-drag on any plot to spray points; release to train on them."
                               if drawing else "Or choose “Draw your own” and spray points with the mouse.")
        self._view_key = None
        self._show_drawing()

    # --- drawing ---------------------------------------------------------------------------------------------
    @Slot()
    def _show_drawing(self) -> None:
        if not hasattr(self, "canvas"):
            return
        self.canvas.show_on([plot.drawing for plot in self.family_plots], self.theme.foreground)
        if self.canvas.enabled and self.user_points is None:
            for plot in self.family_plots:       # the models still hold the previous data set: hide it
                show_cloud(plot.samples, None, self.theme.muted)
                show_cloud(plot.data, None, self.theme.muted)
            self._samples_key = None

    @Slot(object)
    def apply_drawing(self, points: np.ndarray) -> None:
        """The drawing becomes the data of all four (too few points are refused, and nothing changes)."""
        if len(points) < cm.MIN_POINTS:
            self.message_bar.show_message(f"Draw a little more: {len(points)} points so far, at least "
                                          f"{cm.MIN_POINTS} are needed.", "info")
            return
        if self._apply(data=points):
            self.data_choice, self.user_points = DRAW, points
            self.message_bar.show_message(f"All four are learning your {len(points):,} points. Keep drawing to add "
                                          "more.", "info")

    @Slot()
    def clear_drawing(self) -> None:
        self.canvas.clear()

    # --- rendering -------------------------------------------------------------------------------------------
    def render(self, snap: cm.CompareSnapshot) -> None:
        self._render_views(snap)
        self._render_samples(snap)
        self.progress_plot.show_snapshot(snap)
        now = time.monotonic()
        if now - self._last_text >= TEXT_INTERVAL or not self.playing:
            self._last_text = now
            self.table.show_snapshot(snap)
            self.plots_area.relayout()                  # the table's width follows its numbers
            self._render_readout(snap)

    def _render_views(self, snap: cm.CompareSnapshot) -> None:
        """The same box for all four plots, so their pictures compare directly; the drawing canvas while drawing."""
        drawing = self.data_choice == DRAW
        key = (snap.bounds.tobytes(), drawing, snap.data_name)
        if key == self._view_key:
            return
        self._view_key = key
        box = data_box(snap.bounds)
        if drawing:
            box = np.stack([np.minimum(box[0], CANVAS[0]), np.maximum(box[1], CANVAS[1])])
        for plot in self.family_plots:
            plot.setRange(xRange=box[:, 0], yRange=box[:, 1], padding=0.02)
        self._samples_key = None

    def _render_samples(self, snap: cm.CompareSnapshot) -> None:
        if self.canvas.enabled and self.user_points is None:
            return                                   # still the previous data set: the drawing is shown instead
        # A few coordinates identify an evaluation (and a reset, a new seed or new data) without comparing all.
        key = (snap.samples[:, :4].tobytes(), snap.data[:4].tobytes(), len(snap.data))
        if key == self._samples_key:
            return
        self._samples_key = key
        for i, plot in enumerate(self.family_plots):
            show_cloud(plot.data, snap.data, self.theme.muted)
            show_cloud(plot.samples, snap.samples[i], self.theme.color(i))

    def _render_readout(self, snap: cm.CompareSnapshot) -> None:
        em = "converged" if snap.gmm_converged else "running"
        text = (f"step <b>{snap.step:,}</b> · {snap.data_name}<br>"
                f"samples and measures from step <b>{snap.evaluated_step:,}</b> "
                f"({snap.n_samples} points each)<br>EM {em}")
        if text != self.readout.text():
            self.readout.setText(text)

