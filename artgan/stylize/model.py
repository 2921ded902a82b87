"""The feed-forward style network (Johnson et al. 2016 + Dumoulin et al. 2017)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from artgan.nets.blocks import ConditionalInstanceNorm, ReflectConv, UpsampleConv
from artgan.stylize.config import StylizeConfig

STRIDE = 4  # two stride-2 convs: inputs must be a multiple of this (the pipeline pads)
COARSE_STRIDE = 8  # …and of this with the ⅛-scale stage
# johnson: Johnson et al.'s layout, slimmed (full-resolution 9×9 input conv and 3×3 output conv);
# fast: a stride-2 input conv and nearest-upsample + plain 3×3 head, so only the head runs at full size
ARCHS = ("johnson", "fast")


class ConvNormAct(nn.Module):
    """conv → conditional instance norm → ReLU (the transformer's unit)."""

    def __init__(self, conv: nn.Module, channels: int, act: bool = True) -> None:
        super().__init__()
        self.conv = conv
        self.norm = ConditionalInstanceNorm(channels)
        self.act = nn.ReLU() if act else nn.Identity()

    def forward(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.conv(x), params))

    def forward_shared(
        self, x: torch.Tensor, params: torch.Tensor, given: torch.Tensor, weight: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        y, used = self.norm.forward_shared(self.conv(x), params, given, weight)
        return self.act(y), used


class StyleTransferNet(nn.Module):
    """Image [N,3,H,W] in [0,1] + style vector [N,P] → stylized image [N,3,H,W] in [0,1].

    Every normalisation layer reads its γ/β from the style vector, so one network serves
    any number of styles and blends, and a new style is a new vector (no re-export).
    """

    def __init__(
        self,
        channels: tuple[int, ...] = (16, 32, 64),
        res_blocks: int = 3,
        kernels: tuple[int, int] = (9, 3),
        arch: str = "johnson",
        coarse: tuple[int, int] = (0, 0),
    ) -> None:
        super().__init__()
        if arch not in ARCHS:
            raise ValueError(f"unknown stylize architecture {arch!r}; choose from {', '.join(ARCHS)}")
        k_in, k_out = kernels
        if arch == "johnson":
            c1, c2, c3 = channels
            units = [
                ConvNormAct(ReflectConv(3, c1, k_in), c1),
                ConvNormAct(ReflectConv(c1, c2, 3, stride=2), c2),
                ConvNormAct(ReflectConv(c2, c3, 3, stride=2), c3),
            ]
            up = [ConvNormAct(UpsampleConv(c3, c2, 3), c2), ConvNormAct(UpsampleConv(c2, c1, 3), c1)]
            head: nn.Module = ReflectConv(c1, 3, k_out)
        else:  # fast: nothing but the last conv runs at full resolution (5× less CPU at 1024 px)
            c1, c3 = channels[:2]
            units = [
                ConvNormAct(ReflectConv(3, c1, k_in, stride=2), c1),
                ConvNormAct(ReflectConv(c1, c3, 3, stride=2), c3),
            ]
            up = [ConvNormAct(UpsampleConv(c3, c1, 3), c1)]
            head = UpsampleConv(c1, 3, k_out)
        self.units = nn.ModuleList(units)
        self.res = nn.ModuleList()
        for _ in range(res_blocks):
            self.res.append(ConvNormAct(ReflectConv(c3, c3, 3), c3))
            self.res.append(ConvNormAct(ReflectConv(c3, c3, 3), c3, act=False))
        # registered between trunk and decoder: module order is run order (learn.py relies on it)
        c8, blocks8 = coarse
        self.coarse = nn.ModuleList()
        self.coarse_out: nn.Module | None = None
        if blocks8 > 0:
            self.coarse.append(ConvNormAct(ReflectConv(c3, c8, 3, stride=2), c8))
            for _ in range(blocks8):
                self.coarse.append(ConvNormAct(ReflectConv(c8, c8, 3), c8))
                self.coarse.append(ConvNormAct(ReflectConv(c8, c8, 3), c8, act=False))
            self.coarse_out = nn.Conv2d(c8, c3, 1)
            nn.init.zeros_(self.coarse_out.weight)  # a grown network starts as the one it grew from
            nn.init.zeros_(self.coarse_out.bias)
        self.stride = COARSE_STRIDE if blocks8 > 0 else STRIDE
        self.up = nn.ModuleList(up)
        self.head = head
        norms = [m for m in self.modules() if isinstance(m, ConditionalInstanceNorm)]
        self._offsets = [0]
        for n in norms:
            self._offsets.append(self._offsets[-1] + n.num_params)
        self._norm_order = {id(n): i for i, n in enumerate(norms)}

    @property
    def res_blocks_count(self) -> int:
        return len(self.res) // 2

    @property
    def num_style_params(self) -> int:
        return self._offsets[-1]

    def identity_style(self) -> torch.Tensor:
        """Style vector with γ=1, β=0 everywhere: the initial value of a new style."""
        norms = [m for m in self.modules() if isinstance(m, ConditionalInstanceNorm)]
        return torch.cat([n.identity_params() for n in norms])

    def _slice(self, unit: ConvNormAct, style: torch.Tensor) -> torch.Tensor:
        i = self._norm_order[id(unit.norm)]
        return style[:, self._offsets[i] : self._offsets[i + 1]]

    def forward(self, image: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        # image [N,3,H,W] in [0,1], H and W multiples of STRIDE; style [N,P]
        return self._run(image, style, None, None)[0]

    def forward_shared(
        self, image: torch.Tensor, style: torch.Tensor, stats: torch.Tensor, weight: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """As `forward`, but normalisation statistics mixed with given ones ([N,P], [N,1]).

        Returns the image and the statistics used ([N,P], laid out like the style vector:
        per layer C means then C variances), for tiled inference.
        """
        return self._run(image, style, stats, weight)

    def _run(self, image, style, stats, weight):
        used: list[torch.Tensor] = []

        def apply(unit: ConvNormAct, x: torch.Tensor) -> torch.Tensor:
            params = self._slice(unit, style)
            if stats is None:
                return unit(x, params)
            y, u = unit.forward_shared(x, params, self._slice(unit, stats), weight)
            used.append(u)
            return y

        x = image
        for unit in self.units:
            x = apply(unit, x)
        for a, b in zip(self.res[0::2], self.res[1::2], strict=True):
            x = x + apply(b, apply(a, x))
        if self.coarse_out is not None:
            y = apply(self.coarse[0], x)
            for a, b in zip(self.coarse[1::2], self.coarse[2::2], strict=True):
                y = y + apply(b, apply(a, y))
            # bilinear, not nearest: a nearest ×2 of a ⅛-scale map prints 8-px blocks
            x = x + F.interpolate(self.coarse_out(y), scale_factor=2.0, mode="bilinear", align_corners=False)
        for unit in self.up:
            x = apply(unit, x)
        return torch.sigmoid(self.head(x)), (torch.cat(used, dim=1) if used else None)


class SharedStatsGraph(nn.Module):
    """The exported graph: (image, style, norm_stats, stats_weight) → (stylized, norm_stats_used).

    stats_weight 0 gives plain conditional instance norm (and returns the image's own
    statistics); 1 normalises with the given ones (tiles of a large image).
    """

    def __init__(self, net: StyleTransferNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, image, style, norm_stats, stats_weight):
        return self.net.forward_shared(image, style, norm_stats, stats_weight)


class StyleBank(nn.Module):
    """Per-style parameter vectors as one embedding table (a ModuleList breaks export)."""

    def __init__(self, num_styles: int, identity: torch.Tensor) -> None:
        super().__init__()
        self.table = nn.Embedding(num_styles, identity.numel())
        with torch.no_grad():
            self.table.weight.copy_(identity.expand(num_styles, -1))

    def forward(self, index: torch.Tensor) -> torch.Tensor:
        return self.table(index)


def network(cfg: StylizeConfig) -> StyleTransferNet:
    """The network a config describes (weights freshly initialised)."""
    return StyleTransferNet(
        cfg.channels, cfg.res_blocks, cfg.kernels, cfg.arch, (cfg.coarse_channels, cfg.coarse_blocks)
    )


def norm_slices(net: StyleTransferNet) -> dict[str, slice]:
    """Where each normalisation layer's γ/β sit in the style vector, by module name."""
    return {
        name: slice(net._offsets[net._norm_order[id(m)]], net._offsets[net._norm_order[id(m)] + 1])
        for name, m in net.named_modules()
        if isinstance(m, ConditionalInstanceNorm)
    }


@torch.no_grad()
def grow(net: StyleTransferNet, bank: StyleBank, state: dict) -> tuple[list[str], list[str]]:
    """Start a reshaped network from a trained checkpoint, computing what it computed.

    Layers both have are copied; a wider layer keeps the old channels' weights and its new
    channels start fresh, read by nothing (the old channels' weights on them are zero), so
    they only come into play as training moves those weights (Net2Net, Chen et al. 2016).
    New residual blocks and the ⅛-scale stage start adding zero; layers the new shape lacks
    (e.g. trunk blocks handed over to a ⅛-scale stage) are dropped. Each style keeps its γ/β.
    Returns the names of the new and of the dropped layers."""
    old_cfg = StylizeConfig.from_dict(state["config"])
    old_net, old_bank = build(old_cfg)
    old_net.load_state_dict(state["net"])
    old_bank.load_state_dict(state["bank"])
    if old_bank.table.num_embeddings != bank.table.num_embeddings:
        raise ValueError("growing keeps the styles: the checkpoint has a different number of styles")
    old_params = old_net.state_dict()
    new_params = net.state_dict()
    for key, value in new_params.items():
        if key in old_params:
            embed(value, old_params[key])
    old_slices, slices = norm_slices(old_net), norm_slices(net)
    table, old_table = bank.table.weight, old_bank.table.weight
    for name, where in slices.items():
        if name in old_slices:
            c, old_c = (where.stop - where.start) // 2, (old_slices[name].stop - old_slices[name].start) // 2
            old = old_table[:, old_slices[name]]
            table[:, where.start : where.start + old_c] = old[:, :old_c]  # γ
            table[:, where.start + c : where.start + c + old_c] = old[:, old_c:]  # β
    for i in range(old_net.res_blocks_count, net.res_blocks_count):  # a new block adds zero: γ = β = 0
        table[:, slices[f"res.{2 * i + 1}.norm"]] = 0.0

    def layers(keys: set[str]) -> list[str]:
        return sorted({k.rsplit(".", 2)[0] for k in keys})

    return layers(set(new_params) - set(old_params)), layers(set(old_params) - set(new_params))


def embed(new: torch.Tensor, old: torch.Tensor) -> None:
    """Copy `old` into the leading corner of the same-rank, at-least-as-large `new`; a conv
    weight's old output channels get zero weights on its new input channels."""
    if any(n < o for n, o in zip(new.shape, old.shape, strict=True)):
        raise ValueError(f"cannot narrow a layer from {tuple(old.shape)} to {tuple(new.shape)}")
    if new.dim() == 4:
        new[: old.shape[0]] = 0.0
    new[tuple(slice(0, n) for n in old.shape)] = old


def build(cfg: StylizeConfig) -> tuple[StyleTransferNet, StyleBank]:
    """Network and its style bank, as the config describes them."""
    net = network(cfg)
    bank = StyleBank(max(len(cfg.styles), 1), net.identity_style())
    return net, bank
