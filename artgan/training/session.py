"""Where a trainer runs: device, mixed precision, and the DDP process group torchrun starts."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

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
