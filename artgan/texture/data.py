"""Training textures: whole images held in memory, random crops per step.

A texture is a file stem in the textures folder, or `stem@x0:y0:x1:y1` for a crop of a
picture (the brushwork of a painting's sky, say), looked up in the styles folder too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from artgan.datasets import list_images, load_rgb
from artgan.errors import ArtganError
from artgan.training import epoch_length, item_rng, to_tensor

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
    """The image whose file stem the spec names, anywhere in the folder trees (first folder first)."""
    stem = spec.split("@")[0]
    for folder in folders:
        if folder.is_dir():
            found = [p for p in list_images(folder) if p.stem == stem]
            if found:
                return found[0]
    raise ArtganError(f"texture {stem!r} not found in {', '.join(map(str, folders))}")


def all_textures(folder: Path, max_images: int | None) -> tuple[list[str], list[Path]]:
    """`--textures all`: the stems of every readable image in the tree, and the unreadable files."""
    specs, bad, seen = [], [], set()
    for path in list_images(folder, max_images):
        if load_rgb(path) is None:
            bad.append(path)
        elif path.stem not in seen:  # a stem names one texture (and its learned code)
            seen.add(path.stem)
            specs.append(path.stem)
    return specs, bad


def load_texture(spec: str, folders: list[Path], short_side: int) -> np.ndarray:
    """HWC uint8, cropped as the spec says and scaled down so its short side ≤ short_side."""
    source = find_source(spec, folders)
    im = load_rgb(source)
    if im is None:
        raise ArtganError(f"texture {spec!r}: {source} is not a readable image")
    if "@" in spec:
        box = tuple(int(v) for v in spec.split("@")[1].split(":"))
        im = im.crop(box)
    s = min(1.0, short_side / min(im.size))
    if s < 1.0:
        im = im.resize((round(im.width * s), round(im.height * s)), Image.LANCZOS)
    return np.asarray(im)


def random_patch(im: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """A `size` px square at a random place, mirrored half the time (twice the crops, same look)."""
    y = int(rng.integers(im.shape[0] - size + 1))
    x = int(rng.integers(im.shape[1] - size + 1))
    patch = im[y : y + size, x : x + size]
    return patch[:, ::-1] if rng.random() < 0.5 else patch


class TextureCrops(Dataset):
    """Item i: (crop [3,S,S] in [0,1], texture index) of texture i mod K, from the item's own
    generator. Read in order (no shuffle), a global batch of K items holds every texture once.

    The textures stay in memory (uint8, scaled to the config's short side): the model learns
    one code per texture, and the Gram targets need each whole image anyway.
    """

    def __init__(self, images: list[np.ndarray], crop: int, batch_size: int, seed: int = 0) -> None:
        for im in images:
            if min(im.shape[:2]) < crop:
                raise ArtganError(f"a texture of {im.shape[1]}×{im.shape[0]} px is smaller than the {crop} px crop")
        self.images, self.crop, self.seed = images, crop, seed
        self.length = epoch_length(100 * batch_size, batch_size)  # crops are cheap: an epoch is 100 steps

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        k = index % self.length % len(self.images)
        patch = random_patch(self.images[k], self.crop, item_rng(self.seed, index, self.length))
        return to_tensor(patch), torch.tensor(k)
