"""How seamless a tileable texture is, and how plausible its patches are next to the exemplar's."""

from __future__ import annotations

import numpy as np
from PIL import Image

PATCH = 16  # px of the compared patches, at the measuring scale
COPY_FRACTION = 0.25  # a patch closer than this × the exemplar's own baseline counts as copied


def seam_ratio(img_u8: np.ndarray) -> float:
    """Mean |difference| across the wrap seams ÷ mean |difference| of interior neighbours.

    About 1 for a seamless tile (the seam is just another pair of neighbours); a visible
    seam gives several times that. Used by the tests and bench/bench_texture.py.
    """
    x = img_u8.astype(np.float32)
    seam = (np.abs(x[:, 0] - x[:, -1]).mean() + np.abs(x[0] - x[-1]).mean()) / 2
    inner = (np.abs(np.diff(x, axis=1)).mean() + np.abs(np.diff(x, axis=0)).mean()) / 2
    return float(seam / max(inner, 1e-6))


def patch_grid(img: np.ndarray, stride: int, patch: int = PATCH) -> tuple[np.ndarray, np.ndarray]:
    """HWC float image → every `patch`² patch at `stride`, flattened [M, patch²·C], and their corners [M, 2]."""
    win = np.lib.stride_tricks.sliding_window_view(img, (patch, patch, img.shape[2]))[::stride, ::stride, 0]
    ys, xs = np.meshgrid(np.arange(win.shape[0]) * stride, np.arange(win.shape[1]) * stride, indexing="ij")
    return win.reshape(win.shape[0] * win.shape[1], -1), np.stack([ys.ravel(), xs.ravel()], 1)


def nearest_distances(
    queries: np.ndarray, bank: np.ndarray, exclude: tuple[np.ndarray, np.ndarray] | None = None, patch: int = PATCH
) -> np.ndarray:
    """Per query, the L2 distance to its nearest bank patch [M]; in chunks (bounded memory).

    `exclude` = (query corners, bank corners): bank patches overlapping the query are skipped,
    so an image matched against itself gives its nearest *other* look-alike.
    """
    bank_sq = (bank * bank).sum(1)
    out = np.empty(len(queries), np.float32)
    for i in range(0, len(queries), 256):
        q = queries[i : i + 256]
        d2 = (q * q).sum(1)[:, None] - 2 * q @ bank.T + bank_sq[None]
        if exclude is not None:
            qc, bc = exclude[0][i : i + 256], exclude[1]
            overlap = (np.abs(qc[:, None, 0] - bc[None, :, 0]) < patch) & (
                np.abs(qc[:, None, 1] - bc[None, :, 1]) < patch
            )
            d2[overlap] = np.inf
        out[i : i + 256] = np.sqrt(np.maximum(d2.min(1), 0))
    return out


def scaled(img_u8: np.ndarray, factor: float) -> np.ndarray:
    """HWC uint8 → float [0, 1] resized by `factor` (bicubic, aspect kept)."""
    h, w = img_u8.shape[:2]
    size = (max(PATCH, round(w * factor)), max(PATCH, round(h * factor)))
    return np.asarray(Image.fromarray(img_u8).resize(size, Image.BICUBIC), np.float32) / 255


def patch_plausibility(output_u8: np.ndarray, exemplar_u8: np.ndarray, side: int, stride: int = 4) -> dict[str, float]:
    """Patch distances of an output and its exemplar, both resized by one factor (exemplar's short side → `side`).

    One factor for both: a texture's structures have a size in pixels, not in image widths,
    so a 512² output of a generator trained on a 384² exemplar is compared at its own scale
    (resizing each image to the same short side would shrink the output's bricks to ¾).

    ratio: median distance of output patches to their nearest exemplar patch ÷ the median
    distance of exemplar patches to their nearest non-overlapping exemplar patch (the
    baseline): ~1 means every output patch is as plausible as a new view of the exemplar,
    ≫ 1 that the output shows structures the exemplar never does. copy: share of output
    patches closer than COPY_FRACTION × the baseline (a generator pasting crops scores ~1).
    coverage: the other direction (Simakov et al. 2008, bidirectional similarity), exemplar
    patches to their nearest output patch ÷ the baseline: an output of one average patch
    can score a good ratio against a many-coloured exemplar, but not a good coverage.
    Queries at `stride`, banks dense (a copy at any offset is found).
    """
    factor = side / min(exemplar_u8.shape[:2])
    out, ex = scaled(output_u8, factor), scaled(exemplar_u8, factor)
    bank, bank_at = patch_grid(ex, 1)
    ex_q, ex_at = patch_grid(ex, stride)
    baseline = max(float(np.median(nearest_distances(ex_q, bank, (ex_at, bank_at)))), 1e-6)
    d = nearest_distances(patch_grid(out, stride)[0], bank)
    back = nearest_distances(ex_q, patch_grid(out, 1)[0])
    return {
        "ratio": float(np.median(d)) / baseline,
        "copy": float((d < COPY_FRACTION * baseline).mean()),
        "coverage": float(np.median(back)) / baseline,
    }
