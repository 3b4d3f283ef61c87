"""The Qt-free run() loop: commands, pacing, determinism, faults and rollback — driven by a plain for loop."""
from __future__ import annotations

import math
import queue
import threading
import time
from dataclasses import dataclass

import numpy as np
import pytest

from playground.models.base import (BaseModel, Call, Done, Fault, Pause, Play, Progress, Quit, Reset, SetParams,
                                    SetSpeed, Snapshot, Step, first_nonfinite, run, validate_seed)


@dataclass(frozen=True)
class WalkSnapshot(Snapshot):
    position: float
    path: np.ndarray


class RandomWalk(BaseModel):
    """A tiny model: a random walk whose step size can be tuned live, and which can be told to fail."""

    def __init__(self, *, step_size: float = 1.0, fail_at: int | None = None, nan_at: int | None = None,
                 seed: int = 0) -> None:
        super().__init__(seed=seed)
        self.step_size, self.fail_at, self.nan_at = step_size, fail_at, nan_at
        self.reset()

    def reset(self) -> None:
        super().reset()
        self.position = 0.0
        self.path: list[float] = []

    def tunable(self):
        return ("step_size",)

    def set_params(self, **params):
        if "step_size" in params and not params["step_size"] > 0:
            raise ValueError(f"step size must be > 0, not {params['step_size']}")
        super().set_params(**params)

    def step(self) -> None:
        if self.fail_at is not None and self.n_steps + 1 == self.fail_at:
            raise RuntimeError("boom")
        self.position += self.step_size * self.rng.normal()
        if self.nan_at is not None and self.n_steps + 1 >= self.nan_at:
            self.position = math.nan
        self.path.append(self.position)

    def snapshot(self) -> WalkSnapshot:
        return WalkSnapshot(step=self.n_steps, position=self.position, path=np.array(self.path[-50:]))

    def long_job(self, parts: int):
        for i in range(parts):
            yield i
        return "finished"


def drive(model, commands, until, **kwargs):
    """Iterate run() until ``until(event)`` is true; returns every event seen."""
    seen = []
    for event in run(model, commands, **kwargs):
        seen.append(event)
        if until(event):
            break
    return seen


def test_first_yield_is_the_current_snapshot():
    model = RandomWalk()
    first = next(run(model, queue.SimpleQueue()))
    assert isinstance(first, WalkSnapshot) and first.step == 0


def test_step_command_takes_exactly_n_steps_and_then_waits():
    model, q = RandomWalk(), queue.SimpleQueue()
    q.put(Step(7))
    events = drive(model, q, lambda e: isinstance(e, Snapshot) and e.step == 7)
    assert events[-1].step == 7
    assert model.n_steps == 7


def test_same_seed_same_snapshot_whatever_the_frame_timing():
    def after(n, frame_interval):
        model, q = RandomWalk(seed=42), queue.SimpleQueue()
        q.put(Step(n))
        return drive(model, q, lambda e: isinstance(e, Snapshot) and e.step == n,
                     frame_interval=frame_interval)[-1]

    a, b = after(500, 0.0), after(500, 10.0)
    assert a.position == b.position and np.array_equal(a.path, b.path)
    c = after(500, 0.0)
    assert c.position == a.position
    other = RandomWalk(seed=43)
    for _ in range(500):
        other.advance()
    assert other.position != a.position


def test_reset_with_a_new_seed_restarts_from_that_seed():
    model, q = RandomWalk(seed=1), queue.SimpleQueue()
    q.put(Step(10))
    q.put(Reset(seed=5))
    q.put(Step(3))
    events = drive(model, q, lambda e: isinstance(e, Snapshot) and e.step == 3 and model.seed == 5)
    fresh = RandomWalk(seed=5)
    for _ in range(3):
        fresh.advance()
    assert events[-1].position == fresh.position


def test_playing_yields_at_most_once_per_frame():
    model, q = RandomWalk(), queue.SimpleQueue()
    q.put(Play())
    stamps = []
    for event in run(model, q, frame_interval=0.02):
        if isinstance(event, Snapshot) and event.step > 0:
            stamps.append(time.monotonic())
        if len(stamps) == 15:
            break
    gaps = np.diff(stamps)
    assert gaps.min() >= 0.015  # a little slack for the clock
    assert model.n_steps > 15  # many steps per frame, not one


def test_speed_limit_paces_the_steps():
    model, q = RandomWalk(), queue.SimpleQueue()
    q.put(SetSpeed(50))
    q.put(Play())
    start = time.monotonic()
    for event in run(model, q):
        if time.monotonic() - start > 0.3:
            break
    # 50 steps/s for 0.3 s is ~15 steps; unpaced it would be tens of thousands.
    assert 3 <= model.n_steps <= 40


def test_pause_blocks_without_stepping_and_quit_ends_the_loop():
    model, q = RandomWalk(), queue.SimpleQueue()
    reached, finished = threading.Event(), threading.Event()
    events: list = []

    def consume():
        for event in run(model, q):
            events.append(event)
            if isinstance(event, Snapshot) and event.step == 5:
                reached.set()
        finished.set()

    q.put(Play())
    q.put(Pause())  # processed in the same batch as Play: no step is ever taken
    q.put(Step(5))
    thread = threading.Thread(target=consume)
    thread.start()
    assert reached.wait(5)
    count = len(events)
    assert not finished.wait(0.2)  # paused: the loop waits for a command instead of ending or stepping
    assert model.n_steps == 5 and len(events) == count
    q.put(Quit())
    assert finished.wait(2)
    thread.join()


def test_max_steps_stops_playing():
    model, q = RandomWalk(), queue.SimpleQueue()
    q.put(Play())
    events = drive(model, q, lambda e: isinstance(e, Snapshot) and e.step >= 100, max_steps=100)
    assert events[-1].step == 100 and model.n_steps == 100


def test_a_failing_step_pauses_restores_and_keeps_going_after_reset():
    model, q = RandomWalk(fail_at=30), queue.SimpleQueue()
    q.put(Step(10))
    q.put(Step(50))
    events = drive(model, q, lambda e: isinstance(e, Fault))
    fault = events[-1]
    assert "step 30 failed" in fault.message and "boom" in fault.message and not fault.bad_input
    assert model.n_steps <= 29  # rolled back to the last good snapshot, not left half-way
    last_good = [e for e in events if isinstance(e, Snapshot)][-1]
    assert model.position == last_good.position
    model.fail_at = None
    q.put(Step(5))
    events = drive(model, q, lambda e: isinstance(e, Snapshot) and e.step == last_good.step + 5)
    assert math.isfinite(events[-1].position)


def test_a_diverging_model_is_rolled_back_instead_of_drawn():
    model, q = RandomWalk(nan_at=20), queue.SimpleQueue()
    q.put(Step(10))
    q.put(Step(10))
    events = drive(model, q, lambda e: isinstance(e, Fault))
    assert "diverged" in events[-1].message and "position" in events[-1].message
    assert math.isfinite(model.position)
    assert all(first_nonfinite(e) is None for e in events if isinstance(e, Snapshot))


def test_bad_parameters_are_reported_and_change_nothing():
    model, q = RandomWalk(step_size=2.0), queue.SimpleQueue()
    q.put(SetParams({"step_size": -1}))
    events = drive(model, q, lambda e: isinstance(e, Fault))
    assert events[-1].bad_input and "step size must be > 0" in events[-1].message
    assert model.step_size == 2.0
    q.put(SetParams({"colour": "red"}))
    assert "no live parameter" in drive(model, q, lambda e: isinstance(e, Fault))[-1].message


def test_live_parameters_reach_the_model_between_steps():
    model, q = RandomWalk(step_size=1.0), queue.SimpleQueue()
    q.put(Step(5))
    q.put(SetParams({"step_size": 0.0001}))
    q.put(Step(5))
    events = drive(model, q, lambda e: isinstance(e, Snapshot) and e.step == 10)
    path = events[-1].path
    assert np.abs(np.diff(path[5:])).max() < 0.01 < np.abs(np.diff(path[:5])).max()


def test_calls_report_progress_and_their_result():
    model, q = RandomWalk(), queue.SimpleQueue()
    q.put(Call(lambda m: m.long_job(4), "job"))
    events = drive(model, q, lambda e: isinstance(e, Done))
    assert [e.value for e in events if isinstance(e, Progress)] == [0, 1, 2, 3]
    assert events[-1].result == "finished"


def test_quit_interrupts_a_long_call():
    model, q = RandomWalk(), queue.SimpleQueue()

    def endless(m):
        i = 0
        while True:
            yield i
            i += 1

    q.put(Call(endless, "forever"))
    seen = 0
    gen = run(model, q)
    for event in gen:
        if isinstance(event, Progress):
            seen += 1
            if seen == 3:
                q.put(Quit())
        assert seen < 10
    assert seen == 3


def test_call_failure_becomes_a_fault():
    model, q = RandomWalk(), queue.SimpleQueue()
    q.put(Call(lambda m: 1 / 0, "divide"))
    fault = drive(model, q, lambda e: isinstance(e, Fault))[-1]
    assert "divide failed" in fault.message and "ZeroDivisionError" in fault.message


@pytest.mark.parametrize("seed", [-1, 1.5, "7", True, 2**64])
def test_bad_seeds_are_refused(seed):
    with pytest.raises(ValueError, match="seed"):
        validate_seed(seed)
