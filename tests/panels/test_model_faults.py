"""A model that breaks — its step raises, or its snapshot turns NaN or infinite — pauses only its own panel, with a
message; two other panels running beside it keep stepping; Reset brings the broken panel back.

The panels are made directly, each its own top-level window (a main window runs only the panel it shows), and the
broken model is a subclass of the panel's own model, swapped in with ``Panel.replace_model``.
"""
from __future__ import annotations

import copy
import dataclasses
import itertools
import math

import numpy as np
import pytest

from playground import panels as registry
from playground.theme import get_theme

NAMES = [entry.name for entry in registry.PANELS]
KINDS = ("raise", "nan", "inf")
#: The broken model fails once, this many steps after it was swapped in.
FAULT_AFTER = 4
#: Every panel with one kind of fault in the quick run (the kinds take turns); every pair is in the slow run.
QUICK = list(zip(NAMES, itertools.cycle(KINDS)))
ALL = [pair for pair in itertools.product(NAMES, KINDS) if pair not in QUICK]


def poisoned(snapshot, value: float):
    """``snapshot`` with its first float field that must be finite set to ``value`` (NaN or ±inf)."""
    for field in dataclasses.fields(snapshot):
        if field.name in snapshot.nonfinite_ok or field.name == "nonfinite_ok":
            continue
        current = getattr(snapshot, field.name)
        if isinstance(current, float):
            return dataclasses.replace(snapshot, **{field.name: value})
        if isinstance(current, np.ndarray) and current.dtype.kind == "f" and current.size:
            bad = current.copy()
            bad.flat[0] = value
            return dataclasses.replace(snapshot, **{field.name: bad})
    raise AssertionError(f"{type(snapshot).__name__} has no float field to poison")


def broken_copy(model, kind: str):
    """A copy of ``model`` whose class is a subclass of its own that breaks once, FAULT_AFTER steps on."""
    base = type(model)
    left = [1]   # outside the instance: restoring a checkpoint must not re-arm the fault
    fault_at = model.n_steps + FAULT_AFTER

    def advance(self):
        if kind == "raise" and left and self.n_steps + 1 >= fault_at:
            left.pop()
            raise RuntimeError("injected fault: the model broke")
        base.advance(self)

    def snapshot(self):
        snap = base.snapshot(self)
        if kind != "raise" and left and self.n_steps >= fault_at:
            left.pop()
            return poisoned(snap, math.nan if kind == "nan" else -math.inf)
        return snap

    broken = copy.deepcopy(model)
    broken.__class__ = type(f"Broken{base.__name__}", (base,), {"advance": advance, "snapshot": snapshot})
    return broken


@pytest.fixture(scope="module")
def all_panels(qapp):
    theme = get_theme("light")
    made = {}
    for entry in registry.PANELS:
        panel = entry.load()(theme)
        panel.resize(900, 600)
        panel.show()
        made[entry.name] = panel
    yield made
    for panel in made.values():
        panel.deactivate()
        panel.close()
        panel.deleteLater()


@pytest.fixture
def three_running(all_panels, qtbot):
    """``three_running(broken)``: that panel and two others, all started at full speed. Stopped afterwards."""
    used = []

    def start(broken_name: str):
        others = [name for name in ("sampling", "markov", "gmm") if name != broken_name][:2]
        chosen = [all_panels[broken_name]] + [all_panels[name] for name in others]
        for panel in chosen:
            used.append((panel, panel.speed, panel.model))
            panel.message_bar.clear()
            panel.activate()
            panel.set_speed(None)
        return chosen

    yield start
    for panel, speed, model in used:
        panel.pause()
        panel.replace_model(model)   # the panel's own model again (replace_model stops the broken one's worker)
        panel.set_speed(speed)
        panel.deactivate()


def steps_of(panel) -> int:
    return panel.last_snapshot.step if panel.last_snapshot is not None else -1


def check_fault_pauses_only_its_panel(qtbot, broken_name: str, kind: str, start) -> None:
    broken, *others = start(broken_name)
    fault_at = broken.model.n_steps + FAULT_AFTER
    broken.replace_model(broken_copy(broken.model, kind))
    for panel in (broken, *others):
        panel.play()
    qtbot.waitUntil(lambda: broken.message_bar.level == "error", timeout=30_000)
    text = broken.message_bar.label.text()
    assert ("injected fault" in text) if kind == "raise" else ("NaN or infinite" in text), text
    assert not broken.playing
    # Restored to the last good state: the step before the fault at most.
    qtbot.waitUntil(lambda: steps_of(broken) < fault_at, timeout=10_000)
    paused_at = steps_of(broken)

    marks = {panel.name: steps_of(panel) for panel in others}
    qtbot.waitUntil(lambda: all(steps_of(panel) >= marks[panel.name] + 5 for panel in others), timeout=30_000)
    for panel in others:
        assert panel.playing and panel.message_bar.isHidden(), (panel.name, panel.message_bar.label.text())
    assert not broken.playing and steps_of(broken) == paused_at == broken.model.n_steps

    broken.reset()   # what the transport bar's Reset does
    assert broken.message_bar.isHidden()
    qtbot.waitUntil(lambda: steps_of(broken) == 0, timeout=30_000)
    broken.play()
    qtbot.waitUntil(lambda: steps_of(broken) >= FAULT_AFTER + 2, timeout=30_000)
    assert broken.message_bar.isHidden(), broken.message_bar.label.text()


@pytest.mark.parametrize(("broken_name", "kind"), QUICK)
def test_a_broken_model_pauses_only_its_panel_and_reset_recovers(qtbot, three_running, broken_name, kind):
    check_fault_pauses_only_its_panel(qtbot, broken_name, kind, three_running)


@pytest.mark.slow
@pytest.mark.parametrize(("broken_name", "kind"), ALL)
def test_every_kind_of_fault_in_every_panel(qtbot, three_running, broken_name, kind):
    check_fault_pauses_only_its_panel(qtbot, broken_name, kind, three_running)
