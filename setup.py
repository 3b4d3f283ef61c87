"""Only here to put the top-level assets/ folder into the wheel as playground/_assets (see playground/resources.py).

Everything else about the package is declared in pyproject.toml.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithAssets(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads assets/ in place
        source = Path(__file__).resolve().parent / "assets"
        target = Path(self.build_lib) / "playground" / "_assets"
        shutil.copytree(source, target, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildPyWithAssets})
