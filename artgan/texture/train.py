"""Train the multi-texture spatial GAN (`artgan train texture`)."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from artgan.errors import ArtganError
from artgan.features.networks import build_feature_net
from artgan.losses.gan import GAN_LOSSES, gan_losses
from artgan.losses.style import gram, gram_style_loss
from artgan.nets.discriminators import PatchDiscriminator
from artgan.texture.config import TextureConfig
from artgan.texture.data import DEFAULT_TEXTURES, TextureCrops, all_textures, load_texture, random_patch, texture_id
from artgan.texture.model import TextureGenerator, build, cells_for
from artgan.training import (
    LossMeter,
    Optimizer,
    Session,
    accumulate,
    add_common_arguments,
    discriminator_update,
    fit,
    frozen,
    load_checkpoint,
    resume_state,
    save_grid,
    start_session,
    to_tensor,
)

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
GRAM_LAYERS = (0, 1, 2, 3)
GRAM_LAYER_WEIGHTS = (0.5, 0.5, 1.0, 5.0)  # raw early-stage Gram losses are far larger (as in Stylize)


class TextureTrainer:
    """Generator, conditional patch discriminator, optimisers; `step` does one D and one G update."""

    def __init__(self, cfg: TextureConfig, images: list[np.ndarray], session: Session) -> None:
        self.cfg, self.session, self.device = cfg, session, session.device
        self.images = images
        device = self.device
        self.gen = build(cfg).to(device)
        # projection-conditioned (Miyato & Koyama 2018): one discriminator judges every texture
        self.disc = PatchDiscriminator(base=cfg.disc_base, layers=cfg.disc_layers, num_classes=len(images)).to(device)
        self.gen_ddp, self.disc_ddp = session.wrap(self.gen), session.wrap(self.disc)
        self.opt_g = Optimizer(torch.optim.Adam(self.gen.parameters(), lr=cfg.lr_g, betas=(0.5, 0.999)), session)
        self.opt_d = Optimizer(torch.optim.Adam(self.disc.parameters(), lr=cfg.lr_d, betas=(0.5, 0.999)), session)
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
        out = self.gen_ddp(idx, self.cells, self.cells)  # [N,3,S',S'] with S' ≥ crop
        off = (out.shape[-1] - self.cfg.crop) // 2
        return out[:, :, off : off + self.cfg.crop, off : off + self.cfg.crop]

    def step(self, micro: list[list[torch.Tensor]]) -> dict[str, float]:
        """One D and one G update from micro-batches of (real crops [n,3,S,S], texture indices [n])."""
        micro = [(real.to(self.device, non_blocking=True), idx.to(self.device)) for real, idx in micro]
        meter = LossMeter(self.session, len(micro))
        fakes = self.discriminator_step(micro, meter)
        g_loss_fn = gan_losses(self.cfg.gan_loss)[1]
        self.opt_g.zero()
        for k, (_, idx) in enumerate(accumulate(micro, [self.gen_ddp])):
            with self.session.autocast():
                fake = fakes[k] if fakes else self.fake(idx)
                with frozen(self.disc):
                    losses = {"g": g_loss_fn(self.disc(fake, idx).float())}
                total = losses["g"]
                if self.fnet is not None:
                    feats = self.fnet(fake)
                    targets = [t[idx] for t in self.targets]
                    losses["gram"] = gram_style_loss([feats[i] for i in GRAM_LAYERS], targets, list(GRAM_LAYER_WEIGHTS))
                    total = total + self.cfg.gram_weight * losses["gram"]
            self.opt_g.backward(total / len(micro))
            meter.add(losses)
        self.opt_g.step()
        self.step_count += 1
        return meter.result()

    def discriminator_step(self, micro: list, meter: LossMeter) -> list[torch.Tensor] | None:
        """Real crops against fresh fakes of the same textures."""
        d_loss_fn = gan_losses(self.cfg.gan_loss)[0]

        def d_loss(batch: list[torch.Tensor], fake: torch.Tensor) -> torch.Tensor:
            real, idx = batch
            return d_loss_fn(self.disc_ddp(real, idx).float(), self.disc_ddp(fake, idx).float())

        def generate(batch: list[torch.Tensor]) -> torch.Tensor:
            return self.fake(batch[1])

        return discriminator_update(self.session, self.opt_d, self.disc_ddp, micro, meter, "d", generate, d_loss)

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
    def sample(self, path: Path, size: int = 160, max_rows: int = 12) -> np.ndarray:
        """One row per texture (at most `max_rows`): a real crop, then three generated crops of `size` px."""
        rows = []
        gen = torch.Generator(device=self.device).manual_seed(0)
        for i in range(min(len(self.cfg.textures), max_rows)):
            im = self.images[i]
            real = to_tensor(random_patch(im, min(size, *im.shape[:2]), np.random.default_rng(0)))[None]
            idx = torch.full((3,), i, device=self.device)
            h = cells_for(size, self.gen.body.margin)
            z = self.gen.noise_field(self.gen.codes[idx], self.gen.waves[idx], h, h, gen)
            fake = self.gen.body(z, self.gen.codes[idx])[:, :, :size, :size]
            rows.append(torch.cat([F.interpolate(real, size=(size, size)).to(self.device), fake]))
        return save_grid(rows, path)


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
        help="comma-separated texture specs: a file stem, or stem@x0:y0:x1:y1 for a crop (default: the shipped 10); "
        "`all`: every image in the DATA/textures tree (e.g. DTD's images/), one texture each",
    )
    p.add_argument(
        "--data", default=str(DATA), help="folder holding textures/ and styles/ trees (default ../shared/data)"
    )
    p.add_argument("--max-images", type=int, default=None, help="with --textures all: at most this many textures")
    add_common_arguments(p, "runs/texture", steps=20000, ckpt_every=100, sample_every=250)
    p.set_defaults(workers=0)  # crops of in-memory textures: cheaper in the training process
    p.add_argument("--crop", type=int, default=d.crop, help="training crop side in px")
    p.add_argument("--short-side", type=int, default=d.short_side, help="textures are scaled down to this short side")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help="crops per step, over all GPUs")
    p.add_argument("--widths", default=",".join(map(str, d.widths)), help="generator widths: cell level + 4 levels")
    p.add_argument("--depths", default=",".join(map(str, d.depths)), help="3×3 convs per level: cell level + 4 levels")
    p.add_argument("--gram-weight", type=float, default=d.gram_weight, help="weight of the optional Gram term")
    p.add_argument("--gan-loss", default=d.gan_loss, choices=sorted(GAN_LOSSES), help="adversarial loss pair")


def texture_specs(args: argparse.Namespace) -> tuple[tuple[str, ...], list[Path]]:
    """The --textures list; `all` lists the DATA/textures tree, less its unreadable files (returned too)."""
    if args.textures.strip() != "all":
        return tuple(s.strip() for s in args.textures.split(",") if s.strip()), []
    specs, bad = all_textures(Path(args.data) / "textures", args.max_images)
    if not specs:
        raise ArtganError(f"no readable textures in {Path(args.data) / 'textures'}")
    return tuple(specs), bad


def config_from(args: argparse.Namespace, specs: tuple[str, ...]) -> TextureConfig:
    return replace(
        TextureConfig(),
        textures=specs,
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
    session = start_session(args.device, args.precision, args.seed)
    state = resume_state(args)
    if state is not None:
        cfg = replace(TextureConfig.from_dict(state["config"]), gram_weight=args.gram_weight)
    else:
        specs, bad = texture_specs(args)
        if bad and session.main:
            print(f"skipped {len(bad)} unreadable image{'s' * (len(bad) != 1)}: {', '.join(p.name for p in bad[:5])}")
        cfg = config_from(args, specs)
    folders = [Path(args.data) / "textures", Path(args.data) / "styles"]
    images = [load_texture(spec, folders, cfg.short_side) for spec in cfg.textures]
    trainer = TextureTrainer(cfg, images, session)
    if state is not None:
        trainer.load(state)
    if session.main:
        print(json.dumps({"textures": [texture_id(s) for s in cfg.textures], "config": cfg.to_dict()}))
    data = TextureCrops(images, cfg.crop, cfg.batch_size, seed=args.seed)
    return fit(trainer, session, data, cfg.batch_size, args, trainer.sample, "texture", shuffle=False)
