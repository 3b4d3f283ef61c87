"""The contract every model follows, and ``run()``, the Qt-free loop every worker drives.

A model is an object with four methods:

* ``reset()``            rebuild all state from ``self.seed`` (``self.rng = np.random.default_rng(seed)``);
* ``step()``             one unit of work: a batch of samples, one EM half-step, one optimiser update, …;
* ``snapshot()``         a frozen :class:`Snapshot` of *copies* — never views of live arrays;
* ``set_params(**kw)``   change live-tunable parameters between steps (raise ``ValueError`` on bad values,
                         leaving the model untouched).

Same seed + same parameters + same number of steps ⇒ identical snapshot.

``run(model, commands)`` is a generator: it steps the model at the requested speed and yields a snapshot at most
once per frame. The panel talks to it through a plain ``queue.SimpleQueue`` of command objects (below) — unlike a
generator's ``send()``, a queue never drops a command that arrives while another is pending, and a paused loop can
*block* on it instead of polling. Tests drive ``run()`` with an ordinary ``for`` loop.
"""
from __future__ import annotations

import copy
import dataclasses
import math
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Protocol, runtime_checkable

import numpy as np

__all__ = [
    "Snapshot", "Model", "BaseModel", "Fault", "Done",
    "Play", "Pause", "Step", "Reset", "SetParams", "SetSpeed", "Call", "Quit", "run", "first_nonfinite",
    "Stopped", "check_stop",
]


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    """What a model looked like after ``step`` steps. Subclasses add their own (copied) fields."""

    step: int
    #: Extra human-readable note from the model ("component 3 re-seeded", "backed off to order 1", …).
    note: str = ""

    #: Field names allowed to hold NaN/inf (e.g. a p-value that is undefined before the first sample).
    nonfinite_ok: tuple[str, ...] = field(default=(), repr=False, compare=False)


@runtime_checkable
class Model(Protocol):
    seed: int

    def reset(self) -> None: ...
    def step(self) -> None: ...
    def snapshot(self) -> Snapshot: ...
    def set_params(self, **params: Any) -> None: ...


class BaseModel:
    """Convenience base: seed handling, a step counter and a default checkpoint.

    Subclasses call ``super().reset()`` first in their own ``reset`` and increment nothing themselves:
    ``run()`` counts steps through :meth:`advance`.
    """

    def __init__(self, *, seed: int = 0) -> None:
        self.seed = validate_seed(seed)
        self.n_steps = 0
        self.rng = np.random.default_rng(self.seed)

    def reset(self) -> None:
        self.n_steps = 0
        self.rng = np.random.default_rng(self.seed)

    def step(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def advance(self) -> None:
        """One step, counted."""
        self.step()
        self.n_steps += 1

    def snapshot(self) -> Snapshot:  # pragma: no cover - abstract
        raise NotImplementedError

    def set_params(self, **params: Any) -> None:
        unknown = set(params) - set(self.tunable())
        if unknown:
            raise ValueError(f"{type(self).__name__} has no live parameter(s) {', '.join(sorted(unknown))}")
        for name, value in params.items():
            setattr(self, name, value)

    def tunable(self) -> tuple[str, ...]:
        """Names ``set_params`` accepts. Override to add model parameters."""
        return ()

    def set_seed(self, seed: int) -> None:
        self.seed = validate_seed(seed)

    # Checkpoints let run() restore the last good state after a step raises or diverges. The default deep-copies
    # the instance; models holding large immutable data override both methods to share it.
    def checkpoint(self) -> Any:
        return copy.deepcopy(self.__dict__)

    def restore(self, state: Any) -> None:
        self.__dict__.update(copy.deepcopy(state))


def validate_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"the seed must be a whole number, not {seed!r}")
    if not 0 <= int(seed) < 2**63:
        raise ValueError(f"the seed must be between 0 and 2^63 − 1, not {seed}")
    return int(seed)


def first_nonfinite(snapshot: Snapshot) -> str | None:
    """Name of the first float field of ``snapshot`` holding NaN or inf, or None when all are finite."""
    for f in dataclasses.fields(snapshot):
        if f.name in snapshot.nonfinite_ok or f.name == "nonfinite_ok":
            continue
        value = getattr(snapshot, f.name)
        if isinstance(value, float) and not math.isfinite(value):
            return f.name
        if isinstance(value, np.ndarray) and value.dtype.kind in "fc" and not np.isfinite(value).all():
            return f.name
    return None


class Stopped(BaseException):  # not an Exception: the handlers for model errors must let it through
    """The loop driving this model is quitting: raised by :func:`check_stop` in the middle of a long computation."""


_stop_flags = threading.local()  # the stop event of the run() loop on this thread, if it has one


def check_stop() -> None:
    """Long computations call this between chunks of work (a denoising step, a chunk of draws, a file).

    It raises :class:`Stopped` when the worker driving the model is quitting — the window closes, or the panel is
    hidden — so they never have to finish first. run() then puts the model back to its last checkpoint, as if the
    computation had not started. Outside a worker, or while nobody is quitting, it does nothing (~0.1 µs).
    """
    stop = getattr(_stop_flags, "event", None)
    if stop is not None and stop.is_set():
        raise Stopped


# ---------------------------------------------------------------------------------------------------------------
# Commands a panel puts on the queue, and events run() yields besides snapshots.

@dataclass(frozen=True)
class Play:
    pass


@dataclass(frozen=True)
class Pause:
    pass


@dataclass(frozen=True)
class Step:
    n: int = 1


@dataclass(frozen=True)
class Reset:
    seed: int | None = None


@dataclass(frozen=True)
class SetParams:
    params: dict


@dataclass(frozen=True)
class SetSpeed:
    #: Steps per second; ``None`` means as fast as possible.
    steps_per_second: float | None


@dataclass(frozen=True)
class Call:
    """Run ``fn(model)`` on the worker, between steps (an E-step alone, "draw 10 000", "choose K", …).

    ``fn`` may return a generator to report progress: each value it yields is passed on as a :class:`Progress`, and
    the queue is checked between them so a long job stays cancellable.
    """

    fn: Callable[[Any], Any]
    label: str = ""


@dataclass(frozen=True)
class Quit:
    pass


@dataclass(frozen=True)
class Fault:
    """A command or step failed; the model was restored to its last good state and the loop paused."""

    message: str
    bad_input: bool = False  # True for a ValueError raised by set_params/Call: the user's input, not the model
    label: str = ""          # the Call that failed, if one did


@dataclass(frozen=True)
class Progress:
    label: str
    value: Any


@dataclass(frozen=True)
class Done:
    """A Call finished; ``result`` is whatever the function returned (for a generator: its return value)."""

    label: str
    result: Any


Event = Snapshot | Fault | Progress | Done


def run(model: Model, commands: "queue.SimpleQueue[Any] | None" = None, *, playing: bool = False,
        steps_per_second: float | None = None, frame_interval: float = 0.03,  # ~30 frames/s once the hand-over is paid
        max_steps: int | None = None, clock: Callable[[], float] = time.monotonic,
        stop: threading.Event | None = None) -> Iterator[Event]:
    """Drive ``model``: step it, apply commands between steps, yield at most one snapshot per ``frame_interval``.

    The first yield is the current snapshot. While paused the loop blocks on ``commands`` and costs nothing.
    ``max_steps`` (for tests and the command line) pauses the loop once the model has taken that many steps.
    Exceptions from ``step()`` or non-finite snapshots become a :class:`Fault`: the model is restored to the last
    good checkpoint and the loop pauses, waiting for the user (reset, new parameters) instead of drawing garbage.

    A :class:`Quit` ends the loop between steps. To end it *during* a long step or command, another thread sets
    ``stop`` (and puts a Quit): :func:`check_stop` inside the model then raises :class:`Stopped`, the model goes back
    to the last checkpoint, and the commands applied since it go back on the queue, ahead of the rest, so the next
    loop on this model does them again — once. (As on a Quit, what is left of a run of steps is dropped.)
    """
    commands = commands if commands is not None else queue.SimpleQueue()
    can_checkpoint = hasattr(model, "checkpoint") and hasattr(model, "restore")
    advance = getattr(model, "advance", model.step)
    good = model.checkpoint() if can_checkpoint else None
    applied: list[Any] = []  # commands taken since `good` was saved: given back if the loop is stopped
    speed = steps_per_second
    pending_steps = 0
    dirty = True
    last_yield = -math.inf
    next_step_due = clock()

    def steps_taken() -> int:
        return int(getattr(model, "n_steps", 0))

    def fault(message: str, *, bad_input: bool = False, label: str = "") -> Fault:
        nonlocal playing, pending_steps, dirty
        if can_checkpoint and good is not None:
            model.restore(good)
        applied.clear()  # what they did is undone with the rest
        playing, pending_steps, dirty = False, 0, True
        return Fault(message, bad_input, label)

    def save_checkpoint() -> None:
        nonlocal good
        good = model.checkpoint() if can_checkpoint else None
        applied.clear()

    def handle(cmd: Any) -> Iterator[Event]:
        """Apply one command; yields events (faults, progress) it produces. Returns False to quit."""
        nonlocal playing, pending_steps, speed, dirty, next_step_due
        if isinstance(cmd, Play):
            playing, next_step_due = True, clock()
        elif isinstance(cmd, Pause):
            playing, pending_steps = False, 0
        elif isinstance(cmd, Step):
            playing = False
            pending_steps += max(0, int(cmd.n))
        elif isinstance(cmd, SetSpeed):
            speed = cmd.steps_per_second
            next_step_due = clock()
        elif isinstance(cmd, Reset):
            try:
                if cmd.seed is not None:
                    model.set_seed(cmd.seed) if hasattr(model, "set_seed") else setattr(model, "seed", cmd.seed)
                model.reset()
            except Exception as exc:  # noqa: BLE001 - a bad seed or a broken reset is reported, not fatal
                yield fault(f"reset failed: {exc}", bad_input=isinstance(exc, ValueError))
                return
            pending_steps, dirty = 0, True
            save_checkpoint()
        elif isinstance(cmd, SetParams):
            try:
                model.set_params(**cmd.params)
            except ValueError as exc:
                yield Fault(str(exc), bad_input=True)  # set_params left the model untouched: nothing to restore
            except Exception as exc:  # noqa: BLE001
                yield fault(f"changing {', '.join(cmd.params)} failed: {type(exc).__name__}: {exc}")
                return
            dirty = True
        elif isinstance(cmd, Call):
            try:
                result = cmd.fn(model)
                if hasattr(result, "__next__"):
                    result = yield from _drain(result, cmd.label)
            except ValueError as exc:
                yield fault(str(exc), bad_input=True, label=cmd.label)
                return
            except Exception as exc:  # noqa: BLE001 - any failure inside a model is reported, not fatal
                yield fault(f"{cmd.label or 'the action'} failed: {type(exc).__name__}: {exc}", label=cmd.label)
                return
            dirty = True
            yield Done(cmd.label, result)

    def _drain(gen: Iterator[Any], label: str) -> Iterator[Event]:
        try:
            while True:
                try:
                    value = next(gen)
                except StopIteration as finished:
                    return finished.value
                yield Progress(label, value)
                # Between progress reports a Quit must still get through quickly.
                check_stop()
                while True:
                    try:
                        peek = commands.get_nowait()
                    except queue.Empty:
                        break
                    if isinstance(peek, Quit):
                        raise Stopped
                    deferred.append(peek)
        finally:
            gen.close()  # nothing to do when it finished; when it was cut off, its own cleanup runs now

    deferred: list[Any] = []

    def give_back(pending: list[Any]) -> None:
        """Leaving on Quit: whatever was set aside goes back on the queue, ahead of what is still there, so the
        owner can hand it to the next loop instead of losing it."""
        rest: list[Any] = []
        pull_into(rest)
        for command in pending + rest:
            if not isinstance(command, Quit):
                commands.put(command)
        pending.clear()

    def pull_into(pending: list[Any]) -> None:
        while True:
            try:
                pending.append(commands.get_nowait())
            except queue.Empty:
                return

    outer_stop, _stop_flags.event = getattr(_stop_flags, "event", None), stop  # for check_stop() in the model
    try:
        while True:
            # 1. Apply queued commands, in order. Block only when there is nothing else to do. A discrete run of
            #    steps finishes before later commands apply, unless one of them interrupts it.
            pull_into(deferred)
            finishing_steps = pending_steps > 0 and not any(isinstance(c, _INTERRUPTS) for c in deferred)
            idle = not playing and pending_steps == 0 and not dirty and not deferred
            timeout = None
            if not idle and playing and speed is not None and pending_steps == 0 and not dirty and not deferred:
                timeout = max(0.0, next_step_due - clock())
                idle = timeout > 0
            while not finishing_steps:
                if deferred:
                    cmd = deferred.pop(0)
                else:
                    try:
                        cmd = commands.get(block=idle, timeout=timeout if idle else None)
                    except queue.Empty:
                        break
                if isinstance(cmd, Quit):
                    give_back(deferred)
                    return
                applied.append(cmd)
                yield from handle(cmd)
                idle, timeout = False, None
                if isinstance(cmd, Step):
                    break  # take these steps before applying what was queued after them

            # 2. Take steps until a frame is due.
            took = 0
            failed: Fault | None = None
            while (pending_steps > 0 or playing) and (max_steps is None or steps_taken() < max_steps):
                if playing and pending_steps == 0 and speed is not None:
                    now = clock()
                    if now < next_step_due:
                        break
                    next_step_due = max(next_step_due + 1.0 / speed, now - 0.25)
                try:
                    advance()
                except Exception as exc:  # noqa: BLE001
                    failed = fault(f"step {steps_taken() + 1} failed: {type(exc).__name__}: {exc}")
                    break
                took += 1
                pending_steps = max(0, pending_steps - 1)
                if clock() - last_yield >= frame_interval:
                    break
                if not commands.empty():
                    pull_into(deferred)
                    # While playing, any command is applied at once; a run of discrete steps finishes first
                    # unless it is interrupted.
                    if pending_steps == 0 or any(isinstance(c, _INTERRUPTS) for c in deferred):
                        break

            if max_steps is not None and steps_taken() >= max_steps:
                playing, pending_steps = False, 0

            # 3. Yield a snapshot once per frame, or at once when a discrete command finished.
            if failed is not None:
                yield failed
            now = clock()
            discrete_done = pending_steps == 0 and not playing
            if (took or dirty) and (now - last_yield >= frame_interval or discrete_done or dirty):
                try:
                    snap = model.snapshot()
                except Exception as exc:  # noqa: BLE001
                    yield fault(f"the model could not describe itself at step {steps_taken()}: "
                                f"{type(exc).__name__}: {exc}")
                    snap = model.snapshot()
                bad = first_nonfinite(snap)
                if bad is not None:
                    yield fault(f"the model diverged at step {snap.step}: '{bad}' became NaN or infinite. "
                                "It was rolled back to the last good state and paused — try a smaller "
                                "learning rate or Reset.")
                    snap = model.snapshot()
                else:
                    save_checkpoint()
                dirty = False
                handed_over = clock()
                yield snap
                # Frames stay one frame_interval apart when the consumer is quick: the time it spent drawing (or
                # waiting for the drawing) comes out of the next slice of work — but never more than 70 % of it,
                # so a slow consumer cannot starve the model.
                now = clock()
                last_yield = now - min(now - handed_over, 0.7 * frame_interval)
    except Stopped:
        if can_checkpoint and good is not None:
            model.restore(good)
            give_back(applied + deferred)
        else:
            give_back(deferred)  # without a checkpoint nothing can be undone, so nothing may be done again
    finally:
        _stop_flags.event = outer_stop


#: Commands that cut short a run of discrete steps instead of waiting behind it.
_INTERRUPTS = (Quit, Pause, Reset)
