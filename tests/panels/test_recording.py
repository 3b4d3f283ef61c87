"""Recording a panel: a looping GIF or numbered PNGs of the chosen size, frames only from what the worker drew,
files only when complete, and choices that cannot work refused with a message before anything is created."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from playground.recording import RecordingPlan, write_gif
from playground.recording_dialog import RecordDialog, RecordingIndicator, record_dialog, start_recording
from tests.panels.helpers import wait_for_step


@pytest.fixture
def panel(window, qtbot):
    """The Sampling panel (the first), a few steps in, as fast as it goes."""
    panel = window.current
    panel.set_speed(None)
    panel.step(2)
    wait_for_step(qtbot, panel, 2)
    return panel


def finish(qtbot, recorder) -> None:
    qtbot.waitUntil(lambda: recorder.status not in ("recording", "writing"), timeout=60_000)
    assert recorder.status == "done", recorder.message


def test_the_next_steps_become_a_looping_gif_of_the_chosen_size(window, panel, qtbot, tmp_path):
    path = tmp_path / "sampling.gif"
    assert not panel.playing
    recorder = start_recording(window, RecordingPlan(path=path, size=(320, 180), fps=30, seconds=None, steps=40))
    assert panel.playing                                    # a paused panel is played for the recording …
    finish(qtbot, recorder)
    assert not panel.playing                                # … and paused again after it
    assert panel.last_snapshot.step >= 2 + 40
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.size == (320, 180) and gif.info["loop"] == 0
        # Pillow merges a frame identical to the one before into it; every other grabbed frame is there.
        assert 2 <= gif.n_frames <= recorder.n_frames
        for i in range(gif.n_frames):
            gif.seek(i)
            assert gif.convert("RGB").size == (320, 180)
    assert "Wrote" in window.statusBar().currentMessage()
    assert [p.name for p in tmp_path.iterdir()] == ["sampling.gif"]     # no temporary files left behind


def test_png_frames_go_to_a_new_folder_numbered_in_order(window, panel, qtbot, tmp_path):
    folder = tmp_path / "frames"
    recorder = start_recording(window, RecordingPlan(path=folder, kind="png", size=(256, 144), fps=30,
                                                     seconds=None, steps=30))
    finish(qtbot, recorder)
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"frame_{i:05d}.png" for i in range(1, recorder.n_frames + 1)] and len(names) >= 2
    for name in names:
        with Image.open(folder / name) as frame:
            assert frame.size == (256, 144)
    assert [p.name for p in tmp_path.iterdir()] == ["frames"]


def test_as_shown_keeps_the_panels_own_size(window, panel, qtbot, tmp_path):
    recorder = start_recording(window, RecordingPlan(path=tmp_path / "shown.gif", size=None, seconds=None, steps=5,
                                                     plots_only=False))
    shown = (panel.body.width(), panel.body.height())
    finish(qtbot, recorder)
    with Image.open(tmp_path / "shown.gif") as gif:
        assert gif.size == shown


def test_stop_keeps_what_was_recorded_and_cancel_writes_nothing(window, panel, qtbot, tmp_path):
    recorder = start_recording(window, RecordingPlan(path=tmp_path / "short.gif", seconds=60))
    qtbot.waitUntil(lambda: recorder.n_frames >= 3)
    indicator = window.statusBar().findChild(RecordingIndicator)
    assert indicator is not None and "Recording" in indicator.label.text()
    recorder.stop()
    finish(qtbot, recorder)
    with Image.open(tmp_path / "short.gif") as gif:
        assert gif.n_frames >= 2
    cancelled = start_recording(window, RecordingPlan(path=tmp_path / "never.gif", seconds=60))
    qtbot.waitUntil(lambda: cancelled.n_frames >= 2)
    cancelled.cancel()
    qtbot.waitUntil(lambda: cancelled.status == "cancelled")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["short.gif"]


def test_a_gif_keeps_every_distinct_frame_its_timing_and_one_palette(tmp_path):
    rng = np.random.default_rng(0)
    frames = [np.full((60, 100, 3), 255, np.uint8) for _ in range(8)]
    colours = rng.integers(0, 255, (8, 3))
    for i, frame in enumerate(frames):
        frame[10:30, 5 + 10 * i: 15 + 10 * i] = colours[i]     # a square moving right, a new colour each frame
    durations = [83.3] * 8
    write_gif(frames, durations, tmp_path / "moving.gif")
    with Image.open(tmp_path / "moving.gif") as gif:
        assert gif.n_frames == 8 and gif.size == (100, 60)
        total = 0
        for i in range(8):
            gif.seek(i)
            total += gif.info["duration"]
            back = np.asarray(gif.convert("RGB"))
            assert np.abs(back.astype(int) - frames[i]).max() <= 8   # the shared palette is close to exact here
        assert total == pytest.approx(8 * 83.3, abs=10)               # rounding does not drift


@pytest.mark.parametrize("seconds, steps, words", [(0, None, "more than 0"), (None, 0, "between 1")])
def test_zero_seconds_or_steps_are_refused_in_the_dialog(window, panel, qtbot, tmp_path, seconds, steps, words):
    dialog = RecordDialog(panel, window)
    qtbot.addWidget(dialog)
    dialog.path_edit.setText(str(tmp_path / "x.gif"))
    if seconds is not None:
        dialog.seconds.setValue(seconds)
    else:
        dialog.by_steps.setChecked(True)
        dialog.steps.setValue(steps)
    dialog.record_button.click()
    assert dialog.error.isVisibleTo(dialog) and words in dialog.error.text()
    assert dialog.result() == 0 and dialog.plan_chosen is None
    assert list(tmp_path.iterdir()) == []


def unwritable_folders(tmp_path: Path) -> list[tuple[Path, str]]:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder", encoding="utf-8")
    places = [(a_file / "x.gif", "not a folder"), (tmp_path / "missing" / "x.gif", "does not exist")]
    if sys.platform.startswith("linux"):
        places.append((Path("/proc/self/x.gif"), "cannot write"))   # not writable even for an administrator
    return places


def test_a_folder_that_cannot_be_written_is_refused_and_nothing_is_created(window, panel, qtbot, tmp_path):
    for path, words in unwritable_folders(tmp_path):
        dialog = RecordDialog(panel, window)
        qtbot.addWidget(dialog)
        dialog.path_edit.setText(str(path))
        dialog.record_button.click()
        assert words in dialog.error.text(), path
        assert dialog.plan_chosen is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_png_frames_need_a_new_or_empty_folder(window, panel, qtbot, tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "slide.png").write_bytes(b"")
    with pytest.raises(ValueError, match="not an empty folder"):
        RecordingPlan(path=tmp_path / "used", kind="png").check((640, 360))


def test_the_dialog_records_what_it_says(window, panel, qtbot, tmp_path):
    dialog = record_dialog(window)
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("png"))
    assert dialog.path_edit.text().endswith("sampling_frames")
    dialog.path_edit.setText(str(tmp_path / "clip.gif"))
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("gif"))
    dialog.by_steps.setChecked(True)
    dialog.steps.setValue(5)
    dialog.size_box.setCurrentText("640 × 360")
    dialog.record_button.click()
    recorder = window.recorder
    assert recorder.plan.steps == 5 and recorder.plan.size == (640, 360) and recorder.plan.path == tmp_path / "clip.gif"
    finish(qtbot, recorder)
    with Image.open(tmp_path / "clip.gif") as gif:
        assert gif.size == (640, 360)
