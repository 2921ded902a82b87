"""Shipped vectors of one network plus the user's learned ones: styles and textures alike.

A style and a texture are the same thing to the app: a small parameter vector fed to a
frozen network, listed in the manifest with a thumbnail, or learned from an upload and
saved as <name>.npy (+ .jpg) in the user's folder. `StyleLibrary` and `TextureLibrary`
add only their manifest key, vector size, error type and their own operations.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from artgan.errors import ArtganError
from artgan.runtime.manifest import model_entry, verified_path
from artgan.runtime.sessions import get_session

log = logging.getLogger(__name__)
LEARNED = "(learned)"


def adapter_path(vector_path: Path) -> Path:
    """<name>.npy → <name>.adapter.npz: a learned vector's own network weights, beside it."""
    return vector_path.with_suffix(".adapter.npz")


@dataclass(frozen=True)
class Vector:
    """One style or texture: its parameter vector and what the gallery shows."""

    id: str
    label: str
    params: np.ndarray
    thumbnail: Path | None = None
    adapter: Path | None = None  # a learned item's own network weights (<name>.adapter.npz), if any


class VectorLibrary:
    """The manifest entry's shipped vectors (under `rows`) plus the learned ones in `user_dir`, by id."""

    noun = "vector"
    rows = ""  # the manifest entry's list of shipped vectors
    error: type[ArtganError] = ArtganError

    def __init__(self, weights_dir: Path, user_dir: Path, model_id: str) -> None:
        self.weights_dir = Path(weights_dir)
        self.entry = model_entry(model_id, self.weights_dir)
        self.model_path = verified_path(self.entry["file"], self.entry["sha256"], self.weights_dir)
        self.items: dict[str, Vector] = {}
        for row in self.entry[self.rows]:
            params = np.load(verified_path(row["params"], row["params_sha256"], self.weights_dir))
            thumb = self.weights_dir / row["thumbnail"] if "thumbnail" in row else None
            self.items[row["id"]] = Vector(row["id"], row["label"], params.astype(np.float32), thumb)
        self.user_dir = Path(user_dir)
        for path in sorted(self.user_dir.glob("*.npy")) if self.user_dir.is_dir() else []:
            try:
                self.add_file(path)
            except self.error as exc:  # a vector for another network: reported on direct use
                log.info("ignored %s: %s", path, exc)

    @property
    def dim(self) -> int:
        """How many numbers one vector holds."""
        raise NotImplementedError

    def add_file(self, path: Path, item_id: str | None = None) -> Vector:
        """Register a learned vector (.npy, thumbnail beside it as .jpg)."""
        try:
            params = np.load(path).astype(np.float32)
        except (OSError, ValueError) as exc:
            raise self.error(f"{path.name} is not a {self.noun} file (.npy)") from exc
        if params.shape != (self.dim,):
            raise self.error(f"{path.name} holds {params.shape} numbers, not a {self.noun} of this network")
        thumb, adapter = path.with_suffix(".jpg"), adapter_path(path)
        item_id = item_id or path.stem
        item = Vector(
            item_id,
            f"{item_id} {LEARNED}",
            params,
            thumb if thumb.exists() else None,
            adapter if adapter.exists() else None,
        )
        self.items[item_id] = item
        return item

    def __contains__(self, item_id: str) -> bool:
        return item_id in self.items

    def names(self) -> list[str]:
        return list(self.items)

    def is_shipped(self, item_id: str) -> bool:
        """True for a vector from the manifest (a learned one may be replaced, a shipped one not)."""
        return item_id in self.items and not self.items[item_id].label.endswith(LEARNED)

    def get(self, item_id: str) -> Vector:
        """By id, or a learned vector's .npy path; an unknown id lists the known ones."""
        if item_id not in self.items and item_id.endswith(".npy") and Path(item_id).is_file():
            return self.add_file(Path(item_id), item_id)
        if item_id not in self.items:
            raise self.error(f"unknown {self.noun} {item_id!r}; choose from: {', '.join(self.items)}")
        return self.items[item_id]

    def session(self, threads: int | None = None, spin: bool | None = None):
        return get_session(self.model_path, threads=threads, spin=spin)
