"""`gan-texture`: the shipped network's fill plus texture copied from the picture (issue 18).

Real pictures from examples/, the real ONNX session through the pipeline.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from artgan.inpaint import exemplar as E
from artgan.inpaint import pipeline as P
from artgan.runtime.images import read_image
from tests.conftest import EXAMPLES


@pytest.fixture(scope="module")
def meadow() -> np.ndarray:
    return read_image(EXAMPLES / "boardwalk_to_mountain_lake.jpg")  # 767×768, grass and boards


def box(shape: tuple[int, int], y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    mask = np.zeros(shape, bool)
    mask[y0:y1, x0:x1] = True
    return mask


def laplacian(img: np.ndarray, where: np.ndarray) -> float:
    """Mean |Laplacian| of the grey picture over `where`: how much fine structure it has."""
    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.abs(cv2.Laplacian(grey, cv2.CV_32F))[where].mean())


def inner(mask: np.ndarray) -> np.ndarray:
    return cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0  # no Laplacian tap on the seam


def test_large_hole_gets_the_surroundings_detail_and_keeps_the_networks_colours(meadow):
    mask = box(meadow.shape[:2], 460, 652, 115, 306)  # a 192² object in the grass
    ring = P.grow(mask, 40) & ~P.grow(mask, 8)  # the grass around it
    gan, textured = P.inpaint(meadow, mask, "gan"), P.inpaint(meadow, mask, "gan-texture")
    surroundings = laplacian(meadow, ring)
    assert laplacian(gan, inner(mask)) < 0.25 * surroundings  # the network alone: a smear (issue 18)
    assert laplacian(textured, inner(mask)) > 0.6 * surroundings
    assert np.array_equal(textured[~mask], meadow[~mask])
    l1 = lambda out: np.abs(out[mask].astype(float) - meadow[mask]).mean()  # noqa: E731
    assert l1(textured) < 1.1 * l1(gan)  # texture on top of the network's colours, not instead of them


def test_detail_fades_in_from_the_hole_edge(meadow):
    mask = box(meadow.shape[:2], 460, 652, 115, 306)
    gan, textured = P.inpaint(meadow, mask, "gan"), P.inpaint(meadow, mask, "gan-texture")
    depth = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)
    change = np.abs(textured.astype(float) - gan).mean(-1)
    edge, deep = change[mask & (depth <= 1)], change[depth > E.FADE_PX]
    assert edge.mean() < 0.3 * deep.mean()  # no seam: at the edge the fill is (nearly) the network's


def test_empty_mask_gets_the_clear_error(meadow):
    with pytest.raises(P.InpaintError, match="empty"):
        P.inpaint(meadow, np.zeros(meadow.shape[:2], bool), "gan-texture")


def test_same_picture_same_fill_and_the_seed_is_what_varies(meadow):
    mask = box(meadow.shape[:2], 100, 220, 500, 640)
    assert np.array_equal(P.inpaint(meadow, mask, "gan-texture"), P.inpaint(meadow, mask, "gan-texture"))
    fill = P.inpaint(meadow, mask, "gan")
    a, b = E.texture_fill(fill, mask, seed=0), E.texture_fill(fill, mask, seed=1)
    assert np.array_equal(a, E.texture_fill(fill, mask, seed=0))
    assert np.array_equal(a[~mask], fill[~mask]) and np.array_equal(b[~mask], fill[~mask])
    assert not np.array_equal(a[mask], b[mask])


def test_sources_keep_away_from_the_hole():
    """A mask drawn a little short leaves the object's rim: patches touching it are never copied.

    Here the best match by far is the bright band right around the hole; only patches at
    least `guard` px beyond it may be sources.
    """
    h, w, guard = 96, 128, 3
    hole = box((h, w), 30, 66, 40, 88)
    to_hole = cv2.distanceTransform((~hole).astype(np.uint8), cv2.DIST_C, 3)  # chessboard px to the hole
    img = np.where(((to_hole <= 2 * E.RADIUS + 2) | hole)[..., None], 200, 50).astype(np.uint8)
    img = np.repeat(img, 3, axis=2)
    field = E.match(img, hole, guard, np.random.default_rng(0))
    ys, xs = np.nonzero(hole)
    sy, sx = field[ys, xs, 0], field[ys, xs, 1]
    assert ((sy >= E.RADIUS) & (sy < h - E.RADIUS) & (sx >= E.RADIUS) & (sx < w - E.RADIUS)).all()
    assert (to_hole[sy, sx] > guard + E.RADIUS).all()  # the whole patch outside the grown hole


def test_whole_patches_are_copied_not_pixel_salad(meadow):
    small = np.ascontiguousarray(meadow[::3, ::3])  # 256²: matched at full size
    hole = box(small.shape[:2], 150, 220, 40, 110)
    field = E.match(P.inpaint(small, hole, "gan"), hole, 3, np.random.default_rng(0))
    h, w = hole.shape
    ys, xs = np.nonzero(hole)
    offset = np.full((h + 2, w + 2, 2), -(10**7))
    offset[ys + 1, xs + 1] = field[ys, xs] - np.stack([ys, xs], 1)
    shared = np.zeros(len(ys), bool)
    for dy, dx in E.NEIGHBOURS:
        shared |= (offset[ys + 1 + dy, xs + 1 + dx] == offset[ys + 1, xs + 1]).all(1)
    assert shared.mean() > 0.95  # a neighbour's offset almost everywhere (~84 % without the discount)


def test_smooth_surroundings_keep_copied_detail_down():
    """A patch from a textured part must not etch its grain into a hole amid smooth sky."""
    h, w = 120, 160
    sky = np.dstack([np.tile(np.linspace(90, 140, w), (h, 1))] * 3).astype(np.uint8)
    hole = box((h, w), 40, 80, 60, 100)
    noisy = sky.copy()
    noisy[hole] = np.random.default_rng(0).integers(0, 255, (int(hole.sum()), 3))  # a grainy copy
    out = E.blend(sky, noisy, hole)
    assert np.array_equal(out[~hole], sky[~hole])
    assert np.abs(out[hole].astype(int) - sky[hole]).max() <= 2  # the sky's own detail: none


def test_big_picture_runs_through_the_crop_path(meadow):
    big = cv2.resize(meadow, (2304, 2301), interpolation=cv2.INTER_CUBIC)
    mask = box(big.shape[:2], 300, 700, 300, 650) | box(big.shape[:2], 1500, 1900, 1600, 2000)  # two objects
    crops = P.regions(mask)
    assert len(crops) == 2 and all(r.long_side > E.WORK_SIDE for r in crops)  # matched at reduced size
    gan, textured = P.inpaint(big, mask, "gan"), P.inpaint(big, mask, "gan-texture")
    assert np.array_equal(textured[~mask], big[~mask])
    for r in crops:  # each region textured from its own crop, around the same network fill
        window = np.s_[r.y0 : r.y1, r.x0 : r.x1]
        hole = mask[window]
        assert np.array_equal(textured[window][hole], E.texture_fill(gan[window], hole)[hole])
        ring = P.grow(hole, 60) & ~P.grow(hole, 10)
        assert laplacian(textured[window], inner(hole)) > 0.5 * laplacian(big[window], ring)


def test_cli_and_app_offer_it(app_url, tmp_path):
    from gradio_client import Client, handle_file
    from PIL import Image

    from tests.test_inpaint import DAMAGE_MASK, DAMAGED, artgan

    out = tmp_path / "restored.png"
    r = artgan("inpaint", str(DAMAGED), "--mask", str(DAMAGE_MASK), "--method", "gan-texture", "-o", str(out))
    assert r.returncode == 0, r.stderr
    damaged, mask = read_image(DAMAGED), np.asarray(Image.open(DAMAGE_MASK)) > 127
    assert np.array_equal(read_image(out), P.inpaint(damaged, mask, "gan-texture"))
    assert set(P.METHOD_LABELS) == set(P.METHODS)  # the tab's dropdown lists every method

    layer = np.zeros((*damaged.shape[:2], 4), np.uint8)
    layer[mask] = (255, 0, 255, 255)
    Image.fromarray(layer).save(tmp_path / "layer.png")
    editor = {"background": handle_file(str(DAMAGED)), "layers": [handle_file(str(tmp_path / "layer.png"))]}
    _, result = Client(app_url, verbose=False).predict(
        {**editor, "composite": None}, None, "gan-texture", 0, api_name="/inpaint"
    )
    restored = np.asarray(Image.open(result).convert("RGB"))  # the app runs ONNX Runtime on 1 thread
    assert np.array_equal(restored[~mask], damaged[~mask])
    assert np.abs(restored[mask].astype(int) - read_image(out)[mask]).mean() < 2
