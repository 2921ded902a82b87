"""The issue-16 picture measures behave as their definitions say (bench/stylize_measures.py)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from bench.stylize_measures import colourfulness, content_kept, relative_measures, stroke_structure


@pytest.fixture(scope="module")
def blobs() -> np.ndarray:
    """512×384 picture of coloured blobs a few strokes wide, seeded."""
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    return cv2.resize(small, (512, 384), interpolation=cv2.INTER_CUBIC)


def test_blur_lowers_structure(blobs):
    blurred = cv2.GaussianBlur(blobs, (0, 0), 6)
    assert stroke_structure(blurred) < 0.7 * stroke_structure(blobs)


def test_flat_picture_has_no_structure():
    assert stroke_structure(np.full((100, 80, 3), 77, np.uint8)) == 0.0


def test_pixel_noise_is_not_stroke_structure(blobs):
    """The σ=3 blur at 384² removes speckle: i.i.d. pixel noise scores far below blobs."""
    noise = np.random.default_rng(1).integers(0, 256, blobs.shape, dtype=np.uint8)
    assert stroke_structure(noise) < 0.5 * stroke_structure(blobs)


def test_grey_has_zero_colourfulness(blobs):
    grey = np.repeat(cv2.cvtColor(blobs, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)
    assert colourfulness(grey) == pytest.approx(0.0, abs=1e-9)
    assert colourfulness(blobs) > 30


def test_colourfulness_of_a_flat_colour_is_its_mean_term():
    """Hasler–Süsstrunk: no spread, so M = 0.3·|(rg, yb)|; pure red: rg = 255, yb = 127.5."""
    red = np.zeros((50, 50, 3), np.uint8)
    red[..., 0] = 255
    assert colourfulness(red) == pytest.approx(0.3 * np.hypot(255, 127.5))


def test_content_of_itself_is_one_and_of_noise_near_zero(blobs):
    assert content_kept(blobs, blobs) == pytest.approx(1.0)
    noise = np.random.default_rng(2).integers(0, 256, blobs.shape, dtype=np.uint8)
    assert abs(content_kept(noise, blobs)) < 0.1


def test_content_compares_at_the_outputs_size(blobs):
    """A half-size output of the same picture still keeps (nearly) all of its content."""
    half = cv2.resize(blobs, (256, 192), interpolation=cv2.INTER_AREA)
    assert content_kept(half, blobs) > 0.9


def test_painting_against_itself_is_one(blobs):
    m = relative_measures(blobs, blobs, blobs)
    assert m == pytest.approx({"structure": 1.0, "colourfulness": 1.0, "content": 1.0})
