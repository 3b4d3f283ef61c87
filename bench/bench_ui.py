"""UI figures for every panel: redraw time, frames/s and steps/s at full speed, and event-loop latency.

    OPENBLAS_NUM_THREADS=1 QT_QPA_PLATFORM=offscreen python bench/bench_ui.py [--seconds 5] [--panel NAME] [--imports]

For each panel at its default sizes:
- redraw: one snapshot rendered (render() + a synchronous repaint of the window), median of 20;
- at full speed for --seconds: training/sampling steps per second and frames drawn per second;
- latency: a 5 ms QTimer probe on the UI thread while the panel runs flat out; how late it fires (p50, p99, max).
Start-up (process start to first painted window) is measured in a fresh process, median of 11.
"""
from __future__ import annotations

import os

for _blas in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_blas, "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import argparse  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

STARTUP_SCRIPT = r"""
import time, sys
t0 = float(sys.argv[1])
import numpy  # before Qt, as playground/__main__.py does
from PySide6.QtWidgets import QApplication
from PySide6.QtCore import QTimer, QObject, QEvent
from playground.app import MainWindow
app = QApplication([])
window = MainWindow(settings=None)
window.resize(1400, 860)
class FirstPaint(QObject):
    def eventFilter(self, obj, ev):
        if ev.type() == QEvent.Type.Paint:
            print(f"{time.time() - t0:.3f}")
            app.exit(0)
        return False
f = FirstPaint(); window.installEventFilter(f)
window.show()
app.exec()
window.shutdown()
"""


def startup_seconds(repeats: int = 11) -> list[float]:
    times = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", STARTUP_SCRIPT, repr(time.time())], capture_output=True,
                             text=True, check=True).stdout.split()
        times.append(float(out[0]))
    return times


def import_costs(top: int = 12) -> list[tuple[str, float]]:
    """(module, cumulative import ms) of the heaviest modules imported on the way to the first painted window,
    from ``python -X importtime`` in a fresh process (median-free: one run, for finding what to keep out)."""
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", STARTUP_SCRIPT, repr(time.time())],
                         capture_output=True, text=True, check=True).stderr
    costs = {}
    for line in err.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line[len("import time:"):].split("|")
        if cumulative.strip().isdigit():
            costs[name.strip()] = int(cumulative) / 1000
    ours = {k: v for k, v in costs.items() if k.startswith("playground")}
    heaviest = sorted(costs.items(), key=lambda kv: -kv[1])[:top]
    return heaviest + sorted(ours.items(), key=lambda kv: -kv[1])[:top]


def wait(app, condition, timeout=20.0):
    from PySide6.QtCore import QEventLoop, QTimer
    deadline = time.perf_counter() + timeout
    while not condition() and time.perf_counter() < deadline:
        loop = QEventLoop()
        QTimer.singleShot(5, loop.quit)
        loop.exec()


def measure_panel(app, window, name: str, seconds: float) -> dict:
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from playground import panels as registry
    window.panel_list.setCurrentRow([e.name for e in registry.PANELS].index(name))
    panel = window.current
    wait(app, lambda: panel.last_snapshot is not None)
    panel.step(5)
    wait(app, lambda: panel.last_snapshot.step >= 5)
    snap = panel.last_snapshot
    redraws = []
    for _ in range(20):
        started = time.perf_counter()
        panel.render(snap)
        window.repaint()
        redraws.append(time.perf_counter() - started)

    frames = [0]
    panel.rendered.connect(lambda s: frames.__setitem__(0, frames[0] + 1))
    gaps, clock, probe = [], QElapsedTimer(), QTimer()
    probe.setInterval(5)
    probe.timeout.connect(lambda: gaps.append(clock.restart()))
    start_step = panel.last_snapshot.step
    panel.set_speed(None)
    panel.play()
    clock.start()
    probe.start()
    started = time.perf_counter()
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    elapsed = time.perf_counter() - started
    probe.stop()
    panel.pause()
    late = np.array(gaps[2:], dtype=float) - 5.0
    return {"panel": name, "redraw_ms": 1000 * float(np.median(redraws)),
            "steps_per_s": (panel.last_snapshot.step - start_step) / elapsed, "frames_per_s": frames[0] / elapsed,
            "late_p50": float(np.percentile(late, 50)), "late_p99": float(np.percentile(late, 99)),
            "late_max": float(late.max())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--panel", action="append")
    parser.add_argument("--imports", action="store_true", help="also list the heaviest imports at start-up")
    args = parser.parse_args()
    starts = startup_seconds()
    print(f"start-up to first paint: median {np.median(starts):.2f} s (min {min(starts):.2f}, max {max(starts):.2f})")
    if args.imports:
        print("heaviest imports on the start-up path (cumulative ms), then ours:")
        for name, ms in import_costs():
            print(f"  {ms:7.1f}  {name}")

    from PySide6.QtWidgets import QApplication
    from playground import panels as registry
    from playground.app import MainWindow
    app = QApplication([])
    window = MainWindow(settings=None)
    window.resize(1400, 860)
    window.show()
    names = args.panel or [e.name for e in registry.PANELS]
    print(f"{'panel':10s} {'redraw ms':>9s} {'steps/s':>9s} {'frames/s':>8s} {'late p50':>8s} {'p99':>6s} {'max':>6s}")
    for name in names:
        r = measure_panel(app, window, name, args.seconds)
        print(f"{r['panel']:10s} {r['redraw_ms']:9.1f} {r['steps_per_s']:9.0f} {r['frames_per_s']:8.1f} "
              f"{r['late_p50']:8.1f} {r['late_p99']:6.1f} {r['late_max']:6.1f}")
    window.close()


if __name__ == "__main__":
    main()
