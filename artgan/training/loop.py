"""The one training loop every trainer shares."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
from torch.utils.data import Dataset

from artgan.training.checkpoints import save_checkpoint
from artgan.training.data import CropDataset, groups, make_loader, micro_batch_size
from artgan.training.runlog import RunLog
from artgan.training.session import Session, reseed


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
