"""Stylize through real ONNX Runtime sessions on the shipped model."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from artgan.errors import StyleError
from artgan.runtime.images import resize_u8
from artgan.stylize.pipeline import parse_style_spec, run_network, run_tiled, stylize

SMALL = 256


def test_every_shipped_style_changes_the_photo(library, example_u8):
    assert len(library.names()) >= 10
    outs = {}
    for name in library.names():
        out = stylize(library, example_u8, {name: 1.0}, max_side=SMALL)
        assert out.dtype == np.uint8 and max(out.shape[:2]) == SMALL
        diff = np.abs(out.astype(int) - stylize(library, example_u8, {name: 1}, 0.0, max_side=SMALL)).mean()
        assert diff > 8, f"{name} barely changes the photo"
        outs[name] = out
    a, b = outs["starry_night"], outs["the_scream"]
    assert np.abs(a.astype(int) - b).mean() > 2  # styles are not all the same


def test_odd_sizes_come_back_at_their_size(library):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (257, 383, 3), dtype=np.uint8)
    assert stylize(library, img, {"starry_night": 1}, max_side=None).shape == (257, 383, 3)


def test_strength_zero_returns_the_input(library, example_u8):
    small = stylize(library, example_u8, {"udnie": 1}, strength=0.0, max_side=SMALL)
    full = stylize(library, example_u8, {"udnie": 1}, strength=1.0, max_side=SMALL)
    half = stylize(library, example_u8, {"udnie": 1}, strength=0.5, max_side=SMALL)
    expected = np.asarray(Image.fromarray(example_u8).resize(small.shape[1::-1], Image.LANCZOS))
    assert np.array_equal(small, expected)
    mid = (small.astype(np.float32) + full) / 2
    assert np.abs(half - mid).max() <= 1


def test_one_hot_blend_equals_single_style(library, example_u8):
    single = stylize(library, example_u8, {"the_kiss": 1.0}, max_side=SMALL)
    one_hot = stylize(library, example_u8, {"the_kiss": 1.0, "udnie": 0.0}, max_side=SMALL)
    assert np.array_equal(single, one_hot)


def test_blend_weights_are_normalised(library, example_u8):
    a = stylize(library, example_u8, {"the_kiss": 1, "udnie": 1}, max_side=SMALL)
    b = stylize(library, example_u8, {"the_kiss": 3, "udnie": 3}, max_side=SMALL)
    assert np.array_equal(a, b)
    vec = library.blend({"the_kiss": 1, "udnie": 3})
    expected = 0.25 * library.get("the_kiss").params + 0.75 * library.get("udnie").params
    assert np.allclose(vec, expected, atol=1e-6)


def test_keep_colors_keeps_the_photo_chroma(library, example_u8):
    out = stylize(library, example_u8, {"starry_night": 1}, preserve_colors=True, max_side=SMALL)
    plain = stylize(library, example_u8, {"starry_night": 1}, max_side=SMALL)
    photo = stylize(library, example_u8, {"starry_night": 1}, strength=0.0, max_side=SMALL)

    def chroma(x):
        return np.asarray(Image.fromarray(x).convert("YCbCr"))[:, :, 1:].astype(int)

    assert np.abs(chroma(out) - chroma(photo)).mean() < 2
    assert np.abs(chroma(plain) - chroma(photo)).mean() > 2 * np.abs(chroma(out) - chroma(photo)).mean()


def test_brush_scale_changes_the_strokes(library, example_u8):
    a = stylize(library, example_u8, {"starry_night": 1}, max_side=SMALL)
    b = stylize(library, example_u8, {"starry_night": 1}, brush_scale=2.0, max_side=SMALL)
    assert a.shape == b.shape and np.abs(a.astype(int) - b).mean() > 3


@pytest.mark.parametrize(
    ("spec", "message"),
    [("nope", "unknown style"), ("starry_night:abc", "bad weight"), ("", "no style"), ("udnie:0", "zero")],
)
def test_bad_style_specs_are_clear_errors(library, example_u8, spec, message):
    with pytest.raises(StyleError, match=message):
        stylize(library, example_u8, parse_style_spec(spec), max_side=64)


def test_parse_style_spec():
    assert parse_style_spec("a:0.7, b:0.3") == {"a": 0.7, "b": 0.3}
    assert parse_style_spec("a") == {"a": 1.0}


def test_tiles_share_statistics_and_leave_no_seams(library, example_u8):
    img = resize_u8(example_u8, 480, 320)
    vec = library.get("starry_night").params
    whole = run_network(library, img, vec)[0].astype(int)
    tiled = run_tiled(library, img, vec, tile=128, margin=48).astype(int)
    assert np.abs(whole - tiled).max() <= 2
    seams = run_tiled(library, img, vec, tile=128, margin=0).astype(int)  # no context: visible seams
    assert np.abs(whole - seams).max() > 30


def test_own_statistics_are_returned_and_reusable(library, example_u8):
    img = resize_u8(example_u8, 200, 136)
    vec = library.get("udnie").params
    out, stats = run_network(library, img, vec)
    again, used = run_network(library, img, vec, stats)
    assert np.allclose(used, stats) and np.abs(out.astype(int) - again).max() <= 1


def test_large_output_in_tiles_matches_one_pass(library, example_u8):
    tiled = stylize(library, example_u8, {"the_kiss": 1}, max_side=None, tile=256)
    whole = stylize(library, example_u8, {"the_kiss": 1}, max_side=None, tile=4096)  # one pass
    assert tiled.shape == example_u8.shape
    assert np.abs(tiled.astype(int) - whole).max() <= 2


def test_ui_blend_weights_share_the_blend_amount():
    from artgan.stylize.ui import blend_weights

    assert blend_weights("a", [], 0.5) == {"a": 1.0}
    assert blend_weights("a", ["b", "c", "a"], 0.6) == pytest.approx({"a": 0.4, "b": 0.3, "c": 0.3})
    assert blend_weights("a", ["b"], 0.0) == {"a": 1.0}


def test_large_outputs_keep_the_look_of_1024(library, example_u8):
    big = resize_u8(example_u8, 2048, 1365)
    large = stylize(library, big, {"starry_night": 1}, max_side=None)
    reference = stylize(library, big, {"starry_night": 1}, max_side=1024)
    assert large.shape == (1365, 2048, 3)
    assert np.abs(resize_u8(large, 1024, 682).astype(int) - reference).mean() < 3
