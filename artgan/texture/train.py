"""Train the multi-texture spatial GAN (`artgan train texture`)."""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import torch
from tqdm import tqdm

from artgan.features.networks import build_feature_net
from artgan.losses.gan import GAN_LOSSES, gan_losses
from artgan.losses.style import gram, gram_style_loss
from artgan.nets.discriminators import PatchDiscriminator
from artgan.texture.config import TextureConfig
from artgan.texture.data import DEFAULT_TEXTURES, TextureCrops, load_texture, texture_id
from artgan.texture.model import TextureGenerator, build, cells_for
from artgan.training import load_checkpoint, pick_device, save_checkpoint, save_grid

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
GRAM_LAYERS = (0, 1, 2, 3)
GRAM_LAYER_WEIGHTS = (0.5, 0.5, 1.0, 5.0)  # raw early-stage Gram losses are far larger (as in Stylize)


class TextureTrainer:
    """Generator, conditional patch discriminator, optimisers; `step` does one D and one G update."""

    def __init__(self, cfg: TextureConfig, images: list, device: torch.device) -> None:
        self.cfg, self.device = cfg, device
        self.data = TextureCrops(images, cfg.crop)
        self.gen = build(cfg).to(device)
        # projection-conditioned (Miyato & Koyama 2018): one discriminator judges every texture
        self.disc = PatchDiscriminator(base=cfg.disc_base, layers=cfg.disc_layers, num_classes=len(images)).to(device)
        self.opt_g = torch.optim.Adam(self.gen.parameters(), lr=cfg.lr_g, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.disc.parameters(), lr=cfg.lr_d, betas=(0.5, 0.999))
        self.cells = cells_for(cfg.crop, self.gen.body.margin)
        self.fnet = self.targets = None
        if cfg.gram_weight > 0:
            self.fnet = build_feature_net(cfg.feature_net).to(device)
            self.targets = self.gram_targets(images)
        self.step_count = 0

    @torch.no_grad()
    def gram_targets(self, images: list) -> list[torch.Tensor]:
        """Per texture and layer, the Gram matrix of the whole image divided by M: [K, C, C]."""
        per_tex = []
        for im in images:
            feats = self.fnet(torch.from_numpy(im.copy()).permute(2, 0, 1)[None].float().to(self.device) / 255)
            per_tex.append([gram(feats[i])[0] / feats[i][0, 0].numel() for i in GRAM_LAYERS])
        return [torch.stack([t[j] for t in per_tex]) for j in range(len(GRAM_LAYERS))]

    def fake(self, idx: torch.Tensor) -> torch.Tensor:
        out = self.gen(idx, self.cells, self.cells)  # [N,3,S',S'] with S' ≥ crop
        off = (out.shape[-1] - self.cfg.crop) // 2
        return out[:, :, off : off + self.cfg.crop, off : off + self.cfg.crop]

    def step(self) -> dict[str, float]:
        n_tex = len(self.cfg.textures)
        idx = torch.randperm(self.cfg.batch_size, device=self.device) % n_tex  # every texture, evenly
        real = self.data.sample(idx.cpu()).to(self.device)
        d_loss_fn, g_loss_fn = gan_losses(self.cfg.gan_loss)
        fake = self.fake(idx)
        d_loss = d_loss_fn(self.disc(real, idx), self.disc(fake.detach(), idx))
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()
        losses = {"d": d_loss.detach(), "g": g_loss_fn(self.disc(fake, idx))}
        total = losses["g"]
        if self.fnet is not None:
            feats = self.fnet(fake)
            targets = [t[idx] for t in self.targets]
            losses["gram"] = gram_style_loss([feats[i] for i in GRAM_LAYERS], targets, list(GRAM_LAYER_WEIGHTS))
            total = total + self.cfg.gram_weight * losses["gram"]
        self.opt_g.zero_grad(set_to_none=True)
        total.backward()
        self.opt_g.step()
        self.step_count += 1
        return {k: float(v.detach()) for k, v in losses.items()}

    def state(self) -> dict:
        return {
            "task": "texture",
            "config": self.cfg.to_dict(),
            "generator": self.gen.state_dict(),
            "discriminator": self.disc.state_dict(),
            "optimizer_g": self.opt_g.state_dict(),
            "optimizer_d": self.opt_d.state_dict(),
            "step": self.step_count,
        }

    def load(self, state: dict) -> None:
        self.gen.load_state_dict(state["generator"])
        self.disc.load_state_dict(state["discriminator"])
        self.opt_g.load_state_dict(state["optimizer_g"])
        self.opt_d.load_state_dict(state["optimizer_d"])
        self.step_count = state["step"]

    @torch.no_grad()
    def sample(self, path: Path, size: int = 160) -> None:
        """One row per texture: a real crop, then three generated crops of `size` px."""
        rows = []
        gen = torch.Generator(device=self.device).manual_seed(0)
        for i in range(len(self.cfg.textures)):
            real = TextureCrops([self.data.images[i].permute(1, 2, 0).mul(255).byte().numpy()], size).sample(
                torch.zeros(1, dtype=torch.long)
            )
            idx = torch.full((3,), i, device=self.device)
            h = cells_for(size, self.gen.body.margin)
            z = self.gen.noise_field(self.gen.codes[idx], self.gen.waves[idx], h, h, gen)
            fake = self.gen.body(z, self.gen.codes[idx])[:, :, :size, :size]
            rows.append(torch.cat([real.to(self.device), fake]))
        save_grid(rows, path)


def load_model(checkpoint: Path) -> tuple[TextureConfig, TextureGenerator]:
    state = load_checkpoint(checkpoint)
    cfg = TextureConfig.from_dict(state["config"])
    gen = build(cfg)
    gen.load_state_dict(state["generator"])
    return cfg, gen.eval()


def add_arguments(p: argparse.ArgumentParser) -> None:
    d = TextureConfig()
    p.add_argument(
        "--textures",
        default=",".join(DEFAULT_TEXTURES),
        help="comma-separated texture specs: a file stem, or stem@x0:y0:x1:y1 for a crop (default: the shipped 10)",
    )
    p.add_argument("--data", default=str(DATA), help="folder holding textures/ and styles/ (default ../shared/data)")
    p.add_argument("--out", default="runs/texture", help="run folder: checkpoints, samples, log")
    p.add_argument("--steps", type=int, default=20000, help="total steps (one D and one G update each)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt if it exists")
    p.add_argument("--ckpt-every", type=int, default=100, help="steps between checkpoints")
    p.add_argument("--sample-every", type=int, default=250, help="steps between sample grids")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="where to train")
    p.add_argument("--crop", type=int, default=d.crop, help="training crop side in px")
    p.add_argument("--short-side", type=int, default=d.short_side, help="textures are scaled down to this short side")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help="crops per step")
    p.add_argument("--widths", default=",".join(map(str, d.widths)), help="generator widths: cell level + 4 levels")
    p.add_argument("--depths", default=",".join(map(str, d.depths)), help="3×3 convs per level: cell level + 4 levels")
    p.add_argument("--gram-weight", type=float, default=d.gram_weight, help="weight of the optional Gram term")
    p.add_argument("--gan-loss", default=d.gan_loss, choices=sorted(GAN_LOSSES), help="adversarial loss pair")


def config_from(args: argparse.Namespace) -> TextureConfig:
    return replace(
        TextureConfig(),
        textures=tuple(s.strip() for s in args.textures.split(",") if s.strip()),
        widths=tuple(int(w) for w in args.widths.split(",")),
        depths=tuple(int(d) for d in args.depths.split(",")),
        crop=args.crop,
        short_side=args.short_side,
        batch_size=args.batch_size,
        gram_weight=args.gram_weight,
        gan_loss=args.gan_loss,
    )


def run(args: argparse.Namespace) -> Path:
    """Train (or resume) and return the path of the last checkpoint."""
    out = Path(args.out)
    cfg = config_from(args)
    last = out / "last.pt"
    state = load_checkpoint(last) if args.resume and last.exists() else None
    if state is not None:
        cfg = replace(TextureConfig.from_dict(state["config"]), gram_weight=args.gram_weight)
    folders = [Path(args.data) / "textures", Path(args.data) / "styles"]
    images = [load_texture(spec, folders, cfg.short_side) for spec in cfg.textures]
    trainer = TextureTrainer(cfg, images, pick_device(args.device))
    if state is not None:
        trainer.load(state)
    print(json.dumps({"textures": [texture_id(s) for s in cfg.textures], "config": cfg.to_dict()}))
    bar = tqdm(total=args.steps, initial=trainer.step_count, desc="texture", dynamic_ncols=True, mininterval=10)
    started = time.time()
    while trainer.step_count < args.steps:
        losses = trainer.step()
        bar.update(1)
        bar.set_postfix({k: f"{v:.3g}" for k, v in losses.items()}, refresh=False)
        if trainer.step_count % args.ckpt_every == 0:
            save_checkpoint(last, trainer.state())
        if trainer.step_count % args.sample_every == 0:
            trainer.sample(out / "samples" / f"step{trainer.step_count:06d}.png")
    bar.close()
    save_checkpoint(last, trainer.state())
    print(f"trained {trainer.step_count} steps in {time.time() - started:.0f} s → {last}")
    return last
