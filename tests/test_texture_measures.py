"""The patch-plausibility measure of bench/bench_texture.py on small synthetic images."""

from __future__ import annotations

import numpy as np
from PIL import Image

from artgan.evaluation.texture import nearest_distances, patch_grid, patch_plausibility


def stripes(side: int, period: int, shift: int = 0) -> np.ndarray:
    x = (np.arange(side)[None, :] + np.arange(side)[:, None] + shift) % period < period // 2
    return np.repeat((x * 200 + 30).astype(np.uint8)[..., None], 3, axis=2)


def test_patch_grid_corners_and_shapes():
    img = np.arange(20 * 18 * 3, dtype=np.float32).reshape(20, 18, 3)
    patches, corners = patch_grid(img, 2, patch=4)
    assert patches.shape == (9 * 8, 4 * 4 * 3)
    assert corners[1].tolist() == [0, 2] and corners[-1].tolist() == [16, 14]
    np.testing.assert_array_equal(patches[1].reshape(4, 4, 3), img[0:4, 2:6])


def test_nearest_distances_skip_overlapping_patches():
    rng = np.random.default_rng(0)
    img = rng.random((24, 24, 3)).astype(np.float32)
    bank, at = patch_grid(img, 1, patch=8)
    assert nearest_distances(bank, bank, patch=8).max() < 0.02  # itself (float32 expansion of |q − b|²)
    assert nearest_distances(bank, bank, (at, at), patch=8).min() > 1  # only other noise patches


def test_a_copy_scores_near_zero_and_counts_as_copied():
    rng = np.random.default_rng(2)
    ex = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    rolled = np.roll(ex, (9, 23), axis=(0, 1))  # pasted pieces of the exemplar, one seam each way
    m = patch_plausibility(rolled, ex, 64)
    assert m["ratio"] < 0.05 and m["copy"] > 0.5 and m["coverage"] < 0.05


def test_foreign_structure_scores_far_above_one():
    rng = np.random.default_rng(1)
    ex = np.clip(stripes(64, 16).astype(np.float32) + rng.normal(0, 20, (64, 64, 3)), 0, 255).astype(np.uint8)
    noise = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    m = patch_plausibility(noise, ex, 48)
    assert m["ratio"] > 3 and m["copy"] == 0.0
    # a new noisy view of the same stripes is about as plausible as the exemplar itself
    view = np.clip(stripes(64, 16, 4).astype(np.float32) + rng.normal(0, 20, (64, 64, 3)), 0, 255).astype(np.uint8)
    assert 0.7 < patch_plausibility(view, ex, 64)["ratio"] < 1.3


def test_a_larger_output_is_measured_at_the_exemplars_scale():
    # a generator's 512² output of a texture learned from a 384² exemplar: same stripes, more of them
    rng = np.random.default_rng(4)
    ex = np.clip(stripes(64, 16).astype(np.float32) + rng.normal(0, 20, (64, 64, 3)), 0, 255).astype(np.uint8)
    big = np.clip(stripes(128, 16, 4).astype(np.float32) + rng.normal(0, 20, (128, 128, 3)), 0, 255).astype(np.uint8)
    assert 0.7 < patch_plausibility(big, ex, 48)["ratio"] < 1.3
    # the same stripes at half their size are foreign structure
    small = np.asarray(Image.fromarray(big).resize((64, 64), Image.BICUBIC))
    assert patch_plausibility(small, ex, 48)["ratio"] > 1.5


def test_an_average_output_is_close_but_does_not_cover_the_exemplar():
    rng = np.random.default_rng(3)
    tiles = rng.integers(0, 256, (4, 4, 3)).repeat(16, 0).repeat(16, 1).astype(np.uint8)  # 16 px tiles, many colours
    flat = np.full_like(tiles, int(tiles.mean()))
    m = patch_plausibility(flat, tiles, 64)
    assert m["ratio"] < 1 < m["coverage"]  # the grey average passes one way, not the other
