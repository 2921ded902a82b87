"""Where the shipped data folders are, in a checkout and after `pip install .` alike.

A checkout (editable install, `python app.py`) reads its own weights/ and examples/; an
installed wheel reads the copies setup.py put inside the package (artgan/_weights, _examples).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent


def shipped_dir(name: str) -> Path:
    """The checkout's `name`/ when running from a checkout, else the package's `_name`/."""
    in_checkout = (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / name).is_dir()
    return CHECKOUT / name if in_checkout else PACKAGE / f"_{name}"


def weights_dir() -> Path:
    """ARTGAN_WEIGHTS when set, else the shipped weights."""
    override = os.environ.get("ARTGAN_WEIGHTS")
    return Path(override) if override else shipped_dir("weights")


def examples_dir() -> Path:
    """The example photos (stylize, learning a style) and damaged pictures (inpaint/)."""
    return shipped_dir("examples")
