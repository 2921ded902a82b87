"""`artgan export inpaint`: checkpoint → weights/inpaint.onnx + manifest entry."""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from artgan.inpaint.model import MIN_SIDE, STRIDE, InpaintGenerator
from artgan.inpaint.train import load_model
from artgan.runtime.manifest import WEIGHTS_DIR
from export.manifest import base_entry, ship_checkpoint, write_entry
from export.onnx_export import export_onnx


def export_network(net: InpaintGenerator, path: Path) -> float:
    """Symbolic batch/height/width (multiples of STRIDE); returns the parity error."""
    batch = torch.export.Dim("batch", max=64)
    h = torch.export.Dim("h", min=MIN_SIDE // STRIDE, max=4096 // STRIDE)
    w = torch.export.Dim("w", min=MIN_SIDE // STRIDE, max=4096 // STRIDE)

    def pair(n: int, hh: int, ww: int) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.rand(n, 3, hh, ww), (torch.rand(n, 1, hh, ww) > 0.7).float()

    return export_onnx(
        net,
        pair(2, 160, 160),  # batch 1 would be fixed into the graph by the Fourier blocks
        path,
        input_names=["image", "mask"],
        output_names=["inpainted"],
        dynamic_shapes={
            "image": {0: batch, 2: STRIDE * h, 3: STRIDE * w},
            "mask": {0: batch, 2: STRIDE * h, 3: STRIDE * w},
        },
        parity_inputs=[pair(1, 256, 384), pair(2, 128, 200)],
    )


def run(args: argparse.Namespace) -> Path:
    cfg, net = load_model(Path(args.checkpoint))
    weights = Path(args.weights)
    onnx_path = weights / "inpaint.onnx"
    error = export_network(net, onnx_path)
    side = f"H and W multiples of {STRIDE}, at least {MIN_SIDE} (the pipeline pads)"
    entry = base_entry("inpaint", "inpaint", onnx_path, error, args) | {
        "inputs": [
            {"name": "image", "shape": ["N", 3, "H", "W"], "dtype": "float32", "range": [0, 1], "note": side},
            {"name": "mask", "shape": ["N", 1, "H", "W"], "dtype": "float32", "range": [0, 1], "note": "1 = hole"},
        ],
        "outputs": [{"name": "inpainted", "shape": ["N", 3, "H", "W"], "dtype": "float32", "range": [0, 1]}],
        "stride": STRIDE,
        "min_side": MIN_SIDE,
        "prefill_radius": cfg.prefill_radius,
        "prefill_blur": cfg.prefill_blur,
        "config": cfg.to_dict(),
        "licence": "Apache-2.0 (network weights); training photos and paintings: see SOURCES.md",
    }
    entry["training"]["data"] = "shared/data/photos + shared/data/styles (held-out 10% by name hash), random masks"
    if args.ship_checkpoint:  # `train inpaint --resume` or `--init-from` starts from it
        ship_checkpoint(entry, Path(args.checkpoint), weights, "PyTorch checkpoint (G, D): resume with --resume")
    write_entry(entry, weights)
    print(f"wrote {onnx_path} ({entry['size_bytes'] / 1e6:.2f} MB, parity error {error:.1e})")
    return onnx_path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", required=True, help="training checkpoint (…/last.pt)")
    p.add_argument("--weights", default=str(WEIGHTS_DIR), help="weights folder holding manifest.json")
    p.add_argument("--train-command", default="", help="training command to record in the manifest")
    p.add_argument("--ship-checkpoint", action="store_true", help="also copy the checkpoint to weights/checkpoints/")
