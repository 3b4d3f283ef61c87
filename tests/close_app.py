"""Run the real app (``playground.__main__.main``), set a scene, then close the window the way a user would.

``python tests/close_app.py SCENE`` — the scenes are in :data:`SCENES`: every panel opened and playing at full speed
(hidden panels stop their worker by design, so the visible one is the one running), a paused panel, and panels in
the middle of a long computation. Just before the window is closed the script prints ``closing at
<time.monotonic()>``, so whoever started it can time close → exit. Used by tests/test_shutdown.py and
bench/bench_shutdown.py; the app reads and writes the settings of whoever runs it, so they give it a temporary
XDG_CONFIG_HOME.
"""
from __future__ import annotations

import os
import sys
import time
from typing import Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
os.environ.setdefault("QT_API", "pyside6")

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from playground import panels as registry  # noqa: E402
from playground.__main__ import main  # noqa: E402

#: How long a panel plays before the next step of a scene, and how long the scene runs before the window closes.
VISIT_MS = 300
SETTLE_MS = 1000


def show(window, name: str, *, playing: bool = True):
    window.panel_list.setCurrentRow([entry.name for entry in registry.PANELS].index(name))
    panel = window.current
    if playing:
        panel.set_speed(None)
        panel.play()
    return panel


def every_panel_playing(window, then: Callable[[], None]) -> None:
    names = [entry.name for entry in registry.PANELS]

    def visit(index: int) -> None:
        if index == len(names):
            then()
            return
        show(window, names[index])
        QTimer.singleShot(VISIT_MS, lambda: visit(index + 1))

    visit(0)


def paused(window, then: Callable[[], None]) -> None:
    panel = show(window, "gan")
    QTimer.singleShot(VISIT_MS, lambda: (panel.pause(), then()))


def draw_ten_million(window, then: Callable[[], None]) -> None:
    """Sampling: 10 000 000 draws from Beta(2, 5) by inverse CDF, the slowest draw there is (seconds)."""
    from playground.models.sampling import PRESETS

    panel = show(window, "sampling", playing=False)
    panel.use_distribution(PRESETS["Beta(2, 5)"](), sampler="inverse_cdf")
    panel.draw_now(10_000_000)
    then()


def grow_diffusion(window, then: Callable[[], None]) -> None:
    """Diffusion rebuilt at its largest (T = 1000, 3 × 256 hidden units) on the worker: the rebuild measures the
    sample quality of the new network, a DDPM run of 1000 steps (seconds)."""
    show(window, "diffusion").call(lambda model: model.set_params(T=1000, hidden=(256, 256, 256)), "grow")
    then()


def vae_comparison(window, then: Callable[[], None]) -> None:
    """VAE: the AE-vs-VAE comparison trains two models from scratch (a generator Call, seconds)."""
    show(window, "vae").compare()
    then()


SCENES: dict[str, Callable] = {
    "playing": every_panel_playing,
    "paused": paused,
    "draw": draw_ten_million,
    "grow": grow_diffusion,
    "vae-compare": vae_comparison,
}


def start(scene: str) -> None:
    app = QApplication.instance()
    window = next(w for w in app.topLevelWidgets() if type(w).__name__ == "MainWindow")

    def close() -> None:
        print(f"closing at {time.monotonic():.6f}", flush=True)
        window.close()

    SCENES[scene](window, lambda: QTimer.singleShot(SETTLE_MS, close))


if __name__ == "__main__":
    scene = sys.argv[1] if len(sys.argv) > 1 else "playing"
    if scene not in SCENES:
        sys.exit(f"close_app.py: unknown scene {scene!r}; choose from {', '.join(SCENES)}")
    QApplication(sys.argv[:1])
    QTimer.singleShot(0, lambda: start(scene))
    sys.exit(main(["--size", "1280x800"]))
