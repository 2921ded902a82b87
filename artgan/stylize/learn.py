"""Learn a new style from one painting: fit only its style vector (needs torch).

The shared network stays frozen (Dumoulin et al. 2017 §4: a new style is learnt by
training its γ/β alone), so a style is learnt in minutes on a CPU and is a small vector
file that any install can use without re-export. The network's weights are read back
from the shipped ONNX file, which keeps one source of truth.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import numpy_helper

from artgan.errors import WeightsError
from artgan.features.networks import build_feature_net
from artgan.learning import LearnProgress
from artgan.losses.style import chroma_stats, gram, stroke_gradient
from artgan.nets.blocks import kernel_from_phases
from artgan.runtime.images import resize_u8
from artgan.runtime.sessions import get_session
from artgan.stylize.config import StylizeConfig
from artgan.stylize.model import StyleTransferNet, network
from artgan.stylize.pipeline import StyleLibrary, network_feeds
from artgan.stylize.train import style_losses


def network_from_onnx(library: StyleLibrary) -> tuple[StylizeConfig, StyleTransferNet]:
    """Rebuild the PyTorch network from the shipped ONNX file's Conv weights.

    ONNX Runtime first folds the graph's constant subgraphs (the upsampling layers' phase
    kernels are computed from their 3×3 kernels), then the Conv nodes, in graph order,
    fill the network's convolutions, in module order (the order they run). A parity check
    against ONNX Runtime guards the mapping.
    """
    cfg = StylizeConfig.from_dict(library.entry["config"])
    net = network(cfg).eval().requires_grad_(False)
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    nodes = folded_convs(library.model_path)
    if len(nodes) != len(convs):
        raise WeightsError(f"{library.model_path.name} has {len(nodes)} convolutions, the network {len(convs)}")
    with torch.no_grad():
        for conv, (weight, bias) in zip(convs, nodes, strict=True):
            weight, bias = torch.from_numpy(weight.copy()), torch.from_numpy(bias.copy())  # ONNX arrays are read-only
            if weight.shape[0] == 4 * conv.out_channels:  # an upsampling layer's phase kernels
                weight, bias = kernel_from_phases(weight), bias[::4]
            conv.weight.copy_(weight)
            conv.bias.copy_(bias)
    check_parity(library, net)
    return cfg, net


def folded_convs(model_path: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """(weight, bias) of every Conv node in graph order, after ONNX Runtime's constant folding."""
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    with tempfile.TemporaryDirectory() as tmp:
        opts.optimized_model_filepath = str(Path(tmp) / "folded.onnx")
        ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])
        model = onnx.load(opts.optimized_model_filepath)
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    return [(inits[n.input[1]], inits[n.input[2]]) for n in model.graph.node if n.op_type == "Conv"]


def check_parity(library: StyleLibrary, net: StyleTransferNet) -> None:
    """Refuse a rebuilt network that paints differently from the file it was read from."""
    x = np.random.default_rng(0).random((1, 3, 32, 48), dtype=np.float32)
    style = next(iter(library.styles.values())).params
    expected = get_session(library.model_path).run(["stylized"], network_feeds(x, style))[0]
    with torch.no_grad():
        got = net(torch.from_numpy(x), torch.from_numpy(style[None])).numpy()
    if not np.allclose(got, expected, atol=1e-3):
        raise WeightsError(f"the network rebuilt from {library.model_path.name} does not match it")


def to_tensor(img_u8: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(img_u8)).permute(2, 0, 1)[None].float() / 255.0


def resized(img_u8: np.ndarray, long_side: int) -> np.ndarray:
    """Scale (up or down) so the long side is `long_side`."""
    h, w = img_u8.shape[:2]
    s = long_side / max(h, w)
    return resize_u8(img_u8, max(1, round(w * s)), max(1, round(h * s)))


def learn_style(
    library: StyleLibrary,
    painting_u8: np.ndarray,
    content_u8: list[np.ndarray],
    steps: int = 150,
    crop: int = 160,
    preview_every: int = 25,
    seed: int = 0,
) -> Iterator[LearnProgress]:
    """Yield progress while fitting a style vector to `painting_u8`; the last one is final.

    Starts from the mean of the shipped styles (closer than identity: converges faster).
    """
    torch.manual_seed(seed)
    cfg, net = network_from_onnx(library)
    fnet = build_feature_net(cfg.feature_net)
    with torch.no_grad():
        painting = to_tensor(resized(painting_u8, cfg.style_size))
        feats = fnet(painting)
        targets = [gram(feats[i]) / (feats[i].shape[2] * feats[i].shape[3]) for i in cfg.style_layers]
        chroma = chroma_stats(painting)
        structure = cfg.structure_ratio * stroke_gradient(painting)
    start = np.mean([s.params for s in library.styles.values()], axis=0)
    vec = torch.tensor(start[None], requires_grad=True)
    opt = torch.optim.Adam([vec], lr=0.02)
    photos = [to_tensor(resized(c, 2 * crop)) for c in content_u8]
    preview_src = to_tensor(resized(content_u8[0], 256))
    rng = np.random.default_rng(seed)
    for step in range(1, steps + 1):
        x = torch.cat([random_crop(photos[i], crop, rng) for i in rng.permutation(len(photos))[:4]])
        batch_targets = [t.expand(x.shape[0], -1, -1) for t in targets]
        out = net(x, vec.expand(x.shape[0], -1))
        n = x.shape[0]
        loss = style_losses(cfg, fnet, x, out, batch_targets, chroma.expand(n, -1), structure.expand(n))["total"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        preview = None
        if step % preview_every == 0 or step == steps:
            with torch.no_grad():
                preview = (net(preview_src, vec)[0].permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
        yield LearnProgress(step, steps, float(loss.detach()), preview, vec.detach()[0].numpy().copy())


def random_crop(img: torch.Tensor, size: int, rng: np.random.Generator) -> torch.Tensor:
    """A random square covering 50–100 % of the short side, resized to `size`."""
    _, _, h, w = img.shape
    side = int(min(h, w) * rng.uniform(0.5, 1.0))
    y, x = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    patch = img[:, :, y : y + side, x : x + side]
    return torch.nn.functional.interpolate(patch, size=(size, size), mode="bilinear", antialias=True)
