"""Crop datasets, the resumable epoch sampler and loaders, split over processes and micro-batches."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from PIL import Image
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from artgan.datasets import load_rgb, random_crop
from artgan.errors import ArtganError
from artgan.training.session import Session


def to_tensor(img_u8: np.ndarray) -> torch.Tensor:
    """HWC uint8 → [3,H,W] float in [0,1]."""
    return torch.from_numpy(np.array(img_u8)).permute(2, 0, 1).float() / 255.0  # a copy: writable, positive strides


def item_rng(seed: int, index: int, length: int) -> np.random.Generator:
    """The generator of one item: a function of (seed, epoch, item), so an index always gives
    the same crop however many processes or workers load it (what makes DDP equal one process)."""
    epoch, i = divmod(index, length)
    return np.random.default_rng([seed, epoch, i])


def epoch_length(items: int, batch_size: int) -> int:
    """Items per epoch: every file once, rounded up to whole global batches."""
    return max(1, math.ceil(items / batch_size)) * batch_size


class CropDataset(Dataset):
    """Item i of epoch e: a random square crop of file i mod N, drawn from a generator seeded
    by (seed, e, i), then `transform(crop_u8, rng)` (default: the crop as [3,S,S] in [0,1]).

    Files are decoded on demand (in DataLoader workers), so no dataset has to fit in memory.
    An unreadable file is replaced by the next readable one and flagged in `bad`, a tensor
    in shared memory so that worker processes can report it; see `unreadable`.
    """

    def __init__(
        self,
        files: list[Path],
        size: int,
        batch_size: int,
        scale: tuple[float, float] = (0.3, 1.0),
        seed: int = 0,
        transform: Callable[[np.ndarray, np.random.Generator], tuple] | None = None,
    ) -> None:
        if not files:
            raise ArtganError("no training images found (check the data folder, --max-images and --holdout)")
        self.files, self.size, self.scale, self.seed, self.transform = files, size, scale, seed, transform
        self.length = epoch_length(len(files), batch_size)
        self.bad = torch.zeros(len(files), dtype=torch.uint8).share_memory_()

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int):
        rng = item_rng(self.seed, index, self.length)
        crop = random_crop(self.decode(index % self.length), self.size, rng, self.scale)
        return self.transform(crop, rng) if self.transform else to_tensor(crop)

    def decode(self, i: int) -> Image.Image:
        n = len(self.files)
        for j in range(n):
            k = (i + j) % n
            im = load_rgb(self.files[k])
            if im is not None:
                return im
            self.bad[k] = 1
        raise ArtganError(f"none of the {n} training images could be read")

    def unreadable(self, session: Session) -> list[Path]:
        """Files found unreadable so far by any worker of any process."""
        flags = self.bad.to(session.device, dtype=torch.int32)
        if session.world > 1:
            dist.all_reduce(flags, op=dist.ReduceOp.MAX)
        return [self.files[int(k)] for k in flags.nonzero().flatten().tolist()]


class EpochSampler(DistributedSampler):
    """DistributedSampler (same shuffle for any number of processes) whose indices carry the
    epoch (index + epoch·len), so workers crop anew each epoch without shared state, and
    which starts `start` items into the epoch when a run resumes mid-epoch."""

    start = 0

    def __iter__(self) -> Iterator[int]:
        base = self.epoch * len(self.dataset)
        return (base + i for i in itertools.islice(super().__iter__(), self.start, None))


def _one_thread(_: int) -> None:
    torch.set_num_threads(1)  # workers decode and crop; the training process owns the cores


def micro_batch_size(batch_size: int, session: Session, accum: int) -> int:
    """Per-process micro-batch: the global batch split over processes and accumulation steps."""
    if batch_size % (session.world * accum):
        raise ArtganError(
            f"batch size {batch_size} is not divisible by {session.world} processes × {accum} accumulation steps"
        )
    return batch_size // (session.world * accum)


def make_loader(
    data: Dataset, micro: int, session: Session, workers: int, seed: int, shuffle: bool
) -> tuple[DataLoader, EpochSampler]:
    sampler = EpochSampler(data, session.world, session.rank, shuffle=shuffle, seed=seed, drop_last=True)
    loader = DataLoader(
        data,
        batch_size=micro,
        sampler=sampler,
        num_workers=workers,
        pin_memory=session.device.type == "cuda",
        drop_last=True,
        persistent_workers=workers > 0,
        worker_init_fn=_one_thread,
    )
    return loader, sampler


class FixedImages(Dataset):
    """A few held-out images, resized to one square size, for sample grids."""

    def __init__(self, files: list[Path], size: int) -> None:
        self.images = []
        for f in files:
            im = load_rgb(f)
            if im is not None:
                self.images.append(to_tensor(np.array(im.resize((size, size), Image.BICUBIC))))

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.images[i]


def groups(loader: DataLoader, size: int) -> Iterator[list]:
    """Consecutive micro-batches, `size` at a time (one optimisation step each)."""
    it = iter(loader)
    while len(group := list(itertools.islice(it, size))) == size:
        yield group
