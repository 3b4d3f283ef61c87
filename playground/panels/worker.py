"""One QThread per panel that iterates ``models.base.run`` and hands its events to the UI thread.

Why not superqt's GeneratorWorker: its ``send()`` keeps only the last value (a Step right after a SetParams would be
lost), a paused worker polls with ``sleep``, and it runs on the global QThreadPool (two threads on a 2-core laptop).
Here the command queue never drops a command, a paused loop blocks on the queue at zero CPU, and each panel owns its
own thread so one long computation can never starve another panel.

Snapshots are *coalesced*: the worker keeps only the newest one and wakes the UI at most once until the UI has taken
it, so a slow frame can never build a backlog of stale snapshots. Faults, progress and results are queued in order.

The worker also *waits for the frame*: after handing over a snapshot it pauses (at most ``FRAME_WAIT`` seconds)
until the panel reports the frame drawn. Drawing with pyqtgraph crosses between C++ and Python hundreds of times a
frame, and each crossing needs the GIL; a worker stepping flat out would make every one of them wait its turn, and
the UI would stall for hundreds of milliseconds. Measured with a 5 ms timer probe on the Sampling panel at unlimited
speed: p99 gap 206 ms without the wait, see bench/README.md for the figures with it.
"""
from __future__ import annotations

import collections
import queue
import threading
from typing import Any

from PySide6.QtCore import QThread, Signal

from playground.models.base import Fault, Quit, Snapshot, run

#: Longest the worker waits for the UI to draw a frame before it carries on anyway (a hidden or frozen UI must not
#: stop the model).
FRAME_WAIT = 0.1


class ModelWorker(QThread):
    #: Something is waiting in :meth:`take`; emitted at most once until taken.
    wake = Signal()

    def __init__(self, model: Any, *, playing: bool = False, steps_per_second: float | None = None,
                 max_steps: int | None = None, parent=None) -> None:
        super().__init__(parent)
        self.model = model
        self.commands: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        self._run_kwargs = dict(playing=playing, steps_per_second=steps_per_second, max_steps=max_steps)
        self._lock = threading.Lock()
        self._latest: Snapshot | None = None
        self._events: collections.deque = collections.deque()
        self._wake_pending = False
        self._frame_drawn = threading.Event()
        # Set by stop(): check_stop() inside a long step or call then ends it at once (see models.base.run).
        self._stopping = threading.Event()
        self.crash: BaseException | None = None
        self.setObjectName(f"worker:{type(model).__name__}")

    def send(self, command: Any) -> None:
        self.commands.put(command)

    def run(self) -> None:  # runs on the worker thread
        try:
            for event in run(self.model, self.commands, stop=self._stopping, **self._run_kwargs):
                is_frame = isinstance(event, Snapshot)
                with self._lock:
                    if is_frame:
                        self._latest = event
                        self._frame_drawn.clear()
                    else:
                        self._events.append(event)
                    notify = not self._wake_pending
                    self._wake_pending = True
                if notify:
                    self.wake.emit()
                if is_frame:
                    self._frame_drawn.wait(FRAME_WAIT)
        except BaseException as exc:  # noqa: BLE001 - run() converts model errors; this is a bug in run() itself
            self.crash = exc
            with self._lock:
                self._events.append(Fault(f"internal error in the worker: {type(exc).__name__}: {exc}"))
                self._wake_pending = True
            self.wake.emit()

    def take(self) -> tuple[list[Any], Snapshot | None]:
        """Events in order, and the newest snapshot (or None). Called on the UI thread."""
        with self._lock:
            events, self._events = list(self._events), collections.deque()
            latest, self._latest = self._latest, None
            self._wake_pending = False
        return events, latest

    def unsent_commands(self) -> list[Any]:
        """Commands still in the queue after the thread ended (call after stop())."""
        left = []
        while True:
            try:
                left.append(self.commands.get_nowait())
            except queue.Empty:
                return left

    def frame_drawn(self) -> None:
        """The UI has drawn the last snapshot: the worker may use the CPU (and the GIL) again."""
        self._frame_drawn.set()

    def stop(self, timeout_ms: int = 2000) -> bool:
        """Ask the loop to end — mid-computation if need be — and wait for the thread. True if it ended in time."""
        self.commands.put(Quit())
        self._stopping.set()
        self._frame_drawn.set()
        return self.wait(timeout_ms)
