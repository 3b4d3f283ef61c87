"""One QThread per panel that iterates ``models.base.run`` and hands its events to the UI thread.

Why not superqt's GeneratorWorker: its ``send()`` keeps only the last value (a Step right after a SetParams would be
lost), a paused worker polls with ``sleep``, and it runs on the global QThreadPool (two threads on a 2-core laptop).
Here the command queue never drops a command, a paused loop blocks on the queue at zero CPU, and each panel owns its
own thread so one long computation can never starve another panel.

Snapshots are *coalesced*: the worker keeps only the newest one and wakes the UI at most once until the UI has taken
it, so a slow frame can never build a backlog of stale snapshots. Faults, progress and results are queued in order.
"""
from __future__ import annotations

import collections
import queue
import threading
from typing import Any

from PySide6.QtCore import QThread, Signal

from playground.models.base import Fault, Quit, Snapshot, run


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
        self.crash: BaseException | None = None
        self.setObjectName(f"worker:{type(model).__name__}")

    def send(self, command: Any) -> None:
        self.commands.put(command)

    def run(self) -> None:  # runs on the worker thread
        try:
            for event in run(self.model, self.commands, **self._run_kwargs):
                with self._lock:
                    if isinstance(event, Snapshot):
                        self._latest = event
                    else:
                        self._events.append(event)
                    notify = not self._wake_pending
                    self._wake_pending = True
                if notify:
                    self.wake.emit()
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

    def stop(self, timeout_ms: int = 2000) -> bool:
        """Ask the loop to end and wait for the thread. True if it ended in time."""
        self.commands.put(Quit())
        return self.wait(timeout_ms)
