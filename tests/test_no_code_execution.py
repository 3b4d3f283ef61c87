"""Nothing a student opens can run code.

A crafted ``.npy`` (and ``.npz``) holds an object array whose unpickling would create a marker file. Every loader of
user files refuses it with a ValueError and the marker never appears — and, so that this proves something, a separate
process shows the same files *do* create the marker when loaded with ``allow_pickle=True``. An AST scan of the whole
``playground`` package finds no pickle, marshal or shelve, no builtin ``eval``/``exec``/``compile``, no
``yaml.load``, and no ``np.load`` without an explicit ``allow_pickle=False``.
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import playground
from playground.models.datasets.images import load_image_folder
from playground.models.datasets.loaders import load_column_csv, load_points_csv
from playground.models.datasets.text import load_text_file
from playground.models.gan import Empirical1D
from playground.session import SessionError, read_session
from tests.hostile.support import pickle_npy_bytes

PACKAGE = Path(playground.__file__).parent


@pytest.fixture
def marker(tmp_path) -> Path:
    return tmp_path / "PWNED"


def write_npz(path: Path, member: str, marker: Path) -> Path:
    """An .npz (a zip of .npy files) whose ``member`` array is the pickle payload."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{member}.npy", pickle_npy_bytes(marker))
    return path


def payload_files(folder: Path, marker: Path) -> list[Path]:
    """The payload as .npy and .npz, and renamed to what each loader expects (.csv, .txt, .png)."""
    npy = folder / "points.npy"
    npy.write_bytes(pickle_npy_bytes(marker))
    files = [npy, write_npz(folder / "points.npz", "points", marker)]
    for suffix in (".csv", ".txt", ".png"):
        files.append(folder / f"points{suffix}")
        files[-1].write_bytes(npy.read_bytes())
    return files


def test_the_crafted_files_do_run_code_when_unpickled(tmp_path, marker):
    npy, npz = payload_files(tmp_path, marker)[:2]
    for load in (f"np.load({str(npy)!r}, allow_pickle=True)",
                 f"np.load({str(npz)!r}, allow_pickle=True)['points']"):
        marker.unlink(missing_ok=True)
        subprocess.run([sys.executable, "-c", f"import numpy as np; {load}"], check=True, capture_output=True)
        assert marker.exists(), f"the payload did not run with {load}: the tests below would prove nothing"


LOADERS = {
    "load_points_csv": load_points_csv,
    "load_column_csv": load_column_csv,
    "Empirical1D.from_csv": Empirical1D.from_csv,
    "load_text_file": load_text_file,
}


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_every_file_loader_refuses_a_pickle_payload(tmp_path, marker, loader):
    for path in payload_files(tmp_path, marker):
        with pytest.raises(ValueError):
            LOADERS[loader](path)
        assert not marker.exists(), f"{loader} ran the payload in {path.name}"


def test_an_image_folder_of_payloads_is_refused(tmp_path, marker):
    folder = tmp_path / "images"
    folder.mkdir()
    payload_files(folder, marker)
    with pytest.raises(ValueError, match="no readable PNG or JPEG"):
        load_image_folder(folder)
    assert not marker.exists()


def test_a_session_whose_arrays_hold_a_pickle_is_refused(tmp_path, marker):
    write_npz(tmp_path / "class.npz", "gmm.points", marker)
    session = tmp_path / "class.json"
    session.write_text(json.dumps({
        "format": "generative-playground-session", "version": 1,
        "panels": {"gmm": {"settings": {"points": {"$array": "gmm.points"}}, "step": 0}},
        "arrays": {"file": "class.npz",
                   "entries": {"gmm.points": {"dtype": "|O", "shape": [1], "sha256": "0" * 64}}}}), encoding="utf-8")
    with pytest.raises(SessionError, match="Python objects"):
        read_session(session)
    assert not marker.exists()


# --- the source itself ------------------------------------------------------------------------------------------

FORBIDDEN_MODULES = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "shelve", "marshal", "joblib"}
FORBIDDEN_BUILTINS = {"eval", "exec", "compile", "__import__"}
UNSAFE_YAML = {"load", "load_all", "unsafe_load", "full_load", "unsafe_load_all", "full_load_all"}


def problems_in(source: str, name: str = "<source>") -> list[str]:
    """Everything in ``source`` that could run code hidden in data. ``app.exec()`` — an attribute call, Qt's event
    loop — is not Python's ``exec``: only a call of the bare builtin name counts."""
    found = []
    for node in ast.walk(ast.parse(source)):
        where = f"{name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [alias.name for alias in node.names] + ([node.module] if getattr(node, "module", None) else [])
            found += [f"{where} imports {m}" for m in modules if m.split(".")[0] in FORBIDDEN_MODULES]
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in FORBIDDEN_BUILTINS:
                found.append(f"{where} calls the builtin {func.id}()")
            owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
            attribute = func.attr if isinstance(func, ast.Attribute) else ""
            if owner == "yaml" and attribute in UNSAFE_YAML:
                found.append(f"{where} calls yaml.{attribute} (only yaml.safe_load is safe)")
            if attribute in ("read_pickle", "to_pickle"):
                found.append(f"{where} calls .{attribute}()")
            pickle = next((k.value for k in node.keywords if k.arg == "allow_pickle"), None)
            safe = isinstance(pickle, ast.Constant) and pickle.value is False
            if owner in ("np", "numpy") and attribute == "load" and not safe:
                found.append(f"{where} calls np.load without allow_pickle=False")
            elif pickle is not None and not safe:
                found.append(f"{where} passes allow_pickle={ast.unparse(pickle)}")
    return found


def test_the_scan_tells_qt_exec_from_python_exec():
    assert problems_in("app.exec()\nQApplication.exec()\ndialog.exec()\nre.compile('x')\nyaml.safe_load(s)") == []
    flagged = problems_in("exec(code)\neval('1')\nimport pickle\nfrom marshal import loads\nyaml.load(s)\n"
                          "np.load(f)\nnumpy.load(f, allow_pickle=True)\narchive.load(f, allow_pickle=flag)\n")
    assert len(flagged) == 8, flagged


def test_the_package_has_no_way_to_run_code_from_data():
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 20
    problems = [p for path in files for p in problems_in(path.read_text(encoding="utf-8"),
                                                         str(path.relative_to(PACKAGE.parent)))]
    assert not problems, "\n".join(problems)
