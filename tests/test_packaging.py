"""Assets are found from a checkout / editable install and from a built wheel, through the one helper."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import playground
from playground.resources import asset_path, asset_text, assets_root

REPO = Path(__file__).resolve().parent.parent


def test_assets_are_found_from_the_checkout():
    assert assets_root() == REPO / "assets" or (Path(playground.__file__).parent / "_assets").is_dir()
    assert "Sampling" in asset_text("explanations", "sampling.md")
    assert asset_path("icons", "sampling.svg").stat().st_size > 100


def test_a_missing_asset_says_which():
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        asset_path("nope.txt")


def test_a_built_wheel_carries_the_assets_and_finds_them(tmp_path):
    pytest.importorskip("setuptools")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path / "dist"), str(REPO)], cwd=tmp_path, capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    assert "playground/_assets/explanations/sampling.md" in names
    assert not any(name.startswith(("tests/", "bench/")) for name in names)
    # Import the unpacked wheel in a fresh interpreter, away from the checkout.
    script = ("import playground.resources as r; print(r.assets_root()); "
              "print(len(r.asset_text('explanations', 'sampling.md')))")
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"}).stdout.split()
    assert Path(out[0]) == tmp_path / "site" / "playground" / "_assets"
    assert int(out[1]) > 100


def test_command_line_lists_panels(capsys):
    from playground.__main__ import main
    assert main(["--list-panels"]) == 0
    assert "sampling" in capsys.readouterr().out


def test_command_line_screenshot(tmp_path):
    """The scripted run the README images and CI use: start on a panel, take K steps, write the window, exit 0."""
    shot = tmp_path / "shot.png"
    result = subprocess.run([sys.executable, "-m", "playground", "--panel", "sampling", "--steps", "20",
                             "--seed", "3", "--size", "1000x700", "--screenshot", str(shot)],
                            capture_output=True, text=True, timeout=120,
                            env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    assert shot.stat().st_size > 20_000
    assert "Traceback" not in result.stderr and "QThread" not in result.stderr
