"""Saved sessions: every panel comes back with its settings, its user's data and its step, in a fresh window; a
file that is damaged, truncated, from the future, of the wrong types, or with a missing or unsafe .npz, is refused
with a message and changes nothing."""
from __future__ import annotations

import dataclasses
import json
import math
import shutil
import zipfile

import numpy as np
import pytest
from PIL import Image

from playground import panels as registry
from playground.app import MainWindow
from playground.models import sampling as sm
from playground.session import PanelRecord, Session, SessionError, fingerprint, read_session, write_session
from playground.session_window import Replay, open_session, open_session_reporting, save_session
from tests.panels.helpers import wait_for_step


def assert_same(a, b, where: str = "snapshot") -> None:
    """Equal field by field, arrays element by element (also inside dicts, tuples and nested dataclasses). Fields
    declared compare=False (wall-clock measurements) are left out, as the session's fingerprint leaves them out."""
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), where
        for f in dataclasses.fields(a):
            if f.compare:
                assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), where
    else:
        assert a == b, where


def make_window(qtbot, panel: str) -> MainWindow:
    window = MainWindow(settings=None, panel=panel)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    return window


# --- each panel: non-default settings and the user's own data, as a student would set them ----------------------

def prepare_sampling(panel, qtbot, folder) -> None:
    panel.preset_box.setCurrentText("Draw your own")
    x = np.linspace(0, 10, 41)
    panel.use_distribution(sm.DrawnDensity(x, np.abs(np.sin(x)) + 0.1 * x))   # what a drag on the plot sends
    panel.batch_box.setCurrentIndex(2)                                          # 100 per step
    panel.reset(7)


def prepare_gmm(panel, qtbot, folder) -> None:
    rng = np.random.default_rng(1)
    points = np.concatenate([rng.normal([-2, 0], 0.5, (40, 2)), rng.normal([2, 1], 0.7, (40, 2))])
    np.savetxt(folder / "points.csv", points, delimiter=",", header="x,y", comments="")
    assert panel.load_csv(str(folder / "points.csv"))
    panel.add_point(0.0, 4.0)
    qtbot.waitUntil(lambda: panel.last_snapshot is not None and len(panel.last_snapshot.X) == 81)  # reached the model
    panel.model_form.edited.emit("n_components", 4)
    panel.model_form.edited.emit("covariance_type", "diag")
    panel.reset(5)


def prepare_gan(panel, qtbot, folder) -> None:
    rng = np.random.default_rng(2)
    (folder / "heights.csv").write_text("height\n" + "\n".join(f"{v:.3f}" for v in rng.normal(170, 8, 200)),
                                        encoding="utf-8")
    assert panel.load_csv(str(folder / "heights.csv"))
    panel.train_form.edited.emit("lr_g", 0.002)
    panel.reset(11)


def prepare_vae(panel, qtbot, folder) -> None:
    rng = np.random.default_rng(3)
    for label in ("dots", "bars"):
        (folder / label).mkdir()
        for i in range(10):
            Image.fromarray((rng.random((20, 20)) * 255).astype(np.uint8)).save(folder / label / f"{i}.png")
    panel.load_folder(str(folder))
    qtbot.waitUntil(lambda: panel.folder is not None)
    panel.model_form.edited.emit("latent_dim", "3")
    panel.train_form.edited.emit("lr", 0.003)
    qtbot.waitUntil(lambda: panel.applied["latent_dim"] == 3 and panel.applied["lr"] == 0.003)
    panel.reset(4)


def prepare_diffusion(panel, qtbot, folder) -> None:
    angles = np.random.default_rng(4).uniform(0, 2 * np.pi, 6000)      # more than settings would keep
    np.savetxt(folder / "ring.csv", np.stack([np.cos(angles), np.sin(angles)], axis=1) * 2.123456789,
               delimiter=",")
    assert panel.load_csv(str(folder / "ring.csv"))
    panel.model_form.edited.emit("lr", 0.005)
    panel.reset(9)


def prepare_markov(panel, qtbot, folder) -> None:
    text = "the cat sat on the mat. the dog sat on the log. " * 5000   # longer than settings would keep
    (folder / "story.txt").write_text(text, encoding="utf-8")
    assert panel.load_text(str(folder / "story.txt"))
    panel.model_form.edited.emit("order", 1)
    qtbot.waitUntil(lambda: panel.applied["text"] == text and panel.applied["order"] == 1)
    panel.reset(6)


def prepare_any(panel, qtbot, folder) -> None:
    """A panel without its own preparation here (one added later): at least a seed of its own."""
    panel.reset(8)


PREPARE = {"sampling": prepare_sampling, "gmm": prepare_gmm, "gan": prepare_gan, "vae": prepare_vae,
           "diffusion": prepare_diffusion, "markov": prepare_markov}
STEPS = {"sampling": 12, "gmm": 9, "gan": 60, "vae": 30, "diffusion": 60, "markov": 25}


@pytest.mark.parametrize("name", [entry.name for entry in registry.PANELS])
def test_a_saved_session_opens_with_the_same_settings_data_and_snapshot(qtbot, tmp_path, name):
    folder = tmp_path / "students_files"
    folder.mkdir()
    first = make_window(qtbot, name)
    panel = first.current
    PREPARE.get(name, prepare_any)(panel, qtbot, folder)
    steps = STEPS.get(name, 5)
    panel.step(steps)
    wait_for_step(qtbot, panel, steps)
    settings, snapshot = panel.state(), panel.last_snapshot
    assert settings != type(panel)(first.theme).state()          # the settings really are not the defaults
    save_session(first, tmp_path / "class.json")
    first.close()
    shutil.rmtree(folder)                                         # the student's files are gone the next morning

    other = next(e.name for e in registry.PANELS if e.name != name)
    second = make_window(qtbot, other)
    open_session(second, tmp_path / "class.json")
    restored = second.current
    assert restored.name == name and restored is not panel
    wait_for_step(qtbot, restored, steps, timeout=60_000)
    assert restored.state() == settings
    assert_same(restored.last_snapshot, snapshot)
    assert fingerprint(restored.last_snapshot) == fingerprint(snapshot)
    assert "steered" not in restored.message_bar.text            # the replay arrived at the saved picture
    second.close()


def test_a_run_steered_along_the_way_says_that_the_replay_differs(qtbot, tmp_path):
    first = make_window(qtbot, "sampling")
    panel = first.current
    panel.step(3)
    wait_for_step(qtbot, panel, 3)
    panel.draw_now(1000)                        # a one-off action, not a step: a replay does not repeat it
    qtbot.waitUntil(lambda: panel.last_snapshot.n > 1000)
    save_session(first, tmp_path / "steered.json")
    first.close()
    second = make_window(qtbot, "gmm")
    open_session(second, tmp_path / "steered.json")
    restored = second.current
    qtbot.waitUntil(lambda: "steered" in restored.message_bar.text)
    assert restored.last_snapshot.step == 3 and restored.last_snapshot.n < 1000
    second.close()


def test_a_panel_not_on_screen_replays_only_when_first_shown_and_saves_its_target_meanwhile(qtbot, tmp_path):
    first = make_window(qtbot, "gan")
    gan = first.current
    gan.step(40)
    wait_for_step(qtbot, gan, 40)
    first.panel_list.setCurrentRow([e.name for e in registry.PANELS].index("markov"))
    save_session(first, tmp_path / "two.json")
    first.close()

    second = make_window(qtbot, "sampling")
    open_session(second, tmp_path / "two.json")
    assert second.current.name == "markov"
    waiting = second.panels["gan"]
    assert not waiting.active and waiting.last_snapshot is None           # built and restored, not trained
    save_session(second, tmp_path / "again.json")                         # still counts as at its saved step
    assert read_session(tmp_path / "again.json").panels["gan"].step == 40
    second.panel_list.setCurrentRow([e.name for e in registry.PANELS].index("gan"))
    wait_for_step(qtbot, waiting, 40)
    qtbot.waitUntil(lambda: not waiting.findChild(Replay).pending)
    assert "steered" not in waiting.message_bar.text
    second.close()


def test_a_panel_saved_while_playing_plays_on_after_its_replay(qtbot, tmp_path):
    first = make_window(qtbot, "sampling")
    panel = first.current
    panel.play()
    wait_for_step(qtbot, panel, 5)
    save_session(first, tmp_path / "playing.json")
    saved_step = read_session(tmp_path / "playing.json").panels["sampling"].step
    first.close()
    second = make_window(qtbot, "gmm")
    open_session(second, tmp_path / "playing.json")
    restored = second.current
    assert not restored.playing                              # not while it replays …
    wait_for_step(qtbot, restored, saved_step + 3)           # … then on from the saved step
    assert restored.playing and second.transport.play_button.isChecked()
    assert "steered" not in restored.message_bar.text
    restored.pause()
    second.close()


def test_stop_ends_a_replay_where_it_got_to(qtbot, tmp_path):
    write_session(tmp_path / "long.json", Session({"gan": PanelRecord({}, step=10**7)}, current_panel="gan"))
    window = make_window(qtbot, "sampling")
    open_session(window, tmp_path / "long.json")
    replay = window.current.findChild(Replay)
    qtbot.waitUntil(lambda: replay.bar.progress.value() > 0)
    replay.bar.stop_button.click()
    qtbot.waitUntil(lambda: not replay.pending)
    reached = window.current.last_snapshot.step
    assert 0 < reached < 10**7 and "stopped at step" in window.current.message_bar.text
    save_session(window, tmp_path / "stopped.json")
    assert read_session(tmp_path / "stopped.json").panels["gan"].step == reached
    window.close()


# --- bad files change nothing ------------------------------------------------------------------------------------

@pytest.fixture
def saved(qtbot, tmp_path):
    """A good session with an .npz (GMM points), and the window it came from, still open with a different state."""
    window = make_window(qtbot, "gmm")
    panel = window.current
    panel.add_point(0.5, 0.5)
    qtbot.waitUntil(lambda: panel.last_snapshot is not None and len(panel.last_snapshot.X) == 501)
    panel.reset(3)
    panel.step(4)
    wait_for_step(qtbot, panel, 4)
    (tmp_path / "good").mkdir()
    save_session(window, tmp_path / "good" / "good.json")
    panel.model_form.edited.emit("n_components", 2)      # the window moves on from what was saved
    panel.step(2)
    qtbot.waitUntil(lambda: panel.last_snapshot.n_components == 2 and panel.last_snapshot.step == 2)
    yield window, tmp_path / "good" / "good.json"
    window.close()


def rewrite(path, change) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document), encoding="utf-8")


def break_npz_with_objects(path) -> None:
    npz = path.with_suffix(".npz")
    np.savez(npz, **{"gmm.points": np.array([{"x": 1}, "payload"], dtype=object)})   # pickled on saving


def replace_npz(path) -> None:
    np.savez(path.with_suffix(".npz"), **{"gmm.points": np.zeros((501, 2))})


BAD_FILES = {
    "not JSON": (lambda p: p.write_text("{this is not json", encoding="utf-8"), "not valid JSON"),
    "truncated": (lambda p: p.write_text(p.read_text(encoding="utf-8")[:200], encoding="utf-8"), "truncated"),
    "empty": (lambda p: p.write_bytes(b""), "empty"),
    "binary": (lambda p: p.write_bytes(bytes(range(256))), "not text"),
    "another kind of JSON": (lambda p: p.write_text("[1, 2, 3]", encoding="utf-8"), "does not hold a session"),
    "future version": (lambda p: rewrite(p, lambda d: d.update(version=99)), "newer"),
    "step is text": (lambda p: rewrite(p, lambda d: d["panels"]["gmm"].update(step="ten")), "'step'"),
    "playing is text": (lambda p: rewrite(p, lambda d: d["panels"]["gmm"].update(playing="yes")), "'playing'"),
    "panels is a list": (lambda p: rewrite(p, lambda d: d.update(panels=[1])), "'panels'"),
    "unknown panel": (lambda p: rewrite(p, lambda d: d["panels"].update(teleporter={"settings": {}})), "teleporter"),
    "unknown theme": (lambda p: rewrite(p, lambda d: d["window"].update(theme="neon")), "neon"),
    "seed is text": (lambda p: rewrite(p, lambda d: d["panels"]["gmm"]["settings"].update(seed="abc")), "GMM"),
    "impossible K": (lambda p: rewrite(p, lambda d: d["panels"]["gmm"]["settings"].update(n_components=0)), "GMM"),
    "missing npz": (lambda p: p.with_suffix(".npz").unlink(), "missing"),
    "npz not a zip": (lambda p: p.with_suffix(".npz").write_bytes(b"PK garbage"), "damaged"),
    "npz with objects": (break_npz_with_objects, "Python objects"),
    "npz from another save": (replace_npz, "does not match"),
    "npz path escapes": (lambda p: rewrite(p, lambda d: d["arrays"].update(file="../elsewhere.npz")), "arrays.file"),
}


def test_a_bad_session_is_refused_with_a_message_and_changes_nothing(saved, qtbot, tmp_path):
    window, good = saved
    panel = window.current
    before = (dict(window.panels), window.current, panel.state(), panel.last_snapshot, window.theme_name)
    for kind, (damage, words) in BAD_FILES.items():
        copy = tmp_path / kind.replace(" ", "_")
        shutil.copytree(good.parent, copy)
        path = copy / good.name
        damage(path)
        with pytest.raises(SessionError) as refused:
            open_session(window, path)
        assert words in str(refused.value), kind
        assert not open_session_reporting(window, path), kind
        assert words in window.window_message.text and "Nothing was changed" in window.window_message.text, kind
        after = (dict(window.panels), window.current, panel.state(), panel.last_snapshot, window.theme_name)
        assert after == before, kind
        assert panel.active and panel.findChild(Replay) is None, kind
    panel.step(1)
    wait_for_step(qtbot, panel, 3)          # the panel still works as before


def test_the_good_file_of_the_fixture_opens(saved, qtbot):
    window, path = saved
    assert open_session_reporting(window, path)
    panel = window.current
    wait_for_step(qtbot, panel, 4)
    assert panel.last_snapshot.n_components == 3 and len(panel.last_snapshot.X) == 501


def test_npz_is_loaded_without_pickle_even_when_asked_nicely(tmp_path):
    """The archive is read with allow_pickle=False: an object array never reaches the app."""
    path = tmp_path / "s.json"
    np.savez(tmp_path / "s.npz", **{"gmm.points": np.array([object()], dtype=object)})
    path.write_text(json.dumps({"format": "generative-playground-session", "version": 1, "panels": {
        "gmm": {"settings": {"points": {"$array": "gmm.points"}}}},
        "arrays": {"file": "s.npz", "entries": {"gmm.points": {"dtype": "|O", "shape": [1], "sha256": "x"}}}}))
    with zipfile.ZipFile(tmp_path / "s.npz") as archive:
        assert archive.namelist() == ["gmm.points.npy"]
    with pytest.raises(SessionError, match="Python objects"):
        read_session(path)
