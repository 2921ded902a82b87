"""Train the multi-texture spatial GAN (`artgan train texture`)."""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from artgan.errors import ArtganError
from artgan.features.networks import FEATURE_NETS, build_feature_net
from artgan.losses.gan import GAN_LOSSES, gan_losses
from artgan.nets.discriminators import MultiScalePatchDiscriminator, PatchDiscriminator
from artgan.texture.config import TextureConfig
from artgan.texture.data import DEFAULT_TEXTURES, TextureCrops, all_textures, load_texture, random_patch, texture_id
from artgan.texture.gram import GramPyramid
from artgan.texture.model import TextureGenerator, build, cells_for
from artgan.texture.patches import PatchLoss
from artgan.texture.spectrum import lattice_waves, spectral_waves
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


def build_discriminator(cfg: TextureConfig, num_classes: int) -> PatchDiscriminator | MultiScalePatchDiscriminator:
    """Projection-conditioned (Miyato & Koyama 2018): one discriminator judges every texture.

    One scale keeps the plain PatchDiscriminator, so earlier checkpoints resume as they were.
    """
    kwargs = {"base": cfg.disc_base, "layers": cfg.disc_layers, "num_classes": num_classes}
    if cfg.disc_scales == 1:
        return PatchDiscriminator(**kwargs)
    return MultiScalePatchDiscriminator(cfg.disc_scales, **kwargs)


def logit_maps(out: torch.Tensor | list[torch.Tensor]) -> list[torch.Tensor]:
    """A discriminator's output as a list of logit maps, one per scale (fp32 for the losses)."""
    return [o.float() for o in (out if isinstance(out, list) else [out])]


class TextureTrainer:
    """Generator, conditional patch discriminator, optimisers; `step` does one D and one G update."""

    def __init__(self, cfg: TextureConfig, images: list[np.ndarray], session: Session) -> None:
        self.cfg, self.session, self.device = cfg, session, session.device
        self.images = images
        device = self.device
        self.gen = build(cfg).to(device)
        self.disc = build_discriminator(cfg, len(images)).to(device)
        self.gen_ddp, self.disc_ddp = session.wrap(self.gen), session.wrap(self.disc)
        self.opt_g = Optimizer(torch.optim.Adam(self.gen.parameters(), lr=cfg.lr_g, betas=(0.5, 0.999)), session)
        self.opt_d = Optimizer(torch.optim.Adam(self.disc.parameters(), lr=cfg.lr_d, betas=(0.5, 0.999)), session)
        self.cells = cells_for(cfg.crop, self.gen.body.margin)
        self.gram = self.targets = None
        if cfg.gram_weight > 0:
            self.gram = GramPyramid(build_feature_net(cfg.feature_net).to(device), cfg.feature_net, cfg.gram_scales)
            self.targets = self.gram.targets([to_tensor(im)[None].to(device) for im in images])  # whole images
        self.patches = None
        if cfg.patch_weight > 0:  # coverage no better than real crops'; mirrored like the real crops D sees
            self.patches = [
                PatchLoss(to_tensor(im)[None].to(device), crop=None if full else cfg.crop, mirror=True)
                for im, full in zip(images, full_coverage(cfg), strict=True)
            ]
        self.held: list[tuple[int, torch.Tensor, torch.Tensor]] = []  # (texture, raw waves, which channels held)
        self.step_count = 0

    @torch.no_grad()
    def hold_waves(self) -> None:
        """Snap the lattice textures' wave vectors from where they are now (every step puts them back) and
        couple their phases: with independent phases some seeds' channels meet at a relative phase the
        network paints as smudged, jointless courses (seed 5 after 700 steps on the lattice alone).
        Aperiodic textures' waves are held at 0."""
        lattices = lattice_indices(self.cfg)
        flat = texture_indices("--aperiodic", ",".join(self.cfg.aperiodic), self.cfg.textures)
        both = sorted({i for i, _, _ in lattices} & set(flat))
        if both:
            names = ", ".join(texture_id(self.cfg.textures[i]) for i in both)
            raise ArtganError(f"--aperiodic and --lattice both name {names}: choose one")
        self.held = []
        for i, rows, cols in lattices:
            k = (math.pi * torch.tanh(self.gen.waves[i])).double().cpu().numpy()
            try:
                snapped, on = lattice_waves(k, rows, cols)
            except ValueError as exc:
                raise ArtganError(f"--lattice {self.cfg.textures[i]}: {exc}") from exc
            raw = torch.atanh(torch.from_numpy(snapped / math.pi)).to(self.gen.waves)
            self.gen.coupled[i] = torch.from_numpy(on).to(self.device)
            self.held.append((i, raw, self.gen.coupled[i]))
        for i in flat:
            self.held.append((i, torch.zeros_like(self.gen.waves[i]), torch.ones_like(self.gen.coupled[i])))
        self.restore_waves()

    @torch.no_grad()
    def restore_waves(self) -> None:
        for i, raw, on in self.held:
            self.gen.waves[i][on] = raw[on]

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
                    maps = logit_maps(self.disc(fake, idx))
                    losses = {"g": sum(g_loss_fn(m) for m in maps) / len(maps)}
                total = losses["g"]
                if self.gram is not None:
                    losses["gram"] = self.gram.loss(fake, [[t[idx] for t in level] for level in self.targets])
                    total = total + self.cfg.gram_weight * losses["gram"]
                if self.patches is not None:
                    per_crop = (self.patches[i](fake[k : k + 1]) for k, i in enumerate(idx.tolist()))  # fp32 inside
                    losses["patch"] = sum(per_crop) / len(fake)
                    total = total + self.cfg.patch_weight * losses["patch"]
            self.opt_g.backward(total / len(micro))
            meter.add(losses)
        self.opt_g.step()
        self.restore_waves()
        self.step_count += 1
        return meter.result()

    def discriminator_step(self, micro: list, meter: LossMeter) -> list[torch.Tensor] | None:
        """Real crops against fresh fakes of the same textures."""
        d_loss_fn = gan_losses(self.cfg.gan_loss)[0]

        def d_loss(batch: list[torch.Tensor], fake: torch.Tensor) -> torch.Tensor:
            real, idx = batch
            pairs = zip(logit_maps(self.disc_ddp(real, idx)), logit_maps(self.disc_ddp(fake, idx)), strict=True)
            return sum(d_loss_fn(r, f) for r, f in pairs) / self.cfg.disc_scales

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
        """A checkpoint's weights and optimisers; discriminator scales it lacks start fresh, as does D's optimiser."""
        self.gen.load_state_dict(state["generator"])
        old_scales = state["config"].get("disc_scales", 1)
        grown = self.cfg.disc_scales > old_scales
        if grown:
            missing, unexpected = self.disc.load_state_dict(grown_discriminator(state["discriminator"]), strict=False)
            new = tuple(f"scales.{i}." for i in range(old_scales, self.cfg.disc_scales))
            if unexpected or not all(k.startswith(new) for k in missing):
                raise ArtganError(f"the checkpoint's discriminator does not fit: {unexpected or missing}")
        else:
            self.disc.load_state_dict(state["discriminator"])
        if "optimizer_g" in state:  # shipped checkpoints may leave them out (export/manifest.py)
            self.opt_g.load_state_dict(state["optimizer_g"])
            if not grown:
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
            z = self.gen.noise_field(self.gen.codes[idx], self.gen.waves[idx], h, h, gen, self.gen.coupled[idx])
            fake = self.gen.body(z, self.gen.codes[idx])[:, :, :size, :size]
            rows.append(torch.cat([F.interpolate(real, size=(size, size)).to(self.device), fake]))
        return save_grid(rows, path)


def grown_discriminator(state: dict) -> dict:
    """A discriminator's weights under a multi-scale one's names (a single one becomes scale 0)."""
    return state if any(k.startswith("scales.") for k in state) else {f"scales.0.{k}": v for k, v in state.items()}


def texture_indices(option: str, names: str, textures: tuple[str, ...]) -> list[int]:
    """A texture-id option (comma-separated ids, or `all`) → their indices in the run; unknown ids refused."""
    ids = [texture_id(t) for t in textures]
    wanted = ids if names.strip() == "all" else [n.strip() for n in names.split(",") if n.strip()]
    unknown = sorted(set(wanted) - set(ids))
    if unknown:
        raise ArtganError(f"{option}: no texture {', '.join(unknown)} in this run ({', '.join(ids)})")
    return [ids.index(n) for n in wanted]


@torch.no_grad()
def seed_waves(gen: TextureGenerator, index: int, image: np.ndarray) -> None:
    """Start a texture's wave vectors at its exemplar's spectral peaks (training then refines them)."""
    k = torch.from_numpy(spectral_waves(image, gen.cfg.periodic_dim)).to(gen.waves)
    gen.waves[index] = torch.atanh(k / math.pi)  # the model reads k = π·tanh(waves); peaks lie below 0.9π


def load_model(checkpoint: Path) -> tuple[TextureConfig, TextureGenerator]:
    state = load_checkpoint(checkpoint)
    cfg = TextureConfig.from_dict(state["config"])
    gen = build(cfg)
    gen.load_state_dict(state["generator"])
    with torch.no_grad():
        for i, rows, cols in lattice_indices(cfg):  # held there in training: snapping again changes nothing
            gen.coupled[i] = torch.from_numpy(
                lattice_waves(math.pi * torch.tanh(gen.waves[i]).double().numpy(), rows, cols)[1]
            )
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
    p.add_argument(
        "--crop", type=int, default=None, help=f"training crop side (default {d.crop} px; on --resume the run's own)"
    )
    p.add_argument("--short-side", type=int, default=d.short_side, help="textures are scaled down to this short side")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help="crops per step, over all GPUs")
    p.add_argument("--widths", default=",".join(map(str, d.widths)), help="generator widths: cell level + 4 levels")
    p.add_argument("--depths", default=",".join(map(str, d.depths)), help="3×3 convs per level: cell level + 4 levels")
    p.add_argument(
        "--gram-weight",
        type=float,
        default=None,
        help=f"weight of the optional Gram term (default {d.gram_weight}; on --resume the run's own unless given)",
    )
    p.add_argument(
        "--patch-weight",
        type=float,
        default=None,
        help=f"weight of the nearest-patch term (default {d.patch_weight} = off; on --resume the run's own unless "
        "given); needs a crop of at least 64 px",
    )
    p.add_argument("--feature-net", default=d.feature_net, choices=sorted(FEATURE_NETS), help="Gram term's network")
    p.add_argument(
        "--gram-scales", type=int, default=d.gram_scales, help="Gram term on the crop and its ×2, ×4… pooled copies"
    )
    p.add_argument(
        "--disc-scales", type=int, default=d.disc_scales, help="patch discriminators on the crop and its pooled copies"
    )
    p.add_argument("--periodic-dim", type=int, default=d.periodic_dim, help="periodic noise channels sin(k·x + φ)")
    p.add_argument(
        "--spectral-waves",
        default="",
        help="comma-separated texture ids (or `all`) whose wave vectors start at their exemplar's spectral peaks "
        "(regular layouts: tiles, bricks), set when the run starts: give it once, not on later resumes",
    )
    p.add_argument(
        "--full-coverage",
        default=None,
        help="comma-separated texture ids whose nearest-patch coverage counts against the whole exemplar, not "
        "real crops' own (regular layouts: tiles); on --resume the run's own unless given (`none` clears it)",
    )
    p.add_argument(
        "--lattice",
        default=None,
        help="comma-separated id=ROWSxCOLS: hold that texture's periodic channels on the wave-vector lattice of a "
        "ROWS×COLS-cell repeat (snapped from where they are; regular layouts: tiles_green_ceramic=12x6); on "
        "--resume the run's own unless given (`none` clears it)",
    )
    p.add_argument(
        "--aperiodic",
        default=None,
        help="comma-separated texture ids whose wave vectors are held at 0 (their periodic channels become "
        "per-sample constants; irregular layouts that learned a visible lattice: autumn_leaves); on --resume "
        "the run's own unless given (`none` clears it)",
    )
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
    d = TextureConfig()
    return replace(
        d,
        textures=specs,
        widths=tuple(int(w) for w in args.widths.split(",")),
        depths=tuple(int(n) for n in args.depths.split(",")),
        crop=args.crop or d.crop,
        short_side=args.short_side,
        batch_size=args.batch_size,
        gram_weight=d.gram_weight if args.gram_weight is None else args.gram_weight,
        patch_weight=d.patch_weight if args.patch_weight is None else args.patch_weight,
        gan_loss=args.gan_loss,
        feature_net=args.feature_net,
        gram_scales=args.gram_scales,
        disc_scales=args.disc_scales,
        periodic_dim=args.periodic_dim,
        full_coverage=id_list(args.full_coverage, ()),
        lattices=lattice_list(args.lattice, ()),
        aperiodic=id_list(args.aperiodic, ()),
    )


def id_list(value: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    """A comma-separated id option: None keeps `default`, `none` (or empty) clears it."""
    if value is None:
        return default
    return tuple(n for n in (s.strip() for s in value.split(",")) if n and n != "none")


def lattice_list(value: str | None, default: tuple[tuple[str, int, int], ...]) -> tuple[tuple[str, int, int], ...]:
    """--lattice "id=ROWSxCOLS,...": None keeps `default`, `none` (or empty) clears it."""
    out = []
    for item in id_list(value, ()) if value is not None else ():
        name, _, repeat = (part.strip() for part in item.partition("="))
        rows, _, cols = repeat.lower().replace("×", "x").partition("x")
        if not (rows.isdigit() and cols.isdigit() and int(rows) > 0 and int(cols) > 0):
            raise ArtganError(f"--lattice {item!r}: use id=ROWSxCOLS in cells, e.g. tiles_green_ceramic=12x6")
        out.append((name, int(rows), int(cols)))
    return default if value is None else tuple(out)


def lattice_indices(cfg: TextureConfig) -> list[tuple[int, int, int]]:
    """(texture index, rows, cols) per --lattice entry."""
    names = ",".join(name for name, _, _ in cfg.lattices)
    indices = texture_indices("--lattice", names, cfg.textures)
    return [(i, rows, cols) for i, (_, rows, cols) in zip(indices, cfg.lattices, strict=True)]


def full_coverage(cfg: TextureConfig) -> list[bool]:
    """Per texture, whether its nearest-patch coverage counts in full."""
    full = set(texture_indices("--full-coverage", ",".join(cfg.full_coverage), cfg.textures))
    return [i in full for i in range(len(cfg.textures))]


def run(args: argparse.Namespace) -> Path:
    """Train (or resume) and return the path of the last checkpoint."""
    session = start_session(args.device, args.precision, args.seed)
    state = resume_state(args)
    if state is not None:
        # the loss balance may change on resume, and the discriminator may gain coarser scales
        old = TextureConfig.from_dict(state["config"])
        cfg = replace(
            old,
            gram_weight=old.gram_weight if args.gram_weight is None else args.gram_weight,
            patch_weight=old.patch_weight if args.patch_weight is None else args.patch_weight,
            disc_scales=max(old.disc_scales, args.disc_scales),
            crop=args.crop or old.crop,  # G and D are fully convolutional: a larger view shows larger structures
            full_coverage=id_list(args.full_coverage, old.full_coverage),
            lattices=lattice_list(args.lattice, old.lattices),
            aperiodic=id_list(args.aperiodic, old.aperiodic),
        )
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
    for i in texture_indices("--spectral-waves", args.spectral_waves, cfg.textures):
        seed_waves(trainer.gen, i, images[i])
    trainer.hold_waves()
    if session.main:
        print(json.dumps({"textures": [texture_id(s) for s in cfg.textures], "config": cfg.to_dict()}))
    data = TextureCrops(images, cfg.crop, cfg.batch_size, seed=args.seed)
    return fit(trainer, session, data, cfg.batch_size, args, trainer.sample, "texture", shuffle=False)
