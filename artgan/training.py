"""Pieces every trainer shares: sessions (device, mixed precision, DDP), crop datasets,
the sampler, checkpoints, sample grids, logging and the one training loop `fit`.

One process trains on CPU or one GPU; `torchrun --nproc_per_node N -m artgan train …`
starts N processes and each joins the process group from torchrun's environment
(RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR/PORT). Every process sees a different shard of
the same global batch (DistributedSampler), DistributedDataParallel averages the
gradients, and only rank 0 writes checkpoints, samples and logs.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from PIL import Image
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler
from tqdm import tqdm

from artgan.datasets import load_rgb, random_crop
from artgan.errors import ArtganError

PRECISIONS = ("auto", "fp32", "bf16", "fp16")


def pick_device(name: str = "auto") -> torch.device:
    """`auto` takes CUDA when present; `cuda` without a GPU is an error, not a fallback."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ArtganError("--device cuda was asked for but torch sees no CUDA GPU")
    return torch.device(name)


def amp_dtype(device: torch.device, precision: str) -> torch.dtype | None:
    """The autocast dtype, or None for fp32. `auto`: bf16 where the GPU has it (no loss
    scaling needed), fp16 on older GPUs, fp32 on CPU (CPU autocast is slower than fp32 here)."""
    if precision == "fp32" or (precision == "auto" and device.type != "cuda"):
        return None
    if device.type != "cuda":
        raise ArtganError(f"--precision {precision} needs a CUDA device (training on {device.type})")
    if precision == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if precision == "bf16" else torch.float16


@dataclass
class Session:
    """Where this process trains and how: device, autocast dtype, its rank among `world` processes."""

    device: torch.device
    amp_dtype: torch.dtype | None = None
    rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        """Rank 0: the one process that writes checkpoints, samples and logs."""
        return self.rank == 0

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def wrap(self, module: nn.Module) -> nn.Module:
        """DDP around a trained module when several processes train, else the module itself.

        broadcast_buffers=False: spectral norm's power-iteration vectors are buffers updated
        in place in every forward; broadcasting them between a discriminator's real and fake
        passes breaks autograd, and they stay equal anyway (same weights on every rank).
        """
        if self.world == 1:
            return module
        ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(module, device_ids=ids, broadcast_buffers=False)

    def scaler(self) -> torch.amp.GradScaler:
        """A loss scaler, active only for fp16 (bf16 has fp32's range and needs none)."""
        return torch.amp.GradScaler(self.device.type, enabled=self.amp_dtype == torch.float16)

    def close(self) -> None:
        if dist.is_initialized():
            dist.barrier()
            dist.destroy_process_group()


def start_session(device: str = "auto", precision: str = "auto", seed: int = 0) -> Session:
    """Join torchrun's process group when WORLD_SIZE > 1 (NCCL on GPUs, gloo on CPU)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    dev = pick_device(device)
    if dev.type == "cuda":
        dev = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(dev)
        torch.backends.cudnn.benchmark = True  # every trainer's crops are one fixed size
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if dev.type == "cuda" else "gloo")
    torch.manual_seed(seed)  # same initial weights in every process (DDP also broadcasts rank 0's)
    return Session(dev, amp_dtype(dev, precision), rank, world)


def reseed(session: Session, seed: int, step: int) -> None:
    """Torch's own randomness (noise, patches) differs per rank and per resume point."""
    torch.manual_seed(int(np.random.SeedSequence([seed, session.rank, step]).generate_state(1)[0]))


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


def accumulate(micro: list, modules: list[nn.Module]) -> Iterator:
    """Yield each micro-batch; DDP all-reduces gradients only in the last one's backward
    (no_sync must enclose forward and backward, so the caller's loop body runs inside it)."""
    for k, batch in enumerate(micro):
        with contextlib.ExitStack() as stack:
            if k < len(micro) - 1:
                for m in modules:
                    if isinstance(m, DistributedDataParallel):
                        stack.enter_context(m.no_sync())
            yield batch


@contextlib.contextmanager
def frozen(module: nn.Module) -> Iterator[None]:
    """No parameter gradients for `module` (a discriminator while the generator learns through it)."""
    module.requires_grad_(False)
    try:
        yield
    finally:
        module.requires_grad_(True)


class Optimizer:
    """An optimiser with its loss scaler: zero, backward (scaled), step (unscaled, skips inf)."""

    def __init__(self, opt: torch.optim.Optimizer, session: Session) -> None:
        self.opt, self.scaler = opt, session.scaler()

    def zero(self) -> None:
        self.opt.zero_grad(set_to_none=True)

    def backward(self, loss: torch.Tensor) -> None:
        self.scaler.scale(loss).backward()

    def step(self) -> None:
        self.scaler.step(self.opt)
        self.scaler.update()

    def state_dict(self) -> dict:
        return self.opt.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.opt.load_state_dict(state)


class LossMeter:
    """Mean of each loss over a step's micro-batches and all processes: the global batch's
    loss, what one process would log (tensors until the end: one GPU sync per step)."""

    def __init__(self, session: Session, count: int) -> None:
        self.session, self.count, self.sums = session, count, {}

    def add(self, losses: dict[str, torch.Tensor]) -> None:
        for k, v in losses.items():
            self.sums[k] = self.sums.get(k, 0.0) + v.detach().float() / self.count

    def result(self) -> dict[str, float]:
        values = torch.stack(list(self.sums.values()))
        if self.session.world > 1:
            dist.all_reduce(values)
            values /= self.session.world
        return dict(zip(self.sums, values.tolist(), strict=True))


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


def save_checkpoint(path: Path, state: dict) -> None:
    """Write atomically (tmp + rename) so a killed run never leaves a broken checkpoint."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=False)


def save_grid(rows: list[torch.Tensor], path: Path) -> np.ndarray:
    """Save rows of images ([K,3,H,W] in [0,1] each) as one PNG contact sheet; return it (HWC uint8)."""
    sheet = torch.cat([torch.cat(list(r.detach().float().cpu()), dim=2) for r in rows], dim=1)
    arr = (sheet.clamp(0, 1).permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)
    return arr


def add_common_arguments(p: argparse.ArgumentParser, out: str, steps: int, ckpt_every: int, sample_every: int) -> None:
    """The options every `artgan train TASK` shares: run folder, length, device, scale-out."""
    p.add_argument("--out", default=out, help="run folder: last.pt, samples/, log.jsonl, tb/ (TensorBoard)")
    p.add_argument("--steps", type=int, default=steps, help="total optimisation steps (global batches)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt if it exists (any GPU count)")
    p.add_argument("--ckpt-every", type=int, default=ckpt_every, help="steps between checkpoints")
    p.add_argument("--sample-every", type=int, default=sample_every, help="steps between sample grids")
    p.add_argument("--log-every", type=int, default=10, help="steps between log.jsonl / TensorBoard points")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="where to train")
    p.add_argument(
        "--precision",
        default="auto",
        choices=PRECISIONS,
        help="autocast dtype; auto = bf16 on GPUs that have it, else fp16 with loss scaling; fp32 on CPU",
    )
    p.add_argument("--accum", type=int, default=1, help="gradient accumulation: micro-batches per step")
    p.add_argument("--workers", type=int, default=2, help="data-loading worker processes per training process")
    p.add_argument("--seed", type=int, default=0, help="seed of initial weights, shuffling and crops")


def add_data_arguments(p: argparse.ArgumentParser) -> None:
    """Options of the trainers that read photo folders."""
    p.add_argument("--max-images", type=int, default=None, help="use at most this many images (per folder)")
    p.add_argument(
        "--holdout",
        type=float,
        default=0.1,
        help="fraction of images held out for samples by file-name hash, never trained on (0 = none)",
    )


class RunLog:
    """Rank 0's outputs: progress bar, OUT/log.jsonl and TensorBoard scalars and sample grids."""

    def __init__(self, out: Path, total: int, start: int, images_per_step: int, desc: str) -> None:
        from torch.utils.tensorboard import SummaryWriter

        out.mkdir(parents=True, exist_ok=True)
        self.bar = tqdm(total=total, initial=start, desc=desc, dynamic_ncols=True)
        self.jsonl = (out / "log.jsonl").open("a")
        self.tb = SummaryWriter(str(out / "tb"))
        self.images_per_step = images_per_step
        self.started = self.tick = time.perf_counter()
        self.start, self.last = start, start

    def step(self, step: int, losses: dict[str, float], every: int) -> None:
        self.bar.update(1)
        self.bar.set_postfix({k: f"{v:.3g}" for k, v in losses.items() if k != "total"}, refresh=False)
        if step % every and step != self.bar.total:
            return
        now = time.perf_counter()
        steps_per_s = (step - self.last) / max(now - self.tick, 1e-9)
        self.tick, self.last = now, step
        speed = {"steps_per_s": steps_per_s, "images_per_s": steps_per_s * self.images_per_step}
        self.jsonl.write(json.dumps({"step": step, "losses": losses, **speed}) + "\n")
        self.jsonl.flush()
        for k, v in losses.items():
            self.tb.add_scalar(f"loss/{k}", v, step)
        for k, v in speed.items():
            self.tb.add_scalar(f"speed/{k}", v, step)

    def image(self, grid: np.ndarray, step: int) -> None:
        self.tb.add_image("samples", grid, step, dataformats="HWC")
        self.tb.flush()

    def close(self, step: int, last: Path, skipped: list[Path]) -> None:
        self.bar.close()
        self.tb.close()
        self.jsonl.close()
        seconds = time.perf_counter() - self.started
        rate = (step - self.start) / max(seconds, 1e-9)
        speed = f"{rate:.3g} steps/s, {rate * self.images_per_step:.3g} images/s"
        print(f"trained {step} steps in {seconds:.0f} s ({speed}) → {last}")
        if skipped:
            names = ", ".join(p.name for p in skipped[:5]) + (", …" if len(skipped) > 5 else "")
            print(f"skipped {len(skipped)} unreadable image{'s' * (len(skipped) != 1)}: {names}")


def groups(loader: DataLoader, size: int) -> Iterator[list]:
    """Consecutive micro-batches, `size` at a time (one optimisation step each)."""
    it = iter(loader)
    while len(group := list(itertools.islice(it, size))) == size:
        yield group


def fit(
    trainer,
    session: Session,
    data: Dataset,
    batch_size: int,
    args: argparse.Namespace,
    sample: Callable[[Path], np.ndarray],
    desc: str,
    shuffle: bool = True,
) -> Path:
    """The loop every trainer shares: global batches of `batch_size` items of `data`, split
    over processes and `args.accum` micro-batches, until `args.steps`; rank 0 checkpoints to
    OUT/last.pt (resumable with any number of processes), logs and samples.

    `trainer` has `step_count`, `step(micro_batches) -> dict of losses` and `state() -> dict`.
    """
    out, last = Path(args.out), Path(args.out) / "last.pt"
    micro = micro_batch_size(batch_size, session, args.accum)
    loader, sampler = make_loader(data, micro, session, args.workers, args.seed, shuffle)
    steps_per_epoch = len(data) // batch_size
    reseed(session, args.seed, trainer.step_count)
    log = RunLog(out, args.steps, trainer.step_count, batch_size, desc) if session.main else None
    while trainer.step_count < args.steps:
        epoch, offset = divmod(trainer.step_count, steps_per_epoch)
        sampler.set_epoch(epoch)
        sampler.start = offset * micro * args.accum  # resume mid-epoch where the global batches left off
        for batches in groups(loader, args.accum):
            losses = trainer.step(batches)
            step = trainer.step_count
            if log is not None:
                log.step(step, losses, args.log_every)
                if step % args.ckpt_every == 0:
                    save_checkpoint(last, trainer.state())
                if step % args.sample_every == 0:
                    log.image(sample(out / "samples" / f"step{step:06d}.png"), step)
            if step >= args.steps:
                break
    skipped = data.unreadable(session) if isinstance(data, CropDataset) else []
    if log is not None:
        save_checkpoint(last, trainer.state())
        log.close(trainer.step_count, last, skipped)
    session.close()
    return last
