"""The model packages stay Qt-free, use their own random generators, and never unpickle or evaluate input."""
from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import playground.models

MODELS_DIR = Path(playground.models.__file__).parent
MODULES = sorted(f"playground.models.{m.name}" for m in pkgutil.walk_packages([str(MODELS_DIR)])
                 if not m.name.startswith("_"))
GUI_PACKAGES = ("PySide6", "pyqtgraph", "superqt", "qtpy", "shiboken6")
GLOBAL_RNG = {"seed", "rand", "randn", "randint", "random", "choice", "normal", "uniform", "shuffle", "permutation",
              "beta", "exponential", "binomial", "poisson", "multivariate_normal", "standard_normal"}


def test_every_model_module_imports_without_any_gui_package():
    code = ("import importlib, sys\n"
            f"for name in {MODULES!r}:\n"
            "    importlib.import_module(name)\n"
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {GUI_PACKAGES!r}))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", f"a model module pulled in a GUI package: {out}"


@pytest.mark.parametrize("path", sorted(MODELS_DIR.rglob("*.py")), ids=lambda p: p.name)
def test_no_global_rng_no_pickle_no_eval(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in GLOBAL_RNG and isinstance(func.value, ast.Attribute) \
                    and func.value.attr == "random" and getattr(func.value.value, "id", "") in ("np", "numpy"):
                pytest.fail(f"{path.name}:{node.lineno} uses the global numpy RNG (np.random.{func.attr})")
            if isinstance(func, ast.Name) and func.id in ("eval", "exec"):
                pytest.fail(f"{path.name}:{node.lineno} calls {func.id}()")
            for keyword in node.keywords:
                if keyword.arg == "allow_pickle" and getattr(keyword.value, "value", False) is True:
                    pytest.fail(f"{path.name}:{node.lineno} loads with allow_pickle=True")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            assert not any(n.split(".")[0] in ("pickle", "dill", "cloudpickle") for n in names), \
                f"{path.name}:{node.lineno} imports pickle"
