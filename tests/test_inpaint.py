"""Inpainting: masks, the crop strategy, the shipped ONNX model, the CLI and the app endpoint."""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

from artgan.inpaint import pipeline as P
from artgan.inpaint.masks import MASK_KINDS, MIXES, WIDE_COVER, prefill, random_mask
from artgan.inpaint.ui import editor_inputs
from artgan.runtime.images import read_image
from tests.conftest import EXAMPLES, ROOT

DAMAGED = EXAMPLES / "inpaint" / "scream_cracked.jpg"
DAMAGE_MASK = EXAMPLES / "inpaint" / "scream_cracked_mask.png"


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return read_image(EXAMPLES / "glacier_lagoon_icebergs.jpg")


def blob_mask(shape, boxes) -> np.ndarray:
    m = np.zeros(shape, bool)
    for y0, y1, x0, x1 in boxes:
        m[y0:y1, x0:x1] = True
    return m


@pytest.mark.parametrize("kind", sorted(MASK_KINDS))
def test_mask_kinds_are_binary_nonempty_and_seeded(kind):
    a = random_mask(96, 128, np.random.default_rng(3), kind)
    b = random_mask(96, 128, np.random.default_rng(3), kind)
    assert a.shape == (96, 128) and set(np.unique(a)) <= {0.0, 1.0} and a.any() and not a.all()
    assert np.array_equal(a, b)


@pytest.mark.parametrize("kind", ["wide_boxes", "wide_strokes", "ellipses"])
def test_wide_masks_cover_15_to_50_percent_spread_over_the_range(kind):
    cover = [random_mask(160, 200, np.random.default_rng(s), kind).mean() for s in range(30)]
    assert WIDE_COVER[0] <= min(cover) and max(cover) <= WIDE_COVER[1]
    assert max(cover) > 0.35  # not all piled up at the lower bound


def test_large_holes_are_one_or_two_shapes_15_to_30_percent_of_each_side():
    side = 200
    for seed in range(30):
        mask = random_mask(side, side, np.random.default_rng(seed), "large").astype(np.uint8)
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
        assert 1 <= count - 1 <= 2
        if count == 3:  # two apart: each one shape (rotated ellipses keep their extents within the axes)
            extents = stats[1:, 2:4]
            assert extents.min() >= 0.15 * side - 2 and extents.max() <= 0.3 * side + 2


def test_mixes_name_known_kinds_and_unknown_kinds_are_refused():
    assert abs(sum(MIXES["wide"].values()) - 1) < 1e-9 and set(MIXES["wide"]) <= set(MASK_KINDS)
    with pytest.raises(ValueError, match="wide"):
        random_mask(64, 64, np.random.default_rng(0), "no-such-kind")


def test_prefill_blurs_wide_holes_but_keeps_thin_cracks(photo):
    h, w = photo.shape[:2]
    hole = np.zeros((h, w), bool)
    hole[40:44, 20:200] = True  # a crack 4 px wide
    hole[100:180, 60:160] = True  # a wide hole
    plain = cv2.inpaint(photo, hole.astype(np.uint8) * 255, 1, cv2.INPAINT_NS)
    out = prefill(photo, hole, 1, 3.0)
    assert np.array_equal(out[~hole], photo[~hole])  # known pixels untouched
    crack_change = np.abs(out[40:44].astype(int) - plain[40:44]).mean()
    centre = (slice(120, 160), slice(80, 140))
    assert np.array_equal(out[centre], cv2.GaussianBlur(plain, (0, 0), 3.0)[centre])  # deep inside: fully blurred
    assert crack_change < 0.5 * np.abs(out[centre].astype(int) - plain[centre]).mean()


def test_mask_from_editor_layers_and_uploaded_mask(photo):
    h, w = photo.shape[:2]
    layer = np.zeros((h, w, 4), np.uint8)
    layer[10:20, 30:60] = (255, 0, 255, 255)  # a brush stroke
    upload = np.zeros((h, w), np.uint8)
    upload[100:110, 5:9] = 255
    img, mask = editor_inputs({"background": photo, "layers": [layer], "composite": None}, upload)
    assert np.array_equal(img, photo)
    assert mask.sum() == 10 * 30 + 10 * 4 and mask[15, 40] and mask[105, 6] and not mask[50, 50]


def test_bad_masks_get_clear_errors(photo):
    h, w = photo.shape[:2]
    with pytest.raises(P.InpaintError, match="empty"):
        P.inpaint(photo, np.zeros((h, w), bool), "telea")
    with pytest.raises(P.InpaintError, match="whole picture"):
        P.inpaint(photo, np.ones((h, w), bool), "telea")
    with pytest.raises(P.InpaintError, match="must match"):
        P.mask_from_image(np.zeros((h + 1, w), np.uint8), (h, w))
    with pytest.raises(P.InpaintError, match="upload a picture"):
        editor_inputs(None, None)
    with pytest.raises(P.InpaintError, match="unknown method"):
        P.inpaint(photo, blob_mask((h, w), [(0, 5, 0, 5)]), "magic")


@pytest.mark.parametrize("method", list(P.METHODS))
@pytest.mark.parametrize("grow", [0, 6])
def test_unmasked_pixels_are_exactly_the_input(photo, method, grow):
    h, w = photo.shape[:2]
    mask = random_mask(h, w, np.random.default_rng(1), "medium") > 0
    out = P.inpaint(photo, mask, method, grow)
    outside = ~P.grow(mask, grow)
    assert out.shape == photo.shape and out.dtype == np.uint8
    assert np.array_equal(out[outside], photo[outside])
    assert not np.array_equal(out[mask], photo[mask])


def test_crop_strategy_handles_border_and_separate_regions(photo):
    h, w = photo.shape[:2]
    # three separate holes: touching the top-left corner, the right border, and the middle
    mask = blob_mask((h, w), [(0, 30, 0, 40), (200, 240, w - 25, w), (h // 2, h // 2 + 20, w // 2, w // 2 + 50)])
    assert len(P.regions(mask)) == 3
    damaged = photo.copy()
    damaged[mask] = (255, 0, 255)  # magenta paint over the holes
    out = P.inpaint(damaged, mask, "gan")
    assert np.array_equal(out[~mask], photo[~mask])
    err = np.abs(out[mask].astype(int) - photo[mask]).mean()
    magenta = np.abs(damaged[mask].astype(int) - photo[mask]).mean()
    assert err < 0.25 * magenta  # filled with the picture's own colours, not the paint


def test_overlapping_context_boxes_are_filled_in_one_pass(photo):
    h, w = photo.shape[:2]
    # two strokes 60 px apart: their context boxes overlap, so one network run covers both
    mask = blob_mask((h, w), [(200, 220, 200, 300), (280, 300, 200, 300)])
    assert len(P.regions(mask)) == 1
    (box,) = P.regions(mask)
    assert box.y0 <= 200 and box.y1 >= 300 and box.x0 <= 200 and box.x1 >= 300
    out = P.inpaint(photo, mask, "gan")
    assert np.array_equal(out[~mask], photo[~mask])


def test_far_apart_boxes_are_not_merged_into_a_lower_resolution_pass():
    a, b = P.Region(0, 400, 0, 400), P.Region(300, 700, 300, 700)  # overlap, but the union is 700 px
    assert P.merge_overlapping([a, b]) == [a, b]
    c = P.Region(350, 450, 350, 450)  # inside a's reach: joining costs no resolution
    assert P.merge_overlapping([a, c]) == [a.union(c)]


def test_shipped_model_restores_cracks_better_than_grey(photo):
    h, w = photo.shape[:2]
    mask = random_mask(h, w, np.random.default_rng(5), "thick") > 0
    out = P.inpaint(photo, mask, "gan")
    err = np.abs(out[mask].astype(float) - photo[mask]).mean()
    grey = np.abs(128.0 - photo[mask]).mean()
    assert err < 0.5 * grey


def test_tiny_picture_and_odd_sizes(photo):
    small = photo[:37, :53].copy()  # smaller than the network's minimum side: scaled up and back
    mask = blob_mask(small.shape[:2], [(10, 20, 10, 30)])
    out = P.inpaint(small, mask, "gan")
    assert out.shape == small.shape and np.array_equal(out[~mask], small[~mask])


def artgan(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "artgan", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_cli_restores_the_cracked_example(tmp_path):
    out = tmp_path / "restored.png"
    r = artgan("inpaint", str(DAMAGED), "--mask", str(DAMAGE_MASK), "-o", str(out), "--grow", "2")
    assert r.returncode == 0, r.stderr
    damaged = read_image(DAMAGED)
    mask = np.asarray(Image.open(DAMAGE_MASK)) > 127
    restored = read_image(out)
    assert restored.shape == damaged.shape
    assert np.array_equal(restored[~P.grow(mask, 2)], damaged[~P.grow(mask, 2)])
    # the dark crack lines are (mostly) gone: fewer crack-coloured pixels, closer to the surroundings
    crack = lambda im: (np.abs(im[mask].astype(int) - (40, 30, 20)).max(axis=1) < 25).mean()  # noqa: E731
    assert crack(restored) < 0.7 * crack(damaged)
    ring = P.grow(mask, 6) & ~P.grow(mask, 2)
    assert abs(restored[mask].mean() - damaged[ring].mean()) < 0.5 * abs(damaged[mask].mean() - damaged[ring].mean())


def test_cli_errors_are_one_line(tmp_path):
    wrong = tmp_path / "wrong.png"
    Image.new("L", (10, 10), 255).save(wrong)
    r = artgan("inpaint", str(DAMAGED), "--mask", str(wrong), "-o", str(tmp_path / "x.png"))
    assert r.returncode == 1 and "must match" in r.stderr and "Traceback" not in r.stderr
    empty = tmp_path / "empty.png"
    Image.new("L", Image.open(DAMAGED).size, 0).save(empty)
    r = artgan("inpaint", str(DAMAGED), "--mask", str(empty), "-o", str(tmp_path / "x.png"))
    assert r.returncode == 1 and "empty" in r.stderr and "Traceback" not in r.stderr


def test_inpaint_endpoint(app_url, tmp_path):
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    client = Client(app_url, verbose=False)
    damaged = read_image(DAMAGED)
    layer = np.zeros((*damaged.shape[:2], 4), np.uint8)
    layer[np.asarray(Image.open(DAMAGE_MASK)) > 127] = (255, 0, 255, 255)
    layer_path = tmp_path / "layer.png"
    Image.fromarray(layer).save(layer_path)
    editor = {"background": handle_file(str(DAMAGED)), "layers": [handle_file(str(layer_path))], "composite": None}
    compare, result = client.predict(editor, None, "gan", 2, api_name="/inpaint")
    restored = np.asarray(Image.open(result).convert("RGB"))
    assert restored.shape == damaged.shape
    assert Image.open(result).format == "PNG"
    mask = layer[..., 3] > 0
    assert np.array_equal(restored[~P.grow(mask, 2)], damaged[~P.grow(mask, 2)])
    assert not np.array_equal(restored[mask], damaged[mask])
    empty = {"background": handle_file(str(DAMAGED)), "layers": [], "composite": None}
    with pytest.raises(AppError, match="empty"):
        client.predict(empty, None, "telea", 0, api_name="/inpaint")


def test_editor_letterboxed_canvas_is_cropped_back(photo):
    """The editor may return the picture inside transparent canvas bars; the mask follows it."""
    h, w = photo.shape[:2]
    canvas = np.zeros((w, w, 4), np.uint8)  # square canvas, picture centred vertically
    top = (w - h) // 2
    canvas[top : top + h, :, :3], canvas[top : top + h, :, 3] = photo, 255
    layer = np.zeros_like(canvas)
    layer[top + 5 : top + 15, 20:40] = (255, 0, 255, 255)
    img, mask = editor_inputs({"background": canvas, "layers": [layer], "composite": None}, None)
    assert np.array_equal(img, photo)
    assert mask.shape == (h, w) and mask.sum() == 200 and mask[5:15, 20:40].all()
