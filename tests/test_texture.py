"""Texture: seeds, windowed = one-shot, seamless tiling, morphing, limits, ONNX parity, fitting, app."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from artgan.evaluation.texture import seam_ratio
from artgan.texture.pipeline import (
    TextureError,
    TextureLibrary,
    feeds,
    generate,
    noise_field,
    parse_size,
    resize_periodic,
)

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "weights"


@pytest.fixture(scope="module")
def lib(tmp_path_factory) -> TextureLibrary:
    return TextureLibrary(WEIGHTS, user_dir=tmp_path_factory.mktemp("user_textures"))


def test_shipped_textures_have_thumbnails(lib):
    assert len(lib.textures) >= 9 and "starry_night_brushwork" in lib.textures
    assert all(t.thumbnail and t.thumbnail.exists() for t in lib.textures.values())
    assert (WEIGHTS / lib.entry["file"]).stat().st_size < 10e6


def test_same_seed_same_image_other_seed_differs(lib):
    a = generate(lib, "grass", 200, 136, seed=7)
    assert a.shape == (136, 200, 3) and a.dtype == np.uint8
    assert np.array_equal(a, generate(lib, "grass", 200, 136, seed=7))
    b = generate(lib, "grass", 200, 136, seed=8)
    assert np.abs(a.astype(int) - b).mean() > 5


@pytest.mark.parametrize("tile", [False, True])
def test_windows_stitch_to_the_one_shot_image(lib, tile):
    one_shot = generate(lib, "bricks_mossy", 320, 208, seed=3, tile=tile)
    windowed = generate(lib, "bricks_mossy", 320, 208, seed=3, tile=tile, window=3)  # 3×3-cell windows
    assert np.array_equal(one_shot, windowed)


@pytest.mark.parametrize(("name", "size"), [("wood_planks", (256, 192)), ("grass", (250, 170))])
def test_tileable_output_has_no_seam(lib, name, size):
    tiled = generate(lib, name, *size, seed=1, tile=True)
    assert tiled.shape == (size[1], size[0], 3)
    assert seam_ratio(tiled) <= 1.2
    assert seam_ratio(generate(lib, name, *size, seed=1)) > 1.2  # the metric does see a real seam


def test_tileable_field_is_periodic(lib):
    params = lib.get("tiles_green_ceramic").params
    f = noise_field(lib, params, 5, 6, 9, tile=True)
    p = lib.pad
    assert np.allclose(f[:, :, :p], f[:, :, 9 : 9 + p], atol=1e-5)  # wrapped columns repeat
    assert np.allclose(f[:, :p], f[:, 6 : 6 + p], atol=1e-5)


def test_resize_periodic_keeps_periodicity_and_look(lib):
    img = generate(lib, "bricks_mossy", 256, 256, seed=4, tile=True)
    out = resize_periodic(img, 250, 243)
    # the wrap stays a pair of ordinary neighbours: the ratio of the exactly periodic input is kept
    # (a spatial bicubic resize adds 0.13 on this seed, bilinear 0.37; 1 row/column pair is noisy
    # on bricks, a mortar line on the wrap gives ~1.5 either way, so no absolute bound here)
    assert out.shape == (243, 250, 3) and abs(seam_ratio(out) - seam_ratio(img)) < 0.03
    assert abs(out.astype(float).mean() - img.mean()) < 1 and abs(out.astype(float).std() - img.std()) < 3


def test_morph_interpolates_between_textures(lib):
    a = generate(lib, "grass", 128, 128, seed=2)
    b = generate(lib, "water_caustics", 128, 128, seed=2)
    assert np.array_equal(generate(lib, "grass", 128, 128, seed=2, morph_to="water_caustics", morph=0.0), a)
    assert np.array_equal(generate(lib, "grass", 128, 128, seed=2, morph_to="water_caustics", morph=1.0), b)
    mid = generate(lib, "grass", 128, 128, seed=2, morph_to="water_caustics", morph=0.5)
    assert not np.array_equal(mid, a) and not np.array_equal(mid, b)
    blue = lambda img: img[..., 2].mean() - img[..., 0].mean()  # noqa: E731
    assert blue(a) < blue(mid) < blue(b)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"width": 32, "height": 64}, "width must be"),
        ({"width": 64, "height": 5000}, "height must be"),
        ({"seed": -1}, "seed must be"),
        ({"texture": "plush"}, "unknown texture 'plush'; choose from: autumn_leaves"),
        ({"morph_to": "grass", "morph": 1.5}, "morph must be between 0 and 1"),
    ],
)
def test_bad_parameters_get_clear_errors(lib, kwargs, message):
    args = {"texture": "wood_planks", "width": 64, "height": 64, "seed": 0} | kwargs
    with pytest.raises(TextureError, match=message):
        generate(lib, **args)


def test_parse_size():
    assert parse_size("2048x1024") == (2048, 1024) and parse_size("512") == (512, 512)
    for bad in ("abc", "10x10", "1x2x3", "4097x64"):
        with pytest.raises(TextureError):
            parse_size(bad)


def test_user_texture_file_errors(lib, tmp_path):
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros(3, np.float32))
    with pytest.raises(TextureError, match="not a texture of this network"):
        lib.get(str(bad))
    junk = tmp_path / "junk.npy"
    junk.write_bytes(b"not numpy")
    with pytest.raises(TextureError, match="not a texture file"):
        lib.add_file(junk)


def test_cli_writes_png_and_errors_are_one_line(tmp_path):
    out = tmp_path / "t.png"
    ok = [
        sys.executable,
        "-m",
        "artgan",
        "texture",
        "grass",
        "--size",
        "96x80",
        "--seed",
        "4",
        "--tile",
        "-o",
        str(out),
    ]
    r = subprocess.run(ok, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    from artgan.runtime.images import read_image

    assert read_image(out).shape == (80, 96, 3)
    bad = [sys.executable, "-m", "artgan", "texture", "grass", "--size", "10x10", "-o", str(out)]
    r = subprocess.run(bad, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and r.stderr.strip().count("\n") == 0 and "width must be" in r.stderr


def test_generation_imports_no_torch():
    code = (
        "import sys\n"
        "import artgan.texture.ui\n"
        "from artgan.texture.pipeline import TextureLibrary, generate\n"
        "generate(TextureLibrary(), 'grass', 64, 64, 1, True)\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr


# --- torch side: a tiny model trained two steps, exported, and run by the pipeline ---------------


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory):
    pytest.importorskip("torch")
    from artgan.cli import main

    tmp = tmp_path_factory.mktemp("tiny")
    data = tmp / "data"
    (data / "textures").mkdir(parents=True)
    for name in ("grass", "bricks_mossy"):  # the shipped 128 px thumbnails (CC0) as training images
        shutil.copy(WEIGHTS / "textures" / f"{name}.jpg", data / "textures" / f"{name}.jpg")
    train = ["train", "texture", "--data", str(data), "--textures", "grass,bricks_mossy", "--out", str(tmp / "run")]
    small = ["--steps", "2", "--crop", "32", "--batch-size", "2", "--widths", "8,8,4,4,4", "--gram-weight", "0"]
    assert main(train + small) == 0
    weights = tmp / "weights"
    assert (
        main(
            [
                "export",
                "texture",
                "--checkpoint",
                str(tmp / "run" / "last.pt"),
                "--weights",
                str(weights),
                "--data",
                str(data),
            ]
        )
        == 0
    )
    return tmp


def test_exported_tiny_model_matches_torch(tiny_weights, tmp_path):
    import torch

    from artgan.texture.model import FastTextureBody
    from artgan.texture.train import load_model

    lib = TextureLibrary(tiny_weights / "weights", user_dir=tmp_path)
    assert lib.names() == ["grass", "bricks_mossy"] and lib.entry["export"]["parity_max_abs_error"] < 1e-3
    _, gen = load_model(tiny_weights / "run" / "last.pt")
    field = noise_field(lib, lib.get("grass").params, 3, 4, 5, tile=False)
    with torch.no_grad():
        inputs = torch.from_numpy(field)[None], torch.from_numpy(lib.get("grass").params[None, : lib.global_dim])
        plain = gen.body(*inputs)[0]
        fast = FastTextureBody(gen.body)(*inputs)[0]
    onnx_out = lib.session().run(None, feeds(lib, field, lib.get("grass").params))[0][0]
    assert onnx_out.shape == (3, 16 * 12 - 2 * 56, 16 * 13 - 2 * 56)  # 4×5 cells + 4 context cells a side
    assert np.abs(plain.numpy() - fast.numpy()).max() < 1e-5
    assert np.abs(onnx_out - plain.numpy()).max() < 1e-3
    img = generate(lib, "bricks_mossy", 100, 70, seed=1, tile=True)
    assert img.shape == (70, 100, 3)


def test_learn_texture_yields_previews_and_a_usable_file(lib, example_u8, tmp_path):
    pytest.importorskip("torch")
    from artgan.learning import save_learned
    from artgan.texture.learn import learn_texture

    steps = list(learn_texture(lib, example_u8[:200, :200], steps=2, crop=64, preview_every=1))
    assert [s.step for s in steps] == [1, 2] and steps[-1].preview.shape == (256, 256, 3)
    path = save_learned(tmp_path, "door", steps[-1].params, example_u8)
    tex = lib.add_file(path)
    assert tex.label == "door (learned)" and tex.thumbnail.exists()
    assert generate(lib, "door", 64, 64).shape == (64, 64, 3)


def test_app_texture_endpoint(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    image, tiled, png = client.predict("grass", 160, 96, 7, True, "", 0.0, api_name="/texture")
    from artgan.runtime.images import read_image

    full = read_image(png)
    assert full.shape == (96, 160, 3) and seam_ratio(full) <= 1.2
    assert read_image(tiled).shape == (192, 320, 3)
    assert np.array_equal(full, generate(TextureLibrary(WEIGHTS), "grass", 160, 96, 7, True))


def test_learn_texture_endpoint_adds_a_texture(app_url):
    from gradio_client import Client, handle_file

    client = Client(app_url, verbose=False)
    example = ROOT / "examples" / "kodak_02_red_door.jpg"
    preview, _, _, _, path = client.predict(handle_file(str(example)), "test_door", 20, api_name="/learn_texture")
    assert path.endswith("test_door.npy")
    image, _, png = client.predict("test_door", 64, 64, 1, False, "", 0.0, api_name="/texture")
    from artgan.runtime.images import read_image

    assert read_image(png).shape == (64, 64, 3)
