"""Stylize a video with ONNX Runtime: what the app and the CLI call (numpy + PyAV + OpenCV, no torch).

Order of operations mirrors the Video tab: clip → styles/blend → strength → keep colours →
stabilisation → limits. Frames stream through decode → network (a few per ORT call) →
stabiliser → encoder, so memory stays flat however long the clip is.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import numpy as np

from artgan.errors import ArtganError, StyleError, VideoError
from artgan.runtime.images import from_nchw, pad_to_multiple, resize_u8, to_nchw
from artgan.runtime.sessions import parallel_workers
from artgan.stylize.pipeline import StyleLibrary, keep_colors, mix
from artgan.video.media import Limits, Mp4Writer, VideoInfo, probe, read_frames
from artgan.video.temporal import DEFAULT_STABILIZE, Stabilizer

BATCH = 4  # frames per ORT call: 11 % less time per frame at 480p on an idle 2-core CPU (BENCHMARKS.md)


@dataclass(frozen=True)
class VideoSettings:
    """Everything the Video tab and `artgan video` let a person choose."""

    styles: dict[str, float]
    strength: float = 1.0
    keep_colors: bool = False
    stabilize: float = DEFAULT_STABILIZE  # 0 = per-frame stylization, 1 = strongest temporal smoothing
    brush_scale: float = 1.0  # > 1: the network runs smaller (larger strokes, faster)
    limits: Limits = field(default_factory=Limits)
    batch: int = BATCH

    def __post_init__(self) -> None:
        if not 0.0 <= self.strength <= 1.0:
            raise StyleError("strength must be between 0 and 1")
        if not 0.0 <= self.stabilize <= 1.0:
            raise ArtganError("stabilisation must be between 0 and 1")
        if not 0.25 <= self.brush_scale <= 4.0:
            raise StyleError("brush scale must be between 0.25 and 4")


@dataclass(frozen=True)
class Step:
    """Progress after each frame; `frame` is the finished (stylized, steadied) output frame."""

    done: int
    total: int
    frame: np.ndarray
    elapsed: float

    @property
    def seconds_left(self) -> float:
        return self.elapsed / self.done * max(0, self.total - self.done)


@dataclass(frozen=True)
class VideoResult:
    path: Path
    frames: int
    fps: float
    width: int
    height: int
    has_audio: bool
    scene_cuts: int
    notes: tuple[str, ...]


def stylize_frames(library: StyleLibrary, frames_u8: list[np.ndarray], style_vec: np.ndarray) -> list[np.ndarray]:
    """Same-size frames through the network, each with its own normalisation statistics.

    On a multi-core CPU the frames run side by side, one single-threaded ORT run per core
    (faster than one batched call spread over the cores); elsewhere as one batched call.
    """
    workers = min(len(frames_u8), parallel_workers(library.session()))
    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(lambda f: _run_batch(library, [f], style_vec, threads=1)[0], frames_u8))
    return _run_batch(library, frames_u8, style_vec)


def _run_batch(
    library: StyleLibrary, frames_u8: list[np.ndarray], style_vec: np.ndarray, threads: int | None = None
) -> list[np.ndarray]:
    x = np.concatenate([pad_to_multiple(to_nchw(f), library.stride)[0] for f in frames_u8])  # [N,3,H',W'] in [0,1]
    n, (h, w) = len(frames_u8), frames_u8[0].shape[:2]
    feeds = {
        "image": x,
        "style": np.repeat(style_vec[None], n, axis=0),
        "norm_stats": np.zeros((n, style_vec.shape[0]), np.float32),
        "stats_weight": np.zeros((n, 1), np.float32),
    }
    out = library.session(threads).run(None, feeds)[0]  # [N,3,H',W'] in [0,1]
    return [from_nchw(o[:, :h, :w]) for o in out]


class FramePainter:
    """Stylize → keep colours → strength for frames of one size (the Stylize tab's order)."""

    def __init__(self, library: StyleLibrary, settings: VideoSettings, width: int, height: int) -> None:
        self.library, self.settings = library, settings
        self.vec = library.blend(settings.styles)
        self.work = library.work_size(width, height, settings.brush_scale)  # as a still is painted
        self.size = (width, height)

    def __call__(self, frames_u8: list[np.ndarray]) -> list[np.ndarray]:
        s = self.settings
        if s.strength == 0.0:
            return [f.copy() for f in frames_u8]
        work = [resize_u8(f, *self.work) for f in frames_u8]
        out = [resize_u8(o, *self.size) for o in stylize_frames(self.library, work, self.vec)]
        if s.keep_colors:
            out = [keep_colors(o, f) for o, f in zip(out, frames_u8, strict=True)]
        return [mix(o, f, s.strength) for o, f in zip(out, frames_u8, strict=True)]


def _batches(frames: Iterator[np.ndarray], size: int) -> Iterator[list[np.ndarray]]:
    """The first frame alone (an early preview), then batches of `size`."""
    first = list(islice(frames, 1))
    if first:
        yield first
    while batch := list(islice(frames, size)):
        yield batch


def iter_stylize_video(
    library: StyleLibrary, src: str | Path, dst: str | Path, settings: VideoSettings, info: VideoInfo | None = None
) -> Generator[Step, None, VideoResult]:
    """Stylize `src` into the mp4 `dst`, yielding a Step after every frame; returns the result.

    Stopping the generator (close(), or dropping it) removes the half-written file.
    """
    if Path(dst).resolve() == Path(src).resolve():
        raise VideoError("the output would overwrite the input; choose another output name")
    info = info or probe(src, settings.limits)
    for name in settings.styles:
        library.get(name)  # a bad style name fails before any work
    painter = FramePainter(library, settings, info.out_width, info.out_height)
    stabilizer = Stabilizer(settings.stabilize)
    start, done = time.perf_counter(), 0

    def finish(batch: list[np.ndarray], painted: list[np.ndarray]) -> list[np.ndarray]:
        outs = [stabilizer(frame, p) for frame, p in zip(batch, painted, strict=True)]
        for out in outs:
            writer.write(out)
        return outs

    # One worker steadies and encodes batch k while ONNX Runtime paints batch k+1 (both
    # release the GIL); a single worker keeps the stabiliser and the encoder in frame order.
    with Mp4Writer(dst, info, audio_from=src) as writer, ThreadPoolExecutor(1, "artgan-video") as pool:
        pending: Future | None = None
        for batch in _batches(read_frames(src, info), settings.batch):
            job = pool.submit(finish, batch, painter(batch))
            if done == 0:  # the first frame at once: the preview
                pending, job = job, None
            for out in pending.result() if pending else ():
                done += 1
                yield Step(done, max(done, info.frames), out, time.perf_counter() - start)
            pending = job
        for out in pending.result() if pending else ():
            done += 1
            yield Step(done, max(done, info.frames), out, time.perf_counter() - start)
        if done == 0:
            raise VideoError(f"{info.name} holds no video frames (zero-length or truncated)")
        has_audio = writer.has_audio
    return VideoResult(
        Path(dst), done, float(info.fps), info.out_width, info.out_height, has_audio, stabilizer.cuts, info.notes
    )
