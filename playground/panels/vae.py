"""VAE: an autoencoder and a variational autoencoder on small images, with a latent space to click, walk, slide
and do arithmetic in.

The worker trains (one minibatch per step). Everything the mouse drives — click-to-decode, the latent sliders, the
interpolation α and the arithmetic strength — decodes on the UI thread with the snapshot's FrozenDecoder (a few
microseconds per image), so it follows the mouse without a round trip to the worker, and it is redrawn with the
newest weights on every frame.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from playground.models.base import validate_seed
from playground.models.datasets.images import IMAGE_SETS, ImageSet, load_image_folder
from playground.models.vae import (
    LIKELIHOODS,
    N_SHOW,
    VAESnapshot,
    VAETrainer,
    latent_path,
)
from playground.panels.base import Panel
from playground.panels.vae_views import (
    ArithmeticTab,
    CodeMap,
    CompareTab,
    ImageView,
    InterpolationTab,
    LossesTab,
    ManifoldView,
    SamplesTab,
    bold_font,
    finite_or_dash,
    subscript,
    vector_text,
)
from playground.theme import Theme
from playground.widgets.layout import group, rich_label
from playground.widgets.params import Param, ParamForm
from playground.widgets.plots import brush, pen

DATASET_TITLES = {"digits": "Digits 0–9", "sprites": "Sprites (shapes)", "patterns": "3×3 patterns"}
FOLDER = "folder"
LATENT_DIMS = tuple(range(2, 9))
HIDDEN_WIDTHS = (32, 64, 128, 256, 512)
BATCH_SIZES = (16, 32, 64, 128, 256, 512)
MAX_BETA = 10.0
MAX_LR = 1.0
DEFAULTS = {"dataset": "digits", "latent_dim": 2, "hidden": 256, "likelihood": "bernoulli", "beta": 1.0,
            "lr": 1e-3, "batch_size": 128}
SLIDER_RANGE = 4.0          # latent sliders go from −4 to 4 …
SLIDER_STEPS = 400          # … in steps of 0.02
N_FRAMES = 9                # interpolation frames, A and B included
STRENGTHS = np.linspace(-2, 2, 9)   # the arithmetic walk
COMPARE_STEPS = 1500        # training steps for each model of the AE-vs-VAE comparison
N_COMPARE_SAMPLES = 10      # prior samples shown for each
QUALITY_EVERY = 250         # steps between automatic sample-quality measurements (while the Samples tab shows)
#: Words for the two ends of a factor, for the arithmetic menus ("thick − thin").
FACTOR_WORDS = {"thickness": ("thick", "thin"), "scale": ("large", "small"), "slant": ("slanted", "upright"),
                "x": ("on the right", "on the left"), "y": ("low down", "high up")}
DEFAULT_DIRECTIONS = {"digits": ("thick", "thin"), "sprites": ("large", "small")}
TAB_INTERPOLATE, TAB_ARITHMETIC, TAB_LOSSES, TAB_SAMPLES, TAB_COMPARE = range(5)


def data_key(name: str, side: int, labels: np.ndarray, label_names: tuple) -> tuple:
    """Identifies the shown held-out images (their data set and labels), to know when cached pixels are stale."""
    return name, side, len(labels), hash(np.asarray(labels, dtype=np.int64).tobytes()), tuple(label_names)


def shown_pixels(model: VAETrainer) -> tuple[tuple, np.ndarray]:
    """The pixels of the held-out images on the map, with their key (runs on the worker)."""
    n = min(N_SHOW, len(model.held_out))
    key = data_key(model.data.name, model.data.side, model.held_out_labels[:n], model.data.label_names)
    return key, model.held_out[:n].copy()


def train_side_by_side(model: VAETrainer, steps: int):
    """Train an autoencoder (β = 0) and a VAE (β = 1) from scratch on the same data, seed and network; yields
    progress, returns [(snapshot, sample quality)] for both. Runs on the worker as a Call."""
    c, live = model.config, model.live
    common = {"n_held_out": c["n_held_out"], "data_seed": c["data_seed"], "latent_dim": c["latent_dim"],
              "hidden": c["hidden"], "likelihood": c["likelihood"], "lr": live["lr"],
              "batch_size": live["batch_size"], "seed": model.seed}
    pair = [VAETrainer(model.data, beta=0.0, **common), VAETrainer(model.data, beta=1.0, **common)]
    for k, trainer in enumerate(pair):
        for i in range(steps):
            trainer.advance()
            if (i + 1) % 50 == 0:
                yield k * steps + i + 1, 2 * steps
    return [(trainer.snapshot(), trainer.sample_quality()) for trainer in pair]


class VAEPanel(Panel):
    name = "vae"
    title = "VAE"
    icon = "vae.svg"
    default_speed = 50  # minibatches per second

    # --- model -----------------------------------------------------------------------------------------------
    def create_model(self) -> VAETrainer:
        self.applied: dict[str, Any] = dict(DEFAULTS)   # what the model uses (changed once the worker accepts)
        self.vae_beta = 1.0                             # the β that "VAE" mode goes back to
        self.folder: ImageSet | None = None             # the last image folder loaded
        self.colour_by = "class"
        self.z = np.zeros(DEFAULTS["latent_dim"])       # the latent point in the preview
        self.z_source = "the centre of the latent space"
        self.picking: str | None = None                 # "A", "B" or "base": the next click on the map picks it
        self.pair: tuple[int, int] | None = None        # interpolation ends (indices of shown codes)
        self.base_index = 0                             # the image latent arithmetic starts from
        self.alpha = 0.5
        self.strength = 1.0
        self.groups: dict[str, np.ndarray] = {}         # arithmetic groups: name → member mask of shown codes
        self.pixels: np.ndarray | None = None           # pixels of the shown held-out images (for cross-fades)
        self.pixels_key: tuple | None = None
        self.shown_key: tuple | None = None
        self._pixels_pending = False
        self.quality: tuple[int, Any] | None = None     # (step, SampleQuality)
        self._quality_pending = False
        self.comparison: list | None = None
        self._n_changes = 0
        self._shown_mode = ""
        self._pair_rng = np.random.default_rng(self.seed)
        return self._make_model(self.applied, self.seed)

    def _make_model(self, settings: dict[str, Any], seed: int) -> VAETrainer:
        return VAETrainer(self._dataset_value(settings["dataset"]), **self._model_values(settings), seed=seed)

    def _dataset_value(self, dataset: str) -> str | ImageSet:
        return self.folder if dataset == FOLDER else dataset

    @staticmethod
    def _model_values(settings: dict[str, Any]) -> dict[str, Any]:
        """Panel settings → VAETrainer keyword arguments (the dataset apart)."""
        out = {k: v for k, v in settings.items() if k != "dataset"}
        if "hidden" in out:
            out["hidden"] = (int(out["hidden"]),)
        return out

    # --- settings --------------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        saved = {**super().state(), **self.applied, "colour_by": self.colour_by}
        if saved["dataset"] == FOLDER:   # a folder may be gone next time: start from the digits instead
            saved["dataset"] = DEFAULTS["dataset"]
        return saved

    def restore_state(self, state: dict[str, Any]) -> None:
        settings = {k: state.get(k, v) for k, v in DEFAULTS.items()}
        if settings["dataset"] not in IMAGE_SETS and not (settings["dataset"] == FOLDER and self.folder is not None):
            raise ValueError(f"there is no data set called {settings['dataset']!r}")
        for key, choices in (("latent_dim", LATENT_DIMS), ("hidden", HIDDEN_WIDTHS), ("batch_size", BATCH_SIZES)):
            if settings[key] not in choices or isinstance(settings[key], bool):
                raise ValueError(f"a saved {key} of {settings[key]!r} is not one of the choices")
        model = self._make_model(settings, validate_seed(state.get("seed", self.seed)))   # checks β, lr, likelihood
        super().restore_state(state)
        self.model = model
        self.applied = settings
        if settings["beta"] > 0:
            self.vae_beta = float(settings["beta"])
        self.colour_by = str(state.get("colour_by", "class"))
        self._show_settings(settings)

    # --- lessons ---------------------------------------------------------------------------------------------
    def lesson_targets(self) -> dict[str, Any]:
        return {**super().lesson_targets(), "latent-map": self.map_plot, "decoded-grid": self.manifold_plot,
                "preview": self.preview, "interpolate": self.interpolation_tab, "arithmetic": self.arithmetic_tab,
                "losses": self.losses_tab, "samples": self.samples_tab, "compare": self.compare_tab,
                "readout": self.readout, "measure-quality": self.samples_tab.quality_button,
                "train-both": self.compare_tab.button}

    # --- Copy as Python, Export data as CSV ------------------------------------------------------------------
    def python_script(self) -> str:
        from playground.scripts.vae import vae_script
        return vae_script(self.applied, self.seed, self.last_snapshot, folder=self.folder)

    def export_tables(self) -> list:
        from playground.export_csv import vae_tables
        return vae_tables(self.last_snapshot)

    # --- sessions --------------------------------------------------------------------------------------------
    def session_state(self) -> dict[str, Any]:
        """A student's image folder as the images themselves: the folder may be gone next time."""
        state = self.state()
        if self.applied["dataset"] == FOLDER and self.folder is not None:
            f = self.folder
            state.update(dataset=FOLDER, folder={
                "name": f.name, "images": f.images, "side": f.side, "labels": f.labels,
                "label_names": list(f.label_names), "factors": dict(f.factors),
                "skipped": [list(s) for s in f.skipped]})
        return state

    def restore_session(self, state: dict[str, Any]) -> None:
        if state.get("dataset") != FOLDER:
            self.restore_state(state)
            return
        folder = saved_image_set(state.get("folder"))
        previous, self.folder = self.folder, folder
        try:
            self.restore_state(state)
        except Exception:
            self.folder = previous
            raise
        self._folder_loaded(folder)

    # --- building --------------------------------------------------------------------------------------------
    def build(self) -> None:
        self.set_controls_and_plots(self._build_controls(), self._build_views())
        self._show_settings(self.applied)
        self._show_slider_rows(len(self.z))
        self._style_end_labels()

    def _build_controls(self) -> QWidget:
        self.dataset_box = QComboBox()
        for name, title in DATASET_TITLES.items():
            self.dataset_box.addItem(title, name)
        self.dataset_box.currentIndexChanged.connect(self._dataset_chosen)
        self.open_button = QPushButton("Open image folder…")
        self.open_button.setToolTip("PNG or JPEG files, made 16×16 grayscale; each sub-folder's name is a class")
        self.open_button.clicked.connect(self._open_folder_dialog)
        self.data_note = rich_label(name="Hint")
        data_group = group("Data", self.dataset_box, self.open_button, self.data_note)

        self.ae_button = QPushButton("Autoencoder")
        self.vae_button = QPushButton("VAE")
        self.ae_button.setToolTip("β = 0: codes are single points, nothing pulls them towards N(0, I). "
                                  "Training restarts.")
        self.vae_button.setToolTip("Codes are distributions N(μ, σ²), pulled towards N(0, I) by the KL term. "
                                   "Training restarts.")
        self.mode_group = QButtonGroup(self)
        self.mode_group.setExclusive(True)
        mode_row = QHBoxLayout()
        for button in (self.ae_button, self.vae_button):
            button.setCheckable(True)
            self.mode_group.addButton(button)
            mode_row.addWidget(button)
        self.ae_button.clicked.connect(lambda: self.set_mode("autoencoder"))
        self.vae_button.clicked.connect(lambda: self.set_mode("vae"))
        self.model_form = ParamForm([
            Param("beta", "β (KL weight)", DEFAULTS["beta"],
                  help=f"loss = reconstruction + β·KL. 0 = a plain autoencoder, 1 = the VAE, up to {MAX_BETA:g}"),
            Param("latent_dim", "Latent dims", str(DEFAULTS["latent_dim"]), kind="choice",
                  choices=tuple(str(d) for d in LATENT_DIMS), help="How many numbers each image is squeezed into"),
            Param("hidden", "Hidden width", str(DEFAULTS["hidden"]), kind="choice",
                  choices=tuple(str(w) for w in HIDDEN_WIDTHS), help="Neurons in the encoder's and decoder's layer"),
            Param("likelihood", "Likelihood", DEFAULTS["likelihood"], kind="choice", choices=LIKELIHOODS,
                  help="bernoulli: each pixel is a coin with P(ink) · gaussian: each pixel is N(mean, σ²)"),
        ])
        self.model_form.edited.connect(self._form_edited)
        model_group = group("Model", mode_row, self.model_form)

        self.train_form = ParamForm([
            Param("lr", "Learning rate", DEFAULTS["lr"], help=f"Adam's step size, above 0 and at most {MAX_LR:g}"),
            Param("batch_size", "Batch size", str(DEFAULTS["batch_size"]), kind="choice",
                  choices=tuple(str(b) for b in BATCH_SIZES), help="Images per training step"),
        ])
        self.train_form.edited.connect(self._form_edited)
        train_group = group("Training", self.train_form)

        self.colour_box = QComboBox()
        self.colour_box.setToolTip("Colour each code by its class, or by a factor that drew the image")
        self.colour_box.currentTextChanged.connect(self._colour_chosen)
        self.ellipse_check = QCheckBox("Posterior ellipses")
        self.ellipse_check.setToolTip("VAE: each image's code is a Gaussian N(μ, σ²); its 1σ outline")
        self.ellipse_check.setChecked(True)
        self.ellipse_check.toggled.connect(self._redraw)
        colour_row = QHBoxLayout()
        colour_row.addWidget(QLabel("Colour by"))
        colour_row.addWidget(self.colour_box, 1)
        map_group = group("Latent map", colour_row, self.ellipse_check)

        self.sliders: list[QSlider] = []
        self.slider_labels: list[QLabel] = []
        self.slider_values: list[QLabel] = []
        slider_grid = QGridLayout()
        for d in range(max(LATENT_DIMS)):
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(-SLIDER_STEPS // 2, SLIDER_STEPS // 2)
            slider.setToolTip("Move one coordinate of z; the decoder draws the image live")
            slider.valueChanged.connect(lambda position, d=d: self._slider_moved(d, position))
            label, value = QLabel(f"z{subscript(d + 1)}"), QLabel()
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            slider_grid.addWidget(label, d, 0)
            slider_grid.addWidget(slider, d, 1)
            slider_grid.addWidget(value, d, 2)
            self.sliders.append(slider)
            self.slider_labels.append(label)
            self.slider_values.append(value)
        self.centre_button = QPushButton("Back to z = 0")
        self.centre_button.clicked.connect(lambda: self.set_z(np.zeros_like(self.z), "the centre of the latent space"))
        slider_grid.addWidget(self.centre_button, max(LATENT_DIMS), 0, 1, 3)
        slider_group = group("Latent point z", slider_grid)

        self.readout = rich_label(name="Readout")
        readout_group = group("Now", self.readout)

        controls = QWidget()
        layout = QVBoxLayout(controls)
        for box in (data_group, model_group, train_group, map_group, slider_group, readout_group):
            layout.addWidget(box)
        layout.addStretch(1)
        return controls

    def _build_views(self) -> QWidget:
        t = self.theme
        self.map_plot = CodeMap(t, title="Latent map")
        mp = self.map_plot
        self.grid_box = mp.styled(pg.PlotDataItem(), lambda i, t: i.setPen(pen(t, t.muted, width=0.5, alpha=0.5)))
        self.path_line = mp.styled(pg.PlotDataItem(), lambda i, t: i.setPen(pen(t, t.color(1), width=1.4)))
        self.arrow_line = mp.styled(pg.PlotDataItem(), lambda i, t: i.setPen(pen(t, t.color(3), width=1.4)))
        self.end_labels = {key: pg.TextItem(key, anchor=(0.5, 1.15)) for key in ("A", "B", "this")}
        for label in self.end_labels.values():
            mp.addItem(label)
        self.ends = mp.styled(pg.ScatterPlotItem(symbol="o", pxMode=True), lambda i, t: (
            i.setSize(t.marker * 1.6), i.setBrush(brush(t.background)), i.setPen(pen(t, t.foreground, width=1.0))))
        self.cursor = mp.styled(pg.ScatterPlotItem(symbol="crosshair", pxMode=True), lambda i, t: (
            i.setSize(t.marker * 3.2), i.setBrush(None), i.setPen(pen(t, t.foreground, width=1.0))))
        for item in (self.path_line, self.arrow_line, self.ends, *self.end_labels.values(), self.cursor):
            item.setZValue(20)   # above the class names
        mp.viewport().installEventFilter(self)
        mp.setToolTip("Dots: the codes μ of held-out images. Dashed circles: the prior N(0, I) at 1σ and 2σ. "
                      "Click or drag anywhere to decode that point.")
        self.map_key = rich_label()
        map_box = QWidget()
        map_layout = QVBoxLayout(map_box)
        map_layout.setContentsMargins(0, 0, 0, 0)
        map_layout.setSpacing(2)
        map_layout.addWidget(mp, 1)
        map_layout.addWidget(self.map_key)

        self.manifold_plot = ManifoldView(t)
        self.manifold_cursor = self.manifold_plot.styled(pg.ScatterPlotItem(symbol="crosshair", pxMode=True),
                                                         lambda i, t: (i.setSize(t.marker * 3.2), i.setBrush(None),
                                                                       i.setPen(pen(t, t.color(1), width=1.2))))
        self.manifold_plot.viewport().installEventFilter(self)

        self.preview = ImageView(t, title="Decoded image")
        self.z_label = rich_label()
        self.z_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        preview_box = QWidget()
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.setContentsMargins(0, 0, 0, 0)
        preview_layout.addWidget(self.preview, 1)
        preview_layout.addWidget(self.z_label)

        self.interpolation_tab = InterpolationTab(t)
        it = self.interpolation_tab
        for button, which in ((it.pick_a_button, "A"), (it.pick_b_button, "B")):
            button.toggled.connect(lambda on, which=which: self._start_picking(which, on))
        it.random_pair_button.clicked.connect(self.random_pair)
        it.path_box.currentIndexChanged.connect(self._redraw)
        it.alpha_slider.setValue(round(100 * self.alpha))
        it.alpha_slider.valueChanged.connect(self._alpha_moved)
        self.arithmetic_tab = ArithmeticTab(t)
        at = self.arithmetic_tab
        at.pick_base_button.toggled.connect(lambda on: self._start_picking("base", on))
        for box in (at.plus_box, at.minus_box):
            box.currentIndexChanged.connect(self._redraw)
        at.strength_slider.setValue(round(100 * self.strength))
        at.strength_slider.valueChanged.connect(self._strength_moved)
        self.losses_tab = LossesTab(t)
        self.samples_tab = SamplesTab(t)
        self.samples_tab.quality_button.clicked.connect(self.measure_quality)
        self.compare_tab = CompareTab(t, COMPARE_STEPS)
        self.compare_tab.button.clicked.connect(lambda: self.compare())
        self.tabs = QTabWidget()
        for tab, name in ((it, "Interpolate"), (at, "Arithmetic"), (self.losses_tab, "Losses"),
                          (self.samples_tab, "Samples"), (self.compare_tab, "AE vs VAE")):
            self.tabs.addTab(tab, name)
        self.tabs.currentChanged.connect(self._tab_changed)

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(map_box)
        top.addWidget(self.manifold_plot)
        top.setSizes([500, 500])
        # The AE-vs-VAE tab shows its two maps here, where there is room to compare them.
        self.compare_maps = [CodeMap(t, title="Autoencoder (β = 0)"), CodeMap(t, title="VAE (β = 1)")]
        compare_top = QSplitter(Qt.Orientation.Horizontal)
        for plot in self.compare_maps:
            compare_top.addWidget(plot)
        compare_top.setSizes([500, 500])
        self.top_stack = QStackedWidget()
        self.top_stack.addWidget(top)
        self.top_stack.addWidget(compare_top)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(preview_box)
        bottom.addWidget(self.tabs)
        bottom.setStretchFactor(0, 1)
        bottom.setStretchFactor(1, 3)
        bottom.setSizes([250, 750])
        views = QSplitter(Qt.Orientation.Vertical)
        views.addWidget(self.top_stack)
        views.addWidget(bottom)
        views.setStretchFactor(0, 11)
        views.setStretchFactor(1, 9)
        views.setSizes([1100, 900])
        return views

    def apply_theme(self, theme: Theme) -> None:
        for view in (self.map_plot, self.manifold_plot, self.preview, *self.compare_maps, self.interpolation_tab.view,
                     self.arithmetic_tab.view, self.losses_tab, self.samples_tab.view, self.compare_tab.samples):
            view.apply_theme(theme)
        super().apply_theme(theme)
        self._style_end_labels()
        self._render_comparison()
        self._redraw()

    def fit_controls_width(self) -> None:
        for value in getattr(self, "slider_values", ()):
            value.setMinimumWidth(value.fontMetrics().horizontalAdvance("−4.00"))
        super().fit_controls_width()

    def _style_end_labels(self) -> None:
        for label in self.end_labels.values():
            label.setFont(bold_font(self.theme, 1.0))
            label.setColor(self.theme.foreground)
            label.fill = brush(self.theme.background, 0.8)

    # --- settings the worker has to accept -------------------------------------------------------------------
    def _apply(self, **changes: Any) -> None:
        """Send new settings. They count as applied once the worker has accepted them; if the model refuses them,
        on_fault puts the controls back to what the model still uses."""
        self._n_changes += 1
        model_changes = self._model_values(changes)
        if "dataset" in changes:
            model_changes["dataset"] = self._dataset_value(changes["dataset"])
        self.call(lambda m, p=model_changes: m.set_params(**p), f"settings {self._n_changes}",
                  on_done=lambda _, accepted=changes: self._accepted(accepted))
        self._show_settings({**self.applied, **changes})

    def _accepted(self, changes: dict[str, Any]) -> None:
        self.applied.update(changes)
        if self.applied["beta"] > 0:
            self.vae_beta = float(self.applied["beta"])

    def on_fault(self, fault) -> None:
        if fault.label == "open folder":
            self.message_bar.show_message(f"Nothing was loaded: {fault.message}", "warning")
        else:
            super().on_fault(fault)
        self._show_settings(self.applied)
        self._pixels_pending = self._quality_pending = False
        self.compare_tab.finished()

    def _show_settings(self, settings: dict[str, Any]) -> None:
        """Show ``settings`` in the controls without treating that as an edit."""
        self.model_form.set_values({k: settings[k] for k in ("beta", "latent_dim", "hidden", "likelihood")})
        self.train_form.set_values({k: settings[k] for k in ("lr", "batch_size")})
        self.dataset_box.blockSignals(True)
        self.dataset_box.setCurrentIndex(max(0, self.dataset_box.findData(settings["dataset"])))
        self.dataset_box.blockSignals(False)
        self._show_mode("autoencoder" if settings["beta"] == 0 else "vae")

    def _show_mode(self, mode: str) -> None:
        if mode == self._shown_mode:
            return   # render() calls this every frame; a font change would re-lay out the column
        self._shown_mode = mode
        for button, its_mode in ((self.ae_button, "autoencoder"), (self.vae_button, "vae")):
            button.blockSignals(True)
            button.setChecked(mode == its_mode)
            button.blockSignals(False)
            font = button.font()
            font.setBold(mode == its_mode)   # some themes draw a checked button barely differently
            button.setFont(font)
        self.ellipse_check.setEnabled(mode == "vae")

    @Slot(str, object)
    def _form_edited(self, name: str, value: Any) -> None:
        form = self.model_form if name in self.model_form.params else self.train_form
        if name == "beta" and not (isinstance(value, float | int) and 0 <= value <= MAX_BETA):
            form.set_error(name, f"β must be a number from 0 (autoencoder) to {MAX_BETA:g}")
            return
        if name == "lr" and not (isinstance(value, float | int) and 0 < value <= MAX_LR):
            form.set_error(name, f"the learning rate must be above 0 and at most {MAX_LR:g}")
            return
        if name in ("latent_dim", "hidden", "batch_size"):
            value = int(value)
        elif name in ("beta", "lr"):
            value = float(value)
        form.accept(name, value)
        self._apply(**{name: value})

    def set_mode(self, mode: str) -> None:
        """Autoencoder (β = 0) or VAE (β > 0), trained again from the start so each shows what it learns alone."""
        beta = 0.0 if mode == "autoencoder" else self.vae_beta
        if self.applied["beta"] > 0:
            self.vae_beta = float(self.applied["beta"])
        self._apply(beta=beta)
        self.reset()

    @Slot(int)
    def _dataset_chosen(self, _index: int) -> None:
        self._apply(dataset=self.dataset_box.currentData())

    @Slot()
    def _open_folder_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a folder of images", str(Path.home()))
        if path:
            self.load_folder(path)

    def load_folder(self, path: str) -> None:
        """Train on a folder of PNG/JPEG images (read on the worker). Unreadable files are skipped and listed; a
        folder with no usable image changes nothing and says why."""
        def load(model: VAETrainer) -> ImageSet:
            images = load_image_folder(path)
            model.set_params(dataset=images)
            return images

        self.call(load, "open folder", on_done=self._folder_loaded)

    def _folder_loaded(self, images: ImageSet) -> None:
        self.folder = images
        index = self.dataset_box.findData(FOLDER)
        if index < 0:
            self.dataset_box.addItem("", FOLDER)
            index = self.dataset_box.count() - 1
        self.dataset_box.setItemText(index, f"Folder: {images.name}")
        self.applied["dataset"] = FOLDER
        self._show_settings(self.applied)
        text = f"Loaded {len(images):,} images from {images.name}."
        if images.skipped:
            listed = "; ".join(f"{name} ({why})" for name, why in images.skipped[:4])
            more = f" and {len(images.skipped) - 4} more" if len(images.skipped) > 4 else ""
            self.message_bar.show_message(f"{text} Skipped {len(images.skipped)} file(s): {listed}{more}.",
                                          "warning")
        else:
            self.message_bar.show_message(text, "info")

    @Slot(str)
    def _colour_chosen(self, text: str) -> None:
        if text:
            self.colour_by = text
            self._redraw()

    # --- the latent point ------------------------------------------------------------------------------------
    def set_z(self, z: np.ndarray, source: str, *, from_slider: bool = False) -> None:
        """Decode ``z`` into the preview at once and move the markers (and, unless they moved it, the sliders)."""
        self.z = np.asarray(z, dtype=np.float64).copy()
        self.z_source = source
        if not from_slider:
            self._show_sliders()
        self._show_preview()

    def _show_slider_rows(self, latent_dim: int) -> None:
        for d, (label, slider, value) in enumerate(zip(self.slider_labels, self.sliders, self.slider_values)):
            for widget in (label, slider, value):
                widget.setVisible(d < latent_dim)
        self._show_sliders()

    def _show_sliders(self) -> None:
        for d, (slider, value) in enumerate(zip(self.sliders, self.slider_values)):
            if d < len(self.z):
                slider.blockSignals(True)
                slider.setValue(round(float(np.clip(self.z[d], -SLIDER_RANGE, SLIDER_RANGE))
                                      * SLIDER_STEPS / (2 * SLIDER_RANGE)))
                slider.blockSignals(False)
                value.setText(f"{self.z[d]:.2f}".replace("-", "−"))

    def _slider_moved(self, d: int, position: int) -> None:
        if d >= len(self.z):
            return
        z = self.z.copy()
        z[d] = position * 2 * SLIDER_RANGE / SLIDER_STEPS
        self.slider_values[d].setText(f"{z[d]:.2f}".replace("-", "−"))
        self.set_z(z, f"slider z{subscript(d + 1)}", from_slider=True)

    def _show_preview(self, snap: VAESnapshot | None = None) -> None:
        snap = snap or self.last_snapshot   # render() passes the snapshot it draws: last_snapshot is the one before
        if snap is None or len(self.z) != snap.latent_dim or not snap.image_side:
            return
        image = snap.decoder(self.z)[0]
        self.preview.show_picture(image.reshape(snap.image_side, snap.image_side))
        x, y = float(self.z[0]), float(self.z[1])
        self.cursor.setData([x], [y])
        self.manifold_cursor.setData([x], [y])
        self.z_label.setText(f"<span style='font-size:{self.theme.font_size * 1.05:.1f}pt'><b>z = "
                             f"{vector_text(self.z)}</b></span><br>{self.z_source}")

    # --- mouse: decode anywhere, pick A, B or the image to change ---------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        plots = {self.map_plot.viewport(): self.map_plot, self.manifold_plot.viewport(): self.manifold_plot}
        plot = plots.get(watched)
        if plot is None:
            return False
        kind = event.type()
        if kind not in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove):
            return False
        if kind == QEvent.Type.MouseMove and not event.buttons() & Qt.MouseButton.LeftButton:
            return False
        if kind == QEvent.Type.MouseButtonPress and event.button() != Qt.MouseButton.LeftButton:
            return False
        x, y = self._to_data(plot, event.position())
        if self.picking and kind == QEvent.Type.MouseButtonPress and plot is self.map_plot:
            self.pick_near(x, y)
        elif not self.picking:
            self.decode_at(x, y, "the grid" if plot is self.manifold_plot else "the map")
        return True

    @staticmethod
    def _to_data(plot, position: QPointF) -> tuple[float, float]:
        point = plot.plot_item.vb.mapSceneToView(plot.mapToScene(position.toPoint()))
        return point.x(), point.y()

    def decode_at(self, x: float, y: float, where: str = "the map") -> None:
        z = self.z.copy()
        z[0], z[1] = x, y
        self.set_z(z, f"clicked on {where}")

    def _start_picking(self, which: str, on: bool) -> None:
        buttons = self._pick_buttons()
        self.picking = which if on else (None if self.picking == which else self.picking)
        for key, button in buttons.items():
            if key != which and on:
                button.blockSignals(True)
                button.setChecked(False)
                button.blockSignals(False)
        self._render_map_title()

    def _pick_buttons(self) -> dict[str, QPushButton]:
        return {"A": self.interpolation_tab.pick_a_button, "B": self.interpolation_tab.pick_b_button,
                "base": self.arithmetic_tab.pick_base_button}

    def pick_near(self, x: float, y: float) -> None:
        """The shown code nearest to (x, y) becomes A, B or the image to change."""
        snap = self.last_snapshot
        if snap is None or not len(snap.latent_means):
            return
        mu = snap.latent_means
        index = int(np.argmin((mu[:, 0] - x) ** 2 + (mu[:, 1] - y) ** 2))
        which = self.picking
        if which == "A":
            self.pair = (index, self.pair[1] if self.pair else index)
        elif which == "B":
            self.pair = (self.pair[0] if self.pair else index, index)
        else:
            self.base_index = index
        button = self._pick_buttons()[which]
        self.picking = None
        button.blockSignals(True)
        button.setChecked(False)
        button.blockSignals(False)
        self.set_z(mu[index].astype(np.float64), f"the code of held-out image {index + 1}")
        self._render_map_title()
        self._redraw()

    def random_pair(self) -> None:
        snap = self.last_snapshot
        if snap is None or len(snap.latent_means) < 2:
            return
        a, b = self._pair_rng.choice(len(snap.latent_means), 2, replace=False)
        self.pair = (int(a), int(b))
        self._redraw()

    @Slot(int)
    def _alpha_moved(self, position: int) -> None:
        self.alpha = position / 100
        snap = self.last_snapshot
        if snap is not None and self.pair is not None:
            path = self._path(snap, 101)
            self.set_z(path[position], f"interpolation at α = {self.alpha:.2f}")
        self._redraw()

    @Slot(int)
    def _strength_moved(self, position: int) -> None:
        self.strength = position / 100
        snap = self.last_snapshot
        if snap is not None:
            direction = self._direction(snap)
            if direction is not None:
                base = snap.latent_means[self.base_index].astype(np.float64)
                self.set_z(base + self.strength * direction, f"arithmetic with s = {self.strength:.2f}")
        self._redraw()

    @Slot(int)
    def _tab_changed(self, tab: int) -> None:
        """The preview follows the tab: the walk's point at α, or the arithmetic's result."""
        self._render_comparison()
        if tab == TAB_INTERPOLATE:
            self._alpha_moved(self.interpolation_tab.alpha_slider.value())
        elif tab == TAB_ARITHMETIC:
            self._strength_moved(self.arithmetic_tab.strength_slider.value())
        else:
            self._redraw()

    # --- actions on the worker -------------------------------------------------------------------------------
    def measure_quality(self) -> None:
        if self._quality_pending:
            return
        self._quality_pending = True
        self.call(lambda m: (m.n_steps, m.sample_quality()), "sample quality", on_done=self._quality_measured)

    def _quality_measured(self, result) -> None:
        self._quality_pending = False
        self.quality = result
        self._redraw()

    def compare(self, steps: int = COMPARE_STEPS) -> None:
        self.compare_tab.started(2 * steps)
        self.tabs.setCurrentIndex(TAB_COMPARE)
        self.call(lambda m: train_side_by_side(m, steps), "compare", on_done=self._compared)

    def on_progress(self, progress) -> None:
        if progress.label == "compare":
            done, total = progress.value
            self.compare_tab.progress.setMaximum(total)
            self.compare_tab.progress.setValue(done)

    def _compared(self, result: list) -> None:
        self.compare_tab.finished()
        self.comparison = result
        self._render_comparison()

    # --- rendering -------------------------------------------------------------------------------------------
    @Slot()
    def _redraw(self, *_args) -> None:
        if self.last_snapshot is not None:
            self.render(self.last_snapshot)

    def render(self, snap: VAESnapshot) -> None:
        self._follow_structure(snap)
        vae = snap.mode == "vae"
        self._show_mode(snap.mode)
        self.map_plot.show_codes(snap, self.colour_by, ellipses=self.ellipse_check.isChecked())
        low, high = float(snap.manifold_values[0]), float(snap.manifold_values[-1])
        self.grid_box.setData([low, high, high, low, low], [low, low, high, high, low])
        self.grid_box.setVisible(not vae)   # where the decoded grid lies, when the codes stray beyond it
        self._render_map_title(snap)
        self._render_map_key(snap)
        self.manifold_plot.show_manifold(snap)
        rest = f" (z{subscript(3)}… = 0)" if snap.latent_dim > 2 else ""   # the grid is a slice through z₁, z₂
        self.manifold_plot.set_labels(title=("Decoded grid" if vae else "Decoded grid (autoencoder)") + rest)
        self._show_preview(snap)
        tab = self.tabs.currentIndex()
        self._render_interpolation(snap, visible=tab == TAB_INTERPOLATE)
        self._render_arithmetic(snap, visible=tab == TAB_ARITHMETIC)
        if tab == TAB_LOSSES:
            self.losses_tab.show_losses(snap)
        elif tab == TAB_SAMPLES:
            self._render_samples(snap)
        self._render_readout(snap)

    def _follow_structure(self, snap: VAESnapshot) -> None:
        """A new latent size or new data: reset what depended on the old ones."""
        if len(self.z) != snap.latent_dim:
            self.z = np.zeros(snap.latent_dim)
            self.z_source = "the centre of the latent space"
            self._show_slider_rows(snap.latent_dim)
            self._forget_comparison()
        key = data_key(snap.dataset_name, snap.image_side, snap.labels, snap.label_names)
        if key == self.shown_key:
            return
        self.shown_key = key
        self.pair, self.base_index = self._default_pair(snap), 0
        self.quality = None
        self._forget_comparison()
        self._fill_colour_box(snap)
        self._fill_groups(snap)
        self.data_note.setText(f"{snap.image_side}×{snap.image_side} images · the map shows {len(snap.labels):,} "
                               "held out from training")
        if key != self.pixels_key and not self._pixels_pending:
            self._pixels_pending = True
            self.call(shown_pixels, "held-out pixels", on_done=self._pixels_arrived)

    def _forget_comparison(self) -> None:
        """An AE-vs-VAE result belongs to the data and latent size it was trained with."""
        if self.comparison is not None:
            self.comparison = None
            self.compare_tab.clear()
            self._render_comparison()

    def _pixels_arrived(self, result: tuple[tuple, np.ndarray]) -> None:
        self._pixels_pending = False
        self.pixels_key, self.pixels = result
        if self.last_snapshot is not None and self.pixels_key != self.shown_key:
            self.shown_key = None   # the data changed again meanwhile: fetch the newer pixels
        self._redraw()

    @staticmethod
    def _default_pair(snap: VAESnapshot) -> tuple[int, int] | None:
        """Two images of different classes (the first of each), so the walk between them shows a change."""
        labels = np.asarray(snap.labels)
        if len(labels) < 2:
            return None
        second = np.flatnonzero(labels != labels[0])
        return 0, int(second[0]) if len(second) else 1

    def _fill_colour_box(self, snap: VAESnapshot) -> None:
        choices = ["class", *snap.factors]
        self.colour_box.blockSignals(True)
        self.colour_box.clear()
        self.colour_box.addItems(choices)
        self.colour_by = self.colour_by if self.colour_by in choices else "class"
        self.colour_box.setCurrentText(self.colour_by)
        self.colour_box.blockSignals(False)

    def _fill_groups(self, snap: VAESnapshot) -> None:
        """Groups of held-out images for the arithmetic: each class, and the top and bottom third of each factor."""
        labels = np.asarray(snap.labels)
        groups: dict[str, np.ndarray] = {}
        for name, values in snap.factors.items():
            if name == "rotation":   # an angle has no "more" and "less"
                continue
            high, low = FACTOR_WORDS.get(name, (f"high {name}", f"low {name}"))
            low_cut, high_cut = np.percentile(values, [33, 67])
            groups[high], groups[low] = values >= high_cut, values <= low_cut
        for k, name in enumerate(snap.label_names):
            title = f"digit {name}" if snap.dataset_name == "digits" else name
            groups[title] = labels == k
        self.groups = {name: mask for name, mask in groups.items() if mask.any()}
        plus, minus = DEFAULT_DIRECTIONS.get(snap.dataset_name, (*list(self.groups)[:2], "", ""))[:2]
        self.arithmetic_tab.set_groups(list(self.groups), plus, minus)

    def _render_map_title(self, snap: VAESnapshot | None = None) -> None:
        snap = snap or self.last_snapshot
        if self.picking:
            what = "the image to change" if self.picking == "base" else self.picking
            self.map_plot.set_labels(title=f"Click a point → {what}")
        else:
            title = "Latent map (autoencoder)" if snap is not None and snap.mode == "autoencoder" else "Latent map"
            if snap is not None and snap.latent_dim > 2:
                title += f" (z{subscript(1)}, z{subscript(2)} of {snap.latent_dim})"
            self.map_plot.set_labels(title=title)

    def _render_map_key(self, snap: VAESnapshot) -> None:
        if self.colour_by in snap.factors:
            swatch = "<span style='color:{}'>■</span>".format   # viridis at 0, ½ and 1
            self.map_key.setText(f"colour = {self.colour_by}: {swatch('#440154')} low → {swatch('#21908C')} → "
                                 f"{swatch('#FDE725')} high")
        self.map_key.setVisible(self.colour_by in snap.factors)

    def _path(self, snap: VAESnapshot, steps: int) -> np.ndarray:
        a, b = self.pair
        return latent_path(snap.latent_means[a], snap.latent_means[b], steps, self.interpolation_tab.mode)

    def _render_interpolation(self, snap: VAESnapshot, *, visible: bool) -> None:
        tab = self.interpolation_tab
        for item in (self.path_line, self.end_labels["A"], self.end_labels["B"]):
            item.setVisible(visible and self.pair is not None)
        tab.alpha_label.setText(f"{self.alpha:.2f}")
        if self.pair is None or max(self.pair) >= len(snap.latent_means) or not snap.image_side:
            tab.view.clear_picture()
            return
        if not visible:
            return
        a, b = self.pair
        for key, index in (("A", a), ("B", b)):
            self.end_labels[key].setPos(float(snap.latent_means[index, 0]), float(snap.latent_means[index, 1]))
        line = self._path(snap, 41)
        self.path_line.setData(line[:, 0], line[:, 1])
        decoded = snap.decoder(self._path(snap, N_FRAMES))                         # (F, D)
        weights = np.linspace(0, 1, N_FRAMES, dtype=np.float32)[:, None]
        if self.pixels is not None and self.pixels_key == self.shown_key:
            crossfade = (1 - weights) * self.pixels[a] + weights * self.pixels[b]
        else:
            crossfade = np.zeros_like(decoded)                                      # until the pixels arrive
        tab.show_walk(decoded, crossfade, snap.image_side, self.alpha)
        self._show_ends(snap, [a, b])

    def _direction(self, snap: VAESnapshot) -> np.ndarray | None:
        """mean code of the "plus" group − mean code of the "minus" group, (L,); None without two groups."""
        tab = self.arithmetic_tab
        plus, minus = self.groups.get(tab.plus_box.currentText()), self.groups.get(tab.minus_box.currentText())
        if plus is None or minus is None or len(plus) != len(snap.latent_means):
            return None
        mu = snap.latent_means.astype(np.float64)
        return mu[plus].mean(axis=0) - mu[minus].mean(axis=0)

    def _render_arithmetic(self, snap: VAESnapshot, *, visible: bool) -> None:
        tab = self.arithmetic_tab
        direction = self._direction(snap)
        shown = visible and direction is not None and self.base_index < len(snap.latent_means)
        self.arrow_line.setVisible(shown)
        self.end_labels["this"].setVisible(shown)
        tab.strength_label.setText(f"{self.strength:+.2f}".replace("-", "−"))
        if not shown or not snap.image_side:
            if visible:
                tab.view.clear_picture()
            return
        base = snap.latent_means[self.base_index].astype(np.float64)
        result = base + self.strength * direction
        self.arrow_line.setData([base[0], result[0]], [base[1], result[1]])
        self.end_labels["this"].setPos(float(base[0]), float(base[1]))
        walk = snap.decoder(base + STRENGTHS[:, None] * direction)              # (S, D)
        tab.show_walk(walk, STRENGTHS, snap.image_side, self.strength)
        self._show_ends(snap, [self.base_index])

    def _show_ends(self, snap: VAESnapshot, indices: list[int]) -> None:
        mu = snap.latent_means[indices]
        self.ends.setData(mu[:, 0], mu[:, 1])

    def _render_samples(self, snap: VAESnapshot) -> None:
        if not snap.image_side:
            return
        self.samples_tab.show_samples(snap)
        measured = self.quality[0] if self.quality else None
        if snap.step > 0 and (measured is None or not 0 <= snap.step - measured < QUALITY_EVERY):
            self.measure_quality()
        self.samples_tab.show_quality(*(self.quality or (None, None)))

    def _render_comparison(self) -> None:
        """The AE-vs-VAE maps take the place of the main map and grid while their tab is open."""
        on_tab = self.tabs.currentIndex() == TAB_COMPARE and bool(self.comparison)
        self.top_stack.setCurrentIndex(1 if on_tab else 0)
        if not self.comparison:
            return
        extent = max(CodeMap.wanted_extent(snap) for snap, _ in self.comparison)
        for plot, (snap, _) in zip(self.compare_maps, self.comparison):
            colour_by = self.colour_by if self.colour_by in snap.factors else "class"
            plot.show_codes(snap, colour_by, ellipses=False, prior=True, extent=extent)
        (ae, ae_quality), (vae, vae_quality) = self.comparison
        self.compare_tab.show_result(ae, ae_quality, vae, vae_quality, N_COMPARE_SAMPLES)

    def _render_readout(self, snap: VAESnapshot) -> None:
        def last(history: np.ndarray) -> str:
            return finite_or_dash(float(history[-1])) if len(history) else "–"

        if snap.mode == "autoencoder":
            self.readout.setText(f"step <b>{snap.step:,}</b> · autoencoder (β = 0)<br>"
                                 f"reconstruction <b>{finite_or_dash(snap.recon)}</b> nats "
                                 f"(held-out {last(snap.held_out_recon_history)})<br>"
                                 "no KL term: nothing shapes the codes")
            return
        self.readout.setText(
            f"step <b>{snap.step:,}</b> · VAE, β = {snap.beta:g}<br>"
            f"ELBO <b>{finite_or_dash(snap.elbo)}</b> nats (held-out {last(snap.held_out_elbo_history)})<br>"
            f"= −(reconstruction {finite_or_dash(snap.recon)} + KL {finite_or_dash(snap.kl)})")


def saved_image_set(saved: Any) -> ImageSet:
    """The ImageSet a session saved (see VAEPanel.session_state), checked: ValueError says what does not fit."""
    if not isinstance(saved, dict):
        raise ValueError("the saved image folder is missing")
    images, labels = saved.get("images"), saved.get("labels")
    names, side = saved.get("label_names"), saved.get("side")
    if not isinstance(images, np.ndarray) or images.ndim != 2 or images.dtype.kind != "f" or len(images) == 0:
        raise ValueError("the saved images must be a table of pixels, one image per row")
    if isinstance(side, bool) or not isinstance(side, int) or side * side != images.shape[1]:
        raise ValueError(f"the saved images have {images.shape[1]} pixels each, not {side!r}²")
    if not (np.isfinite(images).all() and images.min() >= 0 and images.max() <= 1):
        raise ValueError("the saved pixels must lie between 0 and 1")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ValueError("the saved class names must be a list of text")
    if not isinstance(labels, np.ndarray) or labels.shape != (len(images),) or labels.dtype.kind not in "iu" \
            or labels.min() < 0 or labels.max() >= len(names):
        raise ValueError("the saved labels must give one class (0 … classes − 1) per image")
    factors = saved.get("factors", {})
    if not isinstance(factors, dict) or not all(isinstance(v, np.ndarray) and v.shape == (len(images),)
                                                for v in factors.values()):
        raise ValueError("the saved factors must give one number per image")
    skipped = saved.get("skipped", [])
    if not isinstance(skipped, list) or not all(isinstance(s, list) and len(s) == 2
                                                and all(isinstance(t, str) for t in s) for s in skipped):
        raise ValueError("the saved list of skipped files is damaged")
    return ImageSet(str(saved.get("name", "your images")), images.astype(np.float32), side,
                    labels.astype(np.int64), tuple(names), {str(k): v.astype(np.float64) for k, v in factors.items()},
                    tuple((a, b) for a, b in skipped))
