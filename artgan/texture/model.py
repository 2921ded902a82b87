"""PSGAN-style generator: a spatial noise field in, a texture out, 'valid' convolutions only.

Without padding, every output pixel depends on a fixed window of noise cells only, so
windows cut from one large noise field give exactly the pixels of a one-shot generation
(tiled synthesis of any size), and a wrapped (periodic) noise field gives an image that
tiles seamlessly. Nearest upsampling + conv, never ConvTranspose (Odena et al. 2016).
Pixel norm (Karras et al. 2018) instead of batch norm: per position, so training and
inference compute the same function and windows stay independent.
"""

from __future__ import annotations

import copy
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


class ConvBlock(nn.Module):
    """[nearest ×2 →] 3×3 valid conv → pixel norm → FiLM from the texture code → LeakyReLU.

    FiLM (Perez et al. 2018) at every level: with a dozen textures in one small network, a
    code that only enters the first layer (PSGAN's global channels) leaves the deeper layers
    guessing the texture (seen in samples: colours swapped between textures).
    """

    def __init__(self, in_ch: int, out_ch: int, code_dim: int, up: bool) -> None:
        super().__init__()
        self.up = Upsample() if up else None
        self.conv: nn.Module = nn.Conv2d(in_ch, out_ch, 3)
        self.film = nn.Linear(code_dim, 2 * out_ch)
        nn.init.zeros_(self.film.weight)  # start as plain pixel norm: scale 1, shift 0
        nn.init.zeros_(self.film.bias)

    def forward(self, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        if self.up is not None:
            x = self.up(x)
        x = PixelNorm()(self.conv(x))
        scale, shift = self.film(code)[:, :, None, None].chunk(2, dim=1)
        return F.leaky_relu(x * (1 + scale) + shift, 0.2)

    def fast(self) -> ConvBlock:
        """The same block with upsample + conv as one SubpixelUpConv (for export)."""
        if self.up is None:
            return self
        block = copy.copy(self)
        block._modules = dict(self._modules, up=None, conv=SubpixelUpConv(self.conv))
        return block


class TextureBody(nn.Module):
    """Noise field [N, C_z, h, w] + code [N, G] → image [N, 3, 16h − 2·margin, 16w − 2·margin] in [0, 1]."""

    def __init__(self, noise_dim: int, code_dim: int, widths: tuple[int, ...], depths: tuple[int, ...]) -> None:
        super().__init__()
        assert len(widths) == len(depths) == 5, "the cell level and one level per upsampling (×16)"
        blocks: list[ConvBlock] = []
        ch = noise_dim
        for level, (width, depth) in enumerate(zip(widths, depths, strict=True)):
            for i in range(depth):
                blocks.append(ConvBlock(ch, width, code_dim, up=level > 0 and i == 0))
                ch = width
        self.blocks = nn.ModuleList(blocks)
        self.to_rgb = nn.Conv2d(ch, 3, 3)
        # output px lost per side: a 3×3 valid conv eats one pixel at its own scale
        # (16, 8, 4, 2, 1 output px at the cell level and the four upsampled levels) + the RGB conv
        self.margin = sum(d * (CELL >> level) for level, d in enumerate(depths)) + 1

    def forward(self, noise: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        x = noise
        for block in self.blocks:
            x = block(x, code)
        return torch.sigmoid(self.to_rgb(x))


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


class FastTextureBody(TextureBody):
    """The same function as a TextureBody with every upsample + conv as a SubpixelUpConv (~1.4× faster in ORT).

    This is what is exported; training keeps the plain form (9 instead of 16 weights per tap group).
    """

    def __init__(self, body: TextureBody) -> None:
        nn.Module.__init__(self)
        self.blocks = nn.ModuleList(b.fast() for b in body.blocks)
        self.to_rgb = body.to_rgb
        self.margin = body.margin


class TextureGenerator(nn.Module):
    """The body plus what builds its noise field: per-texture global codes and wave vectors."""

    def __init__(self, cfg: TextureConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.body = TextureBody(cfg.noise_dim, cfg.global_dim, cfg.widths, cfg.depths)
        k = max(1, len(cfg.textures))
        self.codes = nn.Parameter(torch.randn(k, cfg.global_dim))  # [K, G]
        # wave vectors in radians per cell, |k| < π (the cell grid's Nyquist limit)
        self.waves = nn.Parameter(torch.randn(k, cfg.periodic_dim, 2) * 0.2)  # [K, P, 2] (ky, kx); long waves first
        # channels whose phases come from one random shift of the whole layout (a lattice texture's)
        self.register_buffer("coupled", torch.zeros(k, cfg.periodic_dim, dtype=torch.bool), persistent=False)

    def noise_field(
        self,
        code: torch.Tensor,
        waves: torch.Tensor,
        h: int,
        w: int,
        gen: torch.Generator | None = None,
        coupled: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """code [N, G], waves [N, P, 2] → field [N, L+G+P, h, w] with random local noise and phases.

        `coupled` [N, P]: those channels' phases are k·t for one random whole-cell shift t per sample, so a
        lattice texture's channels keep one relative phase (one layout, shifted) at every seed.
        """
        n = code.shape[0]
        local = torch.randn(n, self.cfg.local_dim, h, w, generator=gen, device=code.device)
        phase = torch.rand(n, self.cfg.periodic_dim, 1, 1, generator=gen, device=code.device) * 2 * math.pi
        k = math.pi * torch.tanh(waves)  # radians per cell, bounded below the cell grid's Nyquist limit
        if coupled is not None and bool(coupled.any()):
            # whole cells: a lattice on whole-cell repeats is then sampled at the same sub-cell points at
            # every seed (a rolled copy of one pattern); a fractional shift samples it elsewhere, and some
            # offsets came out smudged (seed 1 after 200 steps)
            shift = torch.randint(0, LATTICE_SHIFT, (n, 1, 2), generator=gen, device=code.device).to(k.dtype)
            phase = torch.where(coupled[:, :, None, None], (k * shift).sum(-1)[:, :, None, None], phase)
        return torch.cat([local, global_channels(code, h, w), periodic_channels(k, phase, h, w)], dim=1)

    def forward(self, idx: torch.Tensor, h: int, w: int) -> torch.Tensor:
        """Texture indices [N] → images [N, 3, 16h − 2m, 16w − 2m] from fresh noise."""
        code = self.codes[idx]
        return self.body(self.noise_field(code, self.waves[idx], h, w, coupled=self.coupled[idx]), code)


LATTICE_SHIFT = 1024  # cells: a coupled layout's random shift spans many repeats, so its phases are uniform


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
