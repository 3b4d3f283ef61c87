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

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QScrollArea, QSplitter, QVBoxLayout, QWidget

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
from playground.panels.worker import ModelWorker
from playground.resources import asset_text
from playground.theme import Theme
from playground.widgets.message_bar import MessageBar


#: Grace given to Qt to paint a frame before the worker resumes (see Panel._on_wake).
FRAME_SETTLE_MS = 3


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

    # --- worker life ---------------------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.worker is not None

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
            self.playing = playing
            self.playing_changed.emit(playing)

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
                # Report the frame once Qt has painted what render() changed. The paint is a couple of posted events
                # away (scene → view → window), and a zero timer fires before it, letting the worker back in to
                # fight the painting for the GIL. A few milliseconds' grace, measured with bench/bench_ui.py at
                # full speed, p99 event-loop lateness 0 ms → 3 ms timer: Sampling 64 → 19 ms, Markov 96 → 44 ms,
                # GAN 176 → 60 ms (and 232 → 618 steps/s).
                QTimer.singleShot(FRAME_SETTLE_MS, worker.frame_drawn)
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
        elif isinstance(event, Done):
            callback = self._forget_call(event.label)
            if callback is not None:
                callback(event.result)
        elif isinstance(event, Progress):
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
