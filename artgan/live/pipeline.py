"""Stylize webcam frames one at a time (numpy + ONNX Runtime + OpenCV, no torch).

Order of operations mirrors the Live tab: frame → size → styles/blend → strength → keep colours
→ steadiness. The painting is the Stylize pipeline's (`run_network`, `keep_colors`, `mix`); the
steadiness is the Video tab's flow-guided `Stabilizer`, fed frame by frame. A `LiveSession`
holds one browser's state: the stabiliser's previous frame and output, and the fps meter.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from artgan.errors import StyleError
from artgan.live import DEFAULT_SIZE, SIZES
from artgan.runtime.images import ensure_rgb_u8
from artgan.stylize.pipeline import StyleLibrary, keep_colors, mix, run_network
from artgan.video.temporal import DEFAULT_STABILIZE, Stabilizer, shrink

# flow for live frames at this long side: a webcam's motion field is smooth, and half of the
# 320 px frame halves the steadiness cost that the 12 fps goal at 320 px has no room for
LIVE_FLOW_SIDE = 160

FPS_WINDOW = 2.0  # seconds of delivered frames the fps readout averages over
SLOW_FPS = 3.0  # below this, after the first seconds, the readout says the stream is slow
RESTART_GAP = 1.0  # s without frames after which a frame starts a new stream (Stop, then Record)


@dataclass(frozen=True)
class LiveSettings:
    """Everything the Live tab lets a person choose (all of it may change between frames)."""

    styles: dict[str, float]
    strength: float = 1.0
    keep_colors: bool = False
    size: int = DEFAULT_SIZE  # long side of the painted frame (never upscaled)
    steady: bool = True

    def __post_init__(self) -> None:
        if not 0.0 <= self.strength <= 1.0:
            raise StyleError("strength must be between 0 and 1")
        if self.size not in SIZES:
            raise StyleError(f"size must be one of {', '.join(map(str, SIZES))} px")


@dataclass(frozen=True)
class FrameStats:
    """What the readout shows after a frame: delivery rate and where the time went (ms)."""

    fps: float  # frames returned per second over the last FPS_WINDOW s
    network_ms: float  # stylize + keep colours + strength
    steady_ms: float  # flow + blend (0 with steadiness off)
    total_ms: float  # the whole handler: decode is Gradio's, everything after it ours
    frames: int  # frames painted since start
    size: tuple[int, int]  # (width, height) painted

    @property
    def slow(self) -> bool:
        return self.frames > 10 and self.fps < SLOW_FPS


class LiveSession:
    """One browser's stream: call it with each camera frame; it returns the painted frame and stats.

    The stabiliser starts afresh when the size, style or steadiness changes (its previous
    output would be the wrong size or carry the old style over for a second or more).
    """

    def __init__(self, library: StyleLibrary) -> None:
        self.library = library
        self.stabilizer: Stabilizer | None = None
        self._key: tuple | None = None
        self._sent: deque[float] = deque()
        self.frames = 0

    def __call__(self, frame_u8: np.ndarray, settings: LiveSettings) -> tuple[np.ndarray, FrameStats]:
        start = time.perf_counter()
        if self._sent and start - self._sent[-1] > RESTART_GAP:
            self._key, self.frames = None, 0  # a new stream: steadiness and the fps count start afresh
            self._sent.clear()
        frame = shrink(ensure_rgb_u8(frame_u8), settings.size)  # HWC uint8 RGB
        painted = self.paint(frame, settings)
        painted_at = time.perf_counter()
        out = self.steady(frame, painted, settings)
        done = time.perf_counter()
        self.frames += 1
        stats = FrameStats(
            self._fps(done),
            1000 * (painted_at - start),
            1000 * (done - painted_at),
            1000 * (done - start),
            self.frames,
            (frame.shape[1], frame.shape[0]),
        )
        return out, stats

    def paint(self, frame_u8: np.ndarray, settings: LiveSettings) -> np.ndarray:
        """The Stylize tab's order: network → keep colours → strength."""
        if settings.strength == 0.0:
            return frame_u8
        # no spinning: a stream is a steady load, and spinning threads between its frames would
        # take the CPU from other users' requests and, beside a local browser, from the browser
        painted = run_network(self.library, frame_u8, self.library.blend(settings.styles), spin=False)[0]
        if settings.keep_colors:
            painted = keep_colors(painted, frame_u8)
        return mix(painted, frame_u8, settings.strength)

    def steady(self, frame_u8: np.ndarray, painted_u8: np.ndarray, settings: LiveSettings) -> np.ndarray:
        key = (frame_u8.shape, tuple(sorted(settings.styles.items())), settings.steady)
        if key != self._key:
            strength = DEFAULT_STABILIZE if settings.steady else 0.0
            self._key, self.stabilizer = key, Stabilizer(strength, LIVE_FLOW_SIDE)
        return self.stabilizer(frame_u8, painted_u8)

    def _fps(self, now: float) -> float:
        self._sent.append(now)
        while now - self._sent[0] > FPS_WINDOW:
            self._sent.popleft()
        if len(self._sent) < 2:
            return 0.0
        return (len(self._sent) - 1) / max(1e-6, self._sent[-1] - self._sent[0])
