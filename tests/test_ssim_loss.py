"""The SSIM training loss measures what bench_inpaint reports (skimage's structural_similarity)."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.metrics import structural_similarity

torch = pytest.importorskip("torch")

from artgan.losses.ssim import masked_ssim, ssim_map  # noqa: E402
from artgan.runtime.images import read_image  # noqa: E402
from tests.conftest import EXAMPLES  # noqa: E402


def as_tensor(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(img.astype(np.float64) / 255).permute(2, 0, 1)[None]


def test_ssim_map_equals_skimage_inside_the_border():
    ref = read_image(EXAMPLES / "kodak_02_red_door.jpg")[:96, :128]
    noisy = np.clip(ref + np.random.default_rng(0).normal(0, 20, ref.shape), 0, 255).astype(np.uint8)
    _, want = structural_similarity(ref, noisy, channel_axis=-1, data_range=255, full=True)
    got = ssim_map(as_tensor(ref), as_tensor(noisy))[0].permute(1, 2, 0).numpy()
    assert np.abs(got - want[3:-3, 3:-3]).max() < 1e-6


def test_masked_ssim_sees_only_the_hole():
    ref = read_image(EXAMPLES / "kodak_02_red_door.jpg")[:96, :128]
    damaged = ref.copy()
    damaged[:, 64:] = 0  # right half wrong
    mask = torch.zeros(1, 1, 96, 128, dtype=torch.float64)
    mask[..., 16:80, 8:40] = 1  # a hole far from the damage
    x, y = as_tensor(damaged), as_tensor(ref)
    assert masked_ssim(x, y, mask).item() == pytest.approx(1.0)
    mask[..., 16:80, 80:120] = 1
    assert masked_ssim(x, y, mask).item() < 0.7
