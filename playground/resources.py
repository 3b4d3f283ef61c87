"""Find files under assets/ — in a source checkout, an editable install, and an installed wheel alike.

A wheel carries assets/ inside the package as ``playground/_assets`` (copied by setup.py at build time); a checkout or
editable install reads the top-level ``assets/`` folder beside the package. Everything that opens an asset goes
through :func:`asset_path`, so there is one place that knows the two layouts.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def assets_root() -> Path:
    for candidate in (_PACKAGE_DIR / "_assets", _PACKAGE_DIR.parent / "assets"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"the playground's assets folder is missing (looked in {_PACKAGE_DIR / '_assets'} and "
        f"{_PACKAGE_DIR.parent / 'assets'}); reinstall the package")


def asset_path(*parts: str) -> Path:
    """Path of an asset, e.g. ``asset_path("corpora", "nursery.txt")``. Raises FileNotFoundError if absent."""
    path = assets_root().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"asset {'/'.join(parts)} not found under {assets_root()}")
    return path


def asset_text(*parts: str) -> str:
    return asset_path(*parts).read_text(encoding="utf-8")
