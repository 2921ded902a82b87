"""What strangers send to a public URL, through every tab (the running app) and every CLI command.

Each bad file must give one clear sentence (`gr.Error` in the app, one line and exit 1 in
the CLI), never a traceback or a hung worker, and the next ordinary request must still work.
Odd but valid files (alpha, 16-bit, greyscale, CMYK, EXIF-rotated, 1×1, 4K 60 fps) must work.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from artgan.runtime.images import read_image
from tests.conftest import EXAMPLES, ROOT, WEIGHTS
from tests.hostile_files import IMAGES, VIDEOS, oversized_upload
from tests.video_clips import read_back

GOOD = EXAMPLES / "kodak_02_red_door.jpg"
STYLIZE_ARGS = ("the_scream", [], 0.0, 1.0, False, 1.0, 256)
VIDEO_ARGS = ("starry_night", [], 0.0, 1.0, 0.8, 1.0, False)
UPRIGHT = {"exif rotated": (96, 72), "1x1": (1, 1)}  # displayed (height, width); the others are 72×96


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    files = {f"image: {name}": build(folder) for name, (build, _) in IMAGES.items()}
    videos = folder / "videos"
    videos.mkdir()
    files |= {f"video: {name}": build(videos) for name, (build, _) in VIDEOS.items()}
    return files


@pytest.fixture(scope="module")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


def picture_shape(case: str) -> tuple[int, int]:
    return UPRIGHT.get(case, (72, 96))


def still_serves(client) -> None:
    """After any bad request, an ordinary one is answered (no hung or dead worker)."""
    from gradio_client import handle_file

    out = client.predict(handle_file(str(GOOD)), *STYLIZE_ARGS, api_name="/stylize")
    assert read_image(out).shape == (171, 256, 3)


def check_picture(case: str, out: np.ndarray) -> None:
    assert out.shape[:2] == picture_shape(case), case  # EXIF-rotated photos come out upright
    if case != "1x1":
        assert out.std() > 5 and out.mean() < 245, case  # a picture, not a blank (16-bit must not turn white)


@pytest.mark.parametrize("case", IMAGES)
def test_stylize_tab(client, hostile, case):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    path, message = hostile[f"image: {case}"], IMAGES[case][1]
    if message:
        with pytest.raises(AppError, match=message):
            client.predict(handle_file(str(path)), *STYLIZE_ARGS, api_name="/stylize")
    else:
        check_picture(case, read_image(client.predict(handle_file(str(path)), *STYLIZE_ARGS, api_name="/stylize")))
    still_serves(client)


def stroke_layer(shape: tuple[int, int], path: Path) -> Path:
    """An editor brush layer: a magenta blob in the middle of a picture of `shape`."""
    h, w = shape
    layer = np.zeros((h, w, 4), np.uint8)
    layer[h // 3 : max(h // 3 + 1, h // 2), w // 3 : max(w // 3 + 1, w // 2)] = (255, 0, 255, 255)
    Image.fromarray(layer).save(path)
    return path


@pytest.mark.parametrize("case", IMAGES)
def test_inpaint_tab_picture(client, hostile, case, tmp_path):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    path, message = hostile[f"image: {case}"], IMAGES[case][1]
    layer = handle_file(str(stroke_layer(picture_shape(case), tmp_path / "layer.png")))
    editor = {"background": handle_file(str(path)), "layers": [layer], "composite": None}
    if case == "1x1":
        message = "whole picture"  # one pixel painted over: nothing left to restore from
    if message:
        with pytest.raises(AppError, match=message):
            client.predict(editor, None, "telea", 0, api_name="/inpaint")
    else:
        _, result = client.predict(editor, None, "telea", 0, api_name="/inpaint")
        check_picture(case, read_image(result))
    still_serves(client)


@pytest.mark.parametrize(
    "mask, message",
    [("empty", "empty"), ("everything", "whole picture"), ("text as png", "not an image"), ("bomb header", "mega")],
)
def test_inpaint_tab_masks(client, hostile, mask, message, tmp_path):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    picture = hostile["image: greyscale"]
    if mask in ("empty", "everything"):
        path = tmp_path / "mask.png"
        Image.new("L", (96, 72), 0 if mask == "empty" else 255).save(path)
    else:
        path = hostile[f"image: {mask}"]
    editor = {"background": handle_file(str(picture)), "layers": [], "composite": None}
    with pytest.raises(AppError, match=message):
        client.predict(editor, handle_file(str(path)), "gan", 0, api_name="/inpaint")
    still_serves(client)


def test_inpaint_tab_16bit_mask_picture(client, hostile, tmp_path):
    """A 16-bit mask (as image editors export them) marks its white box, not the whole picture."""
    from gradio_client import handle_file

    mask = np.zeros((72, 96), np.uint16)
    mask[20:40, 30:60] = 65535
    Image.fromarray(mask).save(tmp_path / "mask16.png")
    picture = hostile["image: greyscale"]
    editor = {"background": handle_file(str(picture)), "layers": [], "composite": None}
    _, result = client.predict(editor, handle_file(str(tmp_path / "mask16.png")), "telea", 0, api_name="/inpaint")
    changed = np.abs(read_image(result).astype(int) - read_image(picture)).max(-1) > 0
    ys, xs = np.nonzero(changed)
    assert changed.any() and ys.min() >= 20 and ys.max() < 40 and xs.min() >= 30 and xs.max() < 60


@pytest.mark.parametrize(
    "args, message",
    [
        (("grass", 160.5, 96, 7, False, "", 0.0), "whole number"),
        (("grass", 100_000, 96, 7, False, "", 0.0), "maximum"),
        (("../../etc/passwd", 160, 96, 7, False, "", 0.0), "not in the list"),
        (("grass", 160, 96, -5, False, "", 0.0), "minimum"),
    ],
)
def test_texture_tab(client, args, message):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name="/texture")
    still_serves(client)


@pytest.mark.parametrize("case", VIDEOS)
def test_video_tab(client, hostile, case):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    path, message = hostile[f"video: {case}"], VIDEOS[case][1]
    if message:
        with pytest.raises(AppError, match=message):
            client.predict(handle_file(str(path)), *VIDEO_ARGS, api_name="/video")
    else:
        _, video, _, notes = client.predict(handle_file(str(path)), *VIDEO_ARGS, api_name="/video")
        back = read_back(video["video"] if isinstance(video, dict) else video)
        assert back["frames"][0].shape == (404, 720, 3) and "downscaled from 3840×2160" in notes
    still_serves(client)


def test_upload_over_the_size_limit_is_refused_by_the_server(app_url, client, tmp_path):
    with open(oversized_upload(tmp_path), "rb") as f:
        r = httpx.post(f"{app_url}gradio_api/upload", files={"files": ("huge.png", f, "image/png")}, timeout=60)
    assert r.status_code == 413 and "maximum" in r.text
    still_serves(client)


# --- the command line: one line on stderr, exit code 1, no traceback; odd-but-valid files work


def artgan(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "artgan", *args], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env
    )


def one_line_error(r: subprocess.CompletedProcess, message: str) -> None:
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert any(word in r.stderr for word in message.split("|")), r.stderr


@pytest.mark.parametrize("case", IMAGES)
def test_cli_stylize(hostile, case, tmp_path):
    out = tmp_path / "out.png"
    r = artgan("stylize", str(hostile[f"image: {case}"]), "-s", "udnie", "--max-size", "256", "-o", str(out))
    if IMAGES[case][1]:
        one_line_error(r, IMAGES[case][1])
        assert not out.exists()
    else:
        assert r.returncode == 0, r.stderr
        check_picture(case, read_image(out))


@pytest.mark.parametrize("case", ["text as png", "zero bytes", "truncated jpeg", "bomb header", "exif rotated"])
def test_cli_inpaint(hostile, case, tmp_path):
    mask = stroke_layer(picture_shape(case), tmp_path / "mask.png")
    out = tmp_path / "out.png"
    r = artgan("inpaint", str(hostile[f"image: {case}"]), "--mask", str(mask), "--method", "telea", "-o", str(out))
    if IMAGES[case][1]:
        one_line_error(r, IMAGES[case][1])
    else:
        assert r.returncode == 0, r.stderr
        check_picture(case, read_image(out))


def test_cli_inpaint_bad_masks(hostile, tmp_path):
    picture = str(hostile["image: greyscale"])
    for value, message in ((0, "empty"), (255, "whole picture")):
        Image.new("L", (96, 72), value).save(tmp_path / "m.png")
        one_line_error(
            artgan("inpaint", picture, "--mask", str(tmp_path / "m.png"), "-o", str(tmp_path / "o.png")), message
        )
    r = artgan("inpaint", picture, "--mask", str(hostile["image: text as png"]), "-o", str(tmp_path / "o.png"))
    one_line_error(r, "could not read the mask")


@pytest.mark.parametrize("case", VIDEOS)
def test_cli_video(hostile, case, tmp_path):
    out = tmp_path / "out.mp4"
    r = artgan("video", str(hostile[f"video: {case}"]), "-s", "udnie", "-o", str(out))
    if VIDEOS[case][1]:
        one_line_error(r, VIDEOS[case][1])
        assert not out.exists()
    else:
        assert r.returncode == 0, r.stderr
        assert "downscaled from 3840×2160" in r.stdout
        assert read_back(out)["frames"][0].shape == (404, 720, 3)


def test_cli_texture_bad_inputs(hostile, tmp_path):
    one_line_error(artgan("texture", "grass", "--size", "99999x64", "-o", str(tmp_path / "t.png")), "4096")
    one_line_error(artgan("texture", "grass", "--size", "huge", "-o", str(tmp_path / "t.png")), "WIDTHxHEIGHT|size")
    fake = tmp_path / "evil.npy"
    fake.write_bytes(b"\x93NUMPY not really")
    one_line_error(artgan("texture", str(fake), "-o", str(tmp_path / "t.png")), "evil")


# --- security: only the app's own files are served; requests never name server paths; weights are verified


def test_server_files_are_not_served(app_url):
    for path in ("/etc/passwd", ROOT / "weights" / "manifest.json", ROOT / "app.py", GOOD):
        r = httpx.get(f"{app_url}gradio_api/file={path}")
        assert r.status_code == 403, path


def test_a_request_naming_a_server_path_is_refused(app_url, app_tmpdir):
    """The API is called raw (gradio_client would upload the file itself): the server must not open it."""
    config = httpx.get(f"{app_url}config").json()
    fn = next(d["id"] for d in config["dependencies"] if d.get("api_name") == "stylize")
    session = uuid.uuid4().hex[:10]
    file = {"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}, "orig_name": "x.png"}
    payload = {"data": [file, *STYLIZE_ARGS], "fn_index": fn, "session_hash": session}
    assert httpx.post(f"{app_url}gradio_api/queue/join", json=payload).status_code == 200
    with httpx.stream("GET", f"{app_url}gradio_api/queue/data", params={"session_hash": session}, timeout=60) as s:
        done = next(json.loads(line[6:]) for line in s.iter_lines() if "process_completed" in line)
    assert done["success"] is False
    assert not list(app_tmpdir.rglob("passwd"))  # not even copied into the cache


def test_uploaded_html_is_served_as_a_download_not_a_page(app_url, tmp_path):
    page = tmp_path / "evil.html"
    page.write_text("<script>alert(1)</script>")
    with open(page, "rb") as f:
        (path,) = httpx.post(f"{app_url}gradio_api/upload", files={"files": ("evil.html", f, "text/html")}).json()
    r = httpx.get(f"{app_url}gradio_api/file={path}")
    assert r.headers["content-disposition"].startswith("attachment") and "html" not in r.headers["content-type"]


def test_tampered_model_is_refused_before_loading(hostile, tmp_path):
    weights = tmp_path / "weights"
    shutil.copytree(WEIGHTS, weights, ignore=shutil.ignore_patterns("checkpoints"))
    model = weights / "stylize.onnx"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0x01  # one flipped bit
    model.write_bytes(bytes(data))
    env = {**os.environ, "ARTGAN_WEIGHTS": str(weights)}
    r = artgan("stylize", str(GOOD), "-s", "udnie", "--max-size", "64", "-o", str(tmp_path / "o.png"), env=env)
    one_line_error(r, "corrupted")
    assert "sha256" in r.stderr and not (tmp_path / "o.png").exists()


def test_no_temporary_folders_are_left_behind(client, app_tmpdir):
    """Video and texture jobs write into their own folders; those go once Gradio has its copy."""
    client.predict("grass", 64, 64, 1, False, "", 0.0, api_name="/texture")
    left = [p.name for p in app_tmpdir.glob("artgan-*")]
    assert not left, left


# --- the editor's value in its odd shapes (what the browser may send)


def test_editor_layer_of_canvas_size_is_mapped_onto_the_picture():
    from artgan.inpaint.ui import editor_inputs

    picture = read_image(EXAMPLES / "inpaint" / "glacier_scratched.jpg")  # 640×427
    layer = np.zeros((800, 800, 4), np.uint8)  # the editor's default canvas: picture fitted (×1.25) and centred
    top = round((800 - 427 * 1.25) / 2)
    layer[top + 100 : top + 125, 500:550] = (255, 0, 255, 255)  # → picture rows 80–100, columns 400–440
    img, mask = editor_inputs({"background": picture, "layers": [layer], "composite": None}, None)
    assert np.array_equal(img, picture) and mask.shape == (427, 640)
    ys, xs = np.nonzero(mask)
    assert abs(ys.min() - 80) <= 1 and abs(ys.max() - 99) <= 1 and abs(xs.min() - 400) <= 1 and abs(xs.max() - 439) <= 1


def test_transparent_picture_is_not_mistaken_for_letterbox_bars():
    from artgan.inpaint.ui import editor_inputs

    rgba = np.full((60, 80, 4), 200, np.uint8)
    rgba[:, :40, 3] = 0  # left half see-through, as in a PNG with alpha
    layer = np.zeros_like(rgba)
    layer[10:20, 10:20, 3] = 255
    img, mask = editor_inputs({"background": rgba, "layers": [layer], "composite": None}, None)
    assert img.shape == (60, 80, 3) and mask.sum() == 100 and mask[15, 15]


def test_cache_sweep_removes_old_results_and_keeps_start_up_files(tmp_path):
    from artgan.ui import sweep_cache

    old = time.time() - 100
    thumb, clip, fresh = tmp_path / "t" / "thumb.webp", tmp_path / "a" / "clip-stylized.mp4", tmp_path / "b" / "n.png"
    for path in (thumb, clip, fresh):
        path.parent.mkdir()
        path.write_bytes(b"x")
    for path in (thumb, clip, thumb.parent, clip.parent):
        os.utime(path, (old, old))
    assert sweep_cache(tmp_path, 50, keep={thumb}) == 1
    assert thumb.exists() and fresh.exists() and not clip.exists()
    os.utime(clip.parent, (old, old))  # emptied folders go once they too are older than the TTL
    sweep_cache(tmp_path, 50, keep={thumb})
    assert not clip.parent.exists() and fresh.parent.exists()
