"""Learn a new texture from one uploaded image in minutes: only its global code and wave vectors.

The shipped generator body stays frozen (its weights are read back from the ONNX file, one
source of truth); a texture is G + 2P numbers, so optimising them with a Gram-matrix loss
(Gatys et al. 2015) through the shared feature network converges in a few hundred steps on
a CPU. It can only reach looks the body can draw: near the shipped textures and their blends.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from artgan.features.networks import build_feature_net
from artgan.learning import LearnProgress
from artgan.losses.style import gram, gram_style_loss
from artgan.runtime.images import resize_u8
from artgan.texture.config import TextureConfig
from artgan.texture.model import FastTextureBody, TextureBody, cells_for, global_channels, periodic_channels
from artgan.texture.pipeline import TextureError, TextureLibrary
from artgan.texture.train import GRAM_LAYER_WEIGHTS, GRAM_LAYERS


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


class Renderer:
    """Texture params [G + 2P] → images through the frozen body, differentiably."""

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
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None].float() / 255


def learn_texture(
    lib: TextureLibrary,
    example_u8: np.ndarray,
    steps: int = 200,
    crop: int = 96,
    preview_every: int = 25,
    seed: int = 0,
) -> Iterator[LearnProgress]:
    """Yield progress while learning a texture from `example_u8`; the last one is final.

    Starts from the shipped texture whose samples are closest in Gram distance.
    """
    if steps < 1:
        raise TextureError("steps must be at least 1")
    torch.manual_seed(seed)
    cfg, body = body_from_onnx(lib)
    render = Renderer(cfg, body)
    fnet = build_feature_net(cfg.feature_net)
    with torch.no_grad():
        feats = fnet(prepared(example_u8, cfg.short_side, crop))
        targets = [gram(feats[i]) / feats[i][0, 0].numel() for i in GRAM_LAYERS]

    def loss_of(params: torch.Tensor, n: int, gen: torch.Generator | None = None) -> torch.Tensor:
        f = fnet(render(params, n, crop, gen))
        return gram_style_loss([f[i] for i in GRAM_LAYERS], [t.expand(n, -1, -1) for t in targets], GRAM_LAYER_WEIGHTS)

    with torch.no_grad():
        start = min(lib.textures.values(), key=lambda t: float(loss_of(torch.from_numpy(t.params), 1)))
    params = torch.nn.Parameter(torch.from_numpy(start.params.copy()))
    opt = torch.optim.Adam([params], lr=0.03)
    fixed = torch.Generator().manual_seed(seed)
    for step in range(1, steps + 1):
        loss = loss_of(params, 2)
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
        yield LearnProgress(step, steps, float(loss.detach()), preview, params.detach().numpy().copy())
