"""SSIM as a loss, matching skimage's `structural_similarity` defaults (7×7 uniform window,
K1 0.01, K2 0.03, sample covariance), so training optimises what bench_inpaint reports."""

from __future__ import annotations

import torch
import torch.nn.functional as F

WINDOW = 7


def ssim_map(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """Per-pixel, per-channel SSIM of [N,C,H,W] images → [N,C,H−6,W−6] (windows inside the image)."""
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2

    def pool(t: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(t, WINDOW, stride=1)

    mx, my = pool(x), pool(y)
    cov_norm = WINDOW**2 / (WINDOW**2 - 1)
    vx = cov_norm * (pool(x * x) - mx * mx)
    vy = cov_norm * (pool(y * y) - my * my)
    vxy = cov_norm * (pool(x * y) - mx * my)
    return ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))


def masked_ssim(x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean SSIM (channel mean) over the pixels where mask [N,1,H,W] is 1, per image, then
    the mean over images; pixels within 3 px of the border have no full window and are left out."""
    s = ssim_map(x, y).mean(dim=1, keepdim=True)
    m = mask[..., WINDOW // 2 : -(WINDOW // 2), WINDOW // 2 : -(WINDOW // 2)]
    return ((s * m).sum(dim=(1, 2, 3)) / m.sum(dim=(1, 2, 3)).clamp_min(1.0)).mean()
