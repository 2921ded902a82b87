"""Video files in and out with PyAV (its wheels bundle FFmpeg): probe, decode, encode.

Frames cross this module's edge as HWC uint8 RGB, upright (rotation metadata applied to the
pixels, as players do), already fitted to the limits. Output is H.264 yuv420p in mp4 with
`+faststart` (plays in every browser while downloading) and the audio re-encoded to AAC,
which mp4 always accepts whatever the source codec was (Opus, Vorbis, PCM…).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from artgan.errors import VideoError

# FFmpeg demuxer names we accept; others (still images, flv, raw streams…) are refused by name
CONTAINERS = {"mov": "mov", "mp4": "mp4", "matroska": "mkv", "webm": "webm", "avi": "avi", "mpegts": "ts"}
AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)
DEFAULT_FPS = Fraction(25)
AAC_FRAME = 1024  # samples per AAC-LC frame; the encoder takes exactly this many


@dataclass(frozen=True)
class Limits:
    """What the app accepts before downscaling or cutting (with a note, never silently)."""

    max_side: int = 720
    max_seconds: float = 60.0

    @classmethod
    def from_env(cls) -> Limits:
        """The app's limits: ARTGAN_VIDEO_MAX_SIDE (px) and ARTGAN_VIDEO_MAX_SECONDS override the defaults."""
        return cls(
            int(os.environ.get("ARTGAN_VIDEO_MAX_SIDE", cls.max_side)),
            float(os.environ.get("ARTGAN_VIDEO_MAX_SECONDS", cls.max_seconds)),
        )

    def __post_init__(self) -> None:
        if self.max_side < 16:
            raise VideoError("the long-side limit must be at least 16 pixels")
        if self.max_seconds <= 0:
            raise VideoError("the length limit must be more than 0 seconds")


@dataclass(frozen=True)
class VideoInfo:
    """A probed input and the size/length it will be processed at."""

    name: str
    fps: Fraction
    rotation: int  # degrees counter-clockwise applied to the stored pixels (FFmpeg's display matrix)
    width: int  # displayed size (after rotation), before the limits
    height: int
    duration: float  # seconds of video in the file
    has_audio: bool
    out_width: int  # even sizes: yuv420p needs them
    out_height: int
    seconds: float  # what will be processed: min(duration, limit)
    notes: tuple[str, ...] = field(default=())

    @property
    def frames(self) -> int:
        """Expected number of output frames (for progress; the decoder has the last word)."""
        return max(1, round(self.seconds * self.fps))


def _open(path: Path) -> av.container.InputContainer:
    if not path.is_file():
        raise VideoError(f"cannot open {path.name}: no such file")
    if path.stat().st_size == 0:
        raise VideoError(f"{path.name} is empty (0 bytes)")
    try:
        return av.open(str(path), metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise VideoError(f"{path.name} is not a video file that can be read (corrupt or unknown format)") from exc


def _check_container(container, name: str) -> None:
    names = set(container.format.name.split(","))
    if names & set(CONTAINERS):
        return
    if any(n.endswith("_pipe") or n == "image2" for n in names):
        raise VideoError(f"{name} is a still image, not a video; use the Stylize tab or `artgan stylize`")
    kinds = ", ".join(dict.fromkeys(CONTAINERS.values()))
    raise VideoError(f"{name} is in the {container.format.name!r} container, which is not supported; use {kinds}")


def fit_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """Scale so the long side is ≤ max_side, both sides even (yuv420p), never upscaling."""
    scale = min(1.0, max_side / max(width, height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def probe(path: str | Path, limits: Limits = Limits()) -> VideoInfo:  # noqa: B008 (frozen, immutable default)
    """Open, validate and measure a video; decodes only its first frame (for rotation and size)."""
    path = Path(path)
    with _open(path) as container:
        _check_container(container, path.name)
        if container.streams.audio and not container.streams.video:
            raise VideoError(f"{path.name} has only audio, no picture; upload a video")
        if not container.streams.video:
            raise VideoError(f"{path.name} holds no video frames (zero-length or corrupt)")
        stream = container.streams.video[0]
        first = _first_frame(container, stream, path.name)
        fps = stream.average_rate or stream.guessed_rate or DEFAULT_FPS
        duration = _duration(container, stream, fps)
        has_audio = bool(container.streams.audio)
    rotation = int(round((first.rotation or 0) / 90)) * 90 % 360
    w, h = (first.height, first.width) if rotation in (90, 270) else (first.width, first.height)
    out_w, out_h = fit_size(w, h, limits.max_side)
    notes = []
    if max(w, h) > limits.max_side:
        notes.append(f"downscaled from {w}×{h} to {out_w}×{out_h} (limit: long side {limits.max_side} px)")
    seconds = min(duration, limits.max_seconds)
    if duration > limits.max_seconds + 0.5 / float(fps):
        notes.append(f"cut to the first {limits.max_seconds:g} s of {duration:.1f} s (limit: {limits.max_seconds:g} s)")
    return VideoInfo(path.name, Fraction(fps), rotation, w, h, duration, has_audio, out_w, out_h, seconds, tuple(notes))


def _first_frame(container, stream, name: str) -> av.VideoFrame:
    try:
        for frame in container.decode(stream):
            return frame
    except av.error.FFmpegError as exc:
        raise VideoError(f"{name} is corrupt: its video cannot be decoded ({exc.strerror or exc})") from exc
    raise VideoError(f"{name} holds no video frames (zero-length or truncated)")


def _duration(container, stream, fps: Fraction) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return _demuxed_duration(container.name, fps)


def _demuxed_duration(path: str, fps: Fraction) -> float:
    """No duration in the header (browser-recorded webm, live streams): read packet times, no decoding."""
    end, count = 0.0, 0
    with av.open(path) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            if packet.size:
                count += 1
                if packet.pts is not None and packet.time_base:
                    end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
        start = float(stream.start_time * stream.time_base) if stream.start_time and stream.time_base else 0.0
    return max(end - start, count / float(fps))


def read_frames(path: str | Path, info: VideoInfo) -> Iterator[np.ndarray]:
    """Upright HWC uint8 RGB frames at the output size, up to the length limit."""
    path = Path(path)
    # resize before rotating: swscale works on the stored orientation
    w, h = (info.out_height, info.out_width) if info.rotation in (90, 270) else (info.out_width, info.out_height)
    count, start = 0, None
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            for frame in container.decode(stream):
                t = frame.time if frame.time is not None else count / float(info.fps)
                start = t if start is None else start
                if t - start >= info.seconds - 0.25 / float(info.fps):
                    break
                rgb = frame.reformat(width=w, height=h, format="rgb24", interpolation="AREA").to_ndarray()
                yield np.ascontiguousarray(np.rot90(rgb, info.rotation // 90)) if info.rotation else rgb
                count += 1
        except av.error.FFmpegError as exc:
            raise VideoError(f"{path.name} is corrupt after frame {count}: {exc.strerror or exc}") from exc


class Mp4Writer:
    """H.264 yuv420p + AAC in mp4 with `+faststart`; audio is written first, then frames stream in."""

    def __init__(self, path: str | Path, info: VideoInfo, audio_from: str | Path | None = None, crf: int = 20) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() != ".mp4":
            raise VideoError(f"the output is an mp4 file: name it {self.path.stem}.mp4, not {self.path.name}")
        self.fps = info.fps
        self.count = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.container = av.open(str(self.path), "w", format="mp4", options={"movflags": "+faststart"})
        except (OSError, av.error.FFmpegError) as exc:
            raise VideoError(f"cannot write {self.path}: {exc.strerror or exc}") from exc
        self.stream = self.container.add_stream("libx264", rate=info.fps, options={"crf": str(crf), "preset": "fast"})
        self.stream.width, self.stream.height, self.stream.pix_fmt = info.out_width, info.out_height, "yuv420p"
        self.has_audio = bool(audio_from and info.has_audio)
        if self.has_audio:
            _transcode_audio(Path(audio_from), self.container, info.seconds)

    def write(self, frame_u8: np.ndarray) -> None:
        """One HWC uint8 RGB frame of the output size."""
        assert frame_u8.shape == (self.stream.height, self.stream.width, 3), frame_u8.shape
        frame = av.VideoFrame.from_ndarray(frame_u8, format="rgb24")
        frame.pts, frame.time_base = self.count, 1 / self.fps
        self.container.mux(self.stream.encode(frame))
        self.count += 1

    def close(self) -> None:
        self.container.mux(self.stream.encode())
        self.container.close()

    def __enter__(self) -> Mp4Writer:
        return self

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            self.close()
        else:  # cancelled or failed: leave no half-written file behind
            self.container.close()
            self.path.unlink(missing_ok=True)


def _transcode_audio(src: Path, out, seconds: float) -> None:
    """Decode the first audio track and re-encode it to AAC, cut to the video's length."""
    with _open(src) as container:
        audio = container.streams.audio[0]
        rate = audio.rate if audio.rate in AAC_RATES else 48000
        layout = "mono" if audio.channels == 1 else "stereo"
        stream = out.add_stream("aac", rate=rate, layout=layout)
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate, frame_size=AAC_FRAME)
        limit, done = round(seconds * rate), 0
        try:
            for frame in _with_flush(container.decode(audio)):
                for chunk in resampler.resample(frame):
                    if done >= limit:
                        break
                    chunk.pts, chunk.time_base = done, Fraction(1, rate)
                    done += chunk.samples
                    out.mux(stream.encode(chunk))
                if done >= limit:
                    break
        except av.error.FFmpegError as exc:
            raise VideoError(f"{src.name}: its audio track is corrupt ({exc.strerror or exc})") from exc
        out.mux(stream.encode())


def _with_flush(frames: Iterator) -> Iterator:
    """The frames, then None: a resampler flushes its buffered samples on None."""
    yield from frames
    yield None
