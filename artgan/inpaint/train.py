"""Train the inpainting GAN: `artgan train inpaint --data DIR [DIR …]`.

Generator losses: L1 on the hole and on known pixels, a perceptual loss through the
shared feature network, a low-frequency colour term in the hole (colour shift is the
top complaint about LaMa), SSIM over the hole (structure that L1 alone leaves smeared or
noisy) and an SN-PatchGAN adversarial term (hinge or the seed's BCE).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from artgan.datasets import train_test_files
from artgan.features.networks import FEATURE_NETS, build_feature_net
from artgan.inpaint.config import InpaintConfig
from artgan.inpaint.data import MaskedCrop, fixed_masks, prefilled
from artgan.inpaint.masks import MASK_KINDS, MIXES
from artgan.inpaint.model import InpaintGenerator, build, grow
from artgan.losses.gan import GAN_LOSSES, gan_losses
from artgan.losses.ssim import masked_ssim
from artgan.nets.discriminators import PatchDiscriminator
from artgan.training import (
    CropDataset,
    FixedImages,
    LossMeter,
    Optimizer,
    Session,
    accumulate,
    add_common_arguments,
    add_data_arguments,
    discriminator_update,
    fit,
    frozen,
    load_checkpoint,
    resume_state,
    save_grid,
    start_session,
)


def masked_l1(a: torch.Tensor, b: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Mean |a − b| over the pixels where weight is 1 (not diluted by the others), per image,
    then the mean over images: a batch split over GPUs or micro-batches gives the same loss."""
    per_image = ((a - b).abs() * weight).sum(dim=(1, 2, 3)) / (weight.sum(dim=(1, 2, 3)) * a.shape[1]).clamp_min(1.0)
    return per_image.mean()


class InpaintTrainer:
    """Generator, SN-PatchGAN discriminator and their optimisers; `step` is one update of each."""

    def __init__(self, cfg: InpaintConfig, session: Session) -> None:
        self.cfg, self.session, self.device = cfg, session, session.device
        self.net = build(cfg).to(self.device)
        self.disc = PatchDiscriminator(in_ch=4, base=cfg.disc_base, layers=cfg.disc_layers).to(self.device)
        self.model, self.disc_ddp = session.wrap(self.net), session.wrap(self.disc)
        self.fnet = build_feature_net(cfg.feature_net).to(self.device) if cfg.perceptual > 0 else None
        self.opt = Optimizer(torch.optim.Adam(self.net.parameters(), lr=cfg.lr, betas=(0.5, 0.9)), session)
        self.opt_d = Optimizer(torch.optim.Adam(self.disc.parameters(), lr=cfg.lr, betas=(0.5, 0.9)), session)
        self.d_loss, self.g_loss = gan_losses(cfg.gan_loss)
        self.step_count = 0

    def generator_losses(self, image: torch.Tensor, mask: torch.Tensor, out: torch.Tensor) -> dict[str, torch.Tensor]:
        cfg = self.cfg
        losses = {"l1_hole": masked_l1(out, image, mask), "l1_valid": masked_l1(out, image, 1 - mask)}
        pooled_mask = F.avg_pool2d(mask, 8)
        losses["colour"] = masked_l1(F.avg_pool2d(out, 8), F.avg_pool2d(image, 8), (pooled_mask > 0).float())
        composite = out * mask + image * (1 - mask)  # what the pipeline pastes
        losses["ssim"] = 1 - masked_ssim(composite, image, mask)
        total = (
            cfg.l1_hole * losses["l1_hole"]
            + cfg.l1_valid * losses["l1_valid"]
            + cfg.colour * losses["colour"]
            + cfg.ssim * losses["ssim"]
        )
        if self.fnet is not None:
            fo, ft = self.fnet(out), self.fnet(image)
            losses["perceptual"] = sum(F.l1_loss(fo[i], ft[i]) for i in cfg.perceptual_layers)
            total = total + cfg.perceptual * losses["perceptual"]
        losses["total"] = total
        return losses

    def step(self, micro: list[list[torch.Tensor]]) -> dict[str, float]:
        """One discriminator and one generator update from micro-batches of (image, fill, mask)."""
        micro = [[t.to(self.device, non_blocking=True) for t in batch] for batch in micro]
        meter = LossMeter(self.session, len(micro))
        kept = self.discriminator_step(micro, meter) if self.cfg.adversarial > 0 else None
        self.opt.zero()
        for k, (image, filled, mask) in enumerate(accumulate(micro, [self.model])):
            with self.session.autocast():
                out = kept[k] if kept else self.model(filled, mask)
                losses = self.generator_losses(image, mask, out)
                if self.cfg.adversarial > 0:
                    fake = torch.cat([out * mask + image * (1 - mask), mask], 1)
                    with frozen(self.disc):
                        losses["adv_g"] = self.g_loss(self.disc(fake).float())
                    losses["total"] = losses["total"] + self.cfg.adversarial * losses["adv_g"]
            self.opt.backward(losses["total"] / len(micro))
            meter.add(losses)
        self.opt.step()
        self.step_count += 1
        return meter.result()

    def discriminator_step(self, micro: list, meter: LossMeter) -> list[torch.Tensor] | None:
        """Real crops against composites of the current generator (hole from the output, rest real)."""

        def d_loss(batch: list[torch.Tensor], out: torch.Tensor) -> torch.Tensor:
            image, _, mask = batch
            fake = torch.cat([out * mask + image * (1 - mask), mask], 1)
            real = torch.cat([image, mask], 1)
            return self.d_loss(self.disc_ddp(real).float(), self.disc_ddp(fake).float())

        def generate(batch: list[torch.Tensor]) -> torch.Tensor:
            return self.model(batch[1], batch[2])

        return discriminator_update(self.session, self.opt_d, self.disc_ddp, micro, meter, "adv_d", generate, d_loss)

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
        self.opt.restore(state.get("optimizer"), self.cfg.lr)
        self.opt_d.restore(state.get("optimizer_d"), self.cfg.lr)
        self.step_count = state["step"]

    @torch.no_grad()
    def sample(self, images: torch.Tensor, masks: torch.Tensor, path: Path) -> np.ndarray:
        """Rows: originals, masked inputs, classical fills, the network's composites."""
        self.net.eval()
        filled = prefilled(images, masks, self.cfg.prefill_radius, self.cfg.prefill_blur)
        out = self.net(filled, masks)
        self.net.train()
        return save_grid([images, images * (1 - masks) + masks, filled, out * masks + images * (1 - masks)], path)


def load_model(checkpoint: Path) -> tuple[InpaintConfig, InpaintGenerator]:
    state = load_checkpoint(checkpoint)
    cfg = InpaintConfig.from_dict(state["config"])
    net = build(cfg)
    net.load_state_dict(state["net"])
    return cfg, net.eval()


def add_arguments(p: argparse.ArgumentParser) -> None:
    d = InpaintConfig()
    p.add_argument("--data", nargs="+", required=True, help="folder trees of photos / paintings (recursive)")
    add_data_arguments(p)
    add_common_arguments(p, "runs/inpaint", steps=20000, ckpt_every=200, sample_every=500)
    p.add_argument("--crop", type=int, default=d.crop, help="square training crop side (multiple of 8, ≥ 128)")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help="crops per step, over all GPUs")
    p.add_argument("--lr", type=float, default=d.lr, help="Adam learning rate, both networks (may change on resume)")
    p.add_argument("--gan-loss", default=d.gan_loss, choices=sorted(GAN_LOSSES), help="adversarial loss")
    p.add_argument("--adversarial", type=float, default=d.adversarial, help="weight of the adversarial term (0 = off)")
    p.add_argument("--perceptual", type=float, default=d.perceptual, help="weight of the perceptual loss (0 = off)")
    p.add_argument("--channels", default=",".join(map(str, d.channels)), help="generator widths c0,c1,c2,c3")
    p.add_argument("--ffc-blocks", type=int, default=d.ffc_blocks, help="fast Fourier conv blocks at ⅛ scale (LaMa)")
    p.add_argument("--masks", default=d.masks, choices=[*MIXES, *MASK_KINDS], help="mask mix (wide: large holes)")
    p.add_argument("--feature-net", default=d.feature_net, choices=sorted(FEATURE_NETS), help="perceptual loss net")
    p.add_argument(
        "--perceptual-layers",
        default=",".join(map(str, d.perceptual_layers)),
        help="stages of the feature net compared (deeper = wider receptive field, LaMa's HRF loss), e.g. vgg19: 2,3,5",
    )
    p.add_argument(
        "--init-from",
        default=None,
        help="start from this checkpoint's generator and discriminator, grown by --ffc-blocks "
        "(new blocks start as identity; its channels and prefill are kept); a fresh optimiser and step count",
    )


def config_from(args: argparse.Namespace, state: dict | None, seed_state: dict | None) -> InpaintConfig:
    """A resumed run keeps its checkpoint's recipe (only the adversarial weight and lr may
    change); a grown one keeps its seed's shape and prefill and takes this command's recipe."""
    if state is not None:
        return replace(InpaintConfig.from_dict(state["config"]), adversarial=args.adversarial, lr=args.lr)
    recipe = dict(
        crop=args.crop,
        batch_size=args.batch_size,
        lr=args.lr,
        gan_loss=args.gan_loss,
        adversarial=args.adversarial,
        perceptual=args.perceptual,
        ffc_blocks=args.ffc_blocks,
        masks=args.masks,
        feature_net=args.feature_net,
        perceptual_layers=tuple(int(i) for i in args.perceptual_layers.split(",")),
    )
    if seed_state is not None:
        return replace(InpaintConfig.from_dict(seed_state["config"]), **recipe)
    return InpaintConfig(channels=tuple(int(c) for c in args.channels.split(",")), **recipe)


def run(args: argparse.Namespace) -> Path:
    """Train (or resume, or grow from --init-from) and return the path of the last checkpoint."""
    session = start_session(args.device, args.precision, args.seed)
    train_files, test_files = train_test_files(args.data, args.max_images, args.holdout)
    state = resume_state(args)
    seed_state = load_checkpoint(Path(args.init_from)) if args.init_from and state is None else None
    cfg = config_from(args, state, seed_state)
    trainer = InpaintTrainer(cfg, session)
    if state is not None:
        trainer.load(state)
    elif seed_state is not None:
        print(f"grown from {args.init_from}; new blocks: {', '.join(grow(trainer.net, seed_state)) or 'none'}")
        trainer.disc.load_state_dict(seed_state["disc"])
    data = CropDataset(
        train_files,
        cfg.crop,
        cfg.batch_size,
        scale=(0.25, 1.0),
        seed=args.seed,
        transform=MaskedCrop(cfg.prefill_radius, cfg.prefill_blur, cfg.masks),
    )
    preview = torch.stack(list(FixedImages((test_files or train_files)[:6], cfg.crop))).to(trainer.device)
    masks = fixed_masks(len(preview), cfg.crop).to(trainer.device)
    return fit(trainer, session, data, cfg.batch_size, args, lambda out: trainer.sample(preview, masks, out), "inpaint")
