"""Patch discriminators (PatchGAN, Isola et al. 2017) with optional spectral norm.

The output is a map of logits, one per overlapping patch, so the discriminator judges
local texture (brushwork, grain) rather than global layout.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


class PatchDiscriminator(nn.Module):
    """image [N,C,H,W] (+ class index [N]) → patch logits [N,1,H/2^k,W/2^k].

    With `num_classes`, conditioning is by projection (Miyato & Koyama 2018): one
    discriminator serves every style of a multi-style model.
    """

    def __init__(
        self, in_ch: int = 3, base: int = 32, layers: int = 3, num_classes: int = 0, use_spectral_norm: bool = True
    ) -> None:
        super().__init__()
        norm = spectral_norm if use_spectral_norm else (lambda m: m)
        blocks: list[nn.Module] = []
        ch = in_ch
        for i in range(layers):
            out = base * 2**i
            blocks += [norm(nn.Conv2d(ch, out, 4, stride=2, padding=1)), nn.LeakyReLU(0.2)]
            ch = out
        self.body = nn.Sequential(*blocks)
        self.head = norm(nn.Conv2d(ch, 1, 3, padding=1))
        self.embed = nn.Embedding(num_classes, ch) if num_classes else None

    def forward(self, x: torch.Tensor, cls: torch.Tensor | None = None) -> torch.Tensor:
        h = self.body(x)
        logits = self.head(h)
        if self.embed is not None and cls is not None:
            logits = logits + (self.embed(cls)[:, :, None, None] * h).sum(dim=1, keepdim=True)
        return logits


class MultiScalePatchDiscriminator(nn.Module):
    """Patch discriminators on the image and its 2×, 4×, … average-pooled copies → one logit map each.

    pix2pixHD's multi-scale PatchGAN (Wang et al. 2018 §3.2): at full resolution a patch
    judges grain; on the ×2-pooled image the same patch spans twice the content, so it
    judges layout (tile courses, whole leaves) at a quarter of the cost.
    """

    def __init__(self, scales: int, **patch_kwargs) -> None:
        super().__init__()
        assert scales >= 1
        self.scales = nn.ModuleList(PatchDiscriminator(**patch_kwargs) for _ in range(scales))

    def forward(self, x: torch.Tensor, cls: torch.Tensor | None = None) -> list[torch.Tensor]:
        out = []
        for i, disc in enumerate(self.scales):
            out.append(disc(x if i == 0 else F.avg_pool2d(x, 2**i), cls))
        return out
