"""The image contract: decoding user files, clear errors, pure conversions."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from artgan.errors import ImageError
from artgan.runtime.images import (
    ensure_rgb_u8,
    fit_long_side,
    from_nchw,
    pad_to_multiple,
    read_image,
    to_nchw,
)


def png_bytes(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def test_reads_example_as_rgb_u8(example_path):
    img = read_image(example_path)
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
    assert img.std() > 10  # a real photo, not a blank


def test_non_image_is_a_clear_error(tmp_path):
    p = tmp_path / "notes.jpg"
    p.write_text("this is not a picture")
    with pytest.raises(ImageError, match="not an image"):
        read_image(p)


def test_truncated_jpeg_is_a_clear_error(example_path, tmp_path):
    data = example_path.read_bytes()
    p = tmp_path / "cut.jpg"
    p.write_bytes(data[: len(data) // 3])
    with pytest.raises(ImageError, match="corrupt|truncated"):
        read_image(p)


def test_huge_image_is_refused_before_decoding():
    data = png_bytes(Image.new("1", (9000, 8000)))  # 72 MP, yet a tiny file
    with pytest.raises(ImageError, match="megapixels"):
        read_image(data)


def test_exif_rotation_is_applied():
    im = Image.new("RGB", (40, 20), (200, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    buf = io.BytesIO()
    im.save(buf, format="JPEG", exif=exif)
    assert read_image(buf.getvalue()).shape[:2] == (40, 20)


def test_transparency_becomes_white():
    im = Image.new("RGBA", (8, 8), (255, 0, 0, 0))
    assert (read_image(png_bytes(im)) == 255).all()


def test_conversions_round_trip_and_do_not_mutate(example_u8):
    before = example_u8.copy()
    assert np.array_equal(from_nchw(to_nchw(example_u8)), example_u8)
    ensure_rgb_u8(example_u8)
    fit_long_side(example_u8, 100)
    assert np.array_equal(example_u8, before)


def test_gray_and_float_inputs_become_rgb_u8():
    gray = np.full((5, 7), 128, np.uint8)
    assert ensure_rgb_u8(gray).shape == (5, 7, 3)
    flt = np.full((5, 7, 3), 0.5, np.float32)
    assert ensure_rgb_u8(flt)[0, 0, 0] == 128


def test_pad_to_multiple_reflects_and_reports_size():
    x = np.random.default_rng(0).random((1, 3, 257, 383)).astype(np.float32)
    padded, (h, w) = pad_to_multiple(x, 4)
    assert padded.shape == (1, 3, 260, 384) and (h, w) == (257, 383)
    assert np.array_equal(padded[:, :, :h, :w], x)
    assert np.array_equal(padded[:, :, 257, :w], x[:, :, 255, :])  # reflection, not zeros
