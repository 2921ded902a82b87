"""Test clips made on the spot with PyAV and OpenCV, so neither the tests nor the bench download any.

Camera pans and zooms over the shipped example photos, a synthetic moving object, a scene
cut, optionally with an AAC sine-tone audio track.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from artgan.runtime.images import read_image
from tests.conftest import EXAMPLES


def photo(name: str = "kodak_02_red_door.jpg") -> np.ndarray:
    return read_image(EXAMPLES / name)


def pan(img_u8: np.ndarray, frames: int, size: tuple[int, int], step: float = 2.0, zoom: float = 0.0) -> list:
    """A camera sliding right by `step` px per frame (sub-pixel steps allowed) and zooming in by `zoom` per frame."""
    w, h = size
    scale = 1.25 * max(w / img_u8.shape[1], h / img_u8.shape[0])  # room to move
    out = []
    for i in range(frames):
        s = scale * (1 + zoom * i)
        m = np.float32([[s, 0, -i * step], [0, s, -(img_u8.shape[0] * s - h) / 2]])
        out.append(cv2.warpAffine(img_u8, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT))
    return out


def moving_disc(background_u8: np.ndarray, frames: int, size: tuple[int, int], radius: int = 12) -> list:
    """A still background with a red disc crossing it (occlusion and disocclusion)."""
    w, h = size
    base = cv2.resize(background_u8, (w, h), interpolation=cv2.INTER_AREA)
    out = []
    for i in range(frames):
        frame = base.copy()
        cv2.circle(frame, (int(radius + i * (w - 2 * radius) / max(1, frames - 1)), h // 2), radius, (220, 30, 30), -1)
        out.append(frame)
    return out


def write_clip(
    path: Path,
    frames: list[np.ndarray],
    fps: Fraction | int = 24,
    audio: bool = True,
    codec: str = "libx264",
    rotation: int = 0,
    audio_codec: str = "aac",
    options: dict | None = None,
) -> Path:
    """Encode RGB frames (and a 440 Hz tone as long as the video) into `path`; the suffix picks the container,
    `options` are the muxer's (e.g. {"live": "1"}: a webm without duration, as browsers record them)."""
    fps = Fraction(fps)
    with av.open(str(path), "w", options=options or {}) as container:
        video = container.add_stream(codec, rate=fps)
        video.height, video.width = frames[0].shape[:2] if frames else (64, 64)
        video.pix_fmt = "yuv420p"
        if rotation:
            video.set_display_rotation(rotation)
        if audio:
            _tone(container, len(frames) / fps, audio_codec)
        for i, img in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = i, 1 / fps
            container.mux(video.encode(frame))
        container.mux(video.encode())
    return path


def write_audio_only(path: Path, seconds: float = 1.0) -> Path:
    with av.open(str(path), "w") as container:
        _tone(container, seconds, "aac")
    return path


def _tone(container, seconds: float, codec: str, rate: int = 48000) -> None:
    stream = container.add_stream(codec, rate=rate, layout="mono")
    samples = int(seconds * rate)
    t = np.arange(samples) / rate
    wave = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    size = 1024
    for i in range(0, samples, size):
        chunk = wave[i : i + size]
        frame = av.AudioFrame.from_ndarray(chunk[None], format="fltp", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = rate, i, Fraction(1, rate)
        container.mux(stream.encode(frame))
    container.mux(stream.encode())


def read_back(path: Path) -> dict:
    """What a player would see: frame count, fps, size, duration and audio of a finished file."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video)]
        info = {
            "frames": frames,
            "fps": video.average_rate,
            "codec": video.codec_context.name,
            "pix_fmt": video.codec_context.pix_fmt,
            "audio": [s.codec_context.name for s in container.streams.audio],
            "duration": container.duration / av.time_base if container.duration else 0.0,
        }
    with av.open(str(path)) as container:
        audio = container.streams.audio
        info["audio_seconds"] = sum(f.samples for f in container.decode(audio[0])) / audio[0].rate if audio else 0.0
    return info


def write_y4m(path: Path, frames: list[np.ndarray], fps: int = 24) -> Path:
    """Raw 4:2:0 YUV4MPEG2: what Chromium's `--use-file-for-fake-video-capture` plays as a camera (looped)."""
    h, w = frames[0].shape[:2]
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for img in frames:
            out.write(b"FRAME\n" + cv2.cvtColor(img, cv2.COLOR_RGB2YUV_I420).tobytes())
    return path
