"""Closing the window while panels run: exit code 0, nothing on stderr, and no long computation to wait for.

Three layers: run() stopped in the middle of a step or a call (Qt-free), a worker and a panel stopped mid-computation
(pytest-qt), and the real app closed in a subprocess for each scene of tests/close_app.py. The subprocess tests only
guard against a hang; the close → exit times are measured by bench/bench_shutdown.py.
"""
from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from playground.models.base import BaseModel, Call, Done, Quit, Snapshot, Step, Stopped, check_stop, run

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class CountSnapshot(Snapshot):
    total: int


class LongCounter(BaseModel):
    """Each step adds 1 to ``total`` in each of ``chunks`` pieces of work, checking for a stop between them;
    ``on_chunk`` plays the part of the UI thread asking the worker to quit at a chosen moment."""

    def __init__(self, *, chunks: int = 100, on_chunk=None, seed: int = 0) -> None:
        super().__init__(seed=seed)
        self.chunks, self.on_chunk = chunks, on_chunk
        self.reset()

    def reset(self) -> None:
        super().reset()
        self.total = 0

    def step(self) -> None:
        self.add(1)

    def add(self, amount: int) -> None:
        for chunk in range(self.chunks):
            if self.on_chunk is not None:
                self.on_chunk(self, chunk)
            check_stop()
            self.total += amount                 # half-done until the last chunk: a stop must undo it

    def snapshot(self) -> CountSnapshot:
        return CountSnapshot(step=self.n_steps, total=self.total)


def stop_during(step: int, chunk: int, stop: threading.Event):
    """An on_chunk that sets ``stop`` in the middle of step number ``step``."""
    def on_chunk(model: LongCounter, at: int) -> None:
        if model.n_steps + 1 == step and at == chunk:
            stop.set()
    return on_chunk


def drain(commands: queue.SimpleQueue) -> list:
    left = []
    while not commands.empty():
        left.append(commands.get_nowait())
    return left


# --- run(): stopped mid-computation ----------------------------------------------------------------------------

def test_check_stop_does_nothing_outside_a_stopping_loop():
    check_stop()
    model, stop, commands = LongCounter(chunks=2), threading.Event(), queue.SimpleQueue()
    loop = run(model, commands, stop=stop)
    next(loop)
    check_stop()                       # a loop exists, but nobody asked it to stop
    stop.set()
    with pytest.raises(Stopped):
        check_stop()
    loop.close()
    check_stop()                       # the loop has ended: its stop no longer applies


def test_a_step_stopped_halfway_is_undone_and_its_command_given_back():
    stop, commands = threading.Event(), queue.SimpleQueue()
    model = LongCounter(on_chunk=stop_during(step=7, chunk=50, stop=stop))
    loop = run(model, commands, stop=stop, clock=lambda: 0.0)   # no frame falls due before the ten steps are done
    assert next(loop).step == 0
    commands.put(Step(10))
    assert list(loop) == []                          # the loop ended, in step 7
    assert (model.n_steps, model.total) == (0, 0)   # back at the last checkpoint: six steps and a half undone
    assert drain(commands) == [Step(10)]

    model.on_chunk = None                           # the next loop on this model replays it, exactly once
    commands.put(Step(10))
    for event in run(model, commands, stop=threading.Event()):
        if isinstance(event, Snapshot) and event.step == 10:
            break
    assert (model.n_steps, model.total) == (10, 10 * 100)


def test_a_call_stopped_halfway_is_undone_then_done_once_by_the_next_loop():
    stop, commands = threading.Event(), queue.SimpleQueue()
    model = LongCounter(chunks=1000)
    model.on_chunk = lambda m, at: at == 400 and stop.set()
    call = Call(lambda m: m.add(5), "add five")
    commands.put(call)
    commands.put(Step(2))                           # waiting behind the call: given back too, in order
    assert not any(isinstance(e, Done) for e in run(model, commands, stop=stop))
    assert model.total == 0
    left = drain(commands)
    assert left == [call, Step(2)] and left[0] is call

    model.on_chunk = None
    for command in left:
        commands.put(command)
    events = []
    for event in run(model, commands, stop=threading.Event()):
        events.append(event)
        if isinstance(event, Snapshot) and event.step == 2:
            break
    assert [e.label for e in events if isinstance(e, Done)] == ["add five"]
    assert model.total == (5 + 2) * 1000


def test_a_quit_between_progress_reports_gives_the_call_back():
    model, commands = LongCounter(), queue.SimpleQueue()

    def job(m):
        for part in range(100):
            m.total += 1
            yield part

    call = Call(job, "job")
    commands.put(call)
    for event in run(model, commands):
        if getattr(event, "value", None) == 3:
            commands.put(Quit())
    assert model.total == 0 and drain(commands) == [call]


# --- a worker and a panel ----------------------------------------------------------------------------------------

def test_a_worker_stops_in_the_middle_of_a_long_step(qtbot):
    from playground.panels.worker import ModelWorker

    inside = threading.Event()
    model = LongCounter(chunks=10**9, on_chunk=lambda m, at: inside.set())   # a step that would take minutes
    worker = ModelWorker(model)
    worker.start()
    worker.send(Step(1))
    qtbot.waitUntil(inside.is_set)
    assert worker.stop(timeout_ms=60_000), "the worker did not stop"   # a hang guard, not a timing
    assert not worker.isRunning() and worker.crash is None
    assert model.total == 0 and worker.unsent_commands() == [Step(1)]


def test_a_draw_cut_off_by_hiding_the_panel_is_drawn_once_when_it_returns(window, qtbot):
    panel = window.current
    assert panel.name == "sampling" and not panel.playing
    qtbot.waitUntil(lambda: panel.last_snapshot is not None)
    panel.draw_now(10_000_000)
    window.panel_list.setCurrentRow(1)              # hidden at once, most likely in the middle of the draw
    assert panel.worker is None
    window.panel_list.setCurrentRow(0)
    qtbot.waitUntil(lambda: panel.last_snapshot.n >= 10_000_000, timeout=60_000)
    qtbot.waitUntil(lambda: not panel._pending_calls)
    assert panel.last_snapshot.n == 10_000_000 and panel.last_snapshot.step == 0


# --- the real app, closed by a user -------------------------------------------------------------------------------

#: Qt's QPlatformWindow prints this when a window's size limits change and the platform cannot pass them on; every
#: window-system plugin can, only the headless "offscreen" one used here cannot. Nothing of ours.
OFFSCREEN_ONLY = "This plugin does not support propagateSizeHints()"


def close_the_app(scene: str, tmp_path: Path) -> tuple[int, str, float]:
    """Run tests/close_app.py SCENE; returns (exit code, stderr without offscreen-only lines, close → exit s)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path), "HOME": str(tmp_path),
           "OPENBLAS_NUM_THREADS": "1", "PYTHONFAULTHANDLER": "1"}
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "close_app.py"), scene], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    exited = time.monotonic()
    closing = [line for line in done.stdout.splitlines() if line.startswith("closing at ")]
    assert closing, f"the scene never got to closing the window:\n{done.stdout}\n{done.stderr}"
    stderr = "\n".join(line for line in done.stderr.splitlines() if line.strip() and line != OFFSCREEN_ONLY)
    return done.returncode, stderr, exited - float(closing[0].split()[-1])


@pytest.mark.parametrize("scene", ["playing", "draw", *(pytest.param(scene, marks=pytest.mark.slow)  # 2–5 s each
                                                        for scene in ("paused", "grow", "vae-compare"))])
def test_closing_the_window_exits_cleanly(scene, tmp_path):
    code, stderr, seconds = close_the_app(scene, tmp_path)
    assert stderr == "" and code == 0, stderr
    assert seconds < 30, f"{seconds:.1f} s from closing the window to the end of the process"   # a hang guard
