"""Random hole masks for training and evaluation (numpy + OpenCV, no torch).

Kinds follow the papers users compare against: DeepFill v2 free-form brush strokes
(Yu et al. 2019, Alg. 1), LaMa's thin / medium / thick irregular strokes plus boxes
(Suvorov et al. 2022, §3.3), thin branching cracks for craquelure on paintings, removed
objects (`large`: one or two boxes or ellipses) and LaMa's wide masks (big boxes, wide
strokes, ellipses over 15–50 % of the picture), without which a network never learns to
fill a hole wider than its receptive field. All return float32 [H,W] with 1 = hole.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np


def strokes(
    h: int,
    w: int,
    rng: np.random.Generator,
    count: tuple[int, int],
    vertices: tuple[int, int],
    width: tuple[float, float],
    length: tuple[float, float],
) -> np.ndarray:
    """Polyline brush strokes with round joints; widths/lengths are fractions of the short side."""
    mask = np.zeros((h, w), np.uint8)
    side = min(h, w)
    for _ in range(int(rng.integers(count[0], count[1] + 1))):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        thickness = max(1, int(rng.uniform(*width) * side))
        angle = rng.uniform(0, 2 * np.pi)
        for _ in range(int(rng.integers(vertices[0], vertices[1] + 1))):
            angle += rng.uniform(-0.6 * np.pi, 0.6 * np.pi)
            step = rng.uniform(*length) * side
            nx = float(np.clip(x + step * np.cos(angle), 0, w - 1))
            ny = float(np.clip(y + step * np.sin(angle), 0, h - 1))
            cv2.line(mask, (int(x), int(y)), (int(nx), int(ny)), 1, thickness)
            cv2.circle(mask, (int(nx), int(ny)), thickness // 2, 1, -1)
            x, y = nx, ny
    return mask.astype(np.float32)


def thin(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    return strokes(h, w, rng, (4, 10), (2, 6), (0.01, 0.035), (0.05, 0.2))


def medium(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    return strokes(h, w, rng, (2, 5), (2, 6), (0.04, 0.1), (0.08, 0.25))


def thick(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    m = strokes(h, w, rng, (2, 4), (2, 5), (0.1, 0.2), (0.1, 0.3))
    return np.maximum(m, boxes(h, w, rng)) if rng.random() < 0.5 else m


def boxes(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    mask = np.zeros((h, w), np.float32)
    for _ in range(int(rng.integers(1, 3))):
        bh, bw = int(rng.uniform(0.1, 0.35) * h), int(rng.uniform(0.1, 0.35) * w)
        y, x = int(rng.integers(0, h - bh + 1)), int(rng.integers(0, w - bw + 1))
        mask[y : y + bh, x : x + bw] = 1
    return mask


def shape(mask: np.ndarray, rng: np.random.Generator, side: tuple[float, float], ellipse: bool) -> None:
    """Draw one box or rotated ellipse whose extents are `side` fractions of each side."""
    h, w = mask.shape
    bh, bw = int(rng.uniform(*side) * h), int(rng.uniform(*side) * w)
    y, x = int(rng.integers(0, h - bh + 1)), int(rng.integers(0, w - bw + 1))
    if ellipse:
        centre, axes = (x + bw // 2, y + bh // 2), (max(1, bw // 2), max(1, bh // 2))
        cv2.ellipse(mask, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)
    else:
        mask[y : y + bh, x : x + bw] = 1


def large(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Removed objects: one or two boxes or ellipses, each 15–30 % of each side (issue 18's bench)."""
    mask = np.zeros((h, w), np.uint8)
    for _ in range(int(rng.integers(1, 3))):
        shape(mask, rng, (0.15, 0.3), ellipse=rng.random() < 0.5)
    return mask.astype(np.float32)


WIDE_COVER = (0.15, 0.5)  # share of the picture a wide mask covers (LaMa's wide masks)


def covering(
    draw: Callable[[np.ndarray], None],
    h: int,
    w: int,
    rng: np.random.Generator,
    cover: tuple[float, float] = WIDE_COVER,
) -> np.ndarray:
    """Add `draw`n parts until the mask covers a share drawn uniformly from `cover`; start
    over when the last part overshoots cover[1]. (Stopping at cover[0] would leave most
    masks near it: each part adds only a few per cent.)"""
    while True:
        mask, target = np.zeros((h, w), np.uint8), rng.uniform(*cover)
        while mask.mean() < target:
            draw(mask)
        if mask.mean() <= cover[1]:
            return mask.astype(np.float32)


def wide_boxes(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    return covering(lambda m: shape(m, rng, (0.2, 0.6), ellipse=False), h, w, rng)


def ellipses(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    return covering(lambda m: shape(m, rng, (0.2, 0.6), ellipse=True), h, w, rng)


def wide_strokes(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """LaMa's wide irregular strokes: brushes 8–20 % of the short side wide."""

    def stroke(mask: np.ndarray) -> None:
        np.maximum(mask, strokes(h, w, rng, (1, 1), (2, 5), (0.08, 0.2), (0.15, 0.4)).astype(np.uint8), out=mask)

    return covering(stroke, h, w, rng)


def cracks(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Branching random walks 1–3 px wide, like craquelure or a scratch on a scan."""
    mask = np.zeros((h, w), np.uint8)
    side = min(h, w)
    walkers = [(rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0, 2 * np.pi)) for _ in range(rng.integers(1, 4))]
    budget = int(rng.integers(40, 120))
    while walkers and budget > 0:
        x, y, angle = walkers.pop()
        thickness = int(rng.integers(1, 4))
        for _ in range(int(rng.integers(5, 25))):
            budget -= 1
            angle += rng.normal(0, 0.35)
            step = rng.uniform(0.01, 0.03) * side
            nx, ny = x + step * np.cos(angle), y + step * np.sin(angle)
            if not (0 <= nx < w and 0 <= ny < h):
                break
            cv2.line(mask, (int(x), int(y)), (int(nx), int(ny)), 1, thickness)
            x, y = nx, ny
            if rng.random() < 0.12:
                walkers.append((x, y, angle + rng.choice([-1, 1]) * rng.uniform(0.5, 1.2)))
    return mask.astype(np.float32)


MASK_KINDS: dict[str, Callable[[int, int, np.random.Generator], np.ndarray]] = {
    "thin": thin,
    "medium": medium,
    "thick": thick,
    "boxes": boxes,
    "cracks": cracks,
    "large": large,
    "wide_boxes": wide_boxes,
    "wide_strokes": wide_strokes,
    "ellipses": ellipses,
}
# named mixes of kinds for training: `mixed` made the shipped model; `wide` adds removed
# objects and LaMa's wide masks for large holes and keeps a third on strokes and cracks
MIXES: dict[str, dict[str, float]] = {
    "mixed": {"thin": 0.15, "medium": 0.3, "thick": 0.3, "boxes": 0.1, "cracks": 0.15},
    "wide": {
        "thin": 0.05,
        "medium": 0.1,
        "thick": 0.1,
        "cracks": 0.05,
        "large": 0.2,
        "wide_boxes": 0.15,
        "wide_strokes": 0.2,
        "ellipses": 0.15,
    },
}


def prefill(img_u8: np.ndarray, mask: np.ndarray, radius: int, blur: float) -> np.ndarray:
    """The fill the network starts from: OpenCV Navier–Stokes (Bertalmio et al. 2001), then
    Gaussian-blurred (sigma `blur` px) inside the hole, fading in over the first `blur` px
    from the hole's edge.

    Navier–Stokes leaves streaks that no photo has; blurred, its fill alone has a hole SSIM
    level with skimage's biharmonic (bench_inpaint, medium masks). Blurred everywhere it
    also smeared cracks a few px wide, which Navier–Stokes fills well; the fade keeps
    those (cracks 256 px: L1 0.0482 → 0.0398). Time grows with `radius` (512², medium
    strokes: 22 ms at 1 px, 72 ms at 3 px). Each model records the radius and blur it uses.
    """
    hole = mask.astype(bool)
    filled = cv2.inpaint(np.ascontiguousarray(img_u8), hole.astype(np.uint8) * 255, radius, cv2.INPAINT_NS)
    if blur <= 0:
        return filled
    depth = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3)  # px to the nearest known pixel
    weight = np.clip(depth / blur, 0.0, 1.0)[..., None]
    soft = cv2.GaussianBlur(filled, (0, 0), blur)
    return (weight * soft + (1 - weight) * filled + 0.5).astype(np.uint8)


def random_mask(h: int, w: int, rng: np.random.Generator, kind: str = "mixed") -> np.ndarray:
    """One mask of `kind`, or of a kind drawn from the mix of that name (MIXES); never empty."""
    if kind in MIXES:
        mix = MIXES[kind]
        kind = str(rng.choice(list(mix), p=list(mix.values())))
    if kind not in MASK_KINDS:
        raise ValueError(f"unknown mask kind {kind!r}; choose from {', '.join([*MIXES, *MASK_KINDS])}")
    mask = MASK_KINDS[kind](h, w, rng)
    if mask.max() == 0:
        mask[h // 3 : h // 2, w // 3 : w // 2] = 1
    return mask
