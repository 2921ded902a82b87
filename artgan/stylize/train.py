"""Train the multi-style network: `artgan train stylize --styles DIR --content DIR`."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader

from artgan.datasets import list_images, load_rgb, split
from artgan.errors import ArtganError
from artgan.features.networks import FeatureNet, build_feature_net
from artgan.losses.gan import GAN_LOSSES, gan_losses
from artgan.losses.style import content_loss, gram, gram_style_loss, total_variation
from artgan.nets.discriminators import PatchDiscriminator
from artgan.stylize.config import StylizeConfig
from artgan.stylize.model import ARCHS, StyleBank, StyleTransferNet, build
from artgan.training import (
    FixedImages,
    RandomCrops,
    fit,
    load_checkpoint,
    pick_device,
    save_grid,
)


def style_tensor(path: Path, long_side: int) -> torch.Tensor:
    """A painting resized so its long side is `long_side`: [1,3,H,W] in [0,1]."""
    im = load_rgb(path)
    if im is None:
        raise ArtganError(f"cannot read style image {path}")
    scale = long_side / max(im.size)
    im = im.resize((round(im.width * scale), round(im.height * scale)), Image.BICUBIC)
    return torch.from_numpy(np.array(im)).permute(2, 0, 1)[None].float() / 255.0


@torch.no_grad()
def gram_targets(fnet: FeatureNet, images: list[torch.Tensor], layers: tuple[int, ...]) -> list[torch.Tensor]:
    """Per layer, the styles' Gram matrices divided by M: [S,C,C] each."""
    per_style = []
    for img in images:
        feats = fnet(img)
        per_style.append([gram(feats[i])[0] / (feats[i].shape[2] * feats[i].shape[3]) for i in layers])
    return [torch.stack([s[k] for s in per_style]) for k in range(len(layers))]


def style_losses(
    cfg: StylizeConfig, fnet: FeatureNet, x: torch.Tensor, out: torch.Tensor, targets: list[torch.Tensor]
) -> dict[str, torch.Tensor]:
    """The weighted loss of the recipe: Gram style + feature content + total variation.

    x: the photos, out: their stylization ([N,3,H,W] in [0,1]); targets: per style layer,
    each sample's Gram target / M ([N,C,C]).
    """
    f_out = fnet(out)
    with torch.no_grad():
        f_in = fnet(x)
    style = gram_style_loss([f_out[i] for i in cfg.style_layers], targets, list(cfg.style_layer_weights))
    content = content_loss([f_out[i] for i in cfg.content_layers], [f_in[i] for i in cfg.content_layers])
    tv = total_variation(out)
    total = cfg.style_weight * style + cfg.content_weight * content + cfg.tv_weight * tv
    return {"total": total, "style": style, "content": content, "tv": tv}


def random_patches(images: torch.Tensor, size: int, count: int) -> torch.Tensor:
    """`count` random square patches from a batch [N,3,H,W] (image i for patch i mod N)."""
    _, _, h, w = images.shape
    size = min(size, h, w)
    out = []
    for i in range(count):
        y = int(torch.randint(0, h - size + 1, (1,)))
        x = int(torch.randint(0, w - size + 1, (1,)))
        out.append(images[i % images.shape[0], :, y : y + size, x : x + size])
    return torch.stack(out)


class StylizeTrainer:
    """Holds model, optimisers and loss targets; `step` does one update and returns losses.

    With `adversarial_weight` > 0 a style-conditional patch discriminator compares patches
    of the outputs with patches of the style's painting (the optional adversarial term).
    """

    def __init__(self, cfg: StylizeConfig, style_files: list[Path], device: torch.device) -> None:
        self.cfg, self.device = cfg, device
        self.net, self.bank = (m.to(device) for m in build(cfg))
        self.fnet = build_feature_net(cfg.feature_net).to(device)
        self.paintings = [style_tensor(p, cfg.style_size).to(device) for p in style_files]
        self.targets = gram_targets(self.fnet, self.paintings, cfg.style_layers)
        params = list(self.net.parameters()) + list(self.bank.parameters())
        self.opt = torch.optim.Adam(params, lr=cfg.lr)
        self.disc = self.opt_d = None
        if cfg.adversarial_weight > 0:
            self.disc = PatchDiscriminator(num_classes=len(cfg.styles)).to(device)
            self.opt_d = torch.optim.Adam(self.disc.parameters(), lr=cfg.lr / 2, betas=(0.5, 0.999))
            self.adv_size = min([cfg.adv_patch, cfg.crop] + [min(p.shape[2:]) for p in self.paintings])
        self.step_count = 0

    def step(self, x: torch.Tensor) -> dict[str, float]:
        x = x.to(self.device, non_blocking=True)
        idx = torch.randint(0, len(self.cfg.styles), (x.shape[0],), device=self.device)
        out = self.net(x, self.bank(idx))
        losses = style_losses(self.cfg, self.fnet, x, out, [t[idx] for t in self.targets])
        if self.disc is not None:
            losses.update(self.adversarial(out, idx))
            losses["total"] = losses["total"] + self.cfg.adversarial_weight * losses["adv_g"]
        self.opt.zero_grad(set_to_none=True)
        losses["total"].backward()
        self.opt.step()
        self.step_count += 1
        return {k: float(v) for k, v in losses.items()}

    def adversarial(self, out: torch.Tensor, idx: torch.Tensor) -> dict[str, torch.Tensor]:
        """One discriminator update; returns its loss and the generator's (to backprop)."""
        d_loss_fn, g_loss_fn = gan_losses(self.cfg.gan_loss)
        size = self.adv_size
        fake = random_patches(out, size, out.shape[0])
        real = torch.cat([random_patches(self.paintings[int(i)], size, 1) for i in idx])
        d_loss = d_loss_fn(self.disc(real, idx), self.disc(fake.detach(), idx))
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()
        return {"adv_d": d_loss.detach(), "adv_g": g_loss_fn(self.disc(fake, idx))}

    def state(self) -> dict:
        state = {
            "task": "stylize",
            "config": self.cfg.to_dict(),
            "net": self.net.state_dict(),
            "bank": self.bank.state_dict(),
            "optimizer": self.opt.state_dict(),
            "step": self.step_count,
        }
        if self.disc is not None:
            state.update(disc=self.disc.state_dict(), optimizer_d=self.opt_d.state_dict())
        return state

    def load(self, state: dict) -> None:
        self.net.load_state_dict(state["net"])
        self.bank.load_state_dict(state["bank"])
        self.opt.load_state_dict(state["optimizer"])
        if self.disc is not None and "disc" in state:  # a run may add the term when resumed
            self.disc.load_state_dict(state["disc"])
            self.opt_d.load_state_dict(state["optimizer_d"])
        self.step_count = state["step"]

    @torch.no_grad()
    def sample(self, images: torch.Tensor, path: Path, max_styles: int = 8) -> None:
        """Grid: first row the photos, then one row per style."""
        self.net.eval()
        x = images.to(self.device)
        rows = [x]
        n_styles = len(self.cfg.styles)
        for s in np.linspace(0, n_styles - 1, min(n_styles, max_styles)).astype(int):
            idx = torch.full((x.shape[0],), int(s), device=self.device)
            rows.append(self.net(x, self.bank(idx)))
        save_grid(rows, path)
        self.net.train()


def load_model(checkpoint: Path) -> tuple[StylizeConfig, StyleTransferNet, StyleBank]:
    """Rebuild network and style bank from a checkpoint (its config is inside)."""
    state = load_checkpoint(checkpoint)
    cfg = StylizeConfig.from_dict(state["config"])
    net, bank = build(cfg)
    net.load_state_dict(state["net"])
    bank.load_state_dict(state["bank"])
    return cfg, net.eval(), bank.eval()


def add_arguments(p: argparse.ArgumentParser) -> None:
    d = StylizeConfig()
    p.add_argument("--styles", required=True, help="folder (or one file) of paintings; one style per image")
    p.add_argument("--style-names", default="", help="comma-separated file stems to use from --styles (default: all)")
    p.add_argument("--content", required=True, help="folder tree of photos (recursive; corrupt files are skipped)")
    p.add_argument(
        "--holdout",
        type=float,
        default=0.1,
        help="fraction of photos held out for samples by file-name hash, never trained on (0 = none)",
    )
    p.add_argument("--out", default="runs/stylize", help="run folder: checkpoints, samples, logs")
    p.add_argument("--steps", type=int, default=20000, help="total optimisation steps")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt if it exists")
    p.add_argument("--ckpt-every", type=int, default=250, help="steps between checkpoints")
    p.add_argument("--sample-every", type=int, default=500, help="steps between sample grids")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="where to train")
    p.add_argument("--workers", type=int, default=1, help="data-loading worker processes")
    p.add_argument("--max-images", type=int, default=None, help="use at most this many content images")
    p.add_argument(
        "--feature-net", default=d.feature_net, choices=["efficientnet_lite0", "vgg19"], help="frozen loss network"
    )
    p.add_argument(
        "--style-weight",
        type=float,
        default=None,
        help=f"weight of the Gram style loss (default {d.style_weight}; on --resume: the checkpoint's)",
    )
    p.add_argument(
        "--content-weight",
        type=float,
        default=None,
        help=f"weight of the feature content loss (default {d.content_weight}; on --resume: the checkpoint's)",
    )
    p.add_argument(
        "--tv-weight",
        type=float,
        default=None,
        help=f"weight of total variation (default {d.tv_weight}; on --resume: the checkpoint's)",
    )
    p.add_argument(
        "--adversarial-weight",
        type=float,
        default=None,
        help="weight of the optional adversarial term (patch discriminator on painting crops; default 0 = off)",
    )
    p.add_argument(
        "--gan-loss",
        default=None,
        choices=sorted(GAN_LOSSES),
        help="adversarial loss: bce (the seed's L_D/L_G) or hinge (default hinge)",
    )
    p.add_argument("--crop", type=int, default=d.crop, help="square training crop side (multiple of 4)")
    p.add_argument("--style-size", type=int, default=d.style_size, help="long side of paintings for Gram targets")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help="crops per step")
    p.add_argument("--lr", type=float, default=d.lr, help="Adam learning rate")
    p.add_argument("--arch", default=d.arch, choices=ARCHS, help="johnson, or fast (stride-2 input, 5× less CPU)")
    p.add_argument("--channels", default="16,32,64", help="network widths c1,c2,c3 (fast: c1,c2)")
    p.add_argument("--kernels", default="9,3", help="input and output conv kernels (fast: 5,3)")
    p.add_argument("--res-blocks", type=int, default=d.res_blocks, help="residual blocks at 1/4 scale")


def style_files_from(folder: str, names: list[str] | tuple[str, ...] = ()) -> list[Path]:
    """Paintings in `folder`, or only those whose file stems are `names`, in that order."""
    files = list_images(folder)
    if names:
        by_stem = {p.stem: p for p in files}
        missing = [n for n in names if n not in by_stem]
        if missing:
            raise ArtganError(f"styles not found in {folder}: {', '.join(missing)}")
        files = [by_stem[n] for n in names]
    if not files:
        raise ArtganError(f"no style images in {folder}")
    return files


def loss_overrides(args: argparse.Namespace) -> dict[str, float]:
    """Loss weights given on the command line (they may change when a run is resumed)."""
    names = ("style_weight", "content_weight", "tv_weight", "adversarial_weight", "gan_loss")
    return {n: getattr(args, n) for n in names if getattr(args, n) is not None}


def config_from(args: argparse.Namespace, style_files: list[Path]) -> StylizeConfig:
    return replace(
        StylizeConfig(),
        arch=args.arch,
        channels=tuple(int(c) for c in args.channels.split(",")),
        kernels=tuple(int(k) for k in args.kernels.split(",")),
        res_blocks=args.res_blocks,
        styles=tuple(p.stem for p in style_files),
        feature_net=args.feature_net,
        **loss_overrides(args),
        crop=args.crop,
        style_size=args.style_size,
        batch_size=args.batch_size,
        lr=args.lr,
    )


def run(args: argparse.Namespace) -> Path:
    """Train (or resume) and return the path of the last checkpoint."""
    out = Path(args.out)
    style_files = style_files_from(args.styles, [s.strip() for s in args.style_names.split(",") if s.strip()])
    photos = list_images(args.content, args.max_images)
    train_files, test_files = split(photos, "train", args.holdout), split(photos, "test", args.holdout)
    cfg = config_from(args, style_files)
    last = out / "last.pt"
    if args.resume and last.exists():
        state = load_checkpoint(last)
        cfg = replace(StylizeConfig.from_dict(state["config"]), **loss_overrides(args))
        style_files = style_files_from(args.styles, cfg.styles)  # the checkpoint's styles, in its order
    trainer = StylizeTrainer(cfg, style_files, pick_device(args.device))
    if args.resume and last.exists():
        trainer.load(state)
    loader = DataLoader(
        RandomCrops(train_files, cfg.crop),
        batch_size=cfg.batch_size,
        num_workers=args.workers,
        worker_init_fn=lambda _: torch.set_num_threads(1),
    )
    preview = torch.stack(list(FixedImages((test_files or train_files)[:4], cfg.crop)))
    return fit(
        trainer,
        loader,
        args.steps,
        out,
        args.ckpt_every,
        args.sample_every,
        lambda path: trainer.sample(preview, path),
        "stylize",
    )
