"""Markov text: an n-gram model writes one token at a time, and shows what it could have written instead.

The loop is the one a large language model runs — look at the last few tokens, get a probability for every possible
next token, draw one, append it, repeat — with counts from a corpus instead of a network.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSlider,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from playground.models.base import validate_seed
from playground.models.datasets.text import corpus_info, corpus_names, load_corpus, load_text_file
from playground.models.markov import (
    MAX_ORDER,
    MIN_ORDER,
    MarkovGenerator,
    MarkovSnapshot,
    PerplexityCurve,
    TextJoiner,
    iter_perplexity_curve,
    tokenize,
)
from playground.panels.base import Panel
from playground.panels.markov_views import (
    CHOSEN,
    CONTEXT,
    COPIED,
    MAX_GRAPH_NODES,
    GeneratedTextView,
    NextTokenBars,
    PerplexityChart,
    TransitionGraphView,
    html_escape,
    wrap_mode_for,
)
from playground.theme import Theme
from playground.widgets.params import Param, ParamForm

DEFAULT_CORPUS = "nursery"
CORPUS_DEBOUNCE_MS = 400
MAX_TEMPERATURE = 3.0
CURVE_MAX_ORDER = 6
#: Held-out text has pairs the training part never showed; without smoothing they would make its perplexity
#: infinite, so the chart uses the model's smoothing if it has one and the curve's own default otherwise.
CURVE_SMOOTHING = iter_perplexity_curve.__kwdefaults__["smoothing"]
#: Your own text is saved between sessions up to this many characters (QSettings is no place for a book).
MAX_SAVED_TEXT = 200_000
FORM_KEYS = ("level", "order", "top_k", "smoothing")
#: The temperature slider moves in steps of 0.01.
TEMPERATURE_STEPS = 100
OWN_TEXT = "Your own text"


class MarkovPanel(Panel):
    name = "markov"
    title = "Markov text"
    icon = "markov.svg"
    default_speed = 5  # tokens per second: slow enough to read the bars as they change

    # --- model -----------------------------------------------------------------------------------------------
    def create_model(self) -> MarkovGenerator:
        info = corpus_info(DEFAULT_CORPUS)
        self.corpus_name = DEFAULT_CORPUS      # a built-in corpus, or "" for your own text
        self.corpus_source = ""                # the file your own text came from, if any
        #: What the model is actually using: changed only when the worker has accepted new settings.
        self.applied: dict[str, Any] = {"text": load_corpus(DEFAULT_CORPUS), "level": info.level,
                                        "order": info.order, "temperature": 1.0, "top_k": 0, "smoothing": 0.0,
                                        "start": ""}
        self.corpus_error = ""
        self.curve: PerplexityCurve | None = None
        self._n_changes = 0
        self._prompt_spans_cache: tuple[str, str, tuple[np.ndarray, np.ndarray]] | None = None
        return self._make_model(self.applied, self.seed)

    @staticmethod
    def _make_model(settings: dict[str, Any], seed: int) -> MarkovGenerator:
        return MarkovGenerator(settings["text"], order=settings["order"], level=settings["level"],
                               smoothing=settings["smoothing"], temperature=settings["temperature"],
                               top_k=settings["top_k"] or None, start=settings["start"], seed=seed)

    # --- settings --------------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        saved = {**super().state(), **{k: self.applied[k] for k in FORM_KEYS},
                 "temperature": self.applied["temperature"], "start": self.applied["start"],
                 "corpus": self.corpus_name or DEFAULT_CORPUS}
        if not self.corpus_name and len(self.applied["text"]) <= MAX_SAVED_TEXT:
            saved["corpus"], saved["text"], saved["source"] = "", self.applied["text"], self.corpus_source
        return saved

    def restore_state(self, state: dict[str, Any]) -> None:
        corpus = state.get("corpus", self.corpus_name)
        if corpus:
            info = corpus_info(corpus)  # ValueError for an unknown name
            text, level, order = load_corpus(corpus), info.level, info.order
        else:
            text, level, order = state.get("text"), self.applied["level"], self.applied["order"]
            if not isinstance(text, str):
                raise ValueError("the saved text is missing")
        settings = {"text": text, "level": state.get("level", level), "order": state.get("order", order),
                    "temperature": state.get("temperature", 1.0), "top_k": state.get("top_k", 0),
                    "smoothing": state.get("smoothing", 0.0), "start": state.get("start", "")}
        temperature, top_k = settings["temperature"], settings["top_k"]
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) \
                or not 0 <= temperature <= MAX_TEMPERATURE:
            raise ValueError(f"a saved temperature of {temperature!r} is not between 0 and {MAX_TEMPERATURE:g}")
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 0:
            raise ValueError(f"a saved top-k of {top_k!r} is not a whole number ≥ 0")
        model = self._make_model(settings, validate_seed(state.get("seed", self.seed)))  # validates the rest
        super().restore_state(state)
        self.model = model
        self.model.reset()
        self.applied = settings
        self.corpus_name = corpus
        self.corpus_source = str(state.get("source", "")) if not corpus else ""
        self._show_corpus(text)
        self._show_settings(settings)

    # --- lessons ---------------------------------------------------------------------------------------------
    def lesson_targets(self) -> dict[str, Any]:
        return {**super().lesson_targets(), "text": self.text_view, "bars": self.bars, "graph": self.graph_view,
                "perplexity": self.perplexity_chart, "readout": self.readout,
                "compute-perplexity": self.curve_button}

    # --- Copy as Python, Export data as CSV ------------------------------------------------------------------
    def python_script(self) -> str:
        from playground.scripts.markov import markov_script
        return markov_script(self.applied, self.seed, self.last_snapshot, corpus_name=self.corpus_name,
                             corpus_source=self.corpus_source)

    def export_tables(self) -> list:
        from playground.export_csv import markov_tables
        return markov_tables(self.last_snapshot)

    # --- sessions --------------------------------------------------------------------------------------------
    def session_state(self) -> dict[str, Any]:
        """Your own text whatever its length (state() leaves out very long ones)."""
        state = self.state()
        if not self.corpus_name:
            state.update(corpus="", text=self.applied["text"], source=self.corpus_source)
        return state

    # --- building --------------------------------------------------------------------------------------------
    def build(self) -> None:
        self.corpus_timer = QTimer(self, singleShot=True, interval=CORPUS_DEBOUNCE_MS)
        self.corpus_timer.timeout.connect(self._send_corpus)
        self.set_controls_and_plots(self._build_controls(), self._build_views())
        self.playing_changed.connect(self._show_playing)
        self._show_corpus(self.applied["text"])
        self._show_playing(False)
        self._render_legend(None)

    def _build_controls(self) -> QWidget:
        self.corpus_choice = QComboBox()
        for name in corpus_names():
            self.corpus_choice.addItem(corpus_info(name).title, name)
        self.corpus_choice.addItem(OWN_TEXT, "")
        self.corpus_choice.currentIndexChanged.connect(self._corpus_chosen)
        self.open_button = QPushButton("Open text file…")
        self.open_button.setToolTip("Any UTF-8 text file up to 20 MB")
        self.open_button.clicked.connect(self._open_dialog)
        self.corpus_about = QLabel()
        self.corpus_about.setWordWrap(True)
        self.corpus_about.setObjectName("Hint")
        self.corpus_box = QPlainTextEdit()
        self.corpus_box.setToolTip("Type or paste any text: the model relearns it as you type")
        self.corpus_box.textChanged.connect(self._corpus_edited)
        self.corpus_status = QLabel()
        self.corpus_status.setWordWrap(True)
        self.corpus_status.setTextFormat(Qt.TextFormat.RichText)
        corpus_group = QGroupBox("Corpus (what it learns from)")
        corpus_layout = QVBoxLayout(corpus_group)
        corpus_layout.addWidget(self.corpus_choice)
        corpus_layout.addWidget(self.corpus_about)
        corpus_layout.addWidget(self.corpus_box)
        corpus_layout.addWidget(self.corpus_status)
        corpus_layout.addWidget(self.open_button)

        self.model_form = ParamForm([
            Param("level", "Level", self.applied["level"], kind="choice", choices=("word", "char"),
                  help="word: words and punctuation are the tokens · char: single characters are"),
            Param("order", "Order", self.applied["order"], kind="int",
                  help=f"How many tokens of context the model looks at ({MIN_ORDER}–{MAX_ORDER})"),
            Param("top_k", "Top-k", 0, kind="int", help="Draw only from the k most likely tokens (0 = no limit)"),
            Param("smoothing", "Smoothing α", 0.0,
                  help="A pretend count added to every token, so that unseen continuations get a small chance"),
        ])
        self.model_form.edited.connect(self._param_edited)
        # Its own slider rather than a ParamForm one: steps of exactly 0.01, so that 1 reads "1.00".
        self.temperature_slider = QSlider(Qt.Orientation.Horizontal)
        self.temperature_slider.setRange(0, round(MAX_TEMPERATURE * TEMPERATURE_STEPS))
        self.temperature_slider.setValue(TEMPERATURE_STEPS)
        self.temperature_slider.setToolTip("0: always the most likely token (greedy) · 1: the corpus's own odds · "
                                           "above 1: flatter odds, wilder text")
        self.temperature_slider.valueChanged.connect(self._temperature_moved)
        self.temperature_readout = QLabel()
        self.temperature_readout.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._show_temperature(1.0)
        self.start_edit = QLineEdit()
        self.start_edit.setPlaceholderText("empty = a random line")
        self.start_edit.setToolTip("A prompt for the model to continue")
        self.start_edit.editingFinished.connect(self._start_edited)
        self.start_note = QLabel()
        self.start_note.setWordWrap(True)
        self.start_note.setObjectName("FieldError")
        self.start_note.hide()
        model_group = QGroupBox("Model")
        model_layout = QVBoxLayout(model_group)
        model_layout.addWidget(self.model_form)
        temperature = QHBoxLayout()
        temperature.addWidget(self.temperature_slider, 1)
        temperature.addWidget(self.temperature_readout)
        more_rows = QFormLayout()
        more_rows.setContentsMargins(0, 0, 0, 0)
        more_rows.addRow("Temperature", temperature)
        more_rows.addRow("Start with", self.start_edit)
        model_layout.addLayout(more_rows)
        model_layout.addWidget(self.start_note)

        self.generate_button = QPushButton("▶  Generate")
        self.step_button = QPushButton("Step ▸")
        self.stop_button = QPushButton("■  Stop")
        self.clear_button = QPushButton("⟲  Clear")
        self.step_button.setToolTip("Write one token")
        self.clear_button.setToolTip("Start the text again from the seed (and the prompt)")
        self.generate_button.clicked.connect(lambda: self.play())
        self.step_button.clicked.connect(lambda: self.step())
        self.stop_button.clicked.connect(lambda: self.pause())
        self.clear_button.clicked.connect(lambda: self.reset())
        generate_group = QGroupBox("Generate")
        grid = QGridLayout(generate_group)
        grid.addWidget(self.generate_button, 0, 0)
        grid.addWidget(self.step_button, 0, 1)
        grid.addWidget(self.stop_button, 1, 0)
        grid.addWidget(self.clear_button, 1, 1)

        controls = QWidget()
        layout = QVBoxLayout(controls)
        for group in (corpus_group, model_group, generate_group):
            layout.addWidget(group)
        layout.addStretch(1)
        return controls

    def _build_views(self) -> QWidget:
        t = self.theme
        self.text_view = GeneratedTextView(t)
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setToolTip("Blue: the tokens the model looked at. Orange: the token it drew next. Underlined: "
                               "runs that appear word for word in the corpus.")
        self.readout = QLabel()
        self.readout.setWordWrap(True)
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        self.readout.setObjectName("Readout")
        text_box = QWidget()
        text_layout = QVBoxLayout(text_box)
        text_layout.setContentsMargins(0, 0, 0, 0)
        text_layout.addWidget(self.text_view, 1)
        text_layout.addWidget(self.legend)
        text_layout.addWidget(self.readout)

        self.bars = NextTokenBars(t)
        self.graph_view = TransitionGraphView(t)
        self.graph_reason = QLabel()
        self.graph_reason.setWordWrap(True)
        self.graph_reason.setObjectName("Hint")
        self.graph_reason.hide()
        graph_page = QWidget()
        graph_layout = QVBoxLayout(graph_page)
        graph_layout.setContentsMargins(0, 0, 0, 0)
        graph_layout.addWidget(self.graph_reason)
        graph_layout.addWidget(self.graph_view, 1)
        self.perplexity_chart = PerplexityChart(t)
        self.perplexity_chart.set_order(self.applied["order"])
        self.curve_button = QPushButton(f"Compute for orders 1–{CURVE_MAX_ORDER}")
        self.curve_button.setToolTip(f"Fit orders 1–{CURVE_MAX_ORDER} on 90 % of the corpus and measure how "
                                     "surprised each one is by the other 10 %")
        self.curve_button.clicked.connect(self.run_perplexity_curve)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.hide()
        curve_page = QWidget()
        curve_layout = QVBoxLayout(curve_page)
        curve_layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.curve_button)
        row.addWidget(self.progress, 1)
        curve_layout.addLayout(row)
        curve_layout.addWidget(self.perplexity_chart, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(graph_page, "Graph")
        self.tabs.addTab(curve_page, "Perplexity vs order")
        # Left: the text and the bars it was drawn from, one above the other. Right: the graph (or the chart).
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(text_box)
        left.addWidget(self.bars)
        left.setSizes([1000, 1100])   # the plot's size hint would otherwise squeeze the text to a few lines
        views = QSplitter(Qt.Orientation.Horizontal)
        views.addWidget(left)
        views.addWidget(self.tabs)
        views.setStretchFactor(0, 5)
        views.setStretchFactor(1, 4)
        views.setSizes([500, 400])
        return views

    def apply_theme(self, theme: Theme) -> None:
        self.text_view.apply_theme(theme)
        for plot in (self.bars, self.graph_view, self.perplexity_chart):
            plot.apply_theme(theme)
        super().apply_theme(theme)
        self._render_legend(self.last_snapshot)
        if self.last_snapshot is not None:
            self.render(self.last_snapshot)

    def fit_controls_width(self) -> None:
        """Size what depends on the font first, then let the column fit its widest row."""
        self.temperature_readout.setMinimumWidth(self.temperature_readout.fontMetrics().horizontalAdvance("0 greedy"))
        lines = self.corpus_box.fontMetrics().lineSpacing()
        self.corpus_box.setMinimumHeight(7 * lines)
        self.corpus_box.setMaximumHeight(12 * lines)
        super().fit_controls_width()

    # --- settings the worker has to accept -------------------------------------------------------------------
    def _apply(self, **changes: Any) -> None:
        """Send new settings to the model. They count as applied only once the worker has accepted them; if the
        model refuses them (ValueError → a Fault), on_fault puts the controls back to what the model still uses."""
        self._n_changes += 1
        model_changes = dict(changes)
        if "top_k" in model_changes:
            model_changes["top_k"] = model_changes["top_k"] or None  # 0 in the form means "no limit"

        def change(model: MarkovGenerator, params: dict = model_changes) -> None:
            model.set_params(**params)

        self.call(change, f"settings {self._n_changes}", on_done=lambda _, accepted=changes: self._accepted(accepted))
        if "text" in changes or "level" in changes:
            self.curve = None
            self.perplexity_chart.clear_curve()

    def _accepted(self, changes: dict[str, Any]) -> None:
        self.applied.update(changes)
        self._show_settings(changes)
        if "text" in changes and self.corpus_error:
            self.corpus_error = ""
            self.message_bar.clear()

    def on_fault(self, fault) -> None:
        super().on_fault(fault)
        self.progress.hide()
        self.curve_button.setEnabled(True)
        if fault.bad_input:
            # The model kept its previous settings: show those again (the corpus box keeps what you typed, so you
            # can fix it, and says that the model is not using it).
            self._show_settings(self.applied)
            if self.corpus_box.toPlainText() != self.applied["text"]:
                self.corpus_error = fault.message
                self._render_corpus_status(self.last_snapshot)

    def _show_settings(self, settings: dict[str, Any]) -> None:
        """Show ``settings`` (some or all of them) in the controls, without treating that as an edit."""
        self.model_form.set_values({k: v for k, v in settings.items() if k in FORM_KEYS})
        if "temperature" in settings:
            self.temperature_slider.blockSignals(True)
            self.temperature_slider.setValue(round(settings["temperature"] * TEMPERATURE_STEPS))
            self.temperature_slider.blockSignals(False)
            self._show_temperature(settings["temperature"])
        if "start" in settings and self.start_edit.text() != settings["start"]:
            self.start_edit.setText(settings["start"])
        if "order" in settings:
            self.perplexity_chart.set_order(settings["order"])

    def _show_temperature(self, temperature: float) -> None:
        self.temperature_readout.setText("0 greedy" if temperature == 0 else f"{temperature:.2f}")

    @Slot(int)
    def _temperature_moved(self, position: int) -> None:
        temperature = position / TEMPERATURE_STEPS
        self._show_temperature(temperature)
        self._apply(temperature=temperature)

    @Slot(str, object)
    def _param_edited(self, name: str, value: Any) -> None:
        problem = ""
        if name == "order" and not MIN_ORDER <= value <= MAX_ORDER:
            problem = f"the order must be between {MIN_ORDER} and {MAX_ORDER}"
        elif name == "top_k" and value < 0:
            problem = "top-k must be 0 (no limit) or more"
        elif name == "smoothing" and value < 0:
            problem = "smoothing must be 0 or more"
        if problem:
            self.model_form.set_error(name, problem)
            return
        self.model_form.clear_error(name)
        if name == "smoothing":
            value = float(value)
        self._apply(**{name: value})

    @Slot()
    def _start_edited(self) -> None:
        start = self.start_edit.text()
        if start != self.applied["start"]:
            self._apply(start=start)

    # --- the corpus ------------------------------------------------------------------------------------------
    @Slot(int)
    def _corpus_chosen(self, index: int) -> None:
        name = self.corpus_choice.itemData(index)
        if name:
            self.use_corpus(name)
        else:
            self.corpus_name = ""
            self._show_corpus_about()

    def use_corpus(self, name: str) -> None:
        """Switch to a built-in corpus, with the level and order that show it off."""
        info = corpus_info(name)
        text = load_corpus(name)
        self.corpus_name, self.corpus_source = name, ""
        self._show_corpus(text)
        self.model_form.set_values({"level": info.level, "order": info.order})
        self._apply(text=text, level=info.level, order=info.order)

    def _show_corpus(self, text: str) -> None:
        """Put ``text`` in the corpus box without treating it as an edit, and select its entry."""
        self.corpus_timer.stop()
        self.corpus_box.blockSignals(True)
        self.corpus_box.setWordWrapMode(wrap_mode_for(text))
        self.corpus_box.setPlainText(text)
        self.corpus_box.blockSignals(False)
        self.corpus_error = ""
        self.corpus_choice.blockSignals(True)
        self.corpus_choice.setCurrentIndex(self.corpus_choice.findData(self.corpus_name))
        self.corpus_choice.blockSignals(False)
        self._show_corpus_about()

    def _show_corpus_about(self) -> None:
        if self.corpus_name:
            self.corpus_about.setText(corpus_info(self.corpus_name).description)
        elif self.corpus_source:
            self.corpus_about.setText(f"From {self.corpus_source}. Edit it, or paste anything else.")
        else:
            self.corpus_about.setText("Type or paste any text below.")

    @Slot()
    def _corpus_edited(self) -> None:
        if self.corpus_name:
            self.corpus_name = ""
            self.corpus_choice.blockSignals(True)
            self.corpus_choice.setCurrentIndex(self.corpus_choice.findData(""))
            self.corpus_choice.blockSignals(False)
            self._show_corpus_about()
        self.corpus_timer.start()
        self._render_corpus_status(self.last_snapshot)

    @Slot()
    def _send_corpus(self) -> None:
        text = self.corpus_box.toPlainText()
        if wrap_mode_for(text) != self.corpus_box.wordWrapMode():   # e.g. a very long word was pasted
            self.corpus_box.setWordWrapMode(wrap_mode_for(text))
        if text != self.applied["text"]:
            self._apply(text=text)

    @Slot()
    def _open_dialog(self) -> None:
        self.ask_for_file("Open a text file", "Text files (*.txt *.md *.py *.csv);;All files (*)", self.load_text)

    def load_text(self, path: str) -> bool:
        """Learn from a text file. A file that cannot be used changes nothing and says why."""
        loaded = self.read_user_file(load_text_file, path)
        if loaded is None:
            return False
        self.corpus_name, self.corpus_source = "", loaded.name
        self._show_corpus(loaded.text)
        self._apply(text=loaded.text)
        if loaded.note:
            self.message_bar.show_message(f"Loaded {loaded.name}, but {loaded.note}.", "warning")
        else:
            self.message_bar.show_message(f"Loaded {loaded.name}: {len(loaded.text):,} characters.", "info")
        return True

    # --- actions ---------------------------------------------------------------------------------------------
    @Slot(bool)
    def _show_playing(self, playing: bool) -> None:
        self.generate_button.setEnabled(not playing)
        self.stop_button.setEnabled(playing)

    def run_perplexity_curve(self) -> None:
        smoothing = self.applied["smoothing"] or CURVE_SMOOTHING
        self.progress.setValue(0)
        self.progress.setFormat("fitting orders 1–6: %p %")
        self.progress.show()
        self.curve_button.setEnabled(False)
        self.tabs.setCurrentIndex(self.tabs.indexOf(self.perplexity_chart.parentWidget()))
        self.call(lambda model, s=smoothing: model.perplexity_curve(max_order=CURVE_MAX_ORDER, smoothing=s),
                  "perplexity", on_done=self._show_curve)

    def on_progress(self, progress) -> None:
        if progress.label == "perplexity":
            self.progress.setValue(round(100 * float(progress.value)))

    def _show_curve(self, curve: PerplexityCurve) -> None:
        self.progress.hide()
        self.curve_button.setEnabled(True)
        self.curve = curve
        self.perplexity_chart.show_curve(curve)

    # --- rendering -------------------------------------------------------------------------------------------
    def render(self, snap: MarkovSnapshot) -> None:
        self.text_view.show_snapshot(snap, self._prompt_spans(snap))
        self.bars.show_token(snap)
        self._render_graph(snap)
        self._render_readout(snap)
        self._render_corpus_status(snap)
        self._render_start_note(snap)
        self._render_legend(snap)

    def _prompt_spans(self, snap: MarkovSnapshot) -> tuple[np.ndarray, np.ndarray]:
        """Where each prompt token starts and ends in the text (the context may reach back into the prompt)."""
        prompt = snap.text[:snap.prompt_length]
        cached = self._prompt_spans_cache
        if cached is not None and cached[:2] == (prompt, snap.level):
            return cached[2]
        joiner = TextJoiner(snap.level)
        starts, ends, position = [], [], 0
        for token in tokenize(prompt, snap.level):
            piece = joiner.piece(token)
            position += len(piece)
            starts.append(position - len(token))
            ends.append(position)
        spans = (np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64))
        self._prompt_spans_cache = (prompt, snap.level, spans)
        return spans

    def _render_graph(self, snap: MarkovSnapshot) -> None:
        if snap.graph is None:
            self.graph_view.hide()
            unit = "words" if snap.level == "word" else "characters"
            self.graph_reason.setText(
                f"No transition graph: it is drawn only when the corpus has at most {MAX_GRAPH_NODES} distinct "
                f"tokens, and this one has {snap.vocabulary_size:,} different {unit}. Try the nursery rhymes.")
            self.graph_reason.show()
            return
        self.graph_reason.hide()
        self.graph_view.show()
        self.graph_view.set_graph(snap.graph, snap.level)
        self.graph_view.show_step(snap)

    def _unit(self, level: str, n: int = 2) -> str:
        if level == "char":
            return "character" if n == 1 else "characters"
        return "token" if n == 1 else "tokens"

    def _render_readout(self, snap: MarkovSnapshot) -> None:
        """Inventing or copying? Two lines under the text."""
        n = len(snap.tokens)
        if n == 0:
            self.readout.setText("<b>Inventing or copying?</b> Low orders invent; high orders copy the corpus. "
                                 "Step, and watch.")
            return
        copied = "nothing yet"
        length = snap.longest_copy_length
        if length:
            run = " ".join(snap.longest_copy_text.split())   # a line break would break the readout's layout
            run = run if len(run) <= 60 else run[:59] + "…"
            copied = f"<b>{length} {self._unit(snap.level, length)}</b> “{html_escape(run)}”"
        facts = []
        if np.isfinite(snap.novel_fraction):
            facts.append(f"new {snap.novelty_n}-grams <b>{100 * snap.novel_fraction:.0f} %</b>")
        if np.isfinite(snap.perplexity):
            facts.append(f"perplexity <b>{snap.perplexity:.2f}</b>")
        if snap.n_backed_off:
            facts.append(f"backed off {snap.n_backed_off}×")
        self.readout.setText(f"<b>Longest copied run:</b> {copied}<br>" + " · ".join(facts))

    def _render_corpus_status(self, snap: MarkovSnapshot | None) -> None:
        t = self.theme
        if self.corpus_error and self.corpus_box.toPlainText() != self.applied["text"]:
            message = html_escape(self.corpus_error)
            self.corpus_status.setText(f"<span style='color:{t.bad}'>⚠ Not used: {message}.<br>"
                                       "The model still uses the previous text.</span>")
            return
        if self.corpus_timer.isActive():
            self.corpus_status.setText("<i>relearning when you stop typing…</i>")
            return
        if snap is None:
            self.corpus_status.setText("")
            return
        self.corpus_status.setText(
            f"{snap.corpus_tokens:,} {self._unit(snap.level)} · {snap.vocabulary_size:,} different · "
            f"{snap.n_states:,} contexts of {snap.order}")

    def _render_start_note(self, snap: MarkovSnapshot) -> None:
        unknown = snap.unknown_prompt_tokens
        if not unknown:
            self.start_note.hide()
            return
        listed = ", ".join(f"‘{html_escape(token)}’" for token in unknown[:5])
        listed += " …" if len(unknown) > 5 else ""
        self.start_note.setText(f"Not in the corpus: {listed}. The model continues from what comes after "
                                f"{'it' if len(unknown) == 1 else 'them'}.")
        self.start_note.setStyleSheet(f"color: {self.theme.bad};")
        self.start_note.show()

    def _render_legend(self, snap: MarkovSnapshot | None) -> None:
        t = self.theme
        context = _blend(t.color(CONTEXT), t.background, 0.30)
        chosen = _blend(t.color(CHOSEN), t.background, 0.45)
        run = snap.copy_min_run if snap is not None else None
        copied_what = f"copied ({run}+ in a row)" if snap is not None else "copied"
        text = (f"<span style='background-color:{context}'>&nbsp;context&nbsp;</span> → "
                f"<span style='background-color:{chosen}'><b>&nbsp;chosen&nbsp;</b></span> &nbsp; "
                f"<span style='text-decoration:underline; color:{t.color(COPIED)}'>{copied_what}</span>")
        if snap is not None and snap.note:
            text += f"<br><i>{html_escape(snap.note)}</i>"
        self.legend.setText(text)


def _blend(foreground: str, background: str, alpha: float) -> str:
    """The solid colour of ``foreground`` at ``alpha`` over ``background`` (rich-text labels have no alpha)."""
    f, b = QColor(foreground), QColor(background)
    mix = [round(alpha * x + (1 - alpha) * y) for x, y in ((f.red(), b.red()), (f.green(), b.green()),
                                                           (f.blue(), b.blue()))]
    return QColor(*mix).name()
