"""Train the inpainting GAN: `artgan train inpaint --data DIR [DIR …]`.

Generator losses: L1 on the hole and on known pixels, a perceptual loss through the
shared feature network, a low-frequency colour term in the hole (colour shift is the
top complaint about LaMa) and an SN-PatchGAN adversarial term (hinge or the seed's BCE).
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
from artgan.inpaint.config import InpaintConfig
from artgan.inpaint.data import MaskedCrops, fixed_masks, prefilled
from artgan.inpaint.model import InpaintGenerator, build
from artgan.losses.gan import GAN_LOSSES, gan_losses
from artgan.nets.discriminators import PatchDiscriminator
from artgan.training import FixedImages, RandomCrops, fit, load_checkpoint, pick_device, save_grid


def masked_l1(a: torch.Tensor, b: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Mean |a − b| over the pixels where weight is 1 (not diluted by the others)."""
    return ((a - b).abs() * weight).sum() / (weight.sum() * a.shape[1]).clamp_min(1.0)


class InpaintTrainer:
    """Generator, SN-PatchGAN discriminator and their optimisers; `step` is one update of each."""

    def __init__(self, cfg: InpaintConfig, device: torch.device) -> None:
        self.cfg, self.device = cfg, device
        self.net = build(cfg).to(device)
        self.disc = PatchDiscriminator(in_ch=4, base=cfg.disc_base, layers=cfg.disc_layers).to(device)
        self.fnet = build_feature_net(cfg.feature_net).to(device) if cfg.perceptual > 0 else None
        self.opt = torch.optim.Adam(self.net.parameters(), lr=cfg.lr, betas=(0.5, 0.9))
        self.opt_d = torch.optim.Adam(self.disc.parameters(), lr=cfg.lr, betas=(0.5, 0.9))
        self.d_loss, self.g_loss = gan_losses(cfg.gan_loss)
        self.step_count = 0

    def generator_losses(self, image: torch.Tensor, mask: torch.Tensor, out: torch.Tensor) -> dict[str, torch.Tensor]:
        cfg = self.cfg
        losses = {"l1_hole": masked_l1(out, image, mask), "l1_valid": masked_l1(out, image, 1 - mask)}
        pooled_mask = F.avg_pool2d(mask, 8)
        losses["colour"] = masked_l1(F.avg_pool2d(out, 8), F.avg_pool2d(image, 8), (pooled_mask > 0).float())
        total = cfg.l1_hole * losses["l1_hole"] + cfg.l1_valid * losses["l1_valid"] + cfg.colour * losses["colour"]
        if self.fnet is not None:
            fo, ft = self.fnet(out), self.fnet(image)
            losses["perceptual"] = sum(F.l1_loss(fo[i], ft[i]) for i in cfg.perceptual_layers)
            total = total + cfg.perceptual * losses["perceptual"]
        losses["total"] = total
        return losses

    def step(self, image: torch.Tensor, filled: torch.Tensor, mask: torch.Tensor) -> dict[str, float]:
        image, filled, mask = image.to(self.device), filled.to(self.device), mask.to(self.device)
        out = self.net(filled, mask)
        composite = out * mask + image * (1 - mask)
        losses = self.generator_losses(image, mask, out)
        if self.cfg.adversarial > 0:
            real, fake = torch.cat([image, mask], 1), torch.cat([composite, mask], 1)
            d_loss = self.d_loss(self.disc(real), self.disc(fake.detach()))
            self.opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            self.opt_d.step()
            losses["adv_d"] = d_loss.detach()
            losses["adv_g"] = self.g_loss(self.disc(fake))
            losses["total"] = losses["total"] + self.cfg.adversarial * losses["adv_g"]
        self.opt.zero_grad(set_to_none=True)
        losses["total"].backward()
        self.opt.step()
        self.step_count += 1
        return {k: float(v) for k, v in losses.items()}

    def state(self) -> dict:
        return {
            "task": "inpaint",
            "config": self.cfg.to_dict(),
            "net": self.net.state_dict(),
            "disc": self.disc.state_dict(),
            "optimizer": self.opt.state_dict(),
            "optimizer_d": self.opt_d.state_dict(),
            "step": self.step_count,
        }

    def load(self, state: dict) -> None:
        """Weights, optimiser states and step; the learning rate stays this config's (it may change on resume)."""
        self.net.load_state_dict(state["net"])
        self.disc.load_state_dict(state["disc"])
        self.opt.load_state_dict(state["optimizer"])
        self.opt_d.load_state_dict(state["optimizer_d"])
        for group in [*self.opt.param_groups, *self.opt_d.param_groups]:
            group["lr"] = self.cfg.lr
        self.step_count = state["step"]

    @torch.no_grad()
    def sample(self, images: torch.Tensor, masks: torch.Tensor, path: Path) -> None:
        """Rows: originals, masked inputs, classical fills, the network's composites."""
        self.net.eval()
        filled = prefilled(images, masks)
        out = self.net(filled, masks)
        self.net.train()
        save_grid([images, images * (1 - masks) + masks, filled, out * masks + images * (1 - masks)], path)


def load_model(checkpoint: Path) -> tuple[InpaintConfig, InpaintGenerator]:
    state = load_checkpoint(checkpoint)
    cfg = InpaintConfig.from_dict(state["config"])
    net = build(cfg)
    net.load_state_dict(state["net"])
    return cfg, net.eval()


def add_arguments(p: argparse.ArgumentParser) -> None:
    d = InpaintConfig()
    p.add_argument("--data", nargs="+", required=True, help="folder trees of photos / paintings (recursive)")
    p.add_argument("--holdout", type=float, default=0.1, help="fraction held out by file-name hash (never trained)")
    p.add_argument("--out", default="runs/inpaint", help="run folder: checkpoints, samples")
    p.add_argument("--steps", type=int, default=20000, help="total generator updates")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt if it exists")
    p.add_argument("--ckpt-every", type=int, default=200, help="steps between checkpoints")
    p.add_argument("--sample-every", type=int, default=500, help="steps between sample grids")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="where to train")
    p.add_argument("--workers", type=int, default=1, help="data-loading worker processes")
    p.add_argument("--max-images", type=int, default=None, help="use at most this many images per folder")
    p.add_argument("--crop", type=int, default=d.crop, help="square training crop side (multiple of 8, ≥ 128)")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help="crops per step")
    p.add_argument("--lr", type=float, default=d.lr, help="Adam learning rate, both networks (may change on resume)")
    p.add_argument("--gan-loss", default=d.gan_loss, choices=sorted(GAN_LOSSES), help="adversarial loss")
    p.add_argument("--adversarial", type=float, default=d.adversarial, help="weight of the adversarial term (0 = off)")
    p.add_argument("--perceptual", type=float, default=d.perceptual, help="weight of the perceptual loss (0 = off)")
    p.add_argument("--channels", default=",".join(map(str, d.channels)), help="generator widths c0,c1,c2,c3")


def run(args: argparse.Namespace) -> Path:
    """Train (or resume) and return the path of the last checkpoint."""
    out = Path(args.out)
    files = [f for folder in args.data for f in list_images(folder, args.max_images)]
    train_files, test_files = split(files, "train", args.holdout), split(files, "test", args.holdout)
    cfg = InpaintConfig(
        crop=args.crop,
        batch_size=args.batch_size,
        lr=args.lr,
        gan_loss=args.gan_loss,
        adversarial=args.adversarial,
        perceptual=args.perceptual,
        channels=tuple(int(c) for c in args.channels.split(",")),
    )
    last = out / "last.pt"
    state = load_checkpoint(last) if args.resume and last.exists() else None
    if state is not None:
        cfg = replace(InpaintConfig.from_dict(state["config"]), adversarial=args.adversarial, lr=args.lr)
    trainer = InpaintTrainer(cfg, pick_device(args.device))
    if state is not None:
        trainer.load(state)
    loader = DataLoader(
        MaskedCrops(RandomCrops(train_files, cfg.crop, scale=(0.25, 1.0))),
        batch_size=cfg.batch_size,
        num_workers=args.workers,
        worker_init_fn=lambda _: torch.set_num_threads(1),
    )
    preview = torch.stack(list(FixedImages((test_files or train_files)[:6], cfg.crop))).to(trainer.device)
    preview_masks = fixed_masks(len(preview), cfg.crop).to(trainer.device)
    return fit(
        trainer,
        loader,
        args.steps,
        out,
        args.ckpt_every,
        args.sample_every,
        lambda path: trainer.sample(preview, preview_masks, path),
        "inpaint",
    )
