"""Hostile input to the VAE panel: its number fields and folders of images that cannot be trained on."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from playground.panels.vae import MAX_BETA, MAX_LR
from tests.hostile.support import (
    SIGNATURES,
    hostile_settings,
    not_a_number,
    numbers_outside,
    pickle_npy_bytes,
    refuse,
    still_steps,
    type_into,
)

FIELDS = {"beta": lambda v: 0 <= v <= MAX_BETA, "lr": lambda v: 0 < v <= MAX_LR}


def data_of(panel) -> dict:
    return {"applied": panel.applied, "folder": panel.folder, "dataset box": panel.dataset_box.currentText()}


@pytest.fixture
def panel(open_panel):
    return open_panel("vae")


@hostile_settings(40)
@given(field=st.sampled_from(sorted(FIELDS)), data=st.data())
def test_number_fields_refuse_what_is_not_a_valid_number(panel, qtbot, field, data):
    text = data.draw(st.one_of(not_a_number(), numbers_outside(FIELDS[field])), label="typed")
    form = panel.model_form if field in panel.model_form.params else panel.train_form
    # A VAE frame costs ~0.1 s: the model's stepping is checked once at the end rather than after every case.
    refuse(qtbot, panel, __name__, f"{field} = {text!r}", lambda: type_into(form.controls[field], text),
           extra=data_of, step=False)
    if data.draw(st.integers(0, 9), label="step now?") == 0:
        still_steps(qtbot, panel)


def png_bytes(seed: int, size: int = 12) -> bytes:
    pixels = (np.random.default_rng(seed).random((size, size)) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


#: Files that are not readable images, by name: what a student's folder may hold besides pictures.
JUNK = {
    "notes.txt": lambda seed, folder: b"not a picture",
    "empty.png": lambda seed, folder: b"",
    "text.png": lambda seed, folder: b"hello, I am not a PNG",
    "truncated.png": lambda seed, folder: png_bytes(seed)[:40],
    "header-only.jpg": lambda seed, folder: SIGNATURES[3],
    "pdf.jpeg": lambda seed, folder: SIGNATURES[1] + b"x" * 100,
    "noise.png": lambda seed, folder: bytes(np.random.default_rng(seed).integers(0, 256, 500, dtype=np.uint8)),
    "weights.npy": lambda seed, folder: pickle_npy_bytes(folder / "PWNED"),
    "payload.png": lambda seed, folder: pickle_npy_bytes(folder / "PWNED"),
}


@st.composite
def unusable_folders(draw) -> tuple[str, dict[str, bytes | None]]:
    """(what it is, {relative path: bytes, or None for a sub-folder}): nothing in it a VAE can train on — no
    readable image, or fewer than three."""
    kind = draw(st.sampled_from(["missing", "a file", "empty", "junk", "junk and too few images", "hidden images",
                                 "images too deep"]))
    files: dict[str, bytes | None] = {}
    seed = draw(st.integers(0, 1000))
    if kind in ("junk", "junk and too few images"):
        for name in draw(st.lists(st.sampled_from(sorted(JUNK)), min_size=1, max_size=6, unique=True)):
            sub = draw(st.sampled_from(["", "class a/", "class b/"]))
            files[sub + name] = b"?"   # filled in by write_folder (some need the folder's path)
    if kind == "junk and too few images":
        for i in range(draw(st.integers(1, 2))):
            files[f"{draw(st.sampled_from(['', 'digits/']))}image{i}.png"] = png_bytes(seed + i)
    if kind == "hidden images":
        files.update({f".hidden{i}.png": png_bytes(seed + i) for i in range(4)})
    if kind == "images too deep":
        files.update({f"a/b/image{i}.png": png_bytes(seed + i) for i in range(4)})
    return kind, files


def write_folder(root: Path, kind: str, files: dict) -> Path:
    folder = root / "my images"
    if kind == "missing":
        return folder
    if kind == "a file":
        folder.write_bytes(png_bytes(0))
        return folder
    folder.mkdir()
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        junk = JUNK.get(path.name)
        path.write_bytes(junk(len(name), root) if junk and content == b"?" else content)
    return folder


@hostile_settings(24)
@given(case=unusable_folders())
def test_a_folder_without_enough_readable_images_changes_nothing(panel, qtbot, tmp_path_factory, case):
    kind, files = case
    root = tmp_path_factory.mktemp("images")
    folder = write_folder(root, kind, files)
    refuse(qtbot, panel, __name__, f"folder: {kind} {sorted(files)}", lambda: panel.load_folder(str(folder)),
           extra=data_of, step=False)
    assert "Nothing was loaded" in panel.message_bar.label.text()
    assert not (root / "PWNED").exists()


def test_the_model_still_trains_after_the_hostile_cases(panel, qtbot):
    still_steps(qtbot, panel, 3)
