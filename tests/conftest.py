"""Shared fixtures: a headless Qt platform, and a guard that fails any test leaving a worker thread running."""
from __future__ import annotations

import os

# One BLAS thread: the models multiply small matrices, and on two cores OpenBLAS's own threads fight the worker and
# the UI thread (measured: the GAN tests take 20–29 s with the default, 3–10 s with one thread).
for _blas in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_blas, "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
os.environ.setdefault("QT_API", "pyside6")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def no_worker_left_running(request):
    """Every ModelWorker started during a test must have finished when the test ends."""
    if "qtbot" not in request.fixturenames and "qapp" not in request.fixturenames:
        yield
        return
    from playground.panels.worker import ModelWorker

    started: list[ModelWorker] = []
    original_start = ModelWorker.start

    def tracking_start(self, *args, **kwargs):
        started.append(self)
        return original_start(self, *args, **kwargs)

    ModelWorker.start = tracking_start
    try:
        yield
    finally:
        ModelWorker.start = original_start
    running = [w.objectName() for w in started if w.isRunning()]
    for worker in started:
        if worker.isRunning():
            worker.stop(2000)
    assert not running, f"test left worker threads running: {running}"


@pytest.fixture
def settings(tmp_path):
    """A QSettings in a temporary INI file, so tests never touch the user's real settings."""
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings):
    """The main window, shown at a laptop size; closed (and its workers stopped) after the test."""
    from playground.app import MainWindow

    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()
