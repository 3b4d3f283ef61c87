"""Saved sessions: the file format (versioned), reading it with full validation, and writing it safely.

A session is one JSON file a lecturer can read, plus, when some panel holds arrays (drawn points, a loaded CSV, an
image folder), an ``.npz`` of the same name beside it. Format 1:

    {
      "format": "generative-playground-session",
      "version": 1,
      "current_panel": "gmm",
      "window": {"theme": "light", "presentation": false},
      "panels": {
        "gmm": {"settings": {"seed": 3, "n_components": 4, "points": {"$array": "gmm.points"}, ...},
                "step": 120, "playing": false, "fingerprint": "9f2c…"}
      },
      "arrays": {"file": "class.npz",
                 "entries": {"gmm.points": {"dtype": "<f8", "shape": [500, 2], "sha256": "…"}}}
    }

``settings`` is what the panel's ``session_state()`` returned: JSON values, with every numpy array replaced by a
reference ``{"$array": name}`` into the ``.npz``. ``step`` is how far the panel had trained: opening replays that many
steps from the seed. ``fingerprint`` is a digest of the snapshot shown at that step, so the replay can tell whether it
arrived at the same picture (it does unless settings were changed half-way through the run).

Reading validates everything — JSON syntax, version, every field's type, the ``.npz`` (present, a real zip, numeric
arrays only, never pickled objects, each array's checksum) — before returning anything, and raises
:class:`SessionError` with a sentence naming what is wrong. Writing goes to temporary files that replace the old ones
only when complete, the ``.npz`` first, so a JSON file never points at a half-written ``.npz``.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

__all__ = ["FORMAT", "VERSION", "SessionError", "PanelRecord", "Session", "read_session", "write_session",
           "arrays_path", "fingerprint"]

FORMAT = "generative-playground-session"
VERSION = 1
ARRAY_KEY = "$array"
#: Array element kinds a session may hold: booleans, signed and unsigned integers, floats. Never objects.
ARRAY_KINDS = "biuf"


class SessionError(ValueError):
    """A session file that cannot be opened or saved; the message says why in plain words."""


@dataclass(frozen=True)
class PanelRecord:
    """One panel in a session."""

    settings: dict[str, Any]        # session_state(): JSON values and numpy arrays
    step: int = 0                   # the step to replay to
    playing: bool = False
    fingerprint: str = ""           # fingerprint() of the snapshot at ``step``; "" when unknown


@dataclass(frozen=True)
class Session:
    panels: dict[str, PanelRecord] = field(default_factory=dict)
    current_panel: str | None = None
    theme: str | None = None
    presentation: bool | None = None


def arrays_path(path: str | os.PathLike) -> Path:
    """The ``.npz`` that goes with the session file ``path``."""
    return Path(path).with_suffix(".npz")


# ---------------------------------------------------------------------------------------------------------------
# Writing.

def write_session(path: str | os.PathLike, session: Session) -> list[Path]:
    """Write ``session`` to ``path`` (a ``.json`` file) and, if it holds arrays, the ``.npz`` beside it.

    Returns the files written. Raises :class:`SessionError` if a panel's settings hold something a session cannot
    keep (a bug in that panel) or a file cannot be written; the old files are then left as they were.
    """
    path = Path(path)
    if path.suffix.lower() != ".json":
        raise SessionError(f"a session file name must end in .json, not {path.name!r}")
    arrays: dict[str, np.ndarray] = {}
    panels = {}
    for name, record in session.panels.items():
        try:
            settings = _to_json(record.settings, f"{name}", arrays)
        except TypeError as exc:
            raise SessionError(f"the {name} panel's settings cannot be saved: {exc}") from None
        panels[name] = {"settings": settings, "step": int(record.step), "playing": bool(record.playing),
                        "fingerprint": record.fingerprint}
    document: dict[str, Any] = {"format": FORMAT, "version": VERSION}
    if session.current_panel is not None:
        document["current_panel"] = session.current_panel
    window = {key: value for key, value in (("theme", session.theme), ("presentation", session.presentation))
              if value is not None}
    if window:
        document["window"] = window
    document["panels"] = panels
    written = []
    if arrays:
        npz = arrays_path(path)
        document["arrays"] = {"file": npz.name, "entries": {
            key: {"dtype": a.dtype.str, "shape": list(a.shape), "sha256": _array_digest(a)}
            for key, a in arrays.items()}}
        _replace_atomically(npz, lambda f: np.savez_compressed(f, **arrays))
        written.append(npz)
    text = json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False)
    _replace_atomically(path, lambda f: f.write(text.encode("utf-8")))
    written.insert(0, path)
    return written


def _to_json(value: Any, where: str, arrays: dict[str, np.ndarray]) -> Any:
    """``value`` with every array moved into ``arrays`` (named after where it was) and replaced by a reference."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in ARRAY_KINDS:
            raise TypeError(f"{where} is an array of {value.dtype}; only numbers can be saved")
        arrays[where] = np.ascontiguousarray(value)
        return {ARRAY_KEY: where}
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where} has a key {key!r} that is not text")
            out[key] = _to_json(item, f"{where}.{key}", arrays)
        return out
    if isinstance(value, (list, tuple)):
        return [_to_json(item, f"{where}.{i}", arrays) for i, item in enumerate(value)]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise TypeError(f"{where} is {value}, which a session file cannot hold")
        return float(value)
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"{where} is a {type(value).__name__}, which a session file cannot hold")


def _replace_atomically(path: Path, write: Any) -> None:
    """Write through a temporary file in the same folder, then rename it over ``path`` (all or nothing)."""
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise SessionError(f"cannot write in {path.parent}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "wb") as f:
            write(f)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise SessionError(f"could not write {path.name}: {exc.strerror or exc}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------------------------------------------------------
# Reading.

def read_session(path: str | os.PathLike, *, panel_names: Iterable[str] | None = None,
                 themes: Iterable[str] | None = None) -> Session:
    """Read and fully validate a session; raise :class:`SessionError` naming the first problem found.

    ``panel_names`` and ``themes`` are what this version of the app has (by default, the registry's panels and the
    themes in ``playground.theme``); anything else in the file is an error.
    """
    path = Path(path)
    if panel_names is None:
        from playground import panels as registry
        panel_names = [entry.name for entry in registry.PANELS]
    if themes is None:
        from playground.theme import THEMES
        themes = THEMES
    panel_names, themes = list(panel_names), list(themes)

    document = _read_json(path)
    _expect(isinstance(document, dict), "it does not hold a session (the top level is not a table of fields)")
    _expect(document.get("format") == FORMAT, "it is not a Generative Playground session (no 'format' field "
                                              f"saying {FORMAT!r})")
    version = document.get("version")
    _expect(_is_int(version) and version >= 1, f"its 'version' must be a whole number ≥ 1, not {version!r}")
    if version > VERSION:
        raise SessionError(f"it was saved by a newer Generative Playground (session format {version}); this version "
                           f"reads format {VERSION} and older. Update the app to open it.")
    _only_fields(document, {"format", "version", "current_panel", "window", "panels", "arrays"}, "the file")

    panels_field = document.get("panels")
    _expect(isinstance(panels_field, dict), "its 'panels' field must be a table of panels")
    for name in panels_field:
        _expect(name in panel_names, f"it has a panel called {name!r}, which this version does not have "
                                     f"(it has: {', '.join(panel_names)})")
    current = document.get("current_panel")
    _expect(current is None or current in panel_names, f"'current_panel' names no panel: {current!r}")
    window = document.get("window", {})
    _expect(isinstance(window, dict), "its 'window' field must be a table")
    _only_fields(window, {"theme", "presentation"}, "'window'")
    theme = window.get("theme")
    _expect(theme is None or theme in themes, f"there is no theme called {theme!r} (there are: {', '.join(themes)})")
    presentation = window.get("presentation")
    _expect(presentation is None or isinstance(presentation, bool), "'window.presentation' must be true or false")

    arrays = _read_arrays(path, document.get("arrays"), _array_references(panels_field))
    records = {}
    for name, entry in panels_field.items():
        where = f"panel {name!r}"
        _expect(isinstance(entry, dict), f"{where} must be a table of fields")
        _only_fields(entry, {"settings", "step", "playing", "fingerprint"}, where)
        settings, step = entry.get("settings"), entry.get("step", 0)
        playing, digest = entry.get("playing", False), entry.get("fingerprint", "")
        _expect(isinstance(settings, dict), f"{where} has no 'settings' table")
        _expect(_is_int(step) and step >= 0, f"{where}: 'step' must be a whole number ≥ 0, not {step!r}")
        _expect(isinstance(playing, bool), f"{where}: 'playing' must be true or false, not {playing!r}")
        _expect(isinstance(digest, str), f"{where}: 'fingerprint' must be text")
        records[name] = PanelRecord(_resolve(settings, arrays), step, playing, digest)
    return Session(records, current, theme, presentation)


def _read_json(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SessionError(f"{path.name} could not be read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SessionError(f"{path.name} is not a session file: it is not text (UTF-8)") from None
    if not text.strip():
        raise SessionError(f"{path.name} is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        truncated = exc.pos >= len(text.rstrip()) - 1
        reason = "it ends in the middle (the file is truncated)" if truncated else \
            f"it is not valid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})"
        raise SessionError(f"{path.name} is damaged: {reason}") from None
    except RecursionError:
        raise SessionError(f"{path.name} is damaged: it is nested too deeply") from None


def _array_references(value: Any) -> set[str]:
    if isinstance(value, dict):
        if set(value) == {ARRAY_KEY}:
            return {value[ARRAY_KEY]} if isinstance(value[ARRAY_KEY], str) else {""}
        return set().union(*(_array_references(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_array_references(v) for v in value)) if value else set()
    return set()


def _read_arrays(path: Path, field_value: Any, needed: set[str]) -> dict[str, np.ndarray]:
    """The arrays the settings refer to, checked against the manifest: dtype, shape and checksum."""
    if not needed:
        return {}
    _expect(isinstance(field_value, dict), "its settings refer to saved arrays but it has no 'arrays' table")
    _only_fields(field_value, {"file", "entries"}, "'arrays'")
    name, entries = field_value.get("file"), field_value.get("entries")
    _expect(isinstance(name, str) and name.lower().endswith(".npz") and Path(name).name == name
            and name not in (".npz", ".."), f"'arrays.file' must be the name of an .npz file beside it, not {name!r}")
    _expect(isinstance(entries, dict), "'arrays.entries' must be a table")
    for key in sorted(needed):
        _expect(key in entries, f"the settings refer to an array {key!r} that 'arrays.entries' does not list")
        entry = entries[key]
        _expect(isinstance(entry, dict) and isinstance(entry.get("dtype"), str)
                and isinstance(entry.get("shape"), list) and all(_is_int(n) and n >= 0 for n in entry["shape"])
                and isinstance(entry.get("sha256"), str), f"'arrays.entries.{key}' must give dtype, shape and sha256")
    npz = path.parent / name
    if not npz.is_file():
        raise SessionError(f"its data file {name} is missing: it must sit beside {path.name}")
    arrays = {}
    try:
        with np.load(npz, allow_pickle=False) as archive:
            for key in sorted(needed):
                if key not in archive.files:
                    raise SessionError(f"its data file {name} has no array {key!r}")
                try:
                    array = archive[key]
                except ValueError as exc:
                    if "pickle" in str(exc).lower():
                        raise SessionError(f"its data file {name} holds Python objects in {key!r}; they are never "
                                           "loaded, because loading them could run any code") from None
                    raise
                arrays[key] = array
    except SessionError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise SessionError(f"its data file {name} is damaged ({type(exc).__name__}: {exc})") from None
    for key, array in arrays.items():
        entry = entries[key]
        if array.dtype.kind not in ARRAY_KINDS:
            raise SessionError(f"array {key!r} in {name} holds {array.dtype}, not numbers")
        if array.dtype.str != entry["dtype"] or list(array.shape) != entry["shape"] \
                or _array_digest(array) != entry["sha256"]:
            raise SessionError(f"its data file {name} does not match it: array {key!r} differs from what was saved "
                               "(was the .npz replaced by one from another save?)")
    return arrays


def _resolve(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(value, dict):
        if set(value) == {ARRAY_KEY}:
            return arrays[value[ARRAY_KEY]].copy()
        return {key: _resolve(item, arrays) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, arrays) for item in value]
    return value


def _expect(condition: bool, problem: str) -> None:
    if not condition:
        raise SessionError(f"This session cannot be opened: {problem}.")


def _only_fields(table: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    _expect(not unknown, f"{where} has unexpected field(s) {', '.join(map(repr, unknown))}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _array_digest(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


# ---------------------------------------------------------------------------------------------------------------
# Fingerprints of snapshots.

def fingerprint(snapshot: Any) -> str:
    """A digest of a snapshot's values: equal for snapshots with equal arrays, numbers and text.

    Fields declared with ``compare=False`` (wall-clock timings, display hints) are left out, and so are values that
    are neither arrays, numbers, text nor containers of them.
    """
    digest = hashlib.sha256()
    for f in dataclasses.fields(snapshot):
        if f.compare:
            digest.update(f.name.encode())
            _feed(digest, getattr(snapshot, f.name))
    return digest.hexdigest()


def _feed(digest: Any, value: Any) -> None:
    if isinstance(value, np.ndarray):
        digest.update(f"A{value.dtype.str}{value.shape}".encode())
        if value.dtype.kind in ARRAY_KINDS + "c":
            digest.update(np.ascontiguousarray(value).tobytes())
        else:
            digest.update(repr(value.tolist()).encode())
    elif isinstance(value, (bool, int, float, str, np.generic)) or value is None:
        digest.update(f"S{type(value).__name__}{value!r}".encode())
    elif isinstance(value, (list, tuple)):
        digest.update(f"L{len(value)}".encode())
        for item in value:
            _feed(digest, item)
    elif isinstance(value, dict):
        digest.update(f"D{len(value)}".encode())
        for key in sorted(value, key=repr):
            _feed(digest, key)
            _feed(digest, value[key])
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        digest.update(type(value).__name__.encode())
        for f in dataclasses.fields(value):
            if f.compare:
                _feed(digest, getattr(value, f.name))
    else:
        digest.update(b"?")
