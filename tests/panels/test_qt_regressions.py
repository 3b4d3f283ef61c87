"""Guards against Qt/pyqtgraph releases known to break the app (see the pins in pyproject.toml)."""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg

from tests.panels.helpers import image_stats


def test_an_animated_scatter_survives_hundreds_of_painted_frames(qtbot):
    """PySide6 6.12.0 aborts with 'Fatal Python error: none_dealloc' about a second into exactly this."""
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.resize(500, 400)
    plot.show()
    qtbot.waitExposed(plot)
    scatter = pg.ScatterPlotItem(size=8, brush=pg.mkBrush("#0072B2"))
    curve = pg.PlotDataItem(pen=pg.mkPen("#E69F00", width=2))
    plot.addItem(scatter)
    plot.addItem(curve)
    rng = np.random.default_rng(0)
    points = rng.normal(size=(400, 2))
    started, frame = time.perf_counter(), 0
    # The crash came after about a second of animation: keep going for two seconds and at least 400 frames.
    while frame < 400 or time.perf_counter() - started < 2.0:
        frame += 1
        points += 0.05 * rng.normal(size=points.shape)
        scatter.setData(points[:, 0], points[:, 1])
        curve.setData(np.sort(points[:, 0]), np.sin(frame / 10 + np.sort(points[:, 0])))
        plot.repaint()  # paint synchronously, as the app does ~30 times a second
    spread, colours = image_stats(plot.grab().toImage())
    assert spread > 5 and colours > 3
