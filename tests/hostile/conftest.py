"""One main window per test module (building windows is slow); each test gets one of its panels running.

The window is shown and paints every frame, so hostile values reach every paint() method and mouse positions map
as they do for a student (the worker also waits for each frame to be painted: a window that never paints would
hold it back 40 ms a frame). The panels' debounce timers are cut to zero so a case does not wait for a student to
stop typing, and the total number of cases run is printed at the end.
"""
from __future__ import annotations

import pytest

from playground import panels as registry
from tests.hostile.support import CASES, OUTCOMES, debounce_timers


@pytest.fixture(scope="module")
def hostile_window(qapp):
    from playground.app import MainWindow

    window = MainWindow(settings=None)
    window.resize(1280, 800)
    window.show()
    window.shutdown()          # no worker runs between tests; each test starts the one it uses
    yield window
    window.shutdown()
    window.close()
    window.deleteLater()


@pytest.fixture
def open_panel(hostile_window, qtbot):
    """``open_panel(name)``: show that panel, start its worker, wait for its first frame. Stopped after the test."""
    shown = []

    def open_(name: str):
        window = hostile_window
        window.panel_list.setCurrentRow([entry.name for entry in registry.PANELS].index(name))
        panel = window.current
        panel.activate()
        for timer in debounce_timers(panel):
            timer.setInterval(0)
        shown.append(panel)
        qtbot.waitUntil(lambda: panel.last_snapshot is not None, timeout=20_000)
        return panel

    yield open_
    for panel in shown:
        if panel.playing:
            panel.pause()
        panel.deactivate()


def pytest_terminal_summary(terminalreporter):
    if CASES:
        rows = ", ".join(f"{module}: {n}" for module, n in sorted(CASES.items()))
        terminalreporter.write_line(f"hostile input: {sum(CASES.values())} cases run ({rows}); "
                                    f"{OUTCOMES['refused']} refused with a message and nothing changed, "
                                    f"{OUTCOMES['used']} valid after all and used")
