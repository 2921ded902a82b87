"""Training pairs for inpainting: random crops of photos and paintings with random masks."""

from __future__ import annotations

import os

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from artgan.inpaint.masks import random_mask
from artgan.training import RandomCrops


class MaskedCrops(IterableDataset):
    """Endless (image [3,S,S] in [0,1], mask [1,S,S] 1 = hole) pairs; masks drawn per worker."""

    def __init__(self, crops: RandomCrops, kind: str = "mixed") -> None:
        self.crops, self.kind = crops, kind

    def __iter__(self):
        info = get_worker_info()
        rng = np.random.default_rng((info.id if info else 0) + int.from_bytes(os.urandom(4)))
        for image in self.crops:
            size = image.shape[-1]
            yield image, torch.from_numpy(random_mask(size, size, rng, self.kind))[None]


def fixed_masks(count: int, size: int, seed: int = 0) -> torch.Tensor:
    """The same masks every time (for sample grids): [count,1,S,S], kinds in turn."""
    rng = np.random.default_rng(seed)
    kinds = ["medium", "thick", "cracks", "thin"]
    return torch.stack([torch.from_numpy(random_mask(size, size, rng, kinds[i % 4]))[None] for i in range(count)])
