"""Record a panel as it runs: an animated GIF or a folder of numbered PNG frames, for slides.

How a recording goes:

1. :class:`RecordingPlan` says what to record (N seconds or the next K steps, the size, frames per second, GIF or
   PNGs, where) and :meth:`RecordingPlan.check` turns a bad choice into a sentence before anything is created.
2. :class:`Recorder` listens to the panel's ``rendered`` signal and grabs the panel (``QWidget.grab``, scaled to the
   chosen size) at most ``fps`` times a second — only frames the worker actually drew, so recording costs the
   model nothing when it is slow. Grabbing must happen on the UI thread; everything after it does not: a
   :class:`FrameSink` thread compresses the frames (GIF) or writes them as PNGs as they come.
3. When the time or the steps are up (or Stop is pressed) the sink writes the GIF: one palette for the whole
   animation, taken from frames spread over it (so colours do not flicker from frame to frame), no dithering (plots
   are flat colours, and dither noise would defeat the compression), and Pillow stores only the rectangle that
   changed between frames. Files appear only when complete: a GIF is written under a temporary name and renamed,
   and PNG frames go to a new folder created at the end of the checks.

Frame durations are the real times between grabs, so the GIF plays at the speed the class saw.
"""
from __future__ import annotations

import os
import queue
import tempfile
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Sequence
from typing import Callable

import numpy as np
from PIL import Image
from PySide6.QtCore import QObject, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QImage, QPainter

__all__ = ["RecordingPlan", "Recorder", "FrameSink", "write_gif", "shared_palette",
           "FPS_CHOICES", "SIZE_CHOICES", "MAX_GIF_PIXELS"]

FPS_CHOICES = (5, 10, 12, 15, 20, 25, 30)
#: (label, size or None for the panel's size on screen)
SIZE_CHOICES: tuple[tuple[str, tuple[int, int] | None], ...] = (
    ("640 × 360", (640, 360)), ("960 × 540", (960, 540)), ("1280 × 720", (1280, 720)), ("As shown", None))
MAX_SECONDS = 600
MAX_STEPS = 10_000_000
MAX_PNG_FRAMES = 20_000
#: Frames × width × height a GIF may hold: every frame is kept (one byte a pixel) until the file is written, and a
#: GIF far beyond this is too large for a slide anyway. 300 M is ~50 s at 640×360 and 12 frames/s.
MAX_GIF_PIXELS = 300_000_000
#: Frames sampled from across the recording to choose the GIF's palette.
PALETTE_SAMPLES = 12
#: GIF viewers show delays under 20 ms as 100 ms; delays are stored in hundredths of a second.
MIN_GIF_DELAY_MS = 20
PNG_NAME = "frame_{:05d}.png"


# ---------------------------------------------------------------------------------------------------------------
# What to record.

@dataclass(frozen=True)
class RecordingPlan:
    path: Path                              # the .gif file, or the folder for PNG frames
    kind: str = "gif"                       # "gif" | "png"
    size: tuple[int, int] | None = (640, 360)   # None: the size the panel has on screen
    fps: float = 12
    seconds: float | None = 5.0             # record this long …
    steps: int | None = None                # … or until the model has taken this many more steps
    plots_only: bool = True                 # the plots without the column of controls

    def check(self, shown_size: tuple[int, int] | None = None) -> None:
        """Raise ValueError with a sentence if the plan cannot work; creates nothing."""
        if self.kind not in ("gif", "png"):
            raise ValueError(f"unknown format {self.kind!r}: choose GIF or PNG frames")
        if (self.seconds is None) == (self.steps is None):
            raise ValueError("record either for a number of seconds or for a number of steps")
        if self.seconds is not None and not 0 < self.seconds <= MAX_SECONDS:
            raise ValueError(f"the length must be more than 0 and at most {MAX_SECONDS} seconds, "
                             f"not {self.seconds:g}")
        if self.steps is not None and not 1 <= self.steps <= MAX_STEPS:
            raise ValueError(f"the number of steps must be between 1 and {MAX_STEPS:,}, not {self.steps}")
        if not 1 <= self.fps <= 30:
            raise ValueError(f"frames per second must be between 1 and 30, not {self.fps:g}")
        size = self.size or shown_size
        if size is not None and not (16 <= size[0] <= 4096 and 16 <= size[1] <= 4096):
            raise ValueError(f"a frame size of {size[0]} × {size[1]} is out of range (16…4096 each way)")
        if self.kind == "gif" and self.seconds is not None and size is not None \
                and self.seconds * self.fps * size[0] * size[1] > MAX_GIF_PIXELS:
            raise ValueError(f"{self.seconds:g} s at {self.fps:g} frames/s and {size[0]} × {size[1]} would make a "
                             "GIF too large for a slide: choose a smaller size, fewer frames per second or fewer "
                             "seconds (or PNG frames)")
        self._check_path()

    def _check_path(self) -> None:
        path = Path(self.path)
        if not path.name:
            raise ValueError("choose a file name")
        if self.kind == "gif":
            if path.suffix.lower() != ".gif":
                raise ValueError(f"a GIF's name must end in .gif, not {path.name!r}")
            if path.is_dir():
                raise ValueError(f"{path} is a folder; choose a file name")
            folder = path.parent
        else:
            if path.exists() and (not path.is_dir() or any(path.iterdir())):
                raise ValueError(f"{path} already exists and is not an empty folder: choose a new folder name "
                                 "for the frames")
            folder = path if path.is_dir() else path.parent
        _check_writable(folder)

    def max_frames(self, frame_size: tuple[int, int]) -> int:
        if self.kind == "png":
            return MAX_PNG_FRAMES
        return max(1, MAX_GIF_PIXELS // (frame_size[0] * frame_size[1]))


def _check_writable(folder: Path) -> None:
    if not folder.exists():
        raise ValueError(f"the folder {folder} does not exist")
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder")
    try:  # the only reliable test (permissions, read-only disks, administrators): try, and leave nothing behind
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ValueError(f"cannot write in {folder}: {exc.strerror or exc}") from None


# ---------------------------------------------------------------------------------------------------------------
# Writing frames: pure numpy and Pillow, no Qt.

def shared_palette(frames: Sequence[np.ndarray], colours: int = 255) -> Image.Image:
    """One palette for the whole animation: median cut over frames spread evenly through it. 255 colours leave one
    index free, which Pillow uses to make unchanged pixels transparent between frames (smaller files)."""
    picks = np.unique(np.linspace(0, len(frames) - 1, min(PALETTE_SAMPLES, len(frames))).round().astype(int))
    montage = np.concatenate([np.asarray(frames[i]) for i in picks], axis=0)   # (picks·H, W, 3)
    return Image.fromarray(montage).quantize(colors=colours, method=Image.Quantize.MEDIANCUT)


def write_gif(frames: Sequence[np.ndarray], durations_ms: Sequence[float], path: str | os.PathLike,
              progress: Callable[[float], None] | None = None) -> Path:
    """An optimised, looping GIF of ``frames`` ((H, W, 3) uint8 each) shown for ``durations_ms`` each.

    Written to a temporary file beside ``path`` and renamed, so ``path`` appears only complete.
    """
    if not len(frames):
        raise ValueError("no frames were recorded")
    if len(durations_ms) != len(frames):
        raise ValueError("need one duration per frame")
    path = Path(path)
    palette = shared_palette(frames)
    images = []
    for i, frame in enumerate(frames):
        images.append(Image.fromarray(np.asarray(frame)).quantize(palette=palette, dither=Image.Dither.NONE))
        if progress is not None:
            progress(0.8 * (i + 1) / len(frames))
    # GIF delays are hundredths of a second; rounding each one would drift, so round the running total instead.
    ends = np.round(np.cumsum(np.maximum(durations_ms, MIN_GIF_DELAY_MS)) / 10) * 10
    delays = np.diff(np.concatenate([[0.0], ends])).astype(int).tolist()
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as f:
            images[0].save(f, format="GIF", save_all=True, append_images=images[1:], duration=delays, loop=0,
                           optimize=True, disposal=1)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if progress is not None:
        progress(1.0)
    return path


# ---------------------------------------------------------------------------------------------------------------
# The thread that takes frames off the UI thread.

class FrameSink(threading.Thread):
    """Receives (frame, seconds since the recording started) pairs and turns them into files.

    PNG frames are written as they arrive (into a hidden folder renamed at the end, so a stopped or failed
    recording leaves nothing half-made); GIF frames are kept zlib-compressed (plots compress 20–50×) and encoded
    when :meth:`finish` is called. Nothing here touches Qt: the UI reads :attr:`progress`, :attr:`result` and
    :attr:`error`, which are plain attributes, on a timer.
    """

    def __init__(self, plan: RecordingPlan) -> None:
        # A daemon, so a recording left running can never keep the process alive; quitting the app stops the
        # recording and waits for its file (see recording_dialog.start_recording).
        super().__init__(name="recording", daemon=True)
        self.plan = plan
        self.frames: "queue.SimpleQueue[tuple[np.ndarray, float] | None]" = queue.SimpleQueue()
        self.progress = 0.0             # of the final writing, 0…1
        self.result: list[Path] = []    # the files written
        self.error = ""
        self.n_frames = 0
        self.discarded = False
        self._stored: list[tuple[bytes, tuple[int, ...]]] = []
        self._times: list[float] = []
        self._png_folder: Path | None = None

    # -- called from the UI thread --
    def put(self, frame: np.ndarray, seconds: float) -> None:
        self.n_frames += 1
        self.frames.put((frame, seconds))

    def finish(self, *, discard: bool = False) -> None:
        """No more frames: write the files (or, with ``discard``, clean up and write nothing)."""
        self.discarded = discard
        self.frames.put(None)

    # -- the thread --
    def run(self) -> None:
        try:
            while (item := self.frames.get()) is not None:
                frame, seconds = item
                self._times.append(seconds)
                if self.plan.kind == "png":
                    self._write_png(frame)
                else:
                    self._stored.append((zlib.compress(frame.tobytes(), 1), frame.shape))
            if self.discarded:
                self._clean_up()
            elif self.plan.kind == "png":
                self._publish_pngs()
            else:
                self._write_gif()
        except Exception as exc:  # noqa: BLE001 - reported to the user by the indicator
            self._clean_up()
            self.error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, (OSError, ValueError)) else str(exc)

    def _write_png(self, frame: np.ndarray) -> None:
        if self._png_folder is None:
            final = Path(self.plan.path)
            self._png_folder = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".part",
                                                     dir=final.parent if not final.is_dir() else final))
        index = len(self._times)
        # Level 3: fast enough to keep up with 30 frames/s, and only a little larger than the default 6.
        Image.fromarray(frame).save(self._png_folder / PNG_NAME.format(index), format="PNG", compress_level=3)

    def _publish_pngs(self) -> None:
        if self._png_folder is None:
            raise ValueError("no frames were recorded")
        final = Path(self.plan.path)
        if final.is_dir():      # an existing empty folder: move the frames into it
            for frame in sorted(self._png_folder.iterdir()):
                os.replace(frame, final / frame.name)
            self._png_folder.rmdir()
        else:
            os.replace(self._png_folder, final)
        self._png_folder = None
        self.result = sorted(final.glob("frame_*.png"))
        self.progress = 1.0

    def _write_gif(self) -> None:
        frames = _CompressedFrames(self._stored)   # one frame unpacked at a time: memory stays ~1 byte a pixel
        ends = self._times[1:] + [self._times[-1] + 1.0 / self.plan.fps] if self._times else []
        durations = [1000.0 * (end - start) for start, end in zip(self._times, ends)]

        def report(fraction: float) -> None:
            self.progress = fraction

        self.result = [write_gif(frames, durations, self.plan.path, progress=report)]
        self._stored = []

    def _clean_up(self) -> None:
        if self._png_folder is not None:
            for frame in self._png_folder.iterdir():
                frame.unlink()
            self._png_folder.rmdir()
            self._png_folder = None
        self._stored = []


class _CompressedFrames(Sequence):
    """zlib-compressed (H, W, 3) frames that unpack when indexed."""

    def __init__(self, stored: list[tuple[bytes, tuple[int, ...]]]) -> None:
        self.stored = stored

    def __len__(self) -> int:
        return len(self.stored)

    def __getitem__(self, index: int) -> np.ndarray:
        data, shape = self.stored[index]
        return np.frombuffer(zlib.decompress(data), np.uint8).reshape(shape)


# ---------------------------------------------------------------------------------------------------------------
# Grabbing frames from a panel.

class Recorder(QObject):
    """Records ``panel`` according to ``plan``. Plays the panel if it was paused (and pauses it again after).

    ``status`` goes "recording" → "writing" → "done" (or "failed", or "cancelled"); ``changed`` is emitted at
    each change and, while recording or writing, a few times a second for a progress display.
    """

    changed = Signal()

    def __init__(self, panel, plan: RecordingPlan, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panel, self.plan = panel, plan
        plots = getattr(panel, "plots_area", None) if plan.plots_only else None
        self.widget = plots if plots is not None else panel.body
        self.frame_size = plan.size or (0, 0)     # "as shown" is measured when the recording starts
        self.sink = FrameSink(plan)
        self.status = "idle"
        self.message = ""
        self.started_at = 0.0
        self.start_step: int | None = None
        self.last_step: int | None = None
        self._last_grab = -1e9
        self._played_it = False
        self._timer = QTimer(self, interval=100)
        self._timer.timeout.connect(self._tick)

    # -- control --
    def start(self) -> None:
        """Check the plan (ValueError, nothing created, if it cannot work) and start recording."""
        shown = (self.widget.width(), self.widget.height())
        self.plan.check(shown)
        self.frame_size = self.plan.size or shown
        self.max_frames = self.plan.max_frames(self.frame_size)
        self.status = "recording"
        self.started_at = time.monotonic()
        snapshot = self.panel.last_snapshot
        self.start_step = snapshot.step if snapshot is not None else None
        self.sink.start()
        self.panel.rendered.connect(self._on_rendered)
        self.panel.destroyed.connect(self._panel_gone)
        self._grab()                                  # the first frame is the panel as it is now
        if not self.panel.playing:
            self._played_it = True
            self.panel.play()
        self._timer.start()
        self.changed.emit()

    @Slot()
    def stop(self) -> None:
        """End the recording now and write what was recorded."""
        if self.status == "recording":
            self._end(discard=False)

    @Slot()
    def cancel(self) -> None:
        """End the recording and write nothing."""
        if self.status == "recording":
            self._end(discard=True)

    @Slot()
    def finish_before_quitting(self) -> None:
        """The app is quitting: keep what was recorded and wait (a little) for the file."""
        self.stop()
        if self.status == "writing":
            self.wait(30)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the files are written (tests and shutdown). True if done in time."""
        self.sink.join(timeout)
        if not self.sink.is_alive():
            self._tick()
        return not self.sink.is_alive()

    # -- recording --
    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started_at if self.status == "recording" else 0.0

    @property
    def n_frames(self) -> int:
        return self.sink.n_frames

    def fraction_done(self) -> float:
        """How far the recording (then the writing) has got, 0…1."""
        if self.status == "writing":
            return self.sink.progress
        if self.status != "recording":
            return 1.0
        if self.plan.seconds is not None:
            return min(1.0, self.seconds / self.plan.seconds)
        if self.start_step is None or self.last_step is None:
            return 0.0
        return min(1.0, (self.last_step - self.start_step) / self.plan.steps)

    @Slot(object)
    def _on_rendered(self, snapshot) -> None:
        if self.status != "recording":
            return
        if self.start_step is None or snapshot.step < self.start_step:  # a reset starts the count again
            self.start_step = snapshot.step
        self.last_step = snapshot.step
        steps_done = self.plan.steps is not None and snapshot.step >= self.start_step + self.plan.steps
        # Throttle to the chosen rate; a little slack so 30 frames/s from the worker are not halved by jitter.
        if steps_done or time.monotonic() - self._last_grab >= 0.9 / self.plan.fps:
            self._grab()
        if steps_done:
            self._end(discard=False)

    def _grab(self) -> None:
        self._last_grab = time.monotonic()
        self.sink.put(self._frame(), self._last_grab - self.started_at)
        if self.n_frames >= self.max_frames:
            self.message = f"stopped at {self.n_frames:,} frames, the most a {self.plan.kind.upper()} may hold here"
            self._end(discard=False)

    def _frame(self) -> np.ndarray:
        """The widget as an (H, W, 3) uint8 array of the chosen size: scaled to fit, centred on the background."""
        image = self.widget.grab().toImage()
        width, height = self.frame_size
        if (image.width(), image.height()) != (width, height):
            scaled = image.scaled(QSize(width, height), Qt.AspectRatioMode.KeepAspectRatio,
                                  Qt.TransformationMode.SmoothTransformation)
            canvas = QImage(width, height, QImage.Format.Format_RGB888)
            canvas.fill(QColor(self.panel.theme.panel_background))
            painter = QPainter(canvas)
            painter.drawImage((width - scaled.width()) // 2, (height - scaled.height()) // 2, scaled)
            painter.end()
            image = canvas
        image = image.convertToFormat(QImage.Format.Format_RGB888)
        rows = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes()).reshape(
            height, image.bytesPerLine())
        return rows[:, :3 * width].reshape(height, width, 3).copy()

    @Slot()
    def _tick(self) -> None:
        if self.status == "recording" and self.plan.seconds is not None and self.seconds >= self.plan.seconds:
            self._end(discard=False)
        elif self.status == "writing" and not self.sink.is_alive():
            self._timer.stop()
            if self.sink.error:
                self.status, self.message = "failed", self.sink.error
            else:
                self.status = "cancelled" if self.sink.discarded else "done"
        self.changed.emit()

    def _end(self, *, discard: bool) -> None:
        self._detach()
        if self._played_it:
            self.panel.pause()
        self._write(discard=discard)

    @Slot()
    def _panel_gone(self) -> None:
        # The panel was replaced (an opened session) or closed: keep what was recorded, touch the panel no more.
        if self.status == "recording":
            self._played_it = False
            self._write(discard=False)

    def _detach(self) -> None:
        try:
            self.panel.rendered.disconnect(self._on_rendered)
            self.panel.destroyed.disconnect(self._panel_gone)
        except (RuntimeError, TypeError):  # already gone with the panel
            pass

    def _write(self, *, discard: bool) -> None:
        self.status = "writing"
        self.sink.finish(discard=discard)
        self._timer.start()
        self.changed.emit()
