"""The session file format without Qt: exact round trips of settings and arrays, safe writing, fingerprints."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from playground.models.base import Snapshot
from playground.session import (
    FORMAT,
    VERSION,
    PanelRecord,
    Session,
    SessionError,
    arrays_path,
    fingerprint,
    read_session,
    write_session,
)


def test_settings_and_arrays_come_back_exactly(tmp_path):
    points = np.random.default_rng(0).normal(size=(7, 2))
    settings = {"seed": 2**40, "lr": 0.1 + 0.2, "name": "Zoë's data ✓", "flag": True, "nothing": None,
                "nested": {"labels": np.arange(5, dtype=np.int16), "pairs": [(1, 2), (3, 4)]},
                "points": points, "mask": np.array([True, False])}
    session = Session({"gmm": PanelRecord(settings, step=12, playing=True, fingerprint="abc")},
                      current_panel="gmm", theme="dark", presentation=True)
    written = write_session(tmp_path / "class.json", session)
    assert written == [tmp_path / "class.json", tmp_path / "class.npz"]
    back = read_session(tmp_path / "class.json")
    record = back.panels["gmm"]
    assert (record.step, record.playing, record.fingerprint) == (12, True, "abc")
    assert (back.current_panel, back.theme, back.presentation) == ("gmm", "dark", True)
    got = record.settings
    assert got["seed"] == 2**40 and got["lr"] == 0.1 + 0.2 and got["name"] == "Zoë's data ✓"
    assert got["flag"] is True and got["nothing"] is None and got["nested"]["pairs"] == [[1, 2], [3, 4]]
    for key, array in (("points", points), ("mask", settings["mask"])):
        assert got[key].dtype == array.dtype and np.array_equal(got[key], array)
    assert got["nested"]["labels"].dtype == np.int16
    # The JSON is readable by a person: the arrays are references into the .npz beside it.
    document = json.loads((tmp_path / "class.json").read_text(encoding="utf-8"))
    assert document["format"] == FORMAT and document["version"] == VERSION
    assert document["panels"]["gmm"]["settings"]["points"] == {"$array": "gmm.points"}


def test_a_session_without_arrays_writes_no_npz(tmp_path):
    write_session(tmp_path / "plain.json", Session({"markov": PanelRecord({"order": 2})}))
    assert not arrays_path(tmp_path / "plain.json").exists()
    assert read_session(tmp_path / "plain.json").panels["markov"].settings == {"order": 2}


@pytest.mark.parametrize("bad", [object(), np.array(["text"]), np.array([object()]), float("nan"), {1: "key"}])
def test_settings_a_file_cannot_hold_are_refused_and_the_old_file_stays(tmp_path, bad):
    path = tmp_path / "class.json"
    write_session(path, Session({"gmm": PanelRecord({"points": np.zeros(3)})}))
    before = path.read_bytes(), arrays_path(path).read_bytes()
    with pytest.raises(SessionError, match="gmm panel"):
        write_session(path, Session({"gmm": PanelRecord({"value": bad, "points": np.ones(3)})}))
    assert (path.read_bytes(), arrays_path(path).read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["class.json", "class.npz"]   # no temporary left


def test_a_session_name_must_end_in_json(tmp_path):
    with pytest.raises(SessionError, match=".json"):
        write_session(tmp_path / "class.npz", Session())


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Shot(Snapshot):
    values: np.ndarray
    label: str
    seconds: float = dataclasses.field(default=0.0, compare=False)   # wall-clock: not part of what is compared


def test_fingerprints_see_every_value_but_not_timings():
    base = _Shot(step=3, values=np.arange(4.0), label="a", seconds=1.0)
    assert fingerprint(base) == fingerprint(dataclasses.replace(base, seconds=2.5))
    changed_value = base.values.copy()
    changed_value[2] = np.nextafter(2.0, 3.0)
    as_float32 = np.arange(4.0, dtype=np.float32)
    for other in (dataclasses.replace(base, values=changed_value), dataclasses.replace(base, label="b"),
                  dataclasses.replace(base, step=4), dataclasses.replace(base, values=as_float32)):
        assert fingerprint(other) != fingerprint(base)
