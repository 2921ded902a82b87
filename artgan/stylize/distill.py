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

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from artgan.datasets import list_images, split
from artgan.features.networks import build_feature_net
from artgan.stylize.model import ARCHS, build
from artgan.stylize.train import load_model
from artgan.training import FixedImages, RandomCrops, fit, load_checkpoint, pick_device, save_grid

FEATURE_LAYERS = (0, 1, 2)


class Distiller:
    def __init__(
        self,
        teacher: Path,
        arch: str,
        channels: tuple[int, ...],
        kernels: tuple[int, int],
        res_blocks: int,
        feature_weight: float,
        crop: int,
        batch_size: int,
        lr: float,
        device: torch.device,
    ) -> None:
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
        self.fnet = build_feature_net(tcfg.feature_net).to(device) if feature_weight > 0 else None
        self.feature_weight, self.device = feature_weight, device
        self.opt = torch.optim.Adam(list(self.net.parameters()) + list(self.bank.parameters()), lr=lr)
        self.step_count = 0

    def step(self, x: torch.Tensor) -> dict[str, float]:
        x = x.to(self.device)
        idx = torch.randint(0, len(self.cfg.styles), (x.shape[0],), device=self.device)
        with torch.no_grad():
            target = self.teacher(x, self.teacher_bank(idx))
        out = self.net(x, self.bank(idx))
        losses = {"l1": F.l1_loss(out, target)}
        total = losses["l1"]
        if self.fnet is not None:
            fo, ft = self.fnet(out), self.fnet(target)
            losses["feature"] = sum(F.l1_loss(fo[i], ft[i]) for i in FEATURE_LAYERS)
            total = total + self.feature_weight * losses["feature"]
        self.opt.zero_grad(set_to_none=True)
        total.backward()
        self.opt.step()
        self.step_count += 1
        return {k: float(v) for k, v in losses.items()}

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
        self.net.load_state_dict(state["net"])
        self.bank.load_state_dict(state["bank"])
        self.opt.load_state_dict(state["optimizer"])
        self.step_count = state["step"]

    @torch.no_grad()
    def sample(self, images: torch.Tensor, path: Path, styles: int = 4) -> None:
        """Rows: photos, then per style the teacher's and the student's paintings."""
        self.net.eval()
        x, rows = images.to(self.device), [images]
        for s in range(min(styles, len(self.cfg.styles))):
            idx = torch.full((x.shape[0],), s, device=self.device)
            rows += [self.teacher(x, self.teacher_bank(idx)), self.net(x, self.bank(idx))]
        save_grid(rows, path)
        self.net.train()


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--teacher", required=True, help="checkpoint of the trained network to imitate")
    p.add_argument("--content", required=True, help="folder tree of photos")
    p.add_argument("--holdout", type=float, default=0.1, help="fraction of photos held out (by name hash)")
    p.add_argument("--out", default="runs/stylize_fast", help="run folder")
    p.add_argument("--steps", type=int, default=3000, help="total steps")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt if it exists")
    p.add_argument("--arch", default="fast", choices=ARCHS, help="student architecture")
    p.add_argument("--channels", default="8,32", help="student widths")
    p.add_argument("--kernels", default="5,3", help="student input/output kernels")
    p.add_argument("--res-blocks", type=int, default=3, help="student residual blocks")
    p.add_argument("--feature-weight", type=float, default=0.05, help="weight of the feature loss (0 = L1 only)")
    p.add_argument("--crop", type=int, default=256, help="crop side")
    p.add_argument("--batch-size", type=int, default=4, help="crops per step")
    p.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate")
    p.add_argument("--ckpt-every", type=int, default=100, help="steps between checkpoints")
    p.add_argument("--sample-every", type=int, default=250, help="steps between sample grids")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="where to train")
    p.add_argument("--workers", type=int, default=1, help="data-loading worker processes")


def run(args: argparse.Namespace) -> Path:
    out = Path(args.out)
    photos = list_images(args.content)
    train_files, test_files = split(photos, "train", args.holdout), split(photos, "test", args.holdout)
    d = Distiller(
        Path(args.teacher),
        args.arch,
        tuple(int(c) for c in args.channels.split(",")),
        tuple(int(k) for k in args.kernels.split(",")),
        args.res_blocks,
        args.feature_weight,
        args.crop,
        args.batch_size,
        args.lr,
        pick_device(args.device),
    )
    last = out / "last.pt"
    if args.resume and last.exists():
        d.load(load_checkpoint(last))
    loader = DataLoader(
        RandomCrops(train_files, args.crop),
        batch_size=args.batch_size,
        num_workers=args.workers,
        worker_init_fn=lambda _: torch.set_num_threads(1),
    )
    preview = torch.stack(list(FixedImages((test_files or train_files)[:4], args.crop)))
    return fit(
        d, loader, args.steps, out, args.ckpt_every, args.sample_every, lambda path: d.sample(preview, path), "distil"
    )
