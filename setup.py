"""Ship the checkout's weights/ and examples/ inside the wheel, as artgan/_weights and artgan/_examples.

The folders stay at the top of the checkout (export writes weights/, the app reads both);
`pip install .` then works from any folder. Training checkpoints stay out: serving never reads them.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = {"weights": "artgan/_weights", "examples": "artgan/_examples"}
LEFT_OUT = shutil.ignore_patterns("checkpoints", "*.pt", "__pycache__")


class BuildPyWithData(build_py):
    """build_py, plus the shipped data folders (an editable install reads them in place)."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        for src, dst in SHIPPED.items():
            shutil.copytree(src, Path(self.build_lib, dst), ignore=LEFT_OUT, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildPyWithData})
