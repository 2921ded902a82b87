"""The `artgan` command as a user runs it: real processes, real files."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from PIL import Image

from tests.conftest import ROOT


def artgan(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "artgan", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_stylize_writes_a_png_of_the_asked_size(example_path, tmp_path):
    out = tmp_path / "painted.png"
    r = artgan(
        "stylize",
        str(example_path),
        "-s",
        "starry_night:0.7,udnie:0.3",
        "--max-size",
        "320",
        "--strength",
        "0.9",
        "--keep-colors",
        "-o",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    with Image.open(out) as im:
        assert im.format == "PNG" and max(im.size) == 320
        assert np.asarray(im).std() > 10


def test_several_inputs_go_to_a_folder(example_path, tmp_path):
    r = artgan(
        "stylize",
        str(example_path),
        str(ROOT / "examples" / "denver_skyline_park.jpg"),
        "-s",
        "the_scream",
        "--max-size",
        "128",
        "-o",
        str(tmp_path) + "/",
    )
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["denver_skyline_park.png", "kodak_02_red_door.png"]


def test_errors_are_one_line_and_nonzero(example_path, tmp_path):
    bad_style = artgan("stylize", str(example_path), "-s", "nope", "-o", str(tmp_path / "x.png"))
    not_image = tmp_path / "a.png"
    not_image.write_text("hello")
    bad_image = artgan("stylize", str(not_image), "-s", "udnie", "-o", str(tmp_path / "y.png"))
    missing = artgan("stylize", str(tmp_path / "none.jpg"), "-s", "udnie", "-o", str(tmp_path / "z.png"))
    for r, words in ((bad_style, "unknown style"), (bad_image, "not an image"), (missing, "cannot open")):
        assert r.returncode == 1
        assert words in r.stderr and "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.png").exists()


def test_help_explains_every_option():
    for cmd in (["--help"], ["stylize", "--help"], ["train", "stylize", "--help"], ["export", "stylize", "--help"]):
        r = artgan(*cmd)
        assert r.returncode == 0 and "usage: artgan" in r.stdout
    assert "--keep-colors" in artgan("stylize", "--help").stdout
    assert "--content-weight" in artgan("train", "stylize", "--help").stdout


def test_styles_lists_the_shipped_styles():
    r = artgan("styles")
    assert r.returncode == 0 and "starry_night" in r.stdout and "Vincent van Gogh" in r.stdout


def test_serving_code_never_imports_torch(example_path, tmp_path):
    code = (
        "import sys, app\n"
        "from artgan.cli import main\n"
        f"assert main(['stylize', {str(example_path)!r}, '-s', 'udnie', '--max-size', '64', "
        f"'-o', {str(tmp_path / 'o.png')!r}]) == 0\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr


def test_training_input_errors_are_one_line(tmp_path):
    r = artgan(
        "train",
        "stylize",
        "--styles",
        str(tmp_path / "missing"),
        "--content",
        str(ROOT / "examples"),
        "--out",
        str(tmp_path / "run"),
        "--steps",
        "1",
    )
    assert r.returncode == 1 and "no such image folder" in r.stderr and "Traceback" not in r.stderr


def test_every_capability_adds_its_commands():
    from artgan.cli import build_parser

    commands = set(build_parser(with_train=False)._subparsers._group_actions[0].choices)
    assert commands >= {
        *("stylize", "styles", "learn-style", "inpaint", "texture", "textures", "learn-texture", "fit-texture"),
        "video",
    }


def test_learn_texture_keeps_its_old_name(tmp_path):
    r = artgan("fit-texture", str(ROOT / "examples" / "kodak_02_red_door.jpg"), "--name", "bad name")
    assert r.returncode == 1 and "name the texture" in r.stderr and "Traceback" not in r.stderr
