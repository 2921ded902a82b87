"""Pieces every trainer shares: devices, crop datasets, checkpoints, sample grids."""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset, IterableDataset, get_worker_info
from tqdm import tqdm

from artgan.datasets import load_rgb, random_crop
from artgan.errors import ArtganError


def pick_device(name: str = "auto") -> torch.device:
    """`auto` takes CUDA when present; `cuda` without a GPU is an error, not a fallback."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda was asked for but torch sees no CUDA GPU")
    return torch.device(name)


class RandomCrops(IterableDataset):
    """Endless random square crops from a list of image files, [3,S,S] float in [0,1].

    Corrupt files are skipped with a warning naming them, never a crash.
    """

    def __init__(self, files: list[Path], size: int, scale=(0.3, 1.0), seed: int = 0) -> None:
        if not files:
            raise ArtganError("no training images found (check --content and --holdout)")
        self.files, self.size, self.scale, self.seed = files, size, scale, seed

    def __iter__(self):
        info = get_worker_info()
        wid = info.id if info else 0
        rng = np.random.default_rng(self.seed * 1000 + wid + int.from_bytes(os.urandom(2)))
        while True:
            path = self.files[int(rng.integers(len(self.files)))]
            im = load_rgb(path)
            if im is None:
                warnings.warn(f"skipped unreadable image {path}", stacklevel=1)  # once per file by default
                continue
            crop = random_crop(im, self.size, rng, self.scale)
            yield torch.from_numpy(crop).permute(2, 0, 1).float() / 255.0


class FixedImages(Dataset):
    """A few held-out images, resized to one square size, for sample grids."""

    def __init__(self, files: list[Path], size: int) -> None:
        self.images = []
        for f in files:
            im = load_rgb(f)
            if im is not None:
                im = im.resize((size, size), Image.BICUBIC)
                self.images.append(torch.from_numpy(np.array(im)).permute(2, 0, 1).float() / 255)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.images[i]


def save_checkpoint(path: Path, state: dict) -> None:
    """Write atomically (tmp + rename) so a killed run never leaves a broken checkpoint."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=False)


def save_grid(rows: list[torch.Tensor], path: Path) -> None:
    """Save rows of images ([K,3,H,W] in [0,1] each) as one PNG contact sheet."""
    sheet = torch.cat([torch.cat(list(r.detach().cpu()), dim=2) for r in rows], dim=1)
    arr = (sheet.clamp(0, 1).permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)


def fit(
    trainer,
    loader: Iterable,
    steps: int,
    out: Path,
    ckpt_every: int,
    sample_every: int,
    sample: Callable[[Path], None],
    desc: str,
) -> Path:
    """The loop every trainer shares: `trainer.step(*batch)` until `steps`, progress bar,
    atomic checkpoints to OUT/last.pt (resumable), a sample grid every `sample_every` steps.

    `trainer` has `step_count`, `step(...) -> dict of losses` and `state() -> dict`.
    """
    last = out / "last.pt"
    bar = tqdm(total=steps, initial=trainer.step_count, desc=desc, dynamic_ncols=True)
    started = time.time()
    for batch in loader:
        if trainer.step_count >= steps:
            break
        losses = trainer.step(*batch) if isinstance(batch, list | tuple) else trainer.step(batch)
        bar.update(1)
        bar.set_postfix({k: f"{v:.3g}" for k, v in losses.items() if k != "total"})
        if trainer.step_count % ckpt_every == 0 or trainer.step_count == steps:
            save_checkpoint(last, trainer.state())
        if trainer.step_count % sample_every == 0:
            sample(out / "samples" / f"step{trainer.step_count:06d}.png")
    bar.close()
    save_checkpoint(last, trainer.state())
    print(f"trained {trainer.step_count} steps in {time.time() - started:.0f} s → {last}")
    return last
