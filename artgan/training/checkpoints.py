"""Checkpoints (written atomically, resumable on any number of processes) and sample grids."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image


def save_checkpoint(path: Path, state: dict) -> None:
    """Write atomically (tmp + rename) so a killed run never leaves a broken checkpoint."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=False)


def resume_state(args: argparse.Namespace) -> dict | None:
    """OUT/last.pt when `--resume` is given and it exists (a fresh run otherwise)."""
    last = Path(args.out) / "last.pt"
    return load_checkpoint(last) if args.resume and last.exists() else None


def save_grid(rows: list[torch.Tensor], path: Path) -> np.ndarray:
    """Save rows of images ([K,3,H,W] in [0,1] each) as one PNG contact sheet; return it (HWC uint8)."""
    sheet = torch.cat([torch.cat(list(r.detach().float().cpu()), dim=2) for r in rows], dim=1)
    arr = (sheet.clamp(0, 1).permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)
    return arr
