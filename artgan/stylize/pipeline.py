"""Stylize with ONNX Runtime: what the app and the CLI call (numpy only, no torch).

Order of operations mirrors the Stylize tab: image → styles/blend → strength →
keep colours → brush scale → output size.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from artgan.errors import StyleError
from artgan.runtime.images import (
    ensure_rgb_u8,
    fit_long_side,
    from_nchw,
    pad_to_multiple,
    resize_u8,
    to_nchw,
)
from artgan.runtime.library import Vector, VectorLibrary
from artgan.runtime.manifest import WEIGHTS_DIR, load_manifest
from artgan.runtime.sessions import warm_up

MODEL_ID = "stylize"  # the quality network (Stylize tab, CLI default)
FAST_MODEL_ID = "stylize_fast"  # the distilled fast network (video, `--fast`), when shipped
MAX_SIDE = 4096
TILE = 1024  # larger pictures run in tiles of this side…
MARGIN = 48  # …with this much context around each (a multiple of the stride)
STATS_SIDE = 1024  # long side at which a tiled picture's normalisation statistics are taken
REFERENCE_SIDE = 1024  # above this output size, brush scale 1 keeps the 1024 px look (see work_side)


Style = Vector  # a style is a vector of the stylize network's conditional norms


def user_styles_dir() -> Path:
    """Where learned styles are saved: ARTGAN_USER_STYLES or ~/.artgan/styles."""
    return Path(os.environ.get("ARTGAN_USER_STYLES", Path.home() / ".artgan" / "styles"))


class StyleLibrary(VectorLibrary):
    """The shipped styles of the manifest plus the user's learned ones, by id."""

    noun, rows, error = "style", "styles", StyleError

    def __init__(self, weights_dir: Path = WEIGHTS_DIR, user_dir: Path | None = None, model_id: str = MODEL_ID) -> None:
        super().__init__(weights_dir, user_dir or user_styles_dir(), model_id)
        self.stride = int(self.entry["stride"])
        # the long side the network paints at (brush scale 1); older exports paint at the output size
        self.work_side = int(self.entry.get("config", {}).get("work_side") or REFERENCE_SIDE)

    def work_size(self, width: int, height: int, brush_scale: float) -> tuple[int, int]:
        """The size the network paints a picture of this size at: the long side is
        min(its own, the work side) / `brush_scale`, so strokes keep the painting's scale."""
        scale = min(max(width, height), self.work_side) / brush_scale / max(width, height)
        return max(8, round(width * scale)), max(8, round(height * scale))

    @property
    def styles(self) -> dict[str, Vector]:
        return self.items

    @property
    def dim(self) -> int:
        return int(self.entry["style_dim"])

    def blend(self, weights: dict[str, float]) -> np.ndarray:
        """Weighted mean of style vectors; weights are normalised to sum to 1."""
        if not weights:
            raise StyleError("no style chosen")
        if any(w < 0 for w in weights.values()):
            raise StyleError("style weights must not be negative")
        total = sum(weights.values())
        if total <= 0:
            raise StyleError("style weights must not all be zero")
        return sum((w / total) * self.get(s).params for s, w in weights.items()).astype(np.float32)

    def warm_up(self) -> None:
        vec = next(iter(self.styles.values())).params
        warm_up(self.session(), network_feeds(np.zeros((1, 3, 64, 64), np.float32), vec))


def library_for(fast: bool, weights_dir: Path = WEIGHTS_DIR, user_dir: Path | None = None) -> StyleLibrary:
    """The fast network's styles when asked for and shipped, else the quality network's."""
    shipped = {m["id"] for m in load_manifest(weights_dir).get("models", [])}
    return StyleLibrary(weights_dir, user_dir, FAST_MODEL_ID if fast and FAST_MODEL_ID in shipped else MODEL_ID)


def parse_style_spec(spec: str) -> dict[str, float]:
    """'starry_night:0.7,the_scream:0.3' → {name: weight}; a bare name weighs 1."""
    weights: dict[str, float] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        name, _, w = part.partition(":")
        try:
            weights[name.strip()] = weights.get(name.strip(), 0.0) + (float(w) if w else 1.0)
        except ValueError as exc:
            raise StyleError(f"bad weight in {part!r}: use NAME or NAME:WEIGHT") from exc
    if not weights:
        raise StyleError("no style given: use NAME or NAME:W,NAME:W")
    return weights


def network_feeds(x: np.ndarray, style_vec: np.ndarray, stats: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The graph's inputs for one image [1,3,H,W]: own statistics unless `stats` is given."""
    given = np.zeros_like(style_vec) if stats is None else stats.astype(np.float32)
    return {
        "image": x,
        "style": style_vec[None],
        "norm_stats": given[None],
        "stats_weight": np.full((1, 1), 0.0 if stats is None else 1.0, np.float32),
    }


def run_network(
    library: StyleLibrary,
    img_u8: np.ndarray,
    style_vec: np.ndarray,
    stats: np.ndarray | None = None,
    spin: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One pass at the image's own size (reflect-padded to the stride).

    With `stats`, every normalisation layer uses them instead of the image's own.
    `spin`: ONNX Runtime's idle threads spin (see `session_options`).
    Returns the stylized image and the statistics used.
    """
    x, (h, w) = pad_to_multiple(to_nchw(img_u8), library.stride)
    out, used = library.session(spin=spin).run(None, network_feeds(x, style_vec, stats))
    return from_nchw(out[:, :, :h, :w]), used[0]


def run_tiled(
    library: StyleLibrary, img_u8: np.ndarray, style_vec: np.ndarray, tile: int = TILE, margin: int = MARGIN
) -> np.ndarray:
    """Stylize in tiles that share one set of normalisation statistics.

    The statistics come from one pass over the whole picture downscaled to STATS_SIDE,
    so tiles agree in colour and contrast. Each tile is run with a `margin` of context
    wider than the network's receptive-field radius (~36 px) and only its centre is
    kept, so there are no seams. Offsets stay multiples of the stride so that every tile
    sees the same stride-2 sampling grid as a single pass would.
    """
    assert tile % library.stride == 0 and margin % library.stride == 0
    _, stats = run_network(library, fit_long_side(img_u8, STATS_SIDE), style_vec)
    h, w = img_u8.shape[:2]
    out = np.empty_like(img_u8)
    for y0 in range(0, h, tile):  # one tile at a time: tiles side by side doubled peak memory for ≤ 22 % speed
        for x0 in range(0, w, tile):
            y1, x1 = min(y0 + tile, h), min(x0 + tile, w)
            ya, xa = max(0, y0 - margin), max(0, x0 - margin)
            part, _ = run_network(library, img_u8[ya : min(h, y1 + margin), xa : min(w, x1 + margin)], style_vec, stats)
            out[y0:y1, x0:x1] = part[y0 - ya : y1 - ya, x0 - xa : x1 - xa]
    return out


def paint(library: StyleLibrary, img_u8: np.ndarray, style_vec: np.ndarray, tile: int = TILE) -> np.ndarray:
    """Whole image in one pass when it is small enough, else in tiles (bounded memory)."""
    if max(img_u8.shape[:2]) <= tile:
        return run_network(library, img_u8, style_vec)[0]
    return run_tiled(library, img_u8, style_vec, tile)


def keep_colors(stylized_u8: np.ndarray, original_u8: np.ndarray) -> np.ndarray:
    """Luminance transfer (Gatys et al. 2017): stylized Y with the original's CbCr."""
    from PIL import Image

    y = np.asarray(Image.fromarray(stylized_u8).convert("YCbCr"))[:, :, 0]
    ycc = np.asarray(Image.fromarray(original_u8).convert("YCbCr")).copy()
    ycc[:, :, 0] = y
    return np.asarray(Image.fromarray(ycc, "YCbCr").convert("RGB"))


def mix(stylized_u8: np.ndarray, original_u8: np.ndarray, strength: float) -> np.ndarray:
    """Linear blend: strength 0 is the photo itself, 1 the full stylization."""
    if strength >= 1.0:
        return stylized_u8
    if strength <= 0.0:
        return original_u8.copy()
    out = strength * stylized_u8.astype(np.float32) + (1 - strength) * original_u8.astype(np.float32)
    return (out + 0.5).astype(np.uint8)


def stylize(
    library: StyleLibrary,
    img_u8: np.ndarray,
    styles: dict[str, float],
    strength: float = 1.0,
    preserve_colors: bool = False,
    brush_scale: float = 1.0,
    max_side: int | None = 1024,
    tile: int = TILE,
) -> np.ndarray:
    """Stylize an HWC uint8 RGB image; returns HWC uint8 RGB of the output size.

    The output's long side is at most `max_side`. The network runs at a long side of
    min(output, its work side) / `brush_scale`, taken from the original picture, and is
    upsampled: strokes keep their size relative to the picture above the work side, so a
    2048 px output looks like the 1024 px one, only larger; `brush_scale` < 1 paints finer
    strokes (and runs the network at a larger size, in shared-statistics tiles when large).
    """
    if not 0.0 <= strength <= 1.0:
        raise StyleError("strength must be between 0 and 1")
    if not 0.25 <= brush_scale <= 4.0:
        raise StyleError("brush scale must be between 0.25 and 4")
    original = ensure_rgb_u8(img_u8)
    img = fit_long_side(original, min(max_side or MAX_SIDE, MAX_SIDE))
    vec = library.blend(styles)
    if strength == 0.0:
        return img.copy()
    h, w = img.shape[:2]
    work = resize_u8(original, *library.work_size(w, h, brush_scale))
    out = resize_u8(paint(library, work, vec, tile), w, h)
    if preserve_colors:
        out = keep_colors(out, img)
    return mix(out, img, strength)
