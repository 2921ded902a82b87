"""Shared fixtures: repository paths, example photos, a launched app."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.app_process import free_port, wait_until_served

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
WEIGHTS = ROOT / "weights"


@pytest.fixture(scope="session")
def example_path() -> Path:
    return EXAMPLES / "kodak_02_red_door.jpg"


@pytest.fixture(scope="session")
def example_u8(example_path) -> np.ndarray:
    from artgan.runtime.images import read_image

    return read_image(example_path)


@pytest.fixture(scope="session")
def library():
    from artgan.stylize.pipeline import StyleLibrary

    return StyleLibrary(WEIGHTS)


@pytest.fixture(scope="session")
def app_tmpdir(tmp_path_factory) -> Path:
    """The launched app's temporary folder (its TMPDIR; Gradio's cache is gradio/ inside), to check cleanup."""
    return tmp_path_factory.mktemp("app_tmp")


@pytest.fixture(scope="session")
def app_url(tmp_path_factory, app_tmpdir):
    """`python app.py` in a subprocess on a free port; yields its URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("app") / "app.log"
    env = {
        **os.environ,
        "TMPDIR": str(app_tmpdir),
        "GRADIO_TEMP_DIR": str(app_tmpdir / "gradio"),
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "ARTGAN_THREADS": "1",
        "ARTGAN_USER_STYLES": str(tmp_path_factory.mktemp("user_styles")),  # never the user's own folder
        "ARTGAN_USER_TEXTURES": str(tmp_path_factory.mktemp("user_textures")),
    }
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    if not wait_until_served(proc, url):
        proc.kill()
        pytest.fail(f"app did not start in 120 s:\n{log.read_text()}")
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
