"""The panel base class: a declaration (name, title, icon, explanation) plus the life of one worker.

A subclass provides four things: ``create_model()``, ``build()`` (controls and plots, created once),
``render(snapshot)`` (``setData`` on existing items), and optionally ``state()``/``restore_state()`` for settings.
Everything that touches the model goes through the worker's command queue; the UI thread never calls ``step()``.
"""
from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import Any, Callable, ClassVar

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QGraphicsItem, QHBoxLayout, QScrollArea, QSplitter, QVBoxLayout, QWidget

from playground.models.base import (
    Call,
    Done,
    Fault,
    Pause,
    Play,
    Progress,
    Quit,
    Reset,
    SetParams,
    SetSpeed,
    Snapshot,
    Step,
    validate_seed,
)
from playground.panels.paint_watcher import PaintWatcher
from playground.panels.worker import ModelWorker
from playground.resources import asset_text
from playground.theme import Theme
from playground.widgets.message_bar import MessageBar


class Panel(QWidget):
    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    icon: ClassVar[str] = ""            # file name under assets/icons/
    default_speed: ClassVar[float | None] = 20

    #: A snapshot was drawn (tests and the command line wait on this).
    rendered = Signal(object)
    playing_changed = Signal(bool)
    #: (step, measured steps per second)
    stats_changed = Signal(int, float)
    #: The panel chose a seed itself (a preset that comes with one); the transport bar shows it.
    seed_changed = Signal(int)
    #: A Call reported progress or failed (the Progress or Fault event); on_progress()/on_fault() see it too.
    call_event = Signal(object)

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"panel:{self.name}")
        self.theme = theme
        self.seed = 0
        self.speed: float | None = self.default_speed
        self.playing = False
        self.worker: ModelWorker | None = None
        self.last_snapshot: Snapshot | None = None
        self.last_render_seconds = 0.0
        self._rate_window: deque[tuple[float, int]] = deque(maxlen=40)
        # Calls sent but not yet answered, oldest first: (label, the Call, what to do with its result). A call cut
        # off because the panel was hidden is sent again when it is shown, so no button stays "busy" for ever.
        self._pending_calls: list[tuple[str, Call, Callable[[Any], None] | None]] = []
        # Commands given while the panel has no worker (hidden, or a timer firing after it was hidden). They wait
        # for the next activate() instead of starting a thread behind the visible panel's back.
        self._held: list[Any] = []
        self._paint_watcher = PaintWatcher(self)
        self._axes_cached = False
        self.model = self.create_model()

        self.message_bar = MessageBar(self)
        self.body = QWidget(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.addWidget(self.message_bar)
        outer.addWidget(self.body, 1)
        self.build()

    # --- what a subclass provides --------------------------------------------------------------------------------
    def create_model(self) -> Any:
        raise NotImplementedError

    def build(self) -> None:
        raise NotImplementedError

    def render(self, snapshot: Snapshot) -> None:
        raise NotImplementedError

    def apply_theme(self, theme: Theme) -> None:
        """Subclasses restyle their plots, then call this."""
        self.theme = theme
        self.fit_controls_width()

    # --- the standard layout ---------------------------------------------------------------------------------------
    def set_controls_and_plots(self, controls: QWidget, plots: QWidget) -> None:
        """Every panel's layout: a column of controls on the left (scrolling vertically, never sideways) and the
        plots taking the rest of the width."""
        self.plots_area = plots
        scroll = self.controls_scroll = QScrollArea()
        scroll.setWidget(controls)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(plots)
        splitter.setStretchFactor(1, 1)
        splitter.setCollapsible(1, False)
        layout = QHBoxLayout(self.body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.fit_controls_width()

    def fit_controls_width(self) -> None:
        """The controls column is as wide as its widest row at the current font size."""
        scroll = getattr(self, "controls_scroll", None)
        if scroll is None:
            return
        scroll.widget().adjustSize()
        scroll.setMinimumWidth(scroll.widget().minimumSizeHint().width()
                               + scroll.verticalScrollBar().sizeHint().width() + 4)

    def state(self) -> dict[str, Any]:
        """JSON-able parameters to save between sessions. Subclasses extend the dict."""
        return {"seed": self.seed, "speed": self.speed}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Apply saved parameters before the worker starts (so the model may be configured directly).

        Validate everything first and raise ValueError if anything makes no sense: the app then shows a message
        and the panel keeps its defaults. Subclasses validate their own keys, call this, then apply theirs.
        """
        if self.worker is not None:
            raise RuntimeError("restore_state() must run before the panel's worker starts")
        seed = validate_seed(state.get("seed", self.seed))
        speed = state.get("speed", self.speed)
        if speed is not None and (isinstance(speed, bool) or not isinstance(speed, (int, float)) or not speed > 0):
            raise ValueError(f"a saved speed of {speed!r} steps/s makes no sense")
        self.seed, self.speed = seed, speed
        self.model.set_seed(seed)
        self.model.reset()

    def session_state(self) -> dict[str, Any]:
        """What File → Save session keeps of this panel: state() plus the user's own data (drawn points, a loaded
        file), which state() may leave out. numpy arrays may appear anywhere in it (they go to the session's .npz,
        exactly). The step reached and the playing state are kept by the session itself."""
        return self.state()

    def restore_session(self, state: dict[str, Any]) -> None:
        """Apply what session_state() returned, to a freshly built panel before its worker starts. Like
        restore_state(): validate everything first and raise ValueError, changing nothing."""
        self.restore_state(state)

    def change_state(self, changes: dict[str, Any]) -> None:
        """restore_state() while the panel may be running (a lesson step, an opened session): the worker stops,
        ``{**state(), **changes}`` is restored — the model restarts from its seed — and a visible panel gets a fresh
        worker. Raises ValueError, changing nothing, if the settings make no sense."""
        was_active = self.worker is not None
        self.deactivate()
        try:
            self.restore_state({**self.state(), **changes})
        except Exception:
            if was_active:
                self.activate()
            raise
        # Steps or parameters still queued for the old settings must not reach the new model; a call still gets
        # its answer (a button may be waiting for it).
        self._held = [command for command in self._held if isinstance(command, Call)]
        self.reset(self.seed)  # lets a panel forget what it computed for the old model (see DiffusionPanel.reset)
        self.seed_changed.emit(self.seed)
        if was_active:
            self.activate()

    def preset_state(self, name: str) -> dict[str, Any]:
        """The settings (keys of state()) that choosing preset ``name`` in the panel stands for; a lesson step that
        names a preset applies these. ValueError for a name the panel does not know. Panels with presets override."""
        raise ValueError(f"the {self.title} panel has no presets")

    def lesson_targets(self) -> dict[str, Any]:
        """What a lesson can point at or press, by name: widgets, plot items inside a plot, buttons. Panels add
        their plots to these two."""
        return {"controls": self.controls_scroll, "plots": self.plots_area} if hasattr(self, "plots_area") else {}

    def on_fault(self, fault: Fault) -> None:
        level = "warning" if fault.bad_input else "error"
        self.message_bar.show_message(fault.message, level)

    # --- a student's own files ----------------------------------------------------------------------------------
    CSV_FILES = "CSV files (*.csv *.txt)"

    def ask_for_file(self, title: str, pattern: str, then: Callable[[str], Any]) -> None:
        """Ask for one file to open; ``then(path)`` runs if the student picked one."""
        from PySide6.QtWidgets import QFileDialog
        path, _ = QFileDialog.getOpenFileName(self, title, str(Path.home()), pattern)
        if path:
            then(path)

    def read_user_file(self, read: Callable[[str], Any], path: str) -> Any | None:
        """``read(path)``, or None after saying why the file could not be used (the loaders raise ValueError with
        a student-readable reason); nothing of the panel changes in that case."""
        try:
            return read(path)
        except ValueError as exc:
            self.message_bar.show_message(f"Nothing was loaded: {exc}", "warning")
            return None

    @classmethod
    def explanation(cls) -> str:
        return asset_text("explanations", f"{cls.name}.md")

    # --- Copy as Python and Export data as CSV (playground/scripts, playground/export_csv.py) ---------------------
    def python_script(self) -> str | None:
        """A short runnable script that reproduces this panel's experiment with playground.models, or None if the
        panel cannot write one (yet). Panels override it."""
        return None

    def export_tables(self) -> list | None:
        """This panel's data as a list of playground.export_csv tables, or None if it cannot export (yet). Panels
        override it; it is called only once the panel has drawn a snapshot."""
        return None

    # --- worker life ---------------------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.worker is not None

    @property
    def calls_pending(self) -> int:
        """Calls sent and not answered yet (a lesson step is settled once the buttons it pressed are answered)."""
        return len(self._pending_calls)

    def activate(self) -> None:
        """Start the worker (the panel became visible). Resumes playing if it was playing when hidden."""
        if self.worker is not None:
            return
        worker = ModelWorker(self.model, playing=self.playing, steps_per_second=self.speed)
        worker.wake.connect(self._on_wake)
        self.worker = worker
        self._rate_window.clear()
        held, self._held = self._held, []
        for command in held:
            worker.send(command)
        worker.start()

    def deactivate(self) -> None:
        """Stop the worker (hidden or closing). The model object and the playing flag stay for next time."""
        worker, self.worker = self.worker, None
        if worker is None:
            return
        worker.wake.disconnect(self._on_wake)
        if not worker.stop(timeout_ms=5000):  # a step longer than 5 s would be a bug in a model
            worker.terminate()
            worker.wait()
        events, latest = worker.take()
        self._handle(events, latest)
        # What the worker had not got to yet (run() puts back what it had set aside) waits for the next activate();
        # a call it was in the middle of is sent again first.
        unsent = [c for c in worker.unsent_commands() if not isinstance(c, Quit)]
        interrupted = [call for _, call, _ in self._pending_calls if not any(c is call for c in unsent)]
        self._held = interrupted + unsent + self._held

    def send(self, command: Any) -> None:
        if self.worker is None:
            self._held.append(command)
        else:
            self.worker.send(command)

    def replace_model(self, model: Any) -> None:
        """Swap in a new model (a structural change). The old worker is stopped first."""
        was_active = self.worker is not None
        self.deactivate()
        self.model = model
        if was_active:
            self.activate()

    # --- commands (the transport bar and the panel's own controls call these) -----------------------------------
    def play(self) -> None:
        self._set_playing(True)
        self.send(Play())

    def pause(self) -> None:
        self._set_playing(False)
        self.send(Pause())

    def toggle_play(self) -> None:
        self.pause() if self.playing else self.play()

    def step(self, n: int = 1) -> None:
        self._set_playing(False)
        self.send(Step(n))

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:
            self.seed = validate_seed(seed)
        self.message_bar.clear()
        self.send(Reset(seed=self.seed))

    def set_speed(self, steps_per_second: float | None) -> None:
        self.speed = steps_per_second
        self.send(SetSpeed(steps_per_second))

    def set_params(self, **params: Any) -> None:
        self.send(SetParams(params))

    def call(self, fn: Callable[[Any], Any], label: str, on_done: Callable[[Any], None] | None = None) -> None:
        """Run ``fn(model)`` on the worker; ``on_done(result)`` runs on the UI thread afterwards."""
        command = Call(fn, label)
        self._pending_calls.append((label, command, on_done))
        self.send(command)

    def _set_playing(self, playing: bool) -> None:
        if playing != self.playing:
            self._style_axes_for(playing)
            self.playing = playing
            self.playing_changed.emit(playing)

    def _style_axes_for(self, playing: bool) -> None:
        """While the model plays, axes are cached as pixmaps and never narrow; paused, they fit their labels again.

        - Cached: every curve update repaints the plot area, and with it the axes' grid lines and tick labels (~2 ms
          per axis, the dearest part of a GAN frame); cached, they are copied (GAN 26 → 28–29 frames/s). Switched on
          at the first Play, not at build time, where rendering every axis into a pixmap cost 0.3 s of start-up.
        - Never narrowing: a plot whose range follows a moving curve (the GAN density peak rising and falling)
          otherwise re-lays itself out each time "0.5" becomes "10" and back, re-rendering every axis: ~6 times a
          second on the GAN panel (p99 lateness 62 → 26 ms, 28 → 31 frames/s without it).
        """
        axes = [item for view in self.findChildren(pg.GraphicsView) for item in view.scene().items()
                if isinstance(item, pg.AxisItem)]
        for axis in axes:
            if playing and not self._axes_cached:
                axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            axis.setStyle(autoReduceTextSpace=not playing)  # setStyle re-draws the axis, re-fitting it when paused
        self._axes_cached = self._axes_cached or playing

    # --- events from the worker ----------------------------------------------------------------------------------
    @Slot()
    def _on_wake(self) -> None:
        if self.worker is None:
            return
        worker = self.worker
        events, latest = worker.take()
        try:
            self._handle(events, latest)
        finally:
            if latest is not None:
                # The worker resumes once Qt has painted what render() changed (see paint_watcher.py).
                self._paint_watcher.after_next_paint(worker.frame_drawn)
            if worker.crash is not None:
                # run() itself failed (a bug, already reported as a Fault): start a fresh loop on the same model.
                self.worker = None
                worker.wait()
                self.activate()

    def _handle(self, events: list[Any], latest: Snapshot | None) -> None:
        for event in events:
            try:
                self._handle_event(event)
            except Exception as exc:  # noqa: BLE001 - a slot must not throw into Qt; say what happened instead
                self._report_ui_error(exc)
        if latest is not None:
            try:
                self._draw(latest)
            except Exception as exc:  # noqa: BLE001
                self._report_ui_error(exc)

    def _report_ui_error(self, exc: Exception) -> None:
        self.pause()
        self.message_bar.show_message(f"Drawing failed ({type(exc).__name__}: {exc}); the panel was paused.", "error")

    def _handle_event(self, event: Any) -> None:
        if isinstance(event, Fault):
            self._forget_call(event.label)  # a failed call never reports done
            self._set_playing(False)
            self.on_fault(event)
            if event.label:
                self.call_event.emit(event)
        elif isinstance(event, Done):
            callback = self._forget_call(event.label)
            if callback is not None:
                callback(event.result)
        elif isinstance(event, Progress):
            self.call_event.emit(event)
            self.on_progress(event)

    def _forget_call(self, label: str) -> Callable[[Any], None] | None:
        """The oldest pending call with this label is answered: drop it and return its callback."""
        for i, (pending, _, on_done) in enumerate(self._pending_calls):
            if pending == label:
                del self._pending_calls[i]
                return on_done
        return None

    def on_progress(self, progress: Progress) -> None:
        """Override to show progress of a long Call."""

    def _draw(self, snapshot: Snapshot) -> None:
        started = time.perf_counter()
        self.render(snapshot)
        self.last_render_seconds = time.perf_counter() - started
        if snapshot.step < getattr(self.last_snapshot, "step", 0):
            self._rate_window.clear()  # a reset
        self.last_snapshot = snapshot
        now = time.monotonic()
        self._rate_window.append((now, snapshot.step))
        rate = 0.0
        t0, s0 = self._rate_window[0]
        if now - t0 > 0.2:
            rate = (snapshot.step - s0) / (now - t0)
        self.stats_changed.emit(snapshot.step, rate)
        self.rendered.emit(snapshot)
