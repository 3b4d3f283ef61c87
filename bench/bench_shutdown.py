"""Close → exit: how long the app takes to end after its window is closed, in every scene of tests/close_app.py.

    OPENBLAS_NUM_THREADS=1 QT_QPA_PLATFORM=offscreen python bench/bench_shutdown.py [--runs 5]

Each run starts the real app in a fresh process, sets the scene (every panel playing at full speed; a paused
panel; a panel in the middle of a long computation), closes the window, and times from the close to the end of the
process (the parent's clock when the process has gone, minus the moment printed just before the close: both
CLOCK_MONOTONIC). Also in the same run: the app without its gc.freeze() at exit, and the reference — a bare
PySide6 + pyqtgraph window (one plot) closed the same way. Any exit code but 0, or anything on stderr but the
offscreen platform's own note, is printed.
"""
from __future__ import annotations

import os

for _blas in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_blas, "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import argparse  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CLOSE_APP = ROOT / "tests" / "close_app.py"
SCENES = ("playing", "paused", "draw", "grow", "vae-compare")
OFFSCREEN_ONLY = "This plugin does not support propagateSizeHints()"

BARE_WINDOW = r"""
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
import pyqtgraph as pg
app = QApplication(sys.argv[:1])
window = pg.PlotWidget()
window.plot([1, 3, 2])
window.resize(1280, 800)
window.show()
def close():
    print(f"closing at {time.monotonic():.6f}", flush=True)
    window.close()
QTimer.singleShot(1000, close)
sys.exit(app.exec())
"""

#: The app with gc.freeze() made a no-op: what the exit cost before it was added.
WITHOUT_FREEZE = f"""
import gc, runpy, sys
gc.freeze = lambda: None
sys.argv = [{str(CLOSE_APP)!r}, "playing"]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def close_to_exit(command: list[str]) -> tuple[float, int, str]:
    """(seconds from the close to the end of the process, exit code, unexpected stderr)."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "XDG_CONFIG_HOME": home, "HOME": home}
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        exited = time.monotonic()
    closing = [line for line in done.stdout.splitlines() if line.startswith("closing at ")]
    stderr = "\n".join(line for line in done.stderr.splitlines() if line.strip() and line != OFFSCREEN_ONLY)
    if not closing:
        return float("nan"), done.returncode, stderr or done.stdout
    return exited - float(closing[0].split()[-1]), done.returncode, stderr


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cases = {scene: [sys.executable, str(CLOSE_APP), scene] for scene in SCENES}
    cases["playing, no gc.freeze"] = [sys.executable, "-c", WITHOUT_FREEZE]
    cases["reference: bare pyqtgraph window"] = [sys.executable, "-c", BARE_WINDOW]
    times: dict[str, list[float]] = {name: [] for name in cases}
    problems: list[str] = []
    for _ in range(args.runs):                     # round robin: a busy spell on the machine hits every case
        for name, command in cases.items():
            seconds, code, stderr = close_to_exit(command)
            times[name].append(seconds)
            if code != 0 or stderr:
                problems.append(f"{name}: exit code {code}\n{stderr}")
    reference = statistics.median(times["reference: bare pyqtgraph window"])
    print(f"\nclose → exit, {args.runs} runs each (seconds)\n")
    print("| scene | median | max | median / reference |")
    print("|---|---:|---:|---:|")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.2f} | {max(values):.2f} | {median / reference:.2f} |")
    print("\nexit codes and stderr: " + ("all 0 and clean" if not problems else "PROBLEMS"))
    for problem in problems:
        print(problem)


if __name__ == "__main__":
    main()
