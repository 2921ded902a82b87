"""Learn a new texture from one uploaded image in minutes: its code, wave vectors and a coarse adapter.

The shipped generator body is read back from the ONNX file (one source of truth). Its code
and wave vectors alone (G + 2P numbers) only reach looks the body already draws: the shipped
shapes in new colours. So the fit also trains a low-rank adapter (Hu et al. 2021, LoRA) on
the convolutions of the coarse levels, where layout is decided (a 16 px cell, then 8 px):
W + up·down, ~10⁴ numbers. The loss is a Gram pyramid (Gatys et al. 2015 at several scales,
Snelgrove 2017) through the shared feature network, so the shapes seen at ×2 pooling count
as well as the grain, plus a nearest-patch term (`artgan.texture.patches`) that asks every
course, joint and tile to be one the upload shows. The adapter is saved beside the code and
the runtime replaces those initialisers in the same ONNX graph: nothing is re-exported.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn
from torch.nn.utils import parametrize

from artgan.features.networks import build_feature_net
from artgan.learning import LearnProgress
from artgan.runtime.images import resize_u8
from artgan.texture.config import TextureConfig
from artgan.texture.gram import GramPyramid
from artgan.texture.model import FastTextureBody, TextureBody, cells_for, global_channels, periodic_channels
from artgan.texture.patches import MIN_SIDE, PatchLoss
from artgan.texture.pipeline import TextureError, TextureLibrary
from artgan.texture.sliced import SlicedWassersteinPyramid

# what the fit matches: second moments (Gatys) or whole feature distributions (Heitz)
STATISTICS = {"gram": GramPyramid, "sliced": SlicedWassersteinPyramid}


def body_from_onnx(lib: TextureLibrary) -> tuple[TextureConfig, FastTextureBody]:
    """Rebuild the PyTorch body (exported form) from the shipped ONNX file's initialisers."""
    cfg = TextureConfig.from_dict(lib.entry["config"])
    body = FastTextureBody(TextureBody(cfg.noise_dim, cfg.global_dim, cfg.widths, cfg.depths))
    names = set(body.state_dict())
    state = {
        init.name: torch.from_numpy(numpy_helper.to_array(init).copy())
        for init in onnx.load(str(lib.model_path)).graph.initializer
        if init.name in names
    }
    body.load_state_dict(state, strict=True)
    return cfg, body.eval().requires_grad_(False)


class LowRankDelta(nn.Module):
    """Parametrisation W → W + up·down (reshaped like W): `up` starts at zero, so the body starts as shipped."""

    def __init__(self, weight: torch.Tensor, rank: int) -> None:
        super().__init__()
        out_ch, fan_in = weight.shape[0], weight[0].numel()
        self.down = nn.Parameter(torch.randn(rank, fan_in) / math.sqrt(fan_in))
        self.up = nn.Parameter(torch.zeros(out_ch, rank))

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return weight + (self.up @ self.down).view_as(weight)


def coarse_convs(body: FastTextureBody, depths: tuple[int, ...], levels: int) -> dict[str, nn.Conv2d]:
    """Initialiser-name prefix → conv of every block in the first `levels` levels (cell level first)."""
    out = {}
    for i in range(sum(depths[:levels])):
        conv = body.blocks[i].conv
        name = f"blocks.{i}.conv"
        if not isinstance(conv, nn.Conv2d):  # SubpixelUpConv: its own 2×2 conv is the exported one
            conv, name = conv.conv, f"{name}.conv"
        out[name] = conv
    return out


def add_adapter(body: FastTextureBody, depths: tuple[int, ...], levels: int, rank: int) -> dict[str, LowRankDelta]:
    """Register a LowRankDelta on the coarse convs' weights; returns them by initialiser name."""
    adapters = {}
    for prefix, conv in coarse_convs(body, depths, levels).items():
        delta = LowRankDelta(conv.weight.detach(), rank)
        parametrize.register_parametrization(conv, "weight", delta)
        adapters[f"{prefix}.weight"] = delta
    return adapters


def adapter_arrays(body: FastTextureBody, adapters: dict[str, LowRankDelta], model_sha256: str) -> dict:
    """What <name>.adapter.npz holds (pipeline.load_adapter): base weights and factors per initialiser."""
    modules = dict(body.named_modules())
    out: dict[str, np.ndarray] = {"model_sha256": np.array(model_sha256)}
    for name, delta in adapters.items():
        conv = modules[name.removesuffix(".weight")]
        out[f"base:{name}"] = conv.parametrizations.weight.original.detach().numpy().copy()
        out[f"down:{name}"] = delta.down.detach().numpy().copy()
        out[f"up:{name}"] = delta.up.detach().numpy().copy()
    return out


class Renderer:
    """Texture params [G + 2P] → images through the body, differentiably."""

    def __init__(self, cfg: TextureConfig, body: FastTextureBody) -> None:
        self.cfg, self.body = cfg, body

    def __call__(self, params: torch.Tensor, n: int, size: int, gen: torch.Generator | None = None) -> torch.Tensor:
        cfg = self.cfg
        h = cells_for(size, self.body.margin)
        local = torch.randn(n, cfg.local_dim, h, h, generator=gen)
        phase = torch.rand(n, cfg.periodic_dim, 1, 1, generator=gen) * 2 * math.pi
        code = params[: cfg.global_dim].expand(n, -1)
        k = params[cfg.global_dim :].reshape(1, cfg.periodic_dim, 2).expand(n, -1, -1)
        field = torch.cat([local, global_channels(code, h, h), periodic_channels(k, phase, h, h)], dim=1)
        return self.body(field, code)[:, :, :size, :size]  # [n, 3, size, size] in [0, 1]


def prepared(example_u8: np.ndarray, short_side: int, crop: int) -> torch.Tensor:
    """The example at the training scale (short side ≤ short_side, ≥ crop), [1, 3, H, W]."""
    h, w = example_u8.shape[:2]
    if min(h, w) < 64:
        raise TextureError(f"the example is {w}×{h} px; it needs at least 64 px a side")
    s = min(1.0, short_side / min(h, w))
    img = resize_u8(example_u8, max(crop, round(w * s)), max(crop, round(h * s))) if s < 1 else example_u8
    return torch.from_numpy(np.array(img)).permute(2, 0, 1)[None].float() / 255  # a copy: writable


def learn_texture(
    lib: TextureLibrary,
    example_u8: np.ndarray,
    steps: int = 200,
    crop: int = 256,
    preview_every: int = 25,
    seed: int = 0,
    rank: int = 16,
    levels: int = 2,
    scales: int = 2,
    statistics: str = "gram",
    batch: int = 4,
    patch_weight: float = 300.0,
) -> Iterator[LearnProgress]:
    """Yield progress while learning a texture from `example_u8`; the last one is final.

    Starts from the shipped texture whose samples are closest in Gram distance. `rank` 0:
    the code and wave vectors only (no adapter, the shipped body as is). `batch` samples
    per step: 4 rather than 2 makes fits of a regular layout land closer run to run.
    `patch_weight`: the nearest-patch term's weight against the Gram pyramid (0: Gram alone);
    300 makes both about equal at the start.
    """
    if steps < 1:
        raise TextureError("steps must be at least 1")
    if patch_weight > 0 and crop < MIN_SIDE:
        raise TextureError(f"the nearest-patch term needs crops of at least {MIN_SIDE} px (or patch_weight 0)")
    if statistics not in STATISTICS:
        raise TextureError(f"unknown statistics {statistics!r}; choose from {sorted(STATISTICS)}")
    torch.manual_seed(seed)
    cfg, body = body_from_onnx(lib)
    render = Renderer(cfg, body)
    stats = STATISTICS[statistics](build_feature_net(cfg.feature_net), cfg.feature_net, scales)
    example = prepared(example_u8, cfg.short_side, crop)
    targets = stats.targets([example])
    patch_loss = PatchLoss(example) if patch_weight > 0 else None

    def loss_of(params: torch.Tensor, n: int, patches: bool = True) -> torch.Tensor:
        x = render(params, n, crop)
        loss = stats.loss(x, [[t.expand(n, -1, -1) for t in level] for level in targets])
        return loss + patch_weight * patch_loss(x) if patches and patch_loss is not None else loss

    with torch.no_grad():  # the start: Gram alone is enough to rank the shipped textures
        start = min(lib.textures.values(), key=lambda t: float(loss_of(torch.from_numpy(t.params), 1, False)))
    params = torch.nn.Parameter(torch.from_numpy(start.params.copy()))
    adapters = add_adapter(body, cfg.depths, levels, rank) if rank > 0 else {}
    groups = [{"params": [params], "lr": 0.03}]
    if adapters:
        groups.append({"params": [p for a in adapters.values() for p in a.parameters()], "lr": 3e-3})
    opt = torch.optim.Adam(groups)
    fixed = torch.Generator().manual_seed(seed)
    for step in range(1, steps + 1):
        loss = loss_of(params, batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():  # keep the waves below the cell grid's Nyquist limit
            params[cfg.global_dim :].clamp_(-math.pi, math.pi)
        preview = None
        if step % preview_every == 0 or step == steps:
            with torch.no_grad():
                img = render(params, 1, 256, fixed.manual_seed(seed))[0]
            preview = (img.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
        adapter = adapter_arrays(body, adapters, lib.entry["sha256"]) if adapters and step == steps else None
        yield LearnProgress(step, steps, float(loss.detach()), preview, params.detach().numpy().copy(), adapter)
