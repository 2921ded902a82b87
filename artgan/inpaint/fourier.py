"""Fast Fourier convolution blocks (Chi et al. 2020, as used by LaMa, Suvorov et al. 2022 §3.2).

A 1×1 convolution in the 2-D Fourier domain mixes every position with every other: one
layer sees the whole picture, which is what large holes need (the dilated blocks see
~400 px and only through a few taps). The real DFT is written as matrix products with
cos/sin matrices built from the tensor's own size, not torch.fft: it exports to ONNX as
plain MatMul with symbolic height/width (no DFT op, which ONNX Runtime 1.31 failed to run
at opset 20; docs/models/inpaint.md) and runs on ONNX Runtime's GEMM; at ⅛
scale (64² for a 512² picture) the products cost less than one 3×3 conv.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

SLOPE = 0.2  # LeakyReLU, as in the gated blocks (ORT fuses it into the conv)


def dft_matrices(n: int, bins: int, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin of 2π·j·k/n for j < n, k < bins: [n, bins] each, dtype/device of `like`.

    Only the fraction of j·k/n counts: 2π·j·k/n itself loses ~1e-3 rad in float32 at
    n = 64, the fraction ~1e-5. (An integer `%` would be exact but does not export with a
    symbolic n.)
    """
    j = torch.arange(n, device=like.device, dtype=like.dtype)
    k = torch.arange(bins, device=like.device, dtype=like.dtype)
    turns = j[:, None] * k[None, :] / n
    angle = (turns - torch.floor(turns)) * (2 * math.pi)
    return torch.cos(angle), torch.sin(angle)


def rfft2(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Orthonormal 2-D real DFT of [N,C,H,W] → (real, imag), each [N,C,W//2+1,H]: that is
    torch.fft.rfft2(x, norm="ortho") transposed, a layout a 1×1 conv does not mind.

    Both axes are transformed by multiplying on the right (a transpose between), so each
    product is one plain GEMM over all images and channels.
    """
    h, w = x.shape[-2], x.shape[-1]
    cos_w, sin_w = dft_matrices(w, w // 2 + 1, x)
    cos_h, sin_h = dft_matrices(h, h, x)  # symmetric
    a = (x @ cos_w).transpose(-1, -2)  # along W: e^{-iθ} = cos θ − i sin θ
    b = -(x @ sin_w).transpose(-1, -2)
    scale = (h * w) ** -0.5
    return (a @ cos_h + b @ sin_h) * scale, (b @ cos_h - a @ sin_h) * scale  # along H


def irfft2(real: torch.Tensor, imag: torch.Tensor, w: int) -> torch.Tensor:
    """Inverse of rfft2 for an output width `w`: (real, imag) [N,C,W//2+1,H] → [N,C,H,W].

    Like torch.fft.irfft2(…, norm="ortho"): the imaginary parts of the DC and Nyquist
    columns are ignored (their sines are zero), the other columns count twice (Hermitian
    symmetry stands in for the missing half).
    """
    h = real.shape[-1]
    cos_h, sin_h = dft_matrices(h, h, real)
    u_real = (real @ cos_h - imag @ sin_h).transpose(-1, -2)  # along H: e^{+iθ}
    u_imag = (imag @ cos_h + real @ sin_h).transpose(-1, -2)
    cos_w, sin_w = dft_matrices(w, w // 2 + 1, real)
    k = torch.arange(w // 2 + 1, device=real.device)
    twice = torch.where((k == 0) | (2 * k == w), 1.0, 2.0).to(real.dtype)[:, None]
    x = u_real @ (twice * cos_w.T) - u_imag @ (twice * sin_w.T)  # along W
    return x * (h * w) ** -0.5


class FourierUnit(nn.Module):
    """rfft2 → 1×1 conv over (real, imag) channels → LeakyReLU → irfft2: a global mix."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2 * ch, 2 * ch, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        real, imag = rfft2(x)
        y = F.leaky_relu(self.conv(torch.cat([real, imag], dim=1)), SLOPE)
        y_real, y_imag = y.chunk(2, dim=1)
        return irfft2(y_real, y_imag, x.shape[-1])


class SpectralTransform(nn.Module):
    """Global → global path of an FFC: 1×1 down to half width, x + FourierUnit(x), 1×1 back."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.reduce = nn.Conv2d(ch, ch // 2, 1)
        self.fourier = FourierUnit(ch // 2)
        self.expand = nn.Conv2d(ch // 2, ch, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.leaky_relu(self.reduce(x), SLOPE)
        return self.expand(h + self.fourier(h))


class FFC(nn.Module):
    """One fast Fourier convolution on [N,ch,H,W] whose last `global_ch` channels are the
    global part: local out = 3×3 conv of all channels; global out = 3×3 conv of the local
    channels + SpectralTransform of the global ones; LeakyReLU on both."""

    def __init__(self, ch: int, global_ch: int) -> None:
        super().__init__()
        self.local_ch = ch - global_ch
        self.to_local = nn.Conv2d(ch, self.local_ch, 3, padding=1)
        self.local_to_global = nn.Conv2d(self.local_ch, global_ch, 3, padding=1)
        self.spectral = SpectralTransform(global_ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x_local, x_global = x[:, : self.local_ch], x[:, self.local_ch :]
        y_local = self.to_local(x)
        y_global = self.local_to_global(x_local) + self.spectral(x_global)
        return F.leaky_relu(torch.cat([y_local, y_global], dim=1), SLOPE)


class FFCResBlock(nn.Module):
    """x + FFC(FFC(x)), LaMa's residual block without its batch norm (batches of 6 crops on a
    CPU make poor statistics). The second FFC's outputs start at zero, so the block starts
    as the identity: appended to a trained generator it changes nothing until it learns."""

    def __init__(self, ch: int, global_ratio: float = 0.75) -> None:
        super().__init__()
        global_ch = 2 * round(ch * global_ratio / 2)  # even: SpectralTransform halves it
        if not 0 < global_ch < ch:
            raise ValueError(f"global_ratio {global_ratio} leaves no local or no global channels of {ch}")
        self.a, self.b = FFC(ch, global_ch), FFC(ch, global_ch)
        for conv in (self.b.to_local, self.b.local_to_global, self.b.spectral.expand):
            nn.init.zeros_(conv.weight)
            nn.init.zeros_(conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.b(self.a(x))
