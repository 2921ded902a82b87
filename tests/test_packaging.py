"""`pip install .` as a user does it: the wheel carries every data file, and the CLI works from any folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT, WEIGHTS

NOT_IN_BUILD = shutil.ignore_patterns(".git", "build", "*.egg-info", "runs", "tests", "__pycache__", ".*cache", "docs")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel `pip install .` would install, built from a copy of the checkout (no build files left here)."""
    src, out = tmp_path_factory.mktemp("src") / "artgan", tmp_path_factory.mktemp("wheel")
    shutil.copytree(ROOT, src, ignore=NOT_IN_BUILD)
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(src)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    return next(out.glob("artgan-*.whl"))


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    return target


def test_wheel_holds_every_data_file_the_code_reads(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    manifest = json.loads((WEIGHTS / "manifest.json").read_text())
    listed = {m["file"] for m in manifest["models"]}
    for model in manifest["models"]:
        for row in model.get("styles", []) + model.get("textures", []):
            listed |= {row["params"], row.get("thumbnail", row["params"])}
    assert {f"artgan/_weights/{f}" for f in listed | {"manifest.json"}} <= names
    assert {"artgan/stylize/paintings.json", "artgan/texture/textures.json"} <= names
    photos = {f"artgan/_examples/{p.relative_to(EXAMPLES)}" for p in EXAMPLES.rglob("*") if p.is_file()}
    assert photos <= names
    assert not any(n.endswith(".pt") for n in names)  # training checkpoints stay in the checkout


def test_installed_cli_works_from_any_folder(installed, tmp_path, example_path):
    env = {**os.environ, "PYTHONPATH": str(installed)}
    env.pop("ARTGAN_WEIGHTS", None)

    def artgan(*args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "artgan", *args]
        return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)

    where = subprocess.run(
        [sys.executable, "-c", "import artgan; print(artgan.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert where.stdout.startswith(str(installed))
    assert "starry_night" in artgan("styles").stdout
    assert "bricks_mossy" in artgan("textures").stdout
    r = artgan("stylize", str(example_path), "-s", "udnie", "--max-size", "64", "-o", "out.png")
    assert r.returncode == 0 and (tmp_path / "out.png").is_file(), r.stderr
    env["ARTGAN_WEIGHTS"] = str(tmp_path / "nowhere")
    r = artgan("styles")
    assert r.returncode == 1 and "ARTGAN_WEIGHTS" in r.stderr and "Traceback" not in r.stderr


def test_a_closed_pipe_ends_quietly():
    """`artgan styles | head -1`: the reader is gone before the list is written."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "artgan", "styles"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert err == b"" and proc.returncode == 141
