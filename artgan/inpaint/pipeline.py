"""Inpainting for the app and CLI: numpy + OpenCV + onnxruntime only.

Any image size: each connected mask region is cut out with context around it, brought
to the network's working size, filled, scaled back and pasted — only masked pixels are
replaced, so every unmasked pixel of the output equals the input's exactly. The default
adds the picture's own texture to the network's fill (exemplar.py: large holes are smooth
otherwise); the network alone and classical methods (OpenCV Telea, Navier–Stokes) are
offered beside it as a reference.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from artgan.errors import ArtganError
from artgan.inpaint.exemplar import texture_fill
from artgan.inpaint.masks import prefill
from artgan.runtime.images import ensure_rgb_u8, pad_to_multiple, read_image
from artgan.runtime.manifest import WEIGHTS_DIR, model_entry, verified_path
from artgan.runtime.sessions import get_session

MODEL_ID = "inpaint"
WORK_SIDE = 512  # regions larger than this are filled at this long side, then scaled back
MERGE_PX = 16  # mask strokes closer than this are filled together
CONTEXT = 0.5  # context around a region: this fraction of its long side…
MIN_CONTEXT = 64  # …and at least this many pixels
MAX_SIDE = 8192


class InpaintError(ArtganError):
    """A mask or image the inpainter cannot work with."""


@dataclass(frozen=True)
class Region:
    """A box (y0, y1, x0, x1) around one connected part of the mask."""

    y0: int
    y1: int
    x0: int
    x1: int

    @property
    def long_side(self) -> int:
        return max(self.y1 - self.y0, self.x1 - self.x0)

    def overlaps(self, other: Region) -> bool:
        return self.y0 < other.y1 and other.y0 < self.y1 and self.x0 < other.x1 and other.x0 < self.x1

    def union(self, other: Region) -> Region:
        return Region(min(self.y0, other.y0), max(self.y1, other.y1), min(self.x0, other.x0), max(self.x1, other.x1))


def mask_from_layers(layers: list[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """Union of painted pixels of RGBA editor layers → bool [H,W] (True = hole)."""
    mask = np.zeros(shape, bool)
    for layer in layers:
        if layer is None:
            continue
        layer = np.asarray(layer)
        painted = layer[..., 3] > 0 if layer.ndim == 3 and layer.shape[2] == 4 else np.asarray(layer).max(-1) > 0
        if painted.shape != shape:
            raise InpaintError(f"brush layer is {painted.shape[1]}×{painted.shape[0]}, picture {shape[1]}×{shape[0]}")
        mask |= painted
    return mask


def mask_from_image(mask_img: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A mask picture (white or opaque = hole) → bool [H,W]; its size must match the picture's."""
    m = np.asarray(mask_img)
    if m.ndim == 3:
        m = m[..., 3] if m.shape[2] == 4 and m[..., 3].min() < 255 else m[..., :3].max(-1)
    if m.shape != shape:
        raise InpaintError(
            f"the mask is {m.shape[1]}×{m.shape[0]} but the picture is {shape[1]}×{shape[0]}: they must match"
        )
    return m > 127


def read_mask(path: str, shape: tuple[int, int]) -> np.ndarray:
    """Read a mask file (PNG: white = hole, or alpha) at the picture's size."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            arr = np.asarray(im.convert("RGBA") if im.mode in ("RGBA", "LA", "P") else im.convert("L"))
    except (OSError, ValueError) as exc:
        raise InpaintError(f"could not read the mask {path}: {exc}") from exc
    return mask_from_image(arr, shape)


def grow(mask: np.ndarray, px: int) -> np.ndarray:
    """Dilate the mask by `px` pixels (a round brush), to cover a damaged rim too."""
    if px <= 0:
        return mask.copy()
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1))
    return cv2.dilate(mask.astype(np.uint8), kernel) > 0


def check(img: np.ndarray, mask: np.ndarray) -> None:
    if mask.shape != img.shape[:2]:
        raise InpaintError(f"the mask is {mask.shape[1]}×{mask.shape[0]}, the picture {img.shape[1]}×{img.shape[0]}")
    if not mask.any():
        raise InpaintError("the mask is empty: paint over the part to restore first")
    if mask.all():
        raise InpaintError("the mask covers the whole picture: leave some of it to restore from")
    if max(img.shape[:2]) > MAX_SIDE:
        raise InpaintError(f"the picture is larger than {MAX_SIDE} px on a side: scale it down first")


def regions(mask: np.ndarray) -> list[Region]:
    """One box with context per connected part of the mask (parts closer than MERGE_PX join)."""
    h, w = mask.shape
    merged = grow(mask, MERGE_PX // 2).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(merged, connectivity=8)
    out = []
    for x, y, bw, bh, _ in stats[1:count]:
        c = max(MIN_CONTEXT, int(CONTEXT * max(bw, bh)))
        out.append(Region(max(0, y - c), min(h, y + bh + c), max(0, x - c), min(w, x + bw + c)))
    return merge_overlapping(out)


def merge_overlapping(boxes: list[Region]) -> list[Region]:
    """Join overlapping boxes when the joint box is filled at no lower resolution.

    Overlapping context boxes would send the same pixels through the network several times
    (a 512² photo with three strokes: three runs over 1.4× its area instead of one).
    """
    boxes = list(boxes)
    joined = True
    while joined:
        joined = False
        for i, j in itertools.combinations(range(len(boxes)), 2):
            a, b = boxes[i], boxes[j]
            u = a.union(b)
            if a.overlaps(b) and u.long_side <= max(WORK_SIDE, a.long_side, b.long_side):
                boxes = [r for k, r in enumerate(boxes) if k not in (i, j)] + [u]
                joined = True
                break
    return boxes


def run_network(img_u8: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Fill `hole` in a crop at a size the network takes; HWC uint8 in, HWC uint8 out (same size)."""
    entry = model_entry(MODEL_ID, WEIGHTS_DIR)
    sess = get_session(verified_path(entry["file"], entry["sha256"], WEIGHTS_DIR))
    stride, min_side = entry["stride"], entry["min_side"]
    h, w = hole.shape
    scale = max(min(1.0, WORK_SIDE / max(h, w)), min_side / min(h, w))
    sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
    small = cv2.resize(img_u8, (sw, sh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    small_hole = cv2.resize(hole.astype(np.float32), (sw, sh), interpolation=cv2.INTER_AREA) > 0
    # the network refines a classical fill
    small = prefill(small, small_hole, entry["prefill_radius"], entry["prefill_blur"])
    x, pads = pad_to_multiple(small.astype(np.float32).transpose(2, 0, 1)[None] / 255.0, stride)
    m, _ = pad_to_multiple(small_hole.astype(np.float32)[None, None], stride)
    out = sess.run(None, {"image": x, "mask": m})[0][0, :, :sh, :sw]
    out = (out.transpose(1, 2, 0) * 255.0 + 0.5).clip(0, 255).astype(np.uint8)
    return cv2.resize(out, (w, h), interpolation=cv2.INTER_CUBIC) if (sw, sh) != (w, h) else out


def gan_fill(img: np.ndarray, mask: np.ndarray, texture: bool = False) -> np.ndarray:
    """Every region filled by the network in turn (later regions see earlier fills).

    With `texture`, each fill also gets the picture's own texture copied in from around the
    region (exemplar.py, issue 18): the network alone leaves large holes smooth.
    """
    out = img.copy()
    for r in regions(mask):
        crop, hole = out[r.y0 : r.y1, r.x0 : r.x1], mask[r.y0 : r.y1, r.x0 : r.x1]
        crop[hole] = run_network(crop, hole)[hole]
        if texture:
            crop[hole] = texture_fill(crop, hole)[hole]
    return out


def classical(flag: int) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    def fill(img: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return cv2.inpaint(img, mask.astype(np.uint8) * 255, 5, flag)

    return fill


METHODS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "gan": gan_fill,
    "gan-texture": lambda img, mask: gan_fill(img, mask, texture=True),
    "telea": classical(cv2.INPAINT_TELEA),
    "navier-stokes": classical(cv2.INPAINT_NS),
}
METHOD_LABELS = {
    "gan-texture": "artgan GAN + texture from the picture",
    "gan": "artgan GAN (trained here)",
    "telea": "OpenCV Telea",
    "navier-stokes": "OpenCV Navier–Stokes",
}
DEFAULT_METHOD = "gan-texture"  # issue 18: grain instead of a smear in large holes (docs/models/inpaint.md)


def feather(core: np.ndarray, grown: np.ndarray) -> np.ndarray:
    """Paste weight: 1 on the painted mask, fading to 0 across the grown rim, 0 outside it."""
    alpha = core.astype(np.float32)
    rim = grown & ~core
    if rim.any():
        dist = cv2.distanceTransform((~core).astype(np.uint8), cv2.DIST_L2, 3)
        width = float(dist[rim].max()) + 1.0
        alpha[rim] = 1.0 - dist[rim] / width
    return alpha


def inpaint(img_u8: np.ndarray, mask: np.ndarray, method: str = DEFAULT_METHOD, grow_px: int = 0) -> np.ndarray:
    """Fill the True pixels of `mask` (grown by `grow_px`); unmasked pixels are returned unchanged.

    img_u8 HWC uint8 RGB; mask bool [H,W]. With `grow_px` > 0 the grown rim is blended
    (a feathered edge); pixels outside the grown mask are never touched.
    """
    if method not in METHODS:
        raise InpaintError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    img = ensure_rgb_u8(img_u8)
    check(img, mask)
    grown = grow(mask, grow_px)
    check(img, grown)
    filled = METHODS[method](img, grown)
    alpha = feather(mask, grown)[grown][:, None]
    out = img.copy()
    out[grown] = (alpha * filled[grown] + (1 - alpha) * img[grown] + 0.5).astype(np.uint8)
    return out


def inpaint_files(image_path: str, mask_path: str, method: str = DEFAULT_METHOD, grow_px: int = 0) -> np.ndarray:
    img = read_image(image_path)
    return inpaint(img, read_mask(mask_path, img.shape[:2]), method, grow_px)
