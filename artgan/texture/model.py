"""PSGAN-style generator: a spatial noise field in, a texture out, 'valid' convolutions only.

Without padding, every output pixel depends on a fixed window of noise cells only, so
windows cut from one large noise field give exactly the pixels of a one-shot generation
(tiled synthesis of any size), and a wrapped (periodic) noise field gives an image that
tiles seamlessly. Nearest upsampling + conv, never ConvTranspose (Odena et al. 2016).
Pixel norm (Karras et al. 2018) instead of batch norm: per position, so training and
inference compute the same function and windows stay independent.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from artgan.texture.config import CELL, TextureConfig


class PixelNorm(nn.Module):
    """Normalise each position's feature vector to unit RMS (ProGAN §4.2)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt((x * x).mean(dim=1, keepdim=True) + 1e-8)  # x·x: one Mul, cheaper than Pow in ORT


class Upsample(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, scale_factor=2.0, mode="nearest")


class TextureBody(nn.Module):
    """Noise field [N, C_z, h, w] → image [N, 3, 16h − 2·margin, 16w − 2·margin] in [0, 1]."""

    def __init__(self, noise_dim: int, widths: tuple[int, ...], depths: tuple[int, ...]) -> None:
        super().__init__()
        assert len(widths) == len(depths) == 5, "the cell level and one level per upsampling (×16)"
        layers: list[nn.Module] = []
        ch = noise_dim
        for level, (width, depth) in enumerate(zip(widths, depths, strict=True)):
            if level:
                layers.append(Upsample())
            for _ in range(depth):
                layers += [nn.Conv2d(ch, width, 3), PixelNorm(), nn.LeakyReLU(0.2)]
                ch = width
        layers.append(nn.Conv2d(ch, 3, 3))
        self.net = nn.Sequential(*layers)
        # output px lost per side: a 3×3 valid conv eats one pixel at its own scale
        # (16, 8, 4, 2, 1 output px at the cell level and the four upsampled levels) + the RGB conv
        self.margin = sum(d * (CELL >> level) for level, d in enumerate(depths)) + 1

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(noise))


class SubpixelUpConv(nn.Module):
    """Nearest ×2 upsampling + 3×3 valid conv, computed exactly at the low resolution.

    After nearest upsampling a 3×3 window covers only 2×2 distinct input pixels, so each of
    the four output phases is a 2×2 conv of the input: 4 instead of 9 multiply-adds per
    weight, and no upsampled tensor (Shi et al. 2016 sub-pixel conv, here as an identity).
    Along one axis, output 2i takes taps (w0+w1, w2) on inputs (i, i+1) and output 2i+1
    takes (w0, w1+w2).
    """

    def __init__(self, conv: nn.Conv2d) -> None:
        super().__init__()
        out_ch, in_ch = conv.weight.shape[:2]
        fold = torch.tensor([[[1.0, 1, 0], [0, 0, 1]], [[1, 0, 0], [0, 1, 1]]])  # [phase, 2 taps, 3 taps]
        kernel = torch.einsum("pay,oiyx,qbx->opqiab", fold, conv.weight.detach(), fold)  # [O, 2, 2, I, 2, 2]
        self.conv = nn.Conv2d(in_ch, 4 * out_ch, 2)
        self.conv.weight.data.copy_(kernel.reshape(4 * out_ch, in_ch, 2, 2))  # channel o·4 + py·2 + px
        self.conv.bias.data.copy_(conv.bias.detach().repeat_interleave(4))
        self.shuffle = nn.PixelShuffle(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shuffle(self.conv(x))


class FastTextureBody(nn.Module):
    """The same function as a TextureBody with every upsample + conv as a SubpixelUpConv (~2× faster).

    This is what is exported; training keeps the plain form (fewer parameters to learn).
    """

    def __init__(self, body: TextureBody) -> None:
        super().__init__()
        layers, mods = [], list(body.net)
        i = 0
        while i < len(mods):
            if isinstance(mods[i], Upsample):
                layers.append(SubpixelUpConv(mods[i + 1]))
                i += 2
            else:
                layers.append(mods[i])
                i += 1
        self.net = nn.Sequential(*layers)
        self.margin = body.margin

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(noise))


class TextureGenerator(nn.Module):
    """The body plus what builds its noise field: per-texture global codes and wave vectors."""

    def __init__(self, cfg: TextureConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.body = TextureBody(cfg.noise_dim, cfg.widths, cfg.depths)
        k = max(1, len(cfg.textures))
        self.codes = nn.Parameter(torch.randn(k, cfg.global_dim))  # [K, G]
        # wave vectors in radians per cell, |k| < π (the cell grid's Nyquist limit)
        self.waves = nn.Parameter(torch.randn(k, cfg.periodic_dim, 2) * 0.5)  # [K, P, 2] (ky, kx)

    def noise_field(
        self, code: torch.Tensor, waves: torch.Tensor, h: int, w: int, gen: torch.Generator | None = None
    ) -> torch.Tensor:
        """code [N, G], waves [N, P, 2] → field [N, L+G+P, h, w] with random local noise and phases."""
        n = code.shape[0]
        local = torch.randn(n, self.cfg.local_dim, h, w, generator=gen, device=code.device)
        phase = torch.rand(n, self.cfg.periodic_dim, 1, 1, generator=gen, device=code.device) * 2 * math.pi
        k = math.pi * torch.tanh(waves)  # radians per cell, bounded below the cell grid's Nyquist limit
        return torch.cat([local, global_channels(code, h, w), periodic_channels(k, phase, h, w)], dim=1)

    def forward(self, idx: torch.Tensor, h: int, w: int) -> torch.Tensor:
        """Texture indices [N] → images [N, 3, 16h − 2m, 16w − 2m] from fresh noise."""
        return self.body(self.noise_field(self.codes[idx], self.waves[idx], h, w))


def global_channels(code: torch.Tensor, h: int, w: int) -> torch.Tensor:
    return code[:, :, None, None].expand(-1, -1, h, w)


def periodic_channels(k: torch.Tensor, phase: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """sin(ky·y + kx·x + φ) per channel on the cell grid (Bergmann 2017 eq. 3); k [N,P,2], phase [N,P,1,1]."""
    y = torch.arange(h, dtype=k.dtype, device=k.device)[:, None]
    x = torch.arange(w, dtype=k.dtype, device=k.device)[None, :]
    return torch.sin(k[:, :, 0, None, None] * y + k[:, :, 1, None, None] * x + phase)


def cells_for(pixels: int, margin: int) -> int:
    """Noise cells whose valid output covers at least `pixels` px."""
    return math.ceil((pixels + 2 * margin) / CELL)


def build(cfg: TextureConfig) -> TextureGenerator:
    return TextureGenerator(cfg)
