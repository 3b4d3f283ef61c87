"""GMM-EM: a Gaussian mixture fitted live by EM, the E-step and the M-step visible one at a time."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from playground.models.datasets import toy2d
from playground.models.datasets.loaders import load_points_csv
from playground.models.gmm import GMMSnapshot, GMMTrainer, check_points, component_log_pdf
from playground.panels.base import Panel
from playground.theme import Theme
from playground.widgets.layout import group, rich_label
from playground.widgets.params import Param, ParamForm
from playground.widgets.plots import ThemedPlot, brush, color, pen
from playground.widgets.point_cloud import ColouredPoints

#: Up to this many EM iterations the log-likelihood curve marks each one.
MARKED_ITERATIONS = 60
MAX_K = 10
MIN_POINTS, MAX_POINTS = 20, 10_000  # the size slider's range
UNIT_CIRCLE = np.stack([np.cos(np.linspace(0, 2 * np.pi, 97)), np.sin(np.linspace(0, 2 * np.pi, 97))])  # (2, 97)
DENSITY_GRID = 120
PICK_RADIUS_PX = 8
ERASE_RADIUS_PX = 18
COLLAPSE_SCENE = "Failure: a component collapses"
#: Scenes: a data set with the model settings that make a point (the claim is tested in tests/panels/test_gmm_panel.py).
SCENES = {
    COLLAPSE_SCENE: {"n_components": 3, "covariance_type": "full", "init": "random_points", "reg_covar": 0.0},
}
SCENE_STORIES = {
    COLLAPSE_SCENE: "No regularisation: press Play and watch one Gaussian shrink onto the lonely point at the top — "
                    "its likelihood there grows without limit, which is why EM fits add a small 'Regularisation' "
                    "to every variance. Set it to 0.01 and press Re-initialise to see the difference.",
}
COVARIANCE_TYPES = ("full", "diag", "spherical", "tied")
INITS = ("kmeans++", "random", "random_points")


def collapse_points() -> np.ndarray:
    """Two clouds and one lonely point far above them. With no regularisation, EM started at seed 0 lets a component
    shrink onto that single point (its likelihood heads for infinity); reg_covar = 0.01 keeps it a visible blob."""
    rng = np.random.default_rng(2)  # the data are part of the scene, whatever the panel's seed
    clouds = np.concatenate([rng.normal([-2.0, 0.0], 0.6, (60, 2)), rng.normal([2.0, 0.5], 0.6, (60, 2))])
    return np.concatenate([clouds, [[0.0, 6.0]]])


class GMMPanel(Panel):
    name = "gmm"
    title = "GMM-EM"
    icon = "gmm.svg"
    default_speed = 2  # half-steps per second: slow enough to see E and M alternate

    # --- model -----------------------------------------------------------------------------------------------
    def create_model(self) -> GMMTrainer:
        self.preset = "Anisotropic"  # EM visibly works for several iterations here
        self.n_points = 500
        self.X = toy2d.make_points(self.preset, self.n_points, seed=0)
        self.samples: tuple[np.ndarray, np.ndarray] | None = None
        self.picked: int | None = None
        return GMMTrainer(self.X, n_components=3, init="random_points", seed=self.seed)

    # --- settings --------------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {**super().state(), "preset": self.preset, "n_points": self.n_points, **self.model_form.values()}

    def restore_state(self, state: dict[str, Any]) -> None:
        preset = state.get("preset", self.preset)
        if preset not in toy2d.GMM_PRESETS and preset not in SCENES:
            raise ValueError(f"there is no data set called {preset!r}")
        n_points = state.get("n_points", self.n_points)
        if isinstance(n_points, bool) or not isinstance(n_points, int) or not MIN_POINTS <= n_points <= MAX_POINTS:
            raise ValueError(f"{n_points!r} points is not between {MIN_POINTS} and {MAX_POINTS:,}")
        values = {k: state[k] for k in ("n_components", "covariance_type", "init", "tol", "reg_covar") if k in state}
        # Validate by building the model from the saved values before anything of the panel's changes.
        X = collapse_points() if preset in SCENES else toy2d.make_points(preset, n_points, seed=self.seed)
        GMMTrainer(X, seed=self.seed, **{**self.model_form.values(), **(SCENES.get(preset, {})), **values})
        super().restore_state(state)
        self._load_preset(preset, n_points, direct=True, **values)

    # --- lessons ---------------------------------------------------------------------------------------------
    def preset_state(self, name: str) -> dict[str, Any]:
        """What choosing ``name`` in the data box sets (see _load_preset)."""
        if name in SCENES:
            return {"preset": name, **SCENES[name]}
        if name not in toy2d.GMM_PRESETS:
            raise ValueError(f"there is no data set called {name!r}; the data sets are: "
                             f"{', '.join([*toy2d.GMM_PRESETS, *SCENES])}")
        return {"preset": name, **({"n_components": 2} if name in toy2d.PRESETS_1D else {})}

    def lesson_targets(self) -> dict[str, Any]:
        return {**super().lesson_targets(), "data": self.main_plot, "likelihood": self.ll_plot,
                "bic": self.k_plot, "phase": self.phase_label, "inspector": self.inspector,
                "e-step": self.e_button, "m-step": self.m_button, "sample": self.sample_button,
                "choose-k": self.choose_k_button}

    # --- Copy as Python, Export data as CSV ------------------------------------------------------------------
    def python_script(self) -> str:
        from playground.scripts.gmm import gmm_script
        return gmm_script(self.state(), self.X, self.last_snapshot)

    def export_tables(self) -> list:
        from playground.export_csv import gmm_tables
        return gmm_tables(self.last_snapshot)

    # --- sessions --------------------------------------------------------------------------------------------
    def session_state(self) -> dict[str, Any]:
        """The points themselves too: clicks, erasing and a loaded CSV take them away from any preset."""
        return {**self.state(), "points": self.X.copy()}

    def restore_session(self, state: dict[str, Any]) -> None:
        if "points" not in state:
            self.restore_state(state)
            return
        preset = state.get("preset", self.preset)
        known = preset in toy2d.GMM_PRESETS or preset in SCENES
        settings = {**state, "preset": preset if known else self.preset}  # a loaded file's name: keep any preset
        values = {k: settings[k] for k in ("n_components", "covariance_type", "init", "tol", "reg_covar")
                  if k in settings}
        # The points are checked with the saved model settings before anything of the panel changes.
        X = GMMTrainer(state["points"], seed=state.get("seed", self.seed),
                       **{**self.model_form.values(), **SCENES.get(settings["preset"], {}), **values}).X
        if X.shape[1] not in (1, 2):
            raise ValueError(f"the saved points have {X.shape[1]} coordinates; the panel shows 1 or 2")
        self.restore_state(settings)
        self.model.set_data(X)  # EM starts on them from the seed, as it would have on the saved run
        self.preset, self.X = preset, X
        if not known:
            self.message_bar.show_message(f"{len(X):,} points from {preset}, kept in the session.", "info")

    # --- building --------------------------------------------------------------------------------------------
    def build(self) -> None:
        controls = self._build_controls()
        plots = self._build_plots()
        self.set_controls_and_plots(controls, plots)
        self._data_timer = QTimer(self, singleShot=True, interval=80)
        self._data_timer.timeout.connect(self._send_data)

    def _build_controls(self) -> QWidget:
        self.preset_box = QComboBox()
        self.preset_box.addItems(list(toy2d.GMM_PRESETS) + list(SCENES))
        self.preset_box.setCurrentText(self.preset)
        self.preset_box.currentTextChanged.connect(lambda name: self._load_preset(name, self.n_points))
        self.size_form = ParamForm([Param("n_points", "Points", 500, kind="slider",
                                          minimum=MIN_POINTS, maximum=MAX_POINTS,
                                          log=True, help="How many points the preset makes")])
        self.size_form.edited.connect(lambda _, v: self._load_preset(self.preset, int(round(v))))
        self.clear_button = QPushButton("Clear")
        self.load_button = QPushButton("Load CSV…")
        self.clear_button.clicked.connect(self.clear_points)
        self.load_button.clicked.connect(self._load_csv_dialog)
        hint = QLabel("Click: add a point · Shift-drag: erase\nClick a point: inspect it")
        hint.setWordWrap(True)
        hint.setObjectName("Hint")
        data_group = QGroupBox("Data")
        data_layout = QVBoxLayout(data_group)
        data_layout.addWidget(self.preset_box)
        data_layout.addWidget(self.size_form)
        row = QHBoxLayout()
        row.addWidget(self.clear_button)
        row.addWidget(self.load_button)
        data_layout.addLayout(row)
        data_layout.addWidget(hint)

        self.model_form = ParamForm([
            Param("n_components", "Components K", 3, kind="int", help="Number of Gaussians in the mixture"),
            Param("covariance_type", "Covariance", "full", kind="choice", choices=COVARIANCE_TYPES,
                  help="full: any ellipse · diag: axis-aligned · spherical: circles · tied: one shared ellipse"),
            Param("init", "Initialisation", "random_points", kind="choice", choices=INITS,
                  help="random: random responsibilities · random_points: K data points as means · kmeans++: spread-out data points"),
            Param("tol", "Tolerance", 1e-4, help="Stop when the log-likelihood gains less than this"),
            Param("reg_covar", "Regularisation", 1e-6,
                  help="Added to every variance so that no component can shrink to a single point"),
        ])
        self.model_form.edited.connect(self._model_param_edited)
        model_group = group("Model", self.model_form)

        self.e_button = QPushButton("E-step")
        self.e_button.setToolTip("Recompute every point's responsibilities (colours)")
        self.m_button = QPushButton("M-step")
        self.m_button.setToolTip("Move weights, means and ellipses to the responsibility-weighted data")
        self.em_button = QPushButton("Step (E+M)")
        self.reinit_button = QPushButton("Re-initialise")
        self.e_button.clicked.connect(lambda: self.call(lambda m: m.e_step_only(), "E-step"))
        self.m_button.clicked.connect(lambda: self.call(lambda m: m.m_step_only(), "M-step"))
        self.em_button.clicked.connect(lambda: self.call(lambda m: m.em_step(), "E+M"))
        self.reinit_button.clicked.connect(lambda: self.reset())
        self.phase_label = rich_label()
        em_group = QGroupBox("EM")
        grid = QGridLayout(em_group)
        grid.addWidget(self.e_button, 0, 0)
        grid.addWidget(self.m_button, 0, 1)
        grid.addWidget(self.em_button, 1, 0)
        grid.addWidget(self.reinit_button, 1, 1)
        grid.addWidget(self.phase_label, 2, 0, 1, 2)

        self.hard_labels = QCheckBox("Hard labels (argmax)")
        self.show_density = QCheckBox("Fitted density")
        self.show_density.setChecked(True)
        for box in (self.hard_labels, self.show_density):
            box.toggled.connect(lambda _=False: self.last_snapshot and self.render(self.last_snapshot))
        self.sample_count = QSpinBox()
        self.sample_count.setRange(1, 100_000)
        self.sample_count.setValue(300)
        self.sample_button = QPushButton("Sample from the model")
        self.sample_button.clicked.connect(self.sample_from_model)
        self.hide_samples_button = QPushButton("Hide samples")
        self.hide_samples_button.clicked.connect(self._hide_samples)
        self.choose_k_button = QPushButton("Choose K (1…10)")
        self.choose_k_button.clicked.connect(self.choose_k)
        self.progress = QProgressBar()
        self.progress.setRange(0, MAX_K)
        self.progress.setTextVisible(True)
        self.progress.hide()
        view_group = QGroupBox("View and generate")
        view_form = QFormLayout(view_group)
        view_form.addRow(self.hard_labels)
        view_form.addRow(self.show_density)
        view_form.addRow("Samples", self.sample_count)
        row = QHBoxLayout()
        row.addWidget(self.sample_button)
        row.addWidget(self.hide_samples_button)
        view_form.addRow(row)
        view_form.addRow(self.choose_k_button)
        view_form.addRow(self.progress)

        self.inspector = rich_label("Click a point to see its responsibilities and the M-step written out.",
                                    name="Readout")
        inspect_group = group("Inspect a point", self.inspector)

        controls = QWidget()
        layout = QVBoxLayout(controls)
        for box in (data_group, model_group, em_group, view_group, inspect_group):
            layout.addWidget(box)
        layout.addStretch(1)
        return controls

    def _build_plots(self) -> QWidget:
        t = self.theme
        self.main_plot = ThemedPlot(t, title="", x_label="x₁", y_label="x₂")
        self.ll_plot = ThemedPlot(t, title="Log-likelihood", x_label="iteration",
                                  y_label="log-lik. per point")
        self.k_plot = ThemedPlot(t, title="Press Choose K", x_label="K", y_label="BIC / AIC ↓")
        for plot in (self.ll_plot, self.k_plot):
            plot.setMouseEnabled(False, False)
        self.main_plot.setMouseEnabled(False, False)
        mp = self.main_plot
        self.density = pg.ImageItem()
        self.density.setZValue(-10)
        mp.addItem(self.density)
        self.histogram = mp.styled(pg.PlotDataItem(stepMode="center", fillLevel=0),
                                   lambda i, t: (i.setPen(pen(t, t.muted, width=0.5)), i.setBrush(brush(t.muted, 0.2))))
        self.points = mp.styled(ColouredPoints(), lambda i, t: i.set_size(t.marker * 1.2))
        # Samples from the model: one triangle item per component, so colours cost nothing per point.
        self.sample_points = [mp.styled(pg.ScatterPlotItem(symbol="t", pxMode=True), lambda i, t, k=k: (
            i.setSize(t.marker * 1.2), i.setBrush(brush(t.color(k), 0.9)), i.setPen(pen(t, t.foreground, width=0.2))))
            for k in range(MAX_K)]
        self.mixture_curve = mp.styled(pg.PlotDataItem(), lambda i, t: i.setPen(pen(t, t.accent, width=1.2)))
        self.ellipses: list[tuple[pg.PlotDataItem, pg.PlotDataItem]] = []
        self.component_curves: list[pg.PlotDataItem] = []
        self.weight_labels: list[pg.TextItem] = []
        for k in range(MAX_K):
            one = mp.styled(pg.PlotDataItem(), lambda i, t, k=k: i.setPen(pen(t, t.color(k), width=1.2)))
            two = mp.styled(pg.PlotDataItem(), lambda i, t, k=k: i.setPen(pen(t, t.color(k), width=0.8, dashed=True)))
            self.ellipses.append((one, two))
            self.component_curves.append(
                mp.styled(pg.PlotDataItem(), lambda i, t, k=k: i.setPen(pen(t, t.color(k), width=1.0, dashed=True))))
            label = pg.TextItem(anchor=(0.5, 1.3))
            mp.addItem(label)
            self.weight_labels.append(label)
        self.mean_markers = mp.styled(pg.ScatterPlotItem(symbol="+", pxMode=True),
                                      lambda i, t: (i.setSize(t.marker * 3), i.setPen(pen(t, t.foreground, width=1.5))))
        self.picked_marker = mp.styled(pg.ScatterPlotItem(symbol="o", pxMode=True),
                                       lambda i, t: (i.setSize(t.marker * 2.6), i.setBrush(None),
                                                     i.setPen(pen(t, t.foreground, width=1.2))))
        self._style_weight_labels()
        self._ellipse_alpha = {}  # component → the opacity its ellipses were last drawn with
        mp.viewport().installEventFilter(self)

        self.ll_curve = self.ll_plot.styled(pg.PlotDataItem(), lambda i, t: (
            i.setPen(pen(t, t.color(0), width=1.0)), i.setSymbol("o"), i.setSymbolSize(t.marker),
            i.setSymbolBrush(brush(t.color(0))), i.setSymbolPen(None)))
        self.bic_curve = self.k_plot.styled(pg.PlotDataItem(), lambda i, t: (
            i.setPen(pen(t, t.color(0), width=1.0)), i.setSymbol("o"), i.setSymbolSize(t.marker),
            i.setSymbolBrush(brush(t.color(0))), i.setSymbolPen(None)))
        self.aic_curve = self.k_plot.styled(pg.PlotDataItem(), lambda i, t: (
            i.setPen(pen(t, t.color(1), width=1.0, dashed=True)), i.setSymbol("s"), i.setSymbolSize(t.marker),
            i.setSymbolBrush(brush(t.color(1))), i.setSymbolPen(None)))
        legend = self.k_plot.add_legend()
        legend.addItem(self.bic_curve, "BIC")
        legend.addItem(self.aic_curve, "AIC")

        # The data plot keeps equal axes (true ellipse shapes), so it gets the full width; the curves sit below it.
        below = QSplitter(Qt.Orientation.Horizontal)
        below.addWidget(self.ll_plot)
        below.addWidget(self.k_plot)
        plots = QSplitter(Qt.Orientation.Vertical)
        plots.addWidget(self.main_plot)
        plots.addWidget(below)
        plots.setStretchFactor(0, 3)
        plots.setStretchFactor(1, 1)
        plots.setSizes([560, 240])
        return plots

    def apply_theme(self, theme: Theme) -> None:
        super().apply_theme(theme)
        for plot in (self.main_plot, self.ll_plot, self.k_plot):
            plot.apply_theme(theme)
        self._style_weight_labels()
        self._density_key = None  # the colour map follows the theme
        self._ellipse_alpha: dict[int, float] = {}  # and so do the ellipses' pens
        if self.last_snapshot is not None:
            self.render(self.last_snapshot)

    # --- data ------------------------------------------------------------------------------------------------
    def _load_preset(self, name: str, n_points: int, *, direct: bool = False, **model_values: Any) -> None:
        if name in SCENES:
            X = collapse_points()
            model_values = {**SCENES[name], **model_values}
            self.message_bar.show_message(SCENE_STORIES[name], "info")
        else:
            X = toy2d.make_points(name, n_points, seed=self.seed)
            if name in toy2d.PRESETS_1D:
                model_values = {"n_components": 2, **model_values}  # "one bump or two?" is the question here
        params = {**self.model_form.values(), **model_values}
        if direct:  # before the worker starts (restoring settings): validate by building the trainer
            self.model = GMMTrainer(X, seed=self.seed, **params)
        else:
            self.set_params(X=X, **params)
        self.preset, self.n_points, self.X = name, n_points, X
        self.model_form.set_values(params)
        self.size_form.set_values({"n_points": n_points})
        for box, value in ((self.preset_box, name),):
            box.blockSignals(True)
            box.setCurrentText(value)
            box.blockSignals(False)
        self.samples, self.picked = None, None
        self.main_plot.enableAutoRange()
        self._autorange_pending = True

    def set_points(self, X: np.ndarray) -> None:
        """Replace the data with the user's own points (clicks, erasing, a CSV); the fit carries on over them."""
        self.X = np.asarray(X, dtype=np.float64)
        self.picked = None
        self._data_timer.start()
        self._draw_points_now()

    @Slot()
    def _send_data(self) -> None:
        k = self.model_form.values()["n_components"]
        if len(self.X) < k:
            self.message_bar.show_message(
                f"{len(self.X)} point(s): EM needs at least as many points as components (K = {k}). "
                "Click to add more.", "info")
            return
        X = self.X.copy()
        self.call(lambda m: m.set_data(X, keep_parameters=True), "data")

    @Slot()
    def clear_points(self) -> None:
        self.set_points(np.empty((0, self.X.shape[1] if self.X.ndim == 2 else 2)))

    @Slot()
    def _load_csv_dialog(self) -> None:
        self.ask_for_file("Load points", self.CSV_FILES, self.load_csv)

    def load_csv(self, path: str) -> bool:
        k = self.model_form.values()["n_components"]   # EM needs at least K points: fewer change nothing
        X = self.read_user_file(lambda p: check_points(load_points_csv(p, n_columns=2), n_components=k), path)
        if X is None:
            return False
        self.preset = Path(path).name
        self.message_bar.show_message(f"Loaded {len(X):,} points from {Path(path).name}.", "info")
        self.samples = None
        self.set_points(X)
        self.main_plot.enableAutoRange()
        self._autorange_pending = True
        return True

    # --- model parameters --------------------------------------------------------------------------------------
    @Slot(str, object)
    def _model_param_edited(self, name: str, value: Any) -> None:
        if name == "n_components" and not 1 <= value <= MAX_K:
            self.model_form.set_error(name, f"K must be between 1 and {MAX_K}")
            return
        if name in ("tol", "reg_covar") and value < 0:
            self.model_form.set_error(name, "must be ≥ 0")
            return
        if name == "n_components" and value > len(self.X):
            self.model_form.set_error(name, f"only {len(self.X)} points: K can be at most that")
            return
        self.model_form.accept(name, value)
        self.samples = None
        self.set_params(**{name: value})

    # --- actions ---------------------------------------------------------------------------------------------
    def sample_from_model(self) -> None:
        n = self.sample_count.value()
        self.call(lambda m: m.sample(n), "sample", on_done=self._show_samples)

    def _show_samples(self, result: tuple[np.ndarray, np.ndarray]) -> None:
        self.samples = result
        if self.last_snapshot is not None:
            self.render(self.last_snapshot)

    @Slot()
    def _hide_samples(self) -> None:
        self._show_samples(None)

    def choose_k(self) -> None:
        self.progress.setValue(0)
        self.progress.show()
        self.choose_k_button.setEnabled(False)
        self.call(lambda m: m.choose_k(range(1, MAX_K + 1)), "choose K", on_done=self._show_k_choice)

    def on_progress(self, progress) -> None:
        if progress.label == "choose K":
            k, done, total = progress.value
            self.progress.setMaximum(total)
            self.progress.setValue(done)
            self.progress.setFormat(f"fitted K = {k}  (%v of %m)")

    def _show_k_choice(self, result: dict) -> None:
        self.progress.hide()
        self.choose_k_button.setEnabled(True)
        self.bic_curve.setData(result["k"], result["bic"])
        self.aic_curve.setData(result["k"], result["aic"])
        best = int(result["k"][np.argmin(result["bic"])])
        self.k_plot.set_labels(title=f"BIC is lowest at K = {best}")
        self.k_choice = result

    def on_fault(self, fault) -> None:
        super().on_fault(fault)
        self.progress.hide()
        self.choose_k_button.setEnabled(True)

    # --- mouse: add, erase, inspect --------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is not self.main_plot.viewport():
            return False
        kind = event.type()
        if kind not in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.MouseButtonRelease):
            return False
        if kind == QEvent.Type.MouseMove and not event.buttons() & Qt.MouseButton.LeftButton:
            return False
        if kind != QEvent.Type.MouseMove and event.button() != Qt.MouseButton.LeftButton:
            return False
        x, y = self._to_data(event.position())
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if shift and kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove):
            self.erase_near(x, y)
        elif kind == QEvent.Type.MouseButtonPress:
            nearest = self._nearest_point(x, y)
            if nearest is not None:
                self.inspect(nearest)
            else:
                self.add_point(x, y)
        return True

    def _to_data(self, position: QPointF) -> tuple[float, float]:
        point = self.main_plot.plot_item.vb.mapSceneToView(self.main_plot.mapToScene(position.toPoint()))
        return point.x(), point.y()

    def _pixel_distances(self, x: float, y: float) -> np.ndarray:
        if len(self.X) == 0:
            return np.empty(0)
        px, py = self.main_plot.plot_item.vb.viewPixelSize()
        if self.X.shape[1] == 1:
            return np.abs(self.X[:, 0] - x) / px
        return np.hypot((self.X[:, 0] - x) / px, (self.X[:, 1] - y) / py)

    def _nearest_point(self, x: float, y: float) -> int | None:
        d = self._pixel_distances(x, y)
        if self.X.shape[1] == 1 or not len(d):
            return None  # in 1-D every click adds a point
        i = int(np.argmin(d))
        return i if d[i] <= PICK_RADIUS_PX else None

    def add_point(self, x: float, y: float) -> None:
        new = np.array([[x]]) if self.X.shape[1] == 1 else np.array([[x, y]])
        self.set_points(np.concatenate([self.X, new]))

    def erase_near(self, x: float, y: float) -> None:
        keep = self._pixel_distances(x, y) > ERASE_RADIUS_PX
        if not keep.all():
            self.set_points(self.X[keep])

    def inspect(self, index: int) -> None:
        self.picked = index
        if self.last_snapshot is not None:
            self.render(self.last_snapshot)

    # --- rendering -------------------------------------------------------------------------------------------
    def render(self, snap: GMMSnapshot) -> None:
        one_d = snap.X.shape[1] == 1
        if len(snap.X) != len(self.X) or (len(self.X) and not np.array_equal(snap.X, self.X)):
            # The worker has not yet seen the newest edit: draw the edited points plainly until it has.
            self._draw_points_now()
            return
        colours = self._point_colours(snap)
        if one_d:
            self._render_1d(snap, colours)
        else:
            self._render_2d(snap, colours)
        self._render_samples(snap, one_d)
        self._render_curves(snap)
        self._render_phase(snap)
        self._render_inspector(snap)
        if getattr(self, "_autorange_pending", False):
            self.main_plot.enableAutoRange()
            self._autorange_pending = False

    def _point_colours(self, snap: GMMSnapshot) -> np.ndarray:
        """(N, 3) uint8: each point's colour, the responsibility-weighted blend of the component colours."""
        palette = np.array([[color(self.theme.color(k)).red(), color(self.theme.color(k)).green(),
                             color(self.theme.color(k)).blue()] for k in range(snap.n_components)], dtype=float)
        resp = snap.resp
        if self.hard_labels.isChecked():
            resp = np.eye(snap.n_components)[np.argmax(resp, axis=1)]
        return np.clip(resp @ palette, 0, 255).astype(np.uint8)

    def _render_2d(self, snap: GMMSnapshot, colours: np.ndarray) -> None:
        self.histogram.setVisible(False)
        self.mixture_curve.setVisible(False)
        self.main_plot.set_labels(x_label="x₁", y_label="x₂")
        self.main_plot.plot_item.setAspectLocked(True)  # ellipses keep their true shape
        self.points.setData(snap.X[:, 0], snap.X[:, 1], colours)
        circle = UNIT_CIRCLE
        for k in range(MAX_K):
            one, two = self.ellipses[k]
            curve, label = self.component_curves[k], self.weight_labels[k]
            curve.setVisible(False)
            visible = k < snap.n_components
            for item in (one, two, label):
                item.setVisible(visible)
            if not visible:
                continue
            # The 1σ and 2σ contours: the unit circle stretched by the covariance's Cholesky factor.
            # Σ = V diag(λ) Vᵀ; eigenvalues clipped at 0 so a collapsing component draws as a line, never fails.
            eigenvalues, vectors = np.linalg.eigh(snap.covariances[k])
            ring = vectors @ (np.sqrt(np.clip(eigenvalues, 0.0, None))[:, None] * circle)
            # Opacity by weight, in steps of 5 %: a new pen makes pyqtgraph re-process the curve, so only on change.
            alpha = round(20 * (0.35 + 0.65 * min(1.0, snap.weights[k] * snap.n_components))) / 20
            restyle = self._ellipse_alpha.get(k) != alpha
            self._ellipse_alpha[k] = alpha
            for item, scale, dashed in ((one, 1.0, False), (two, 2.0, True)):
                if restyle:
                    width = 1.3 if not dashed else 0.9
                    item.setPen(pen(self.theme, self.theme.color(k), width=width, alpha=alpha, dashed=dashed))
                    # A halo in the background colour: the 1σ ellipse stays visible over its own, same-coloured
                    # points (at presentation scale they cover the whole 1σ region). The 2σ one lies mostly outside.
                    if not dashed:
                        item.setShadowPen(pen(self.theme, self.theme.background, width=width * 2.6, alpha=0.85))
                item.setData(snap.means[k, 0] + scale * ring[0], snap.means[k, 1] + scale * ring[1])
            self._set_weight_label(k, snap.weights[k])
            label.setPos(snap.means[k, 0], snap.means[k, 1] + 2 * np.sqrt(snap.covariances[k][1, 1]))
        self.mean_markers.setData(snap.means[:, 0], snap.means[:, 1])
        self._render_density(snap)
        if self.picked is not None and self.picked < len(snap.X):
            self.picked_marker.setData([snap.X[self.picked, 0]], [snap.X[self.picked, 1]])
        else:
            self.picked_marker.setData([], [])

    def _set_weight_label(self, k: int, weight: float) -> None:
        text = f"π{_subscript(k + 1)} = {weight:.2f}"
        label = self.weight_labels[k]
        if label.toPlainText() != text:  # re-laying out rich text every frame costs more than the comparison
            label.setText(text)

    def _style_weight_labels(self) -> None:
        font = self._label_font()
        for k, label in enumerate(self.weight_labels):
            label.setColor(self.theme.color(k))
            label.setFont(font)

    def _render_density(self, snap: GMMSnapshot) -> None:
        if not self.show_density.isChecked() or len(snap.X) == 0:
            self.density.setVisible(False)
            return
        lo, hi = snap.X.min(axis=0), snap.X.max(axis=0)
        pad = 0.15 * np.maximum(hi - lo, 1e-3)
        lo, hi = lo - pad, hi + pad
        key = (snap.weights.tobytes(), snap.means.tobytes(), snap.covariances.tobytes(), lo.tobytes(), hi.tobytes())
        if key != getattr(self, "_density_key", None):  # redraws without an EM step reuse the image
            gx, gy = np.linspace(lo[0], hi[0], DENSITY_GRID), np.linspace(lo[1], hi[1], DENSITY_GRID)
            grid = np.stack(np.meshgrid(gx, gy, indexing="ij"), axis=-1).reshape(-1, 2)
            log_joint = (np.log(np.maximum(snap.weights, 1e-300))[:, None]
                         + component_log_pdf(grid, snap.means, snap.covariances))      # (K, G²)
            # Normalised to the peak, so log-sum-exp's constant cancels: exp(log p − max log p), summed over k.
            density = np.exp(log_joint - log_joint.max()).sum(axis=0)
            image = (density / density.max()).reshape(DENSITY_GRID, DENSITY_GRID).astype(np.float32)
            self.density.setImage(image, levels=(0.0, 1.0), lut=self._density_lut())
            self._density_key = key
        self.density.setRect(float(lo[0]), float(lo[1]), float(hi[0] - lo[0]), float(hi[1] - lo[1]))
        self.density.setVisible(True)

    def _density_lut(self) -> np.ndarray:
        """From the background colour to a soft grey-blue: the density sits quietly under the points."""
        start = np.array(color(self.theme.background).getRgb()[:3], dtype=float)
        end = np.array(color(self.theme.muted).getRgb()[:3], dtype=float)
        f = np.linspace(0, 0.55, 256)[:, None]
        return np.clip(start + f * (end - start), 0, 255).astype(np.uint8)

    def _render_1d(self, snap: GMMSnapshot, colours: np.ndarray) -> None:
        x = snap.X[:, 0]
        self.density.setVisible(False)
        for one, two in self.ellipses:
            one.setVisible(False)
            two.setVisible(False)
        self.mean_markers.setData([], [])
        self.picked_marker.setData([], [])
        self.main_plot.set_labels(x_label="x", y_label="density")
        self.main_plot.plot_item.setAspectLocked(False)
        lo, hi = (x.min(), x.max()) if len(x) else (0.0, 1.0)
        pad = 0.1 * max(hi - lo, 1e-3)
        counts, edges = np.histogram(x, bins=40, range=(lo - pad, hi + pad))
        density = counts / max(1, len(x)) / np.diff(edges)
        self.histogram.setData(edges, density)
        self.histogram.setVisible(True)
        grid = np.linspace(lo - pad, hi + pad, 400)
        sds = np.sqrt(snap.covariances[:, 0, 0])
        comps = snap.weights[:, None] * np.exp(-0.5 * ((grid[None, :] - snap.means[:, :1]) / sds[:, None]) ** 2) \
            / (np.sqrt(2 * np.pi) * sds[:, None])
        for k in range(MAX_K):
            curve, label = self.component_curves[k], self.weight_labels[k]
            visible = k < snap.n_components
            curve.setVisible(visible)
            label.setVisible(visible)
            if visible:
                curve.setData(grid, comps[k])
                self._set_weight_label(k, snap.weights[k])
                label.setPos(snap.means[k, 0], comps[k].max())
        self.mixture_curve.setData(grid, comps.sum(axis=0))
        self.mixture_curve.setVisible(True)
        top = max(float(density.max()) if len(density) else 0.0, float(comps.sum(axis=0).max()))
        self.points.setData(x, np.full(len(x), -0.04 * top), colours)

    def _render_samples(self, snap: GMMSnapshot, one_d: bool) -> None:
        shown = self.samples is not None and self.samples[0].shape[1] == snap.X.shape[1]
        if shown:
            points, labels = self.samples
            y = np.full(len(points), -0.08 * float(self.mixture_curve.yData.max())) if one_d else points[:, 1]
        for k, item in enumerate(self.sample_points):
            mine = labels == k if shown else None
            item.setData(points[mine, 0], y[mine]) if shown else item.setData([], [])

    def _render_curves(self, snap: GMMSnapshot) -> None:
        iterations = np.arange(len(snap.lower_bounds))
        # A marker per iteration while they can be told apart; past that the markers only cost (pyqtgraph
        # re-keys every symbol each frame: 9 ms a frame at a few hundred iterations).
        self.ll_curve.setSymbol("o" if len(iterations) <= MARKED_ITERATIONS else None)
        self.ll_curve.setData(iterations, snap.lower_bounds)
        self.ll_plot.follow_curves(self.ll_curve)
        self.ll_plot.set_labels(title="✓ converged" if snap.converged else "Log-likelihood ↑")

    def _render_phase(self, snap: GMMSnapshot) -> None:
        if snap.phase_done == "E":
            headline = "E-step: colours = responsibilities"
        elif snap.phase_done == "M":
            headline = "M-step: Gaussians refitted"
        else:
            headline = "Initial guess — press E-step"
        self.main_plot.set_labels(title=headline)
        self.phase_label.setText(
            f"iteration <b>{snap.n_iter}</b> · next: <b>{snap.next_phase}-step</b> · "
            f"log-likelihood <b>{snap.log_likelihood:.4f}</b>" + (" · <b>converged</b>" if snap.converged else "")
            + (f"<br><i>{snap.note}</i>" if snap.note else ""))

    def _render_inspector(self, snap: GMMSnapshot) -> None:
        i = self.picked
        if i is None or i >= len(snap.X):
            return
        r = snap.resp[i]
        rows = "".join(f"<tr><td><span style='color:{self.theme.color(k)}'>■</span> component {k + 1}</td>"
                       f"<td align='right'>&nbsp;{r[k]:.3f}</td></tr>" for k in range(snap.n_components))
        k = int(np.argmax(r))
        weights = snap.resp[:, k]
        total = float(weights.sum())
        weighted_sum = weights @ snap.X
        vec = lambda v: "(" + ", ".join(f"{a:.3g}" for a in np.atleast_1d(v)) + ")"  # noqa: E731
        point = vec(snap.X[i])
        sub = _subscript(k + 1)
        self.inspector.setText(
            f"Point {i + 1} at {point}<br><table>{rows}</table><br>"
            f"With these responsibilities the next M-step sets<br>"
            f"μ{sub} = Σᵢ rᵢ{sub} xᵢ / Σᵢ rᵢ{sub} = {vec(weighted_sum)} / {total:.4g} = "
            f"<b>{vec(weighted_sum / max(total, 1e-300))}</b>")

    def _draw_points_now(self) -> None:
        if self.X.ndim == 2 and self.X.shape[1] == 2:
            self.points.setData(self.X[:, 0], self.X[:, 1], np.full((len(self.X), 3), 128))

    def _label_font(self):
        from PySide6.QtGui import QFont
        font = QFont()
        font.setPointSizeF(self.theme.font_size)
        font.setBold(True)
        return font


def _subscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
