"""`artgan export texture`: checkpoint → weights/texture.onnx + one code file and thumbnail per texture.

Only the convolutional body is in the graph (inputs: the noise field and the texture code
for FiLM), in its sub-pixel form. The pipeline builds
that field in numpy from a seed and the texture's code and wave vectors, so tiling,
windowing and morphing need no re-export and a user's learned texture is a small file.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from artgan.runtime.manifest import WEIGHTS_DIR, sha256_of
from artgan.texture.config import CELL, TextureConfig
from artgan.texture.data import load_texture, texture_id
from artgan.texture.model import FastTextureBody, TextureGenerator
from artgan.texture.train import DATA, lattice_indices, load_model
from export.manifest import base_entry, ship_checkpoint, write_entry
from export.onnx_export import export_onnx

CREDITS = Path(__file__).resolve().parents[1] / "artgan" / "texture" / "textures.json"
THUMB_SIDE = 128


def export_body(body: FastTextureBody, noise_dim: int, code_dim: int, path: Path) -> float:
    """Export with symbolic batch/height/width of the noise field; returns the parity error."""
    batch = torch.export.Dim("batch", max=64)
    least = -(-(2 * body.margin + 1) // CELL)  # fewest cells with a non-empty output
    h = torch.export.Dim("h", min=least, max=1024)
    w = torch.export.Dim("w", min=least, max=1024)
    g = torch.Generator().manual_seed(0)
    z = lambda n, hh, ww: (torch.randn(n, noise_dim, hh, ww, generator=g), torch.randn(n, code_dim, generator=g))  # noqa: E731
    n = least  # sizes relative to the fewest cells: a deeper coarse end needs more context
    return export_onnx(
        body,
        z(1, n + 4, n + 4),
        path,
        input_names=["noise", "code"],
        output_names=["texture"],
        dynamic_shapes={"noise": {0: batch, 2: h, 3: w}, "code": {0: batch}},
        parity_inputs=[z(1, n + 4, n + 9), z(2, n + 2, n + 1), z(1, n + 16, n + 3)],
    )


def texture_params(gen: TextureGenerator) -> np.ndarray:
    """Per texture: global code, then the effective wave vectors k (radians per cell): [K, G + 2P]."""
    k = math.pi * torch.tanh(gen.waves.detach())  # as in TextureGenerator.noise_field
    return torch.cat([gen.codes.detach(), k.flatten(1)], dim=1).numpy().astype(np.float32)


def save_thumbnail(img_u8: np.ndarray, out: Path) -> None:
    """A centre crop of the training texture, as the picker shows it."""
    h, w = img_u8.shape[:2]
    s = min(h, w, 2 * THUMB_SIDE)
    crop = img_u8[(h - s) // 2 : (h - s) // 2 + s, (w - s) // 2 : (w - s) // 2 + s]
    Image.fromarray(crop).resize((THUMB_SIDE, THUMB_SIDE), Image.LANCZOS).save(out, quality=85)


def lattice_rows(cfg: TextureConfig, gen: TextureGenerator) -> dict[int, dict]:
    """Per lattice texture: its repeat in cells and the periodic channels whose phases the pipeline couples."""
    return {
        i: {"repeat": [rows, cols], "channels": gen.coupled[i].nonzero().flatten().tolist()}
        for i, rows, cols in lattice_indices(cfg)
    }


def texture_entries(
    params: np.ndarray, specs: tuple[str, ...], data: Path, short_side: int, weights: Path, lattices: dict[int, dict]
) -> list:
    out_dir = weights / "textures"
    out_dir.mkdir(parents=True, exist_ok=True)
    credits = json.loads(CREDITS.read_text())
    folders = [data / "textures", data / "styles"]
    rows = []
    for i, spec in enumerate(specs):
        tid = texture_id(spec)
        np.save(out_dir / f"{tid}.npy", params[i])
        thumb = out_dir / f"{tid}.jpg"
        if (data / "textures").is_dir():
            save_thumbnail(load_texture(spec, folders, short_side), thumb)
        credit = credits.get(tid, {"label": tid.replace("_", " ").capitalize(), "licence": "see training data"})
        row = {"id": tid, **credit, "params": f"textures/{tid}.npy", "params_sha256": sha256_of(out_dir / f"{tid}.npy")}
        if thumb.exists():
            row.update(thumbnail=f"textures/{tid}.jpg", thumbnail_sha256=sha256_of(thumb))
        if i in lattices:
            row["lattice"] = lattices[i]
        rows.append(row)
    return rows


def run(args: argparse.Namespace) -> Path:
    cfg, gen = load_model(Path(args.checkpoint))
    weights = Path(args.weights)
    onnx_path = weights / "texture.onnx"
    error = export_body(FastTextureBody(gen.body), cfg.noise_dim, cfg.global_dim, onnx_path)
    entry = base_entry("texture", "texture", onnx_path, error, args) | {
        "inputs": [
            {
                "name": "noise",
                "shape": ["N", cfg.noise_dim, "h", "w"],
                "dtype": "float32",
                "note": f"channels: {cfg.local_dim} local N(0,1), {cfg.global_dim} global code,"
                f" {cfg.periodic_dim} periodic sin(k·x+φ); h, w ≥ {-(-(2 * gen.body.margin + 1) // CELL)} cells",
            },
            {
                "name": "code",
                "shape": ["N", cfg.global_dim],
                "dtype": "float32",
                "note": "the texture's global code again, for FiLM in every layer; morph = interpolate codes",
            },
        ],
        "outputs": [
            {
                "name": "texture",
                "shape": ["N", 3, f"{CELL}h-{2 * gen.body.margin}", f"{CELL}w-{2 * gen.body.margin}"],
                "dtype": "float32",
                "range": [0, 1],
            }
        ],
        "cell": CELL,
        "margin": gen.body.margin,
        "noise": {"local": cfg.local_dim, "global": cfg.global_dim, "periodic": cfg.periodic_dim},
        "config": cfg.to_dict(),
        "licence": "Apache-2.0 (network weights); training textures CC0 1.0, Unsplash License, public domain",
        "textures": texture_entries(
            texture_params(gen), cfg.textures, Path(args.data), cfg.short_side, weights, lattice_rows(cfg, gen)
        ),
    }
    entry["training"]["data"] = (
        "shared/data/textures (CC0 / Unsplash) and a crop of shared/data/styles/starry_night.jpg"
    )
    if args.ship_checkpoint:  # resumed training starts from it
        ship_checkpoint(entry, Path(args.checkpoint), weights, "PyTorch checkpoint (G, D): resume with --resume")
    write_entry(entry, weights)
    size = entry["size_bytes"] / 1e6
    print(f"wrote {onnx_path} ({size:.2f} MB, parity error {error:.1e}) and {len(cfg.textures)} textures")
    return onnx_path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", required=True, help="training checkpoint (…/last.pt)")
    p.add_argument("--data", default=str(DATA), help="folder with textures/ and styles/, for thumbnails")
    p.add_argument("--weights", default=str(WEIGHTS_DIR), help="weights folder holding manifest.json")
    p.add_argument("--train-command", default="", help="training command to record in the manifest")
    p.add_argument("--ship-checkpoint", action="store_true", help="also copy the checkpoint to weights/checkpoints/")
