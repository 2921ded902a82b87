"""Image folders for training: recursive listing, a stable held-out split, random crops.

Any folder tree of images works (COCO, WikiArt, Places2, DTD or a user's own photos);
files are decoded lazily in worker processes, so no dataset needs to fit in memory.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from artgan.errors import ArtganError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


def list_images(root: str | Path, max_images: int | None = None) -> list[Path]:
    """All image files under `root` (recursive, sorted), at most `max_images` of them."""
    root = Path(root)
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise ArtganError(f"no such image folder: {root}")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    return files[:max_images] if max_images else files


def is_held_out(path: Path, fraction: float = 0.1) -> bool:
    """Stable split by file-name hash: the same photos are held out on every machine."""
    digest = hashlib.sha1(path.name.encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < fraction


def split(files: list[Path], part: str, fraction: float = 0.1) -> list[Path]:
    """`part` is 'train', 'test' or 'all'."""
    if part == "all" or fraction <= 0:
        return files if part != "test" else []
    held = [is_held_out(p, fraction) for p in files]
    return [p for p, h in zip(files, held, strict=False) if h == (part == "test")]


def train_test_files(folders: list[str], max_images: int | None, holdout: float) -> tuple[list[Path], list[Path]]:
    """The training and held-out images of one or more folder trees (`max_images` per folder)."""
    files = [f for folder in folders for f in list_images(folder, max_images)]
    return split(files, "train", holdout), split(files, "test", holdout)


def load_rgb(path: Path) -> Image.Image | None:
    """Decoded RGB image, or None for a corrupt or unreadable file (the caller counts)."""
    try:
        with Image.open(path) as im:
            return im.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def random_crop(im: Image.Image, size: int, rng: np.random.Generator, scale: tuple[float, float]) -> np.ndarray:
    """A square crop covering `scale` of the short side, resized to `size`; random flip.

    Returns HWC uint8.
    """
    w, h = im.size
    side = int(min(w, h) * rng.uniform(*scale))
    side = max(side, min(size, w, h))
    x0 = int(rng.integers(0, w - side + 1))
    y0 = int(rng.integers(0, h - side + 1))
    crop = im.crop((x0, y0, x0 + side, y0 + side)).resize((size, size), Image.BICUBIC)
    arr = np.asarray(crop)
    return arr[:, ::-1].copy() if rng.random() < 0.5 else arr
