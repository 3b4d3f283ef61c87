"""``playground --soak SECONDS``: can the app run through a whole lecture without slowing down or filling memory?

Every panel plays at full speed (speed "unlimited") while the visible panel changes every ``SWITCH_SECONDS``. A
hidden panel stops its worker by design and resumes when shown again, so one model runs at a time and each gets an
equal share. Every ``SWITCHES_PER_SAMPLE`` switches, between two visits, the soak records the resident memory (VmRSS),
Python's objects counted by type, the widgets and the items in the plots; each visit records the panel's steps per
second and per CPU-second; a Qt message handler and ``sys.excepthook`` record every Qt warning and every Python
exception that reached the event loop. At the end it prints the figures against the targets — RSS growth after
warm-up < 50 MB, no growth in object counts, no warnings, steady steps/s — closes the window, and exits with 1 if
memory, warnings or exceptions missed them.

Qt's other objects are not counted: asking for them (``findChildren(QObject)``) leaves a Python wrapper alive for
every QTextList and QTextFrame of the explanation pane, which is rebuilt at every switch, so the count would create
the growth it looks for.
"""
from __future__ import annotations

import gc
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QtMsgType, QTimer, qInstallMessageHandler
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QGraphicsView

from playground import panels as registry

SWITCH_SECONDS = 5
SWITCHES_PER_SAMPLE = 2           # a sample every 10 s
WARM_UP_SECONDS = 60              # shorter soaks warm up for their first third instead
RSS_GROWTH_LIMIT_MB = 50
TOP_GROWERS = 10
#: Qt's QPlatformWindow says this when a window's size limits change and the platform cannot pass them on. Every
#: window-system plugin (xcb, wayland, windows, cocoa) can; only the headless "offscreen" one used here cannot.
OFFSCREEN_ONLY = "This plugin does not support propagateSizeHints()"


@dataclass(slots=True)
class Sample:
    seconds: float
    visible: str                  # the panel on screen until then (the counts depend a little on it)
    load: float                   # the machine's load average over the last minute
    rss_mb: float
    n_python_objects: int         # live gc-tracked objects, after a collection
    python_objects: Counter | None  # … by type name; kept only for the samples the report compares
    widgets: int                  # every QWidget of the application
    graphics_items: int           # items in every plot's scene


@dataclass(slots=True)
class Visit:
    panel: str
    start: float
    end: float
    steps: int                    # steps taken while it was visible
    cpu_seconds: float            # CPU time of the whole process (UI and worker) meanwhile


@dataclass
class Record:
    samples: list[Sample] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    qt_messages: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    self_pauses: list[str] = field(default_factory=list)   # a panel found paused although it was told to play


def resident_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise OSError("no VmRSS in /proc/self/status")


def python_objects() -> Counter:
    gc.collect()  # garbage waiting for the collector is not a leak; what survives a collection may be
    return Counter(type(o).__name__ for o in gc.get_objects())


class Soak(QObject):
    def __init__(self, window, seconds: float) -> None:
        super().__init__(window)
        self.window, self.seconds = window, seconds
        self.warm_up = WARM_UP_SECONDS if seconds >= 3 * WARM_UP_SECONDS else seconds / 3
        self.record = Record()
        self.names = [entry.name for entry in registry.PANELS]
        self.started = 0.0
        self.visit_start = (0.0, 0, 0.0)  # (time, step, process CPU time) when the visible panel was shown
        self.n_switches = 0
        self.set_playing: set[str] = set()
        self.exit_code = 0
        self.switch_timer = QTimer(self, interval=int(SWITCH_SECONDS * 1000), timeout=self.switch)

    # --- running ---------------------------------------------------------------------------------------------
    def start(self) -> None:
        self._previous_handler = qInstallMessageHandler(self._qt_message)
        self._previous_excepthook, sys.excepthook = sys.excepthook, self._exception
        self.started = time.monotonic()
        self.show(0)
        self.switch_timer.start()
        QTimer.singleShot(int(self.seconds * 1000), self.finish)
        print(f"soak: {self.seconds:g} s, every panel at full speed, the visible one switched every "
              f"{SWITCH_SECONDS} s; a sample every {SWITCH_SECONDS * SWITCHES_PER_SAMPLE} s", flush=True)

    def now(self) -> float:
        return time.monotonic() - self.started

    def show(self, row: int) -> None:
        window = self.window
        window.panel_list.setCurrentRow(row)
        panel = window.current
        if not panel.playing:
            if panel.name in self.set_playing:  # something paused it since
                text = panel.message_bar.label.text() if panel.message_bar.isVisible() else "(no message)"
                self.record.self_pauses.append(f"{self.now():5.0f} s  {panel.name}: {text}")
            self.set_playing.add(panel.name)
            panel.set_speed(None)
            window.transport.set_speed(None)
            panel.play()
        self.visit_start = (self.now(), self._step(panel), time.process_time())

    def switch(self, *, last: bool = False) -> None:
        panel = self.window.current
        start, first_step, first_cpu = self.visit_start
        panel.deactivate()  # its worker stops and hands over its last snapshot, so the step is final
        self.record.visits.append(Visit(panel.name, start, self.now(), self._step(panel) - first_step,
                                        time.process_time() - first_cpu))
        self.n_switches += 1
        if last:
            return
        if self.n_switches % SWITCHES_PER_SAMPLE == 0:
            # Now, while no worker runs: gc.get_objects() hands out objects other threads are still building, and
            # holding one broke a tuple under construction in the GMM worker (SystemError, in an earlier soak).
            self.sample(panel.name)
        self.show((self.names.index(panel.name) + 1) % len(self.names))

    @staticmethod
    def _step(panel) -> int:
        return panel.last_snapshot.step if panel.last_snapshot is not None else 0

    def sample(self, visible: str) -> None:
        window = self.window
        rss = resident_mb()
        objects = python_objects()
        scenes = {view.scene() for view in window.findChildren(QGraphicsView) if view.scene() is not None}
        sample = Sample(self.now(), visible, os.getloadavg()[0], rss, sum(objects.values()), objects,
                        len(QApplication.allWidgets()), sum(len(scene.items()) for scene in scenes))
        self.record.samples.append(sample)
        self._forget_unused_counts()
        print(f"{sample.seconds:5.0f} s  {sample.visible:10s} RSS {rss:7.1f} MB  Python objects "
              f"{sample.n_python_objects:8,}  widgets {sample.widgets:5,}  "
              f"graphics items {sample.graphics_items:6,}", flush=True)

    def _forget_unused_counts(self) -> None:
        """The report compares the first sample after the warm-up with the latest one taken with the same panel on
        screen; the other samples' counts by type would only weigh on the memory being measured."""
        after = [s for s in self.record.samples if s.seconds >= self.warm_up]
        keep = {id(after[0])} if after else set()
        latest: dict[str, Sample] = {}
        for sample in after:
            latest[sample.visible] = sample
        keep |= {id(sample) for sample in latest.values()}
        for sample in self.record.samples:
            if id(sample) not in keep:
                sample.python_objects = None

    def _qt_message(self, mode: QtMsgType, context, message: str) -> None:
        self.record.qt_messages.append(f"{mode.name}: {message}")
        print(message, file=sys.stderr)

    def _exception(self, kind, value, traceback) -> None:
        self.record.exceptions.append(f"{kind.__name__}: {value}")
        self._previous_excepthook(kind, value, traceback)

    def finish(self) -> None:
        self.switch_timer.stop()
        self.switch(last=True)
        report = self.report()
        print(report, flush=True)
        qInstallMessageHandler(self._previous_handler)
        sys.excepthook = self._previous_excepthook
        self.window.close()
        QApplication.instance().exit(self.exit_code)

    # --- the report ------------------------------------------------------------------------------------------
    def report(self) -> str:
        r = self.record
        lines = [f"\nSoak of {self.seconds:g} s: {len(r.visits)} panel switches, {len(r.samples)} samples; "
                 f"warm-up {self.warm_up:g} s"]
        after = [s for s in r.samples if s.seconds >= self.warm_up]
        if len(after) < 2:
            lines.append("too short for figures: run it for at least 3 sample periods after the warm-up")
            return "\n".join(lines)
        first = after[0]
        # The counts depend a little on which panel is on screen: compare samples taken with the same one.
        last = next(s for s in reversed(after) if s.visible == first.visible)
        growth = last.rss_mb - first.rss_mb
        ok_memory = growth < RSS_GROWTH_LIMIT_MB
        lines += ["", "| memory | after warm-up | at the end | growth |", "|---|---:|---:|---:|",
                  f"| RSS (MB) | {first.rss_mb:.1f} at {first.seconds:.0f} s | {last.rss_mb:.1f} at "
                  f"{last.seconds:.0f} s | {growth:+.1f} (target < {RSS_GROWTH_LIMIT_MB}) |",
                  f"| Python objects | {first.n_python_objects:,} | {last.n_python_objects:,} | "
                  f"{last.n_python_objects - first.n_python_objects:+,} |",
                  f"| widgets | {first.widgets:,} | {last.widgets:,} | {last.widgets - first.widgets:+,} |",
                  f"| graphics items | {first.graphics_items:,} | {last.graphics_items:,} | "
                  f"{last.graphics_items - first.graphics_items:+,} |"]
        lines.append(f"\nRSS over time (MB, every {SWITCH_SECONDS * SWITCHES_PER_SAMPLE} s): "
                     + " ".join(f"{s.rss_mb:.0f}" for s in r.samples))

        changes = last.python_objects.copy()
        changes.subtract(first.python_objects)
        for own in ("Sample", "Visit"):                  # the soak's own records
            del changes[own]
        growers = [(name, n) for name, n in changes.most_common(TOP_GROWERS) if n > 0]
        lines += [f"\nPython object types that grew (both samples with {first.visible} visible):"]
        lines += [f"  {name:32s} {first.python_objects[name]:8,} → {last.python_objects[name]:8,}  {n:+,}"
                  for name, n in growers] or ["  none"]

        # The machine is shared: steps per CPU-second of this process (UI and worker together) show the app's own
        # speed whatever the others do; the load average says how busy the machine was.
        thirds = ((0, self.seconds / 3), (2 * self.seconds / 3, self.seconds))
        lines += ["", "| panel | steps/s, first third | last third | last / first | steps per CPU-second, first third "
                  "| last third | last / first |", "|---|---:|---:|---:|---:|---:|---:|"]
        for name in self.names:
            (early, early_cpu), (late, late_cpu) = (self._rates(name, *third) for third in thirds)
            lines.append(f"| {name} | {early:,.0f} | {late:,.0f} | {ratio(late, early)} | {early_cpu:,.0f} | "
                         f"{late_cpu:,.0f} | {ratio(late_cpu, early_cpu)} |")
        loads = [[s.load for s in r.samples if start <= s.seconds < end] for start, end in thirds]
        lines.append("load average of the machine: " + ", then ".join(
            f"{sum(load) / len(load):.1f}" if load else "—" for load in loads) + f" ({os.cpu_count()} cores)")

        offscreen = QGuiApplication.platformName() == "offscreen"
        platform_only = [m for m in r.qt_messages if offscreen and m.endswith(OFFSCREEN_ONLY)]
        warnings = [m for m in r.qt_messages if m not in platform_only]
        lines.append(f"\nQt warnings: {len(warnings)}")
        lines += [f"  {count} × {message}" for message, count in Counter(warnings).most_common()]
        if platform_only:
            lines.append(f"  (and {len(platform_only)} × '{OFFSCREEN_ONLY}', which only the offscreen platform says)")
        lines.append(f"Python exceptions that reached Qt: {len(r.exceptions)}")
        lines += [f"  {count} × {message}" for message, count in Counter(r.exceptions).most_common()]
        lines.append(f"Panels found paused although playing: {len(r.self_pauses)}")
        lines += [f"  {entry}" for entry in r.self_pauses]

        ok_messages = not warnings and not r.exceptions
        self.exit_code = 0 if ok_memory and ok_messages else 1
        lines.append("\nmemory and messages: " + ("targets met" if self.exit_code == 0 else "TARGETS MISSED"))
        return "\n".join(lines)

    def _rates(self, name: str, start: float, end: float) -> tuple[float, float]:
        """Steps per second and per CPU-second of ``name`` over its visits that began in [start, end), but the
        first: that one also built the panel."""
        visits = [v for v in self.record.visits if v.panel == name][1:]
        visits = [v for v in visits if start <= v.start < end]
        steps = sum(v.steps for v in visits)
        seconds, cpu_seconds = sum(v.end - v.start for v in visits), sum(v.cpu_seconds for v in visits)
        return steps / seconds if seconds else 0.0, steps / cpu_seconds if cpu_seconds else 0.0


def ratio(late: float, early: float) -> str:
    return f"{late / early:.2f}" if early and late else "—"


def start_soak(window, seconds: float) -> Soak:
    soak = Soak(window, seconds)
    QTimer.singleShot(0, soak.start)
    return soak
