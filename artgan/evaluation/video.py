"""Flicker (warping error) and a blocking, cancellable form of the video job, for bench/ and tests/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from artgan.errors import ArtganError
from artgan.stylize.pipeline import StyleLibrary
from artgan.video.pipeline import Step, VideoResult, VideoSettings, iter_stylize_video
from artgan.video.temporal import gray, reliable, warp


class FlickerMeter:
    """Warping error (Lai et al. 2018): mean |O_t − warp(O_{t−1})| over trusted pixels, 0–255.

    The flow comes from the *input* frames and uses Farneback, not the stabiliser's DIS, so
    the metric does not just reward agreeing with the stabiliser's own flow; untrusted
    (occluded, out-of-frame, mismatched) pixels are excluded. Feed frames in order, each with
    one or more outputs (say per-frame and stabilised): they are judged on the same flow and mask.
    """

    def __init__(self) -> None:
        self.totals: list[float] = []
        self.count = 0
        self._prev: tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]] | None = None  # input RGB, grey, outputs

    def update(self, frame_u8: np.ndarray, *outputs_u8: np.ndarray) -> None:
        cur = gray(frame_u8)
        if self._prev is not None:
            prev_u8, prev_gray, prev_outs = self._prev
            back = cv2.calcOpticalFlowFarneback(cur, prev_gray, None, 0.5, 4, 21, 3, 5, 1.1, 0)
            fwd = cv2.calcOpticalFlowFarneback(prev_gray, cur, None, 0.5, 4, 21, 3, 5, 1.1, 0)
            mask = reliable(back, fwd, frame_u8, prev_u8)
            self.totals = self.totals or [0.0] * len(outputs_u8)
            for i, (out, prev_out) in enumerate(zip(outputs_u8, prev_outs, strict=True)):
                diff = np.abs(out.astype(np.float32) - warp(prev_out, back).astype(np.float32)).mean(axis=2)
                self.totals[i] += float(diff[mask].sum())
            self.count += int(mask.sum())
        self._prev = (frame_u8, cur, outputs_u8)

    @property
    def values(self) -> list[float]:
        return [t / max(1, self.count) for t in self.totals]


def warping_error(frames_u8: list[np.ndarray], outputs_u8: list[np.ndarray]) -> float:
    """FlickerMeter over whole lists of input frames and their outputs."""
    meter = FlickerMeter()
    for frame, out in zip(frames_u8, outputs_u8, strict=True):
        meter.update(frame, out)
    return meter.values[0] if meter.values else 0.0


class VideoCancelled(ArtganError):
    """The user stopped the job; no output file is left behind."""


def stylize_video(
    library: StyleLibrary,
    src: str | Path,
    dst: str | Path,
    settings: VideoSettings,
    progress: Callable[[Step], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> VideoResult:
    """Blocking form: `progress` sees every Step (the first carries the preview frame);
    `cancel` returning True stops the job and raises VideoCancelled."""
    steps = iter_stylize_video(library, src, dst, settings)
    try:
        while True:
            step = next(steps)
            if progress:
                progress(step)
            if cancel and cancel():
                steps.close()
                raise VideoCancelled(f"cancelled after {step.done} of {step.total} frames")
    except StopIteration as stop:
        return stop.value
