"""Hostile uploads made on the spot: what strangers on a public URL send, in a few kilobytes each.

Every builder writes into a folder and returns the file's path; nothing is downloaded.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import av
import numpy as np
from PIL import Image

from tests.video_clips import pan, photo, write_audio_only, write_clip

SIDE = 96  # small pictures keep the whole matrix fast


def _picture(size: tuple[int, int] = (SIDE, SIDE * 3 // 4)) -> Image.Image:
    return Image.fromarray(photo()).resize(size)


def text_as_png(folder: Path) -> Path:
    path = folder / "notes.png"
    path.write_text("this is a text file wearing a .png name\n")
    return path


def zero_byte(folder: Path) -> Path:
    path = folder / "empty.jpg"
    path.write_bytes(b"")
    return path


def truncated_jpeg(folder: Path) -> Path:
    buf = io.BytesIO()
    _picture().save(buf, format="JPEG", quality=90)
    path = folder / "cut.jpg"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    return path


def png_with_alpha(folder: Path) -> Path:
    im = _picture().convert("RGBA")
    alpha = np.full((im.height, im.width), 255, np.uint8)
    alpha[:, : im.width // 2] = 0  # left half see-through
    im.putalpha(Image.fromarray(alpha))
    return _save(im, folder / "alpha.png")


def png_16bit(folder: Path) -> Path:
    grey = np.asarray(_picture().convert("L"), np.uint16) * 257  # full 16-bit range
    return _save(Image.fromarray(grey), folder / "deep16.png")


def greyscale(folder: Path) -> Path:
    return _save(_picture().convert("L"), folder / "grey.png")


def cmyk_jpeg(folder: Path) -> Path:
    path = folder / "print.jpg"
    _picture().convert("CMYK").save(path, format="JPEG", quality=90)
    return path


def jpeg_named_png(folder: Path) -> Path:
    """Contents decide, never the extension."""
    path = folder / "really_a_jpeg.png"
    _picture().save(path, format="JPEG", quality=90)
    return path


def exif_rotated(folder: Path) -> Path:
    """Stored landscape 96×72, EXIF orientation 6: shown (and processed) portrait 72×96."""
    exif = Image.Exif()
    exif[0x0112] = 6
    path = folder / "phone.jpg"
    _picture().save(path, format="JPEG", quality=90, exif=exif)
    return path


def bomb_header(folder: Path) -> Path:
    """A tiny PNG whose header claims 20000×20000 pixels (a "decompression bomb"), with a valid CRC."""
    data = bytearray(_save(Image.new("RGB", (8, 8), (200, 30, 30)), folder / "tmp.png").read_bytes())
    (folder / "tmp.png").unlink()
    ihdr = 8  # after the signature: length(4) "IHDR"(4) width(4) height(4) …
    data[ihdr + 8 : ihdr + 16] = struct.pack(">II", 20000, 20000)
    body = bytes(data[ihdr + 4 : ihdr + 8 + 13])
    data[ihdr + 8 + 13 : ihdr + 8 + 17] = struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    path = folder / "bomb.png"
    path.write_bytes(bytes(data))
    return path


def one_pixel(folder: Path) -> Path:
    return _save(Image.new("RGB", (1, 1), (120, 60, 200)), folder / "dot.png")


def oversized_upload(folder: Path, megabytes: int = 26) -> Path:
    """A real PNG header followed by noise, just over the app's 25 MB upload limit."""
    path = folder / "huge.png"
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(np.random.default_rng(0).integers(0, 256, megabytes << 20, np.uint8).tobytes())
    return path


def _save(im: Image.Image, path: Path) -> Path:
    im.save(path, format="PNG")
    return path


# name → (builder, None when it must work, else words the error message must contain)
IMAGES = {
    "text as png": (text_as_png, "not an image"),
    "zero bytes": (zero_byte, "not an image|empty"),
    "truncated jpeg": (truncated_jpeg, "corrupt|truncated"),
    "png with alpha": (png_with_alpha, None),
    "16-bit png": (png_16bit, None),
    "greyscale": (greyscale, None),
    "cmyk jpeg": (cmyk_jpeg, None),
    "exif rotated": (exif_rotated, None),
    "jpeg named .png": (jpeg_named_png, None),
    "bomb header": (bomb_header, "megapixels"),
    "1x1": (one_pixel, None),
}


def audio_only(folder: Path) -> Path:
    return write_audio_only(folder / "song.m4a")


def truncated_mp4(folder: Path) -> Path:
    good = write_clip(folder / "whole.mp4", pan(photo(), 12, (160, 96)), 12, audio=True)
    data = good.read_bytes()
    good.unlink()
    path = folder / "cut.mp4"
    path.write_bytes(data[: len(data) // 3])
    return path


def zero_frame_mp4(folder: Path) -> Path:
    """An mp4 whose header was written but not a single frame."""
    path = folder / "zero.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        container.start_encoding()
    return path


def zero_byte_mp4(folder: Path) -> Path:
    path = folder / "empty.mp4"
    path.write_bytes(b"")
    return path


def text_as_mp4(folder: Path) -> Path:
    path = folder / "notes.mp4"
    path.write_text("not a video\n")
    return path


def clip_4k_60fps(folder: Path) -> Path:
    """Three frames of 3840×2160 at 60 fps: big enough to be downscaled, short enough to test quickly."""
    return write_clip(folder / "uhd60.mp4", pan(photo(), 3, (3840, 2160), step=8), 60, audio=False)


# name → (builder, None when it must work, else words the error message must contain)
VIDEOS = {
    "audio only": (audio_only, "only audio"),
    "truncated mp4": (truncated_mp4, "corrupt|no video frames|truncated"),
    "zero frames": (zero_frame_mp4, "no video frames"),
    "text as mp4": (text_as_mp4, "not a video"),
    "zero bytes": (zero_byte_mp4, "empty"),
    "4k 60 fps": (clip_4k_60fps, None),
}
