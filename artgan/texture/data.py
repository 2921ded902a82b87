"""Training textures: whole images held in memory, random crops per step.

A texture is a file stem in the textures folder, or `stem@x0:y0:x1:y1` for a crop of a
picture (the brushwork of a painting's sky, say), looked up in the styles folder too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from artgan.errors import ArtganError

# the shipped model's textures: photographs from textures/ and one painting's brushwork
DEFAULT_TEXTURES = (
    "autumn_leaves",
    "bricks_mossy",
    "grass",
    "gravel_grayscale",
    "rusty_metal",
    "tiles_green_ceramic",
    "tree_bark",
    "water_caustics",
    "wood_planks",
    "starry_night@300:40:820:440",  # the swirling sky, no cypress, moon or village
)


def texture_id(spec: str) -> str:
    """`starry_night@…` → `starry_night_brushwork`; a plain stem is its own id."""
    return spec.split("@")[0] + "_brushwork" if "@" in spec else spec


def find_source(spec: str, folders: list[Path]) -> Path:
    stem = spec.split("@")[0]
    for folder in folders:
        for ext in (".jpg", ".jpeg", ".png"):
            if (folder / f"{stem}{ext}").exists():
                return folder / f"{stem}{ext}"
    raise ArtganError(f"texture {stem!r} not found in {', '.join(map(str, folders))}")


def load_texture(spec: str, folders: list[Path], short_side: int) -> np.ndarray:
    """HWC uint8, cropped as the spec says and scaled down so its short side ≤ short_side."""
    im = Image.open(find_source(spec, folders)).convert("RGB")
    if "@" in spec:
        box = tuple(int(v) for v in spec.split("@")[1].split(":"))
        im = im.crop(box)
    s = min(1.0, short_side / min(im.size))
    if s < 1.0:
        im = im.resize((round(im.width * s), round(im.height * s)), Image.LANCZOS)
    return np.asarray(im)


class TextureCrops:
    """Random crops [N, 3, S, S] in [0, 1] of the texture with each given index."""

    def __init__(self, images: list[np.ndarray], crop: int, seed: int = 0) -> None:
        for im in images:
            if min(im.shape[:2]) < crop:
                raise ArtganError(f"a texture of {im.shape[1]}×{im.shape[0]} px is smaller than the {crop} px crop")
        self.images = [torch.from_numpy(im.copy()).permute(2, 0, 1).float() / 255 for im in images]
        self.crop = crop
        self.rng = np.random.default_rng(seed)

    def sample(self, idx: torch.Tensor) -> torch.Tensor:
        out = []
        for i in idx.tolist():
            im = self.images[i]
            y = int(self.rng.integers(im.shape[1] - self.crop + 1))
            x = int(self.rng.integers(im.shape[2] - self.crop + 1))
            c = im[:, y : y + self.crop, x : x + self.crop]
            out.append(c.flip(2) if self.rng.random() < 0.5 else c)  # mirror: twice the crops, same look
        return torch.stack(out)
