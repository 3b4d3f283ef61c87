"""File → Save session / Open session in the main window.

Saving collects each built panel's ``session_state()``, the step its last snapshot showed, whether it was playing,
and a fingerprint of that snapshot (see ``playground.session``).

Opening never changes anything until everything has been checked. The file is read and validated
(``read_session``); then a *fresh* panel is built for every panel in the file and given its settings
(``restore_session``) — any panel refusing them rejects the whole file, and the fresh panels are thrown away. Only
when all have accepted are they swapped into the window in place of the old ones. Each then replays its saved number
of steps on its own worker (a :class:`Replay`, with a progress bar and Stop in the panel); a panel not on screen
holds its replay until it is first shown, so opening costs the building of the panels and no training.

Replaying is exact for a run whose settings did not change while it ran: the models are deterministic under their
seed. When the run was steered along the way (a setting changed half-way, one-off buttons such as "Draw now" or
"E-step"), the replay reaches the same step by a different path; the fingerprint then differs and the panel says so.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Generator

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtWidgets import QApplication, QFileDialog, QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton

from playground import panels as registry
from playground.models.base import Fault, Progress
from playground.session import PanelRecord, Session, SessionError, fingerprint, read_session, write_session

REPLAY_LABEL = "replay session"
SESSION_FILES = "Generative Playground sessions (*.json)"
#: Seconds between progress reports from a replay (each is one event for the UI thread).
PROGRESS_EVERY = 0.1


# ---------------------------------------------------------------------------------------------------------------
# Saving.

def collect_session(window) -> Session:
    """The window's state as a Session: every built panel (one still replaying counts as at its saved step)."""
    records = {}
    for name, panel in window.panels.items():
        replay = panel.findChild(Replay)
        if replay is not None and replay.pending:
            step, playing, digest = replay.record.step, replay.record.playing, replay.record.fingerprint
        else:
            snapshot = panel.last_snapshot
            step = snapshot.step if snapshot is not None else 0
            digest = fingerprint(snapshot) if snapshot is not None else ""
            playing = panel.playing
        records[name] = PanelRecord(panel.session_state(), step, playing, digest)
    return Session(records, window.current.name if window.current else None, window.theme_name, window.presentation)


def save_session(window, path: str | Path) -> list[Path]:
    """Write the window's session to ``path`` (.json, plus an .npz beside it if there are arrays)."""
    return write_session(path, collect_session(window))


# ---------------------------------------------------------------------------------------------------------------
# Opening.

def open_session(window, path: str | Path, *, show: str | None = None, theme: str | None = None,
                 presentation: bool | None = None) -> Session:
    """Open the session at ``path`` in ``window``. ``show``, ``theme`` and ``presentation`` (the command line's
    choices) win over the saved panel, theme and presentation mode.

    Raises SessionError (the window unchanged) if the file, or any panel's settings in it, cannot be used.
    """
    session = read_session(path)
    fresh = build_panels(session, window.theme)
    stop_recording(window)
    lesson = getattr(window, "lesson", None)
    if lesson is not None:      # a guided lesson steers the panels it was started on, which are about to go
        lesson.exit()
    for name, panel in fresh.items():
        record = session.panels[name]
        window.install_panel(name, panel)
        Replay(panel, record).start()
    theme = theme or session.theme
    presentation = session.presentation if presentation is None else presentation
    if theme is not None and theme != window.theme_name:
        window.set_theme(theme)
    if presentation is not None and presentation != window.presentation:
        window.set_presentation(presentation)
    target = show or session.current_panel
    if target is not None:
        window.panel_list.setCurrentRow([e.name for e in registry.PANELS].index(target))
    return session


def build_panels(session: Session, theme) -> dict[str, Any]:
    """A fresh panel for each panel of the session, its settings restored — or SessionError and none at all."""
    built: dict[str, Any] = {}
    try:
        for name, record in session.panels.items():
            entry = registry.find(name)
            panel = entry.load()(theme)
            built[name] = panel
            try:
                panel.restore_session(record.settings)
            except Exception as exc:  # noqa: BLE001 - any failure on a file's content rejects the file
                reason = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
                raise SessionError(f"This session cannot be opened: the {entry.title} panel's settings are not "
                                   f"usable ({reason}).") from None
    except BaseException:
        for panel in built.values():
            panel.deactivate()
            panel.deleteLater()
        raise
    return built


def stop_recording(window) -> None:
    recorder = getattr(window, "recorder", None)
    if recorder is not None:
        recorder.stop()


def replay_target(panel) -> int:
    """The step a panel's pending replay will reach, or 0 (the command line waits for it before a screenshot)."""
    replay = panel.findChild(Replay)
    return replay.record.step if replay is not None and replay.pending else 0


# ---------------------------------------------------------------------------------------------------------------
# Replaying to the saved step.

def replay_steps(model: Any, target: int, cancelled: threading.Event) -> Generator[int, None, tuple[int, str]]:
    """Step ``model`` until it has taken ``target`` steps (a Call's generator: runs on the worker, reports the step
    reached every PROGRESS_EVERY seconds, stops early when ``cancelled`` is set). Returns (steps taken, fingerprint).

    Counts from the model's own ``n_steps``, so if the replay is cut off (the panel hidden) and sent again, it carries
    on from where it got to instead of starting over.
    """
    advance = getattr(model, "advance", None)
    if advance is None or not hasattr(model, "n_steps"):
        return 0, fingerprint(model.snapshot())
    last_report = time.monotonic()
    while model.n_steps < target and not cancelled.is_set():
        advance()
        now = time.monotonic()
        if now - last_report >= PROGRESS_EVERY:
            last_report = now
            yield model.n_steps
    return model.n_steps, fingerprint(model.snapshot())


class Replay(QObject):
    """One panel's way back to its saved step: a Call on the panel's worker, and a bar in the panel that shows how
    far it has got, with a Stop button. Child of the panel (``panel.findChild(Replay)``) and gone with it."""

    def __init__(self, panel, record: PanelRecord) -> None:
        super().__init__(panel)
        self.panel, self.record = panel, record
        self.cancelled = threading.Event()
        self.pending = False
        self.bar = ReplayBar(record.step)
        self.bar.stop_button.clicked.connect(self.stop)
        self.bar.hide()
        panel.layout().insertWidget(1, self.bar)   # under the panel's message bar

    def start(self) -> None:
        if self.record.step == 0 and not self.record.fingerprint:
            self._restore_playing()
            return
        self.pending = True
        self.bar.setVisible(self.record.step > 0)
        self.panel.call_event.connect(self._call_event)
        # The panel first draws its restored settings at step 0 (the data, empty curves), then replays: the plots
        # are not left blank while it works.
        self.panel.rendered.connect(self._send)

    @Slot(object)
    def _send(self, _snapshot: Any) -> None:
        self.panel.rendered.disconnect(self._send)
        target, cancelled = self.record.step, self.cancelled
        self.panel.call(lambda model: replay_steps(model, target, cancelled), REPLAY_LABEL, on_done=self._done)

    @Slot()
    def stop(self) -> None:
        self.cancelled.set()
        self.bar.stop_button.setEnabled(False)

    @Slot(object)
    def _call_event(self, event: Progress | Fault) -> None:
        if event.label != REPLAY_LABEL:
            return
        if isinstance(event, Progress):
            self.bar.show_step(int(event.value))
        else:  # a step failed: the panel has said why (on_fault) and gone back to where the replay started
            self._end()

    def _end(self) -> None:
        self.pending = False
        self.panel.call_event.disconnect(self._call_event)
        self.bar.hide()

    def _done(self, result: tuple[int, str]) -> None:
        reached, digest = result
        self._end()
        target = self.record.step
        if self.cancelled.is_set() and reached < target:
            self.panel.message_bar.show_message(
                f"Replay stopped at step {reached:,} of {target:,}; the panel carries on from there.", "info")
            return
        if self.record.fingerprint and digest != self.record.fingerprint:
            self.panel.message_bar.show_message(
                f"Replayed to step {target:,} from the seed with the saved settings. The saved run was also steered "
                "along the way (settings or data changed while it ran, or one-off buttons such as Draw now or "
                "E-step), which a replay does not repeat, so some plots differ from the saved ones.", "info")
        self._restore_playing()

    def _restore_playing(self) -> None:
        if self.record.playing:
            self.panel.play()


class ReplayBar(QFrame):
    """"Replaying the saved session: step 1,200 of 5,000" with a progress bar and Stop."""

    def __init__(self, target: int) -> None:
        super().__init__()
        self.setObjectName("ReplayBar")
        self.target = target
        self.label = QLabel()
        self.progress = QProgressBar()
        self.progress.setRange(0, max(1, target))
        self.progress.setTextVisible(False)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop replaying here; the panel carries on from the step reached")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 2, 6, 2)
        layout.addWidget(self.label)
        layout.addWidget(self.progress, 1)
        layout.addWidget(self.stop_button)
        self.show_step(0)

    def show_step(self, step: int) -> None:
        self.label.setText(f"Replaying the saved session: step {step:,} of {self.target:,}")
        self.progress.setValue(min(step, self.target))


# ---------------------------------------------------------------------------------------------------------------
# The menu items.

def save_session_dialog(window) -> None:
    path, _ = QFileDialog.getSaveFileName(window, "Save session", str(Path.home() / "session.json"), SESSION_FILES)
    if not path:
        return
    if not path.lower().endswith(".json"):
        path += ".json"
    try:
        written = save_session(window, path)
    except SessionError as exc:
        window.window_message.show_message(f"The session was not saved: {exc}", "error")
        return
    window.statusBar().showMessage("Saved the session to " + " and ".join(str(p) for p in written), 10000)


def open_session_dialog(window) -> None:
    path, _ = QFileDialog.getOpenFileName(window, "Open session", str(Path.home()), SESSION_FILES)
    if path:
        open_session_reporting(window, path)


def open_session_reporting(window, path: str | Path) -> bool:
    """open_session(), with a failure said in the window's message bar (nothing changed). True if it opened."""
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)   # building the panels takes a moment
    try:
        open_session(window, path)
    except SessionError as exc:
        window.window_message.show_message(f"{Path(path).name}: {exc} Nothing was changed.", "warning")
        return False
    finally:
        QApplication.restoreOverrideCursor()
    window.window_message.clear()
    window.statusBar().showMessage(f"Opened the session {path}", 10000)
    return True
