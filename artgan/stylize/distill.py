"""Distil a trained multi-style network into a smaller/faster one: `artgan train stylize-distill`.

Training the fast architecture from scratch with Gram losses costs hours on a CPU; the
student instead learns the teacher's outputs (L1 plus a feature loss for crisp strokes),
about 10× cheaper per step because no style targets are matched. The checkpoint has the
same format as `artgan train stylize`, so `--resume` there fine-tunes it with the Gram
losses and `artgan export stylize` ships it.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from artgan.datasets import train_test_files
from artgan.features.networks import build_feature_net
from artgan.stylize.model import ARCHS, build, grow
from artgan.stylize.train import StyleLabel, StyleModel, load_model
from artgan.training import (
    CropDataset,
    FixedImages,
    LossMeter,
    Optimizer,
    Session,
    accumulate,
    add_common_arguments,
    add_data_arguments,
    fit,
    load_checkpoint,
    save_grid,
    start_session,
)

FEATURE_LAYERS = (0, 1, 2)


class Distiller:
    def __init__(
        self,
        teacher: Path,
        arch: str,
        channels: tuple[int, ...],
        kernels: tuple[int, int],
        res_blocks: int,
        crop: int,
        batch_size: int,
        feature_weight: float,
        lr: float,
        session: Session,
    ) -> None:
        device = session.device
        tcfg, self.teacher, self.teacher_bank = load_model(teacher)
        self.teacher_name = teacher.name
        self.teacher.to(device).requires_grad_(False)
        self.teacher_bank.to(device).requires_grad_(False)
        self.cfg = replace(
            tcfg,
            arch=arch,
            channels=channels,
            kernels=kernels,
            res_blocks=res_blocks,
            crop=crop,
            batch_size=batch_size,
            lr=lr,
        )
        self.net, self.bank = (m.to(device) for m in build(self.cfg))
        self.model = session.wrap(StyleModel(self.net, self.bank))
        self.fnet = build_feature_net(tcfg.feature_net).to(device) if feature_weight > 0 else None
        self.feature_weight, self.device, self.session = feature_weight, device, session
        self.opt = Optimizer(
            torch.optim.Adam(list(self.net.parameters()) + list(self.bank.parameters()), lr=lr), session
        )
        self.step_count = 0

    def step(self, micro: list[list[torch.Tensor]]) -> dict[str, float]:
        """One update from micro-batches of (photos [n,3,S,S] in [0,1], style indices [n])."""
        meter = LossMeter(self.session, len(micro))
        self.opt.zero()
        for x, idx in accumulate(micro, [self.model]):
            x, idx = x.to(self.device, non_blocking=True), idx.to(self.device, non_blocking=True)
            with self.session.autocast():
                with torch.no_grad():
                    target = self.teacher(x, self.teacher_bank(idx))
                out = self.model(x, idx)
                losses = {"l1": F.l1_loss(out, target)}
                losses["total"] = losses["l1"]
                if self.fnet is not None:
                    fo, ft = self.fnet(out), self.fnet(target)
                    losses["feature"] = sum(F.l1_loss(fo[i], ft[i]) for i in FEATURE_LAYERS)
                    losses["total"] = losses["total"] + self.feature_weight * losses["feature"]
            self.opt.backward(losses["total"] / len(micro))
            meter.add(losses)
        self.opt.step()
        self.step_count += 1
        return meter.result()

    def state(self) -> dict:
        return {
            "task": "stylize",
            "config": self.cfg.to_dict(),
            "net": self.net.state_dict(),
            "bank": self.bank.state_dict(),
            "optimizer": self.opt.state_dict(),
            "step": self.step_count,
            "distilled_from": self.teacher_name,
        }

    def load(self, state: dict) -> None:
        """Weights, optimiser state and step; the learning rate stays this run's (it may change on resume)."""
        self.net.load_state_dict(state["net"])
        self.bank.load_state_dict(state["bank"])
        self.opt.restore(state.get("optimizer"), self.cfg.lr)
        self.step_count = state["step"]

    @torch.no_grad()
    def sample(self, images: torch.Tensor, path: Path, styles: int = 4) -> np.ndarray:
        """Rows: photos, then per style the teacher's and the student's paintings."""
        self.net.eval()
        x, rows = images.to(self.device), [images]
        for s in range(min(styles, len(self.cfg.styles))):
            idx = torch.full((x.shape[0],), s, device=self.device)
            rows += [self.teacher(x, self.teacher_bank(idx)), self.net(x, self.bank(idx))]
        self.net.train()
        return save_grid(rows, path)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--teacher", required=True, help="checkpoint of the trained network to imitate")
    p.add_argument("--content", required=True, help="folder tree of photos (recursive; corrupt files are skipped)")
    add_data_arguments(p)
    add_common_arguments(p, "runs/stylize_fast", steps=3000, ckpt_every=100, sample_every=250)
    p.add_argument("--arch", default="fast", choices=ARCHS, help="student architecture")
    p.add_argument("--channels", default="8,32", help="student widths")
    p.add_argument("--kernels", default="5,3", help="student input/output kernels")
    p.add_argument("--res-blocks", type=int, default=3, help="student residual blocks")
    p.add_argument("--feature-weight", type=float, default=0.05, help="weight of the feature loss (0 = L1 only)")
    p.add_argument("--crop", type=int, default=256, help="crop side")
    p.add_argument("--batch-size", type=int, default=4, help="crops per step, over all GPUs")
    p.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate")
    p.add_argument(
        "--init-from",
        default=None,
        help="start the student from this student checkpoint, widened/deepened to the shape given "
        "here (it first computes what that student computed); a fresh optimiser and step count",
    )


def run(args: argparse.Namespace) -> Path:
    session = start_session(args.device, args.precision, args.seed)
    train_files, test_files = train_test_files([args.content], args.max_images, args.holdout)
    last = Path(args.out) / "last.pt"
    state = load_checkpoint(last) if args.resume and last.exists() else None
    shape = student_shape(args) if state is None else student_shape_of(state["config"])
    d = Distiller(Path(args.teacher), *shape, args.feature_weight, args.lr, session)
    if state is not None:
        d.load(state)
    elif args.init_from:
        new, dropped = grow(d.net, d.bank, load_checkpoint(Path(args.init_from)))
        listed = {"new": ", ".join(new) or "none", "dropped": ", ".join(dropped) or "none"}
        print(f"started from {args.init_from}; layers new: {listed['new']}; dropped: {listed['dropped']}")
    cfg = d.cfg
    data = CropDataset(train_files, cfg.crop, cfg.batch_size, seed=args.seed, transform=StyleLabel(len(cfg.styles)))
    preview = torch.stack(list(FixedImages((test_files or train_files)[:4], cfg.crop)))
    return fit(d, session, data, cfg.batch_size, args, lambda path: d.sample(preview, path), "distil")


def student_shape(args: argparse.Namespace) -> tuple:
    """(arch, channels, kernels, res_blocks, crop, batch_size) from the command line."""
    channels = tuple(int(c) for c in args.channels.split(","))
    kernels = tuple(int(k) for k in args.kernels.split(","))
    return args.arch, channels, kernels, args.res_blocks, args.crop, args.batch_size


def student_shape_of(config: dict) -> tuple:
    """The same from a checkpoint: a resumed run keeps its network and global batch (any GPU count)."""
    keys = ("arch", "channels", "kernels", "res_blocks", "crop", "batch_size")
    return tuple(tuple(config[k]) if isinstance(config[k], list) else config[k] for k in keys)
