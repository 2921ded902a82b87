"""Convolutional building blocks shared by the generators.

Reflection padding everywhere: zero padding gives dark borders (Johnson et al. 2016,
Ulyanov et al. 2016). Upsampling is nearest + conv, never a learned ConvTranspose or
sub-pixel conv, which give checkerboard artifacts (Odena et al. 2016, "Deconvolution and Checkerboard").
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ReflectConv(nn.Module):
    """Conv2d preceded by reflection padding that keeps size (for stride 1)."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int = 1) -> None:
        super().__init__()
        self.pad = nn.ReflectionPad2d(kernel // 2)
        self.conv = nn.Conv2d(in_ch, out_ch, kernel, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.pad(x))


PHASE_NARROWING = 2.5  # in/out channel ratio from which UpsampleConv uses the phase form

# Nearest ×2 upsampling then a 3-tap conv, seen from the low-resolution grid: output phase p
# (even or odd row/column) reads low-res offsets −1, 0, +1 with these sums of the 3 taps.
_PHASE_TAPS = torch.tensor(
    [[[1.0, 0.0, 0.0], [0.0, 1.0, 1.0], [0.0, 0.0, 0.0]], [[0.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]]
)


class UpsampleConv(nn.Module):
    """Nearest-neighbour ×2 upsampling followed by a reflect-padded conv.

    A 3×3 layer that narrows the channels (in ≥ PHASE_NARROWING × out) computes the same
    function without building the upsampled tensor: one conv at low resolution gives the
    four output phases (each a fixed sum of the taps of the one 3×3 kernel), and a pixel
    shuffle interleaves them. Exact (reflection padding of a nearest-upsampled map is edge
    padding of the small one), so no checkerboard: the phases share one kernel, unlike a
    learned sub-pixel conv. ONNX Runtime pays the shuffle over the output, which only pays
    off when the output is much thinner than the input (measured: fast network, 32→8 and
    8→3, 512² 56 → 47 ms; quality network, 64→32 and 32→16, 265 → 287 ms).
    """

    def __init__(self, in_ch: int, out_ch: int, kernel: int) -> None:
        super().__init__()
        self.conv = ReflectConv(in_ch, out_ch, kernel)
        self.phase = kernel == 3 and in_ch >= PHASE_NARROWING * out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.phase:
            return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))
        conv = self.conv.conv
        edge = F.pad(x, (1, 1, 1, 1), mode="replicate")
        y = F.conv2d(edge, phase_kernels(conv.weight), conv.bias.repeat_interleave(4))
        return F.pixel_shuffle(y, 2)


def phase_kernels(weight: torch.Tensor) -> torch.Tensor:
    """[O, I, 3, 3] → [4·O, I, 3, 3]: per output channel, its (row, column) phase kernels."""
    taps = _PHASE_TAPS.to(weight)
    return torch.einsum("ajk,oikl,bml->oabijm", taps, weight, taps).flatten(0, 2)


def kernel_from_phases(phases: torch.Tensor) -> torch.Tensor:
    """Inverse of `phase_kernels` (exact: the 36 phase taps determine the 9 of the kernel).

    Exporters fold `phase_kernels` into the ONNX file, so this recovers trainable weights.
    """
    out_ch, in_ch = phases.shape[0] // 4, phases.shape[1]
    basis = phase_kernels(torch.eye(9, dtype=phases.dtype).reshape(9, 1, 3, 3))  # [9·4, 1, 3, 3]
    basis = basis.reshape(9, 36).T  # phase taps = basis @ kernel taps
    flat = phases.reshape(out_ch, 4, in_ch, 9).permute(0, 2, 1, 3).reshape(out_ch, in_ch, 36)
    return (torch.linalg.pinv(basis) @ flat[..., None]).reshape(out_ch, in_ch, 3, 3)


class ConditionalInstanceNorm(nn.Module):
    """Instance norm whose affine γ/β come from outside (Dumoulin et al. 2017).

    The module owns no per-style parameters: the caller slices them out of one flat
    style vector, so the exported graph takes the style as an input and blending styles
    is a weighted mean of vectors (Dumoulin §2: "convex combination of γ, β").
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.channels = channels

    @property
    def num_params(self) -> int:
        return 2 * self.channels

    def forward(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        # x [N,C,H,W]; params [N, 2C] = (γ, β)
        gamma, beta = self._affine(params)
        return F.instance_norm(x, eps=1e-5) * gamma + beta

    def forward_shared(
        self, x: torch.Tensor, params: torch.Tensor, given: torch.Tensor, weight: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalise with `weight`·given + (1−weight)·own statistics; also return those used.

        Tiled inference runs the image once small to get its statistics, then every tile
        with weight 1, so all tiles share one normalisation: no seams, no per-tile colour
        shift. given [N, 2C] = (mean, variance); weight [N, 1].
        """
        mean = x.mean(dim=(2, 3))
        # E[x²] − E[x]²: one pass fewer over the tensor than E[(x − μ)²] (~20 % of ORT time)
        var = ((x * x).mean(dim=(2, 3)) - mean * mean).clamp_min(0)
        mean = weight * given[:, : self.channels] + (1 - weight) * mean
        var = weight * given[:, self.channels :] + (1 - weight) * var
        gamma, beta = self._affine(params)
        scale = gamma * torch.rsqrt(var[:, :, None, None] + 1e-5)  # fold norm and affine: x·a + b
        return x * scale + (beta - mean[:, :, None, None] * scale), torch.cat([mean, var], dim=1)

    def _affine(self, params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return params[:, : self.channels, None, None], params[:, self.channels :, None, None]

    def identity_params(self) -> torch.Tensor:
        """γ=1, β=0: plain instance norm, the starting point of every style."""
        return torch.cat([torch.ones(self.channels), torch.zeros(self.channels)])
