"""Temporal stabilisation of per-frame stylization (its metric: `artgan.evaluation.video.FlickerMeter`).

Per-frame stylization flickers: the network paints each frame afresh, so strokes swim and
colours pulse even where the scene is still. The fix here needs no retraining (in the spirit
of Lai et al. 2018 "Learning Blind Video Temporal Consistency", without their network):
optical flow between consecutive *input* frames carries the previous *stylized* frame to the
current one, and the two are blended where the flow is trustworthy. Flow is trusted where it
passes the forward–backward consistency test (Ruder et al. 2016, eq. 5) and the warped input
frame matches the current one (photometric check); elsewhere — occlusions, objects entering,
scene cuts — the fresh stylization is used, so nothing ghosts.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

# Temporal smoothing by default (0 = per-frame, 1 = strongest): 0.95 keeps the flicker of both
# benchmark clips at ≤ 50 % of per-frame with the shipped fast network (BENCHMARKS.md, Video).
DEFAULT_STABILIZE = 0.95

MAX_BLEND = 0.9  # weight of the carried frame at strength 1: 1.0 would freeze strokes forever
MAX_SHARPEN = 1.5  # upper bound of the detail gain after blending
PHOTO_TOL = 24  # levels of 255: a warped input pixel further off than this is not trusted
CUT_RELIABLE = 0.35  # fewer trusted pixels than this fraction: treat as a scene cut
CUT_MEAN_DIFF = 40.0  # mean grey difference of 64 px thumbnails above which it is a cut
FLOW_SIDE = 320  # flow and trust mask run at this long side: smooth fields, 7× fewer pixels than 480p


def gray(img_u8: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img_u8, cv2.COLOR_RGB2GRAY)


@lru_cache(maxsize=8)
def _grid(h: int, w: int) -> np.ndarray:
    """Pixel coordinates [H,W,2] as (x, y), float32."""
    return np.ascontiguousarray(np.indices((h, w), np.float32)[::-1].transpose(1, 2, 0))


def warp(img: np.ndarray, flow: np.ndarray, interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    """Backward warp: out(x) = img(x + flow(x)), edges replicated."""
    return cv2.remap(img, _grid(*flow.shape[:2]) + flow, None, interpolation, borderMode=cv2.BORDER_REPLICATE)


def resize_flow(flow: np.ndarray, width: int, height: int) -> np.ndarray:
    """A flow field at another resolution, its vectors scaled to match."""
    h, w = flow.shape[:2]
    big = cv2.resize(flow, (width, height), interpolation=cv2.INTER_LINEAR)
    return cv2.multiply(big, (width / w, height / h, 0.0, 0.0))


def reliable(flow_back: np.ndarray, flow_fwd: np.ndarray, cur_u8: np.ndarray, prev_u8: np.ndarray) -> np.ndarray:
    """Mask [H,W] bool of pixels of the current frame whose flow to the previous one is trusted.

    `flow_back` maps current → previous, `flow_fwd` previous → current. A pixel is trusted when
    going back and forth lands where it started (Ruder et al. 2016: |b + f(x+b)|² ≤
    0.01(|b|² + |f(x+b)|²) + 0.5), the flow stays inside the frame, and the previous frame
    warped to the current one matches it within PHOTO_TOL in every colour channel (a grey
    check misses a red object crossing a red door: same luminance, different colour).
    """
    h, w = flow_back.shape[:2]
    fwd_at = warp(flow_fwd, flow_back)
    sq = lambda v: np.einsum("ijk,ijk->ij", v, v)  # noqa: E731  (|v|² per pixel)
    consistent = sq(flow_back + fwd_at) <= 0.01 * (sq(flow_back) + sq(fwd_at)) + 0.5
    to = _grid(h, w) + flow_back
    inside = (to[..., 0] >= 0) & (to[..., 0] <= w - 1) & (to[..., 1] >= 0) & (to[..., 1] <= h - 1)
    diff = cv2.absdiff(warp(prev_u8, flow_back), cur_u8)
    photo = cv2.inRange(diff, (0, 0, 0), (PHOTO_TOL, PHOTO_TOL, PHOTO_TOL)) > 0  # every channel within
    return consistent & inside & photo


def is_cut(cur_gray: np.ndarray, prev_gray: np.ndarray) -> bool:
    """A hard scene change: the small thumbnails differ a lot on average."""
    a, b = (cv2.resize(g, (64, 36), interpolation=cv2.INTER_AREA).astype(np.float32) for g in (cur_gray, prev_gray))
    return float(np.abs(a - b).mean()) > CUT_MEAN_DIFF


def shrink(img_u8: np.ndarray, long_side: int) -> np.ndarray:
    """Downscale to `long_side` (never up) by area averaging: fast, and no ringing for the flow
    (Lanczos took 13 % of the Live tab's CPU on 640→320 px camera frames, py-spy)."""
    h, w = img_u8.shape[:2]
    if max(h, w) <= long_side:
        return img_u8
    s = long_side / max(h, w)
    return cv2.resize(img_u8, (max(8, round(w * s)), max(8, round(h * s))), interpolation=cv2.INTER_AREA)


class FlowPair:
    """Dense flows both ways between consecutive frames (OpenCV DIS; one instance per thread)."""

    def __init__(self, preset: int = cv2.DISOPTICAL_FLOW_PRESET_FAST) -> None:
        self.dis = cv2.DISOpticalFlow_create(preset)

    def __call__(self, cur_gray: np.ndarray, prev_gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(current → previous, previous → current), each [H,W,2] float32 in pixels."""
        return self.dis.calc(cur_gray, prev_gray, None), self.dis.calc(prev_gray, cur_gray, None)


def _restore_detail(blend_u8: np.ndarray, fresh_u8: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Give back the stroke contrast that averaging frames took away (an adaptive unsharp mask).

    Strokes of successive frames do not line up exactly, so their weighted mean is softer than
    any one of them. The high-pass part of the blend (itself minus its σ=1 blur) is amplified
    until its energy over the blended pixels matches the fresh stylization's (never more than
    MAX_SHARPEN×), in proportion to each pixel's blend weight [H,W] in [0,1]; a static scene,
    whose strokes do line up, gets almost none. All in OpenCV on uint8: float temporaries
    made this step cost as much as the network at 480p.
    """
    blended = (weight > 0.5).astype(np.uint8)
    if not cv2.countNonZero(blended):
        return blend_u8
    blur = cv2.GaussianBlur(blend_u8, (0, 0), 1.0)
    energy = cv2.norm(blend_u8, blur, cv2.NORM_L2SQR, blended)
    fresh_energy = cv2.norm(fresh_u8, cv2.GaussianBlur(fresh_u8, (0, 0), 1.0), cv2.NORM_L2SQR, blended)
    gain = min(max(np.sqrt(fresh_energy / max(1e-6, energy)) - 1, 0.0), MAX_SHARPEN)
    if gain == 0.0:
        return blend_u8
    sharp = cv2.addWeighted(blend_u8, 1 + gain, blur, -gain, 0)  # blend + gain·(blend − blur), saturated
    return cv2.blendLinear(sharp, blend_u8, weight, 1 - weight)


class Stabilizer:
    """Feed (input frame, its stylization) in order; get the steadied stylization back.

    out_t = a·warp(out_{t−1}) + (1 − a)·stylized_t with a = strength·MAX_BLEND on trusted
    pixels (mask feathered so blend edges do not show) and 0 elsewhere and after cuts; the
    returned frame gets back the stroke contrast that averaging takes away.
    """

    def __init__(self, strength: float, flow_side: int = FLOW_SIDE) -> None:
        if not 0.0 <= strength <= 1.0:
            raise ValueError("stabilisation strength must be between 0 and 1")
        self.strength, self.flow_side = strength, flow_side
        self.flows = FlowPair()
        self.prev: tuple[np.ndarray, np.ndarray] | None = None  # previous input (RGB, grey)
        self.prev_out: np.ndarray | None = None
        self.cuts = 0

    def __call__(self, frame_u8: np.ndarray, stylized_u8: np.ndarray) -> np.ndarray:
        h, w = frame_u8.shape[:2]
        small = shrink(frame_u8, self.flow_side)
        cur = gray(small)
        prev, self.prev = self.prev, (small, cur)
        if self.strength == 0 or prev is None or is_cut(cur, prev[1]):
            return self._restart(stylized_u8, cut=prev is not None)
        back, fwd = self.flows(cur, prev[1])
        mask = reliable(back, fwd, small, prev[0])
        if mask.mean() < CUT_RELIABLE:
            return self._restart(stylized_u8, cut=True)
        trust = cv2.resize(
            cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 1.0), (w, h), interpolation=cv2.INTER_LINEAR
        )
        alpha = trust * np.float32(self.strength * MAX_BLEND)
        # bicubic: the carried frame is resampled every frame, and bilinear would blur it away
        carried = warp(self.prev_out, resize_flow(back, w, h), cv2.INTER_CUBIC)
        blend = cv2.blendLinear(carried, stylized_u8, alpha, 1 - alpha)  # per-pixel weights, rounded to uint8
        self.prev_out = blend  # carried on unsharpened, or sharpening would compound
        return _restore_detail(blend, stylized_u8, trust)

    def _restart(self, stylized_u8: np.ndarray, cut: bool) -> np.ndarray:
        """First frame, a scene cut or stabilisation off: the fresh stylization as it is."""
        self.cuts += cut and self.strength > 0
        self.prev_out = stylized_u8
        return stylized_u8
