"""Each shipped model, through its pipeline, on a fixed input: a few pixels must stay what they were.

A silent change of weights or preprocessing shows here. The expected pixels live in
tests/expected_outputs.json, one line per model file with the file's sha256: after a
retrain the failure prints that model's new line to paste over the old one.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pytest

from artgan.runtime.images import resize_u8
from artgan.runtime.manifest import load_manifest
from tests.conftest import ROOT, WEIGHTS

EXPECTED = ROOT / "tests" / "expected_outputs.json"
TOLERANCE = 3  # levels of 255: ONNX Runtime's providers and thread counts differ by a level or two
POINTS = ((5, 7), (20, 60), (40, 33), (63, 90), (70, 5))  # (row, column) in a 72 × 96 output


def photo() -> np.ndarray:
    """The red-door photo at 96 × 72."""
    from artgan.runtime.images import read_image

    return resize_u8(read_image(ROOT / "examples" / "kodak_02_red_door.jpg"), 96, 72)


def run_stylize(model_id: str) -> np.ndarray:
    from artgan.stylize.pipeline import StyleLibrary, stylize

    library = StyleLibrary(WEIGHTS, user_dir=WEIGHTS / "none", model_id=model_id)
    return stylize(library, photo(), {"starry_night": 1.0}, max_side=96)


def run_texture(_: str) -> np.ndarray:
    from artgan.texture.pipeline import TextureLibrary, generate

    return generate(TextureLibrary(WEIGHTS, user_dir=WEIGHTS / "none"), "bricks_mossy", 96, 72, seed=3)


def run_inpaint(_: str) -> np.ndarray:
    from artgan.inpaint.pipeline import inpaint

    img = photo()
    mask = np.zeros(img.shape[:2], bool)
    mask[10:50, 20:80] = True  # covers most of POINTS
    return inpaint(img, mask, "gan")


RUNS: dict[str, Callable[[str], np.ndarray]] = {"stylize": run_stylize, "texture": run_texture, "inpaint": run_inpaint}
MODELS = load_manifest(WEIGHTS)["models"]


def pixels(img_u8: np.ndarray) -> list[list[int]]:
    assert img_u8.shape == (72, 96, 3), img_u8.shape
    return [img_u8[y, x].tolist() for y, x in POINTS]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m["file"])
def test_shipped_model_gives_its_expected_pixels(model):
    got = pixels(RUNS[model["task"]](model["id"]))
    line = json.dumps({model["file"]: {"sha256": model["sha256"], "pixels": got}})[1:-1]
    expected = json.loads(EXPECTED.read_text()).get(model["file"])
    assert expected and expected["sha256"] == model["sha256"], f"new weights: put this line in {EXPECTED.name}:\n{line}"
    diff = np.abs(np.array(got) - np.array(expected["pixels"])).max()
    assert diff <= TOLERANCE, f"{model['file']} paints differently (by {diff} levels); if meant, use:\n{line}"
