"""Gradient accumulation under DDP, frozen modules, the mixed-precision optimiser, loss averaging,
and the one discriminator update every GAN trainer shares."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from artgan.training.session import Session


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

    def restore(self, state: dict | None, lr: float) -> None:
        """Resume: the saved state when the checkpoint has one (shipped checkpoints leave it out,
        export/manifest.py), at this run's learning rate (a resumed run may change it)."""
        if state is not None:
            self.opt.load_state_dict(state)
        for group in self.opt.param_groups:
            group["lr"] = lr


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


def discriminator_update(
    session: Session,
    opt_d: Optimizer,
    disc_ddp: nn.Module,
    micro: list,
    meter: LossMeter,
    key: str,
    generate: Callable[[Any], torch.Tensor],
    d_loss: Callable[[Any, torch.Tensor], torch.Tensor],
) -> list[torch.Tensor] | None:
    """One discriminator update over a step's micro-batches, written once for every GAN trainer.

    `generate(batch)` is the generator's output, `d_loss(batch, detached_output)` the loss.
    Without accumulation the outputs keep their graph for the generator's own update, so a
    step runs the generator forward once; with it they are recomputed there.
    """
    keep = len(micro) == 1
    outs = []
    opt_d.zero()
    for batch in accumulate(micro, [disc_ddp]):
        with session.autocast():
            with torch.set_grad_enabled(keep):
                out = generate(batch)
            loss = d_loss(batch, out.detach())
        opt_d.backward(loss / len(micro))
        meter.add({key: loss})
        outs.append(out)
    opt_d.step()
    return outs if keep else None
