"""Small helpers shared by the Qt tests."""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage


def image_stats(image: QImage) -> tuple[float, int]:
    """(standard deviation of grey levels, number of distinct colours) of an image — blank ones score ~0 and 1."""
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    width, height = image.width(), image.height()
    buffer = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    pixels = buffer.reshape(height, image.bytesPerLine() // 4, 4)[:, :width, :3]
    grey = pixels.mean(axis=2)
    colours = np.unique(pixels.reshape(-1, 3)[:: max(1, pixels.size // 300_000)], axis=0)
    return float(grey.std()), len(colours)


def wait_for_step(qtbot, panel, step: int, timeout: int = 30_000) -> None:
    qtbot.waitUntil(lambda: panel.last_snapshot is not None and panel.last_snapshot.step >= step, timeout=timeout)
