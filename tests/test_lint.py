"""Pyflakes-level errors (undefined names, unused imports, syntax errors) fail the suite."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_no_pyflakes_errors():
    if shutil.which("ruff") is None and subprocess.run([sys.executable, "-m", "ruff", "--version"],
                                                       capture_output=True).returncode != 0:
        pytest.skip("ruff is not installed (it is in the test extra)")
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "playground", "tests", "bench"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
