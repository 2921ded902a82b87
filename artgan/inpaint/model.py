"""Inpainting generator: gated convolutions (DeepFill v2) with dilated residual blocks.

Input: the picture whose hole is already filled by a classical method (OpenCV's
Navier–Stokes inpainting, done in numpy by the pipeline and the data loader) and the mask,
[N,4,H,W]; the network adds what diffusion cannot: texture and structure. Its output
starts as that fill (zero-initialised head), so training only has to improve on it, which
on a CPU budget is the difference between a few hundred and many thousand steps (a grey
or pyramid-filled start was still worse than the classical fill after 400 steps). Output:
a full picture [N,3,H,W] in [0,1] (the pipeline keeps only its hole pixels).
Gating lets each layer learn where the valid pixels are (Yu et al. 2019); dilated
blocks at ⅛ scale (dilations up to 8) see ~400 px. Optional fast Fourier convolution
blocks after them (`ffc_blocks`, LaMa's image-wide receptive field; fourier.py) see the
whole picture; the shipped generator has none. The ½- and full-scale decoder convs are
plain: gated there they cost as much as the whole bottleneck.

Built for ONNX Runtime on a CPU: zero padding inside the convs and LeakyReLU let ORT fuse
padding and activation into its blocked (NCHWc) convs; reflection padding and ELU each
ran as separate passes with layout reorders around them. With the 3×3 first layer, the
plain ½-scale conv and three blocks the network takes 193 ms at 512² instead of 300 ms
(BENCHMARKS.md).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from artgan.inpaint.config import InpaintConfig
from artgan.inpaint.fourier import FFCResBlock

STRIDE = 8
MIN_SIDE = 128  # ⅛ scale then still spans the widest dilation (8)
SLOPE = 0.2  # LeakyReLU


class GatedConv(nn.Module):
    """LeakyReLU(features) · sigmoid(gate), zero padding keeps size.

    One Conv2d holds both halves (checkpoints keep that layout), but they run as two convs
    on its weight halves: the exported graph then needs no Split, and ONNX Runtime fuses the
    activations into the convs.
    """

    def __init__(self, in_ch: int, out_ch: int, kernel: int = 3, stride: int = 1, dilation: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_ch, 2 * out_ch, kernel, stride, dilation * (kernel // 2), dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        conv, n = self.conv, self.conv.out_channels // 2
        args = conv.stride, conv.padding, conv.dilation
        feat = F.conv2d(x, conv.weight[:n], conv.bias[:n], *args)
        gate = F.conv2d(x, conv.weight[n:], conv.bias[n:], *args)
        return F.leaky_relu(feat, SLOPE) * torch.sigmoid(gate)


class GatedResBlock(nn.Module):
    def __init__(self, ch: int, dilation: int) -> None:
        super().__init__()
        self.a = GatedConv(ch, ch, 3, dilation=dilation)
        self.b = GatedConv(ch, ch, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.b(self.a(x))


def conv_act(in_ch: int, out_ch: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_ch, out_ch, 3, padding=1), nn.LeakyReLU(SLOPE))


def up(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2.0, mode="nearest")


class InpaintGenerator(nn.Module):
    def __init__(
        self, channels: tuple[int, ...], dilations: tuple[int, ...], ffc_blocks: int = 0, ffc_global: float = 0.75
    ) -> None:
        super().__init__()
        c0, c1, c2, c3 = channels
        self.encoder = nn.Sequential(
            GatedConv(4, c0, 3),  # full scale
            GatedConv(c0, c1, 3, stride=2),  # ½
            GatedConv(c1, c2, 3, stride=2),  # ¼
            GatedConv(c2, c3, 3, stride=2),  # ⅛
        )
        self.blocks = nn.Sequential(*[GatedResBlock(c3, d) for d in dilations])
        # after the dilated blocks, starting as the identity: a trained generator grows into them
        self.fourier_blocks = nn.Sequential(*[FFCResBlock(c3, ffc_global) for _ in range(ffc_blocks)])
        self.dec3 = GatedConv(c3, c2)  # ¼
        self.dec2 = conv_act(c2, c1)  # ½
        self.dec1 = conv_act(c1, c0)  # full
        self.head = nn.Conv2d(c0, 3, 3, padding=1)
        nn.init.zeros_(self.head.weight)  # start as the classical fill itself
        nn.init.zeros_(self.head.bias)

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # image [N,3,H,W] in [0,1] with the hole pre-filled, mask [N,1,H,W] with 1 = hole;
        # H, W multiples of STRIDE, ≥ MIN_SIDE
        h = self.fourier_blocks(self.blocks(self.encoder(torch.cat([image, mask], dim=1))))
        h = self.dec1(up(self.dec2(up(self.dec3(up(h))))))
        return (image + self.head(h)).clamp(0, 1)  # [N,3,H,W] in [0,1]: the classical fill plus detail


def build(cfg: InpaintConfig) -> InpaintGenerator:
    return InpaintGenerator(cfg.channels, cfg.dilations, cfg.ffc_blocks, cfg.ffc_global)


@torch.no_grad()
def grow(net: InpaintGenerator, state: dict) -> list[str]:
    """Start a generator with more Fourier blocks from a trained checkpoint's weights: every
    layer both have is copied, the new blocks start as the identity (fourier.FFCResBlock),
    so training resumes from the old fills. Returns the names of the new blocks."""
    own, old = net.state_dict(), state["net"]
    differ = [k for k in old if k not in own or own[k].shape != old[k].shape]
    missing = [k for k in own if k not in old]
    if differ or any(not k.startswith("fourier_blocks.") for k in missing):
        raise ValueError(f"can only grow Fourier blocks; the checkpoint differs in {sorted(differ + missing)[:4]}")
    net.load_state_dict(old, strict=False)
    return sorted({".".join(k.split(".")[:2]) for k in missing})
