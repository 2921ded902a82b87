"""`artgan export stylize`: checkpoint → weights/stylize.onnx + one parameter file per style."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from artgan.errors import WeightsError
from artgan.features.networks import PROVENANCE
from artgan.runtime.manifest import WEIGHTS_DIR, model_entry, sha256_of
from artgan.stylize.model import SharedStatsGraph, StyleTransferNet
from artgan.stylize.train import load_model
from export.manifest import UNRECORDED, base_entry, ship_checkpoint, write_entry
from export.onnx_export import export_onnx

PAINTINGS = Path(__file__).resolve().parents[1] / "artgan" / "stylize" / "paintings.json"
THUMB_SIDE = 256
INPUTS = ["image", "style", "norm_stats", "stats_weight"]


def painting_credit(style_id: str) -> dict:
    """Title/artist/licence of a shipped painting; a user's own style gets a plain label."""
    credits = json.loads(PAINTINGS.read_text())
    c = credits.get(style_id)
    if c is None:
        return {"label": style_id.replace("_", " ").title(), "licence": "see training data"}
    label = f"{c['title'].split(' (')[0]} — {c['artist'].split(' (')[0]}"
    return {"label": label, **c}


def save_thumbnail(painting: Path, out: Path) -> None:
    with Image.open(painting) as im:
        im = im.convert("RGB")
        im.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.LANCZOS)
        im.save(out, quality=88)


def export_network(net: StyleTransferNet, path: Path) -> float:
    """Export the shared-statistics graph with symbolic batch/height/width; returns parity error."""
    graph = SharedStatsGraph(net).eval()
    dim = net.num_style_params
    rng = torch.Generator().manual_seed(0)
    style = net.identity_style()[None] + 0.2 * torch.randn(1, dim, generator=rng)
    with torch.no_grad():  # realistic statistics: those of another image
        _, stats = net.forward_shared(torch.rand(1, 3, 64, 96), style, torch.zeros(1, dim), torch.zeros(1, 1))
    batch = torch.export.Dim("batch", max=64)
    h = torch.export.Dim("h", min=1, max=4096)
    w = torch.export.Dim("w", min=1, max=4096)
    zero, one = torch.zeros(1, 1), torch.ones(1, 1)
    return export_onnx(
        graph,
        (torch.rand(1, 3, 64, 64), style, stats, zero),
        path,
        input_names=INPUTS,
        output_names=["stylized", "norm_stats_used"],
        dynamic_shapes={
            "image": {0: batch, 2: net.stride * h, 3: net.stride * w},
            "style": {0: batch},
            "norm_stats": {0: batch},
            "stats_weight": {0: batch},
        },
        parity_inputs=[
            (torch.rand(1, 3, 136, 200), style, stats, zero),
            (torch.rand(1, 3, 104, 48), style, stats, one),
            (torch.rand(2, 3, 256, 96), style.expand(2, -1), stats.expand(2, -1), torch.full((2, 1), 0.5)),
        ],
    )


def style_entries(
    bank_table: torch.Tensor,
    styles: tuple[str, ...],
    paintings: Path,
    weights: Path,
    folder: str = "styles",
    adversarial: bool = False,
) -> list[dict]:
    """Write <folder>/<id>.npy (+ thumbnail when the painting is at hand); manifest rows.

    `adversarial`: whether the run's last steps trained these styles with the adversarial term.
    """
    out_dir = weights / folder
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, style_id in enumerate(styles):
        params = out_dir / f"{style_id}.npy"
        np.save(params, bank_table[i].numpy().astype(np.float32))
        row = {
            "id": style_id,
            **painting_credit(style_id),
            "params": f"{folder}/{style_id}.npy",
            "params_sha256": sha256_of(params),
            "adversarial": adversarial,
        }
        matches = sorted(paintings.glob(f"{style_id}.*")) if paintings.is_dir() else []
        if matches:
            save_thumbnail(matches[0], out_dir / f"{style_id}.jpg")
        if (out_dir / f"{style_id}.jpg").exists():
            row["thumbnail"] = f"{folder}/{style_id}.jpg"
            row["thumbnail_sha256"] = sha256_of(out_dir / f"{style_id}.jpg")
        rows.append(row)
    return rows


def run(args: argparse.Namespace) -> Path:
    cfg, net, bank = load_model(Path(args.checkpoint))
    weights = Path(args.weights)
    model_id = args.model_id
    onnx_path = weights / f"{model_id}.onnx"
    folder = "styles" if model_id == "stylize" else f"styles_{model_id.removeprefix('stylize_')}"
    error = export_network(net, onnx_path)
    entry = base_entry(model_id, "stylize", onnx_path, error, args) | {
        "inputs": [
            {
                "name": "image",
                "shape": ["N", 3, "H", "W"],
                "dtype": "float32",
                "range": [0, 1],
                "note": f"H and W multiples of {net.stride} (the pipeline reflect-pads)",
            },
            {
                "name": "style",
                "shape": ["N", net.num_style_params],
                "dtype": "float32",
                "note": "conditional instance norm γ/β of every layer; blend = weighted mean of style rows",
            },
        ],
        "outputs": [{"name": "stylized", "shape": ["N", 3, "H", "W"], "dtype": "float32", "range": [0, 1]}],
        "stride": net.stride,
        "style_dim": net.num_style_params,
        "config": cfg.to_dict(),
        "licence": "Apache-2.0 (network weights); paintings public domain",
        "styles": style_entries(
            bank.table.weight.detach(), cfg.styles, Path(args.styles), weights, folder, cfg.adversarial_weight > 0
        ),
    }
    entry["training"] |= {
        "content": "shared/data/photos (held-out 10% by name hash)",
        "styles": "shared/data/styles (public-domain paintings)",
        "loss_network": PROVENANCE.get(cfg.feature_net, cfg.feature_net),
    }
    if args.ship_checkpoint:  # lets the next run resume or fine-tune without retraining
        note = "PyTorch checkpoint (weights, style bank): resume with --resume"
        ship_checkpoint(entry, Path(args.checkpoint), weights, note)
    else:
        keep_provenance(entry, Path(args.checkpoint), weights)
    write_entry(entry, weights)
    print(
        f"wrote {onnx_path} ({entry['size_bytes'] / 1e6:.2f} MB, parity error {error:.1e}) and {len(cfg.styles)} styles"
    )
    return onnx_path


def keep_provenance(entry: dict, checkpoint: Path, weights: Path) -> None:
    """Re-exporting the shipped checkpoint (e.g. after a graph change) keeps its manifest
    record: the checkpoint row and the training command that made it."""
    try:
        previous = model_entry(entry["id"], weights)
    except WeightsError:
        return
    shipped = previous.get("checkpoint")
    if shipped and sha256_of(checkpoint) == shipped["sha256"]:
        entry["checkpoint"] = shipped
        if entry["training"]["command"] == UNRECORDED:
            entry["training"]["command"] = previous["training"]["command"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", required=True, help="training checkpoint (…/last.pt)")
    p.add_argument(
        "--model-id",
        default="stylize",
        choices=["stylize", "stylize_fast"],
        help="stylize (the quality network) or stylize_fast (the distilled one used for video and --fast)",
    )
    p.add_argument("--styles", default="../shared/data/styles", help="paintings, for thumbnails")
    p.add_argument("--weights", default=str(WEIGHTS_DIR), help="weights folder holding manifest.json")
    p.add_argument("--train-command", default="", help="training command to record in the manifest")
    p.add_argument(
        "--ship-checkpoint",
        action="store_true",
        help="also copy the checkpoint to weights/checkpoints/ (3.5 MB) so training can resume",
    )
