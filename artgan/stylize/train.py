"""Train the multi-style network: `artgan train stylize --styles DIR --content DIR`."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from artgan.datasets import list_images, load_rgb, train_test_files
from artgan.errors import ArtganError
from artgan.features.networks import FEATURE_NETS, FeatureNet, build_feature_net
from artgan.losses.gan import GAN_LOSSES, gan_losses
from artgan.losses.style import (
    chroma_loss,
    chroma_stats,
    content_loss,
    edge_misfit,
    gram,
    gram_style_loss,
    stroke_gradient,
    structure_loss,
    total_variation,
)
from artgan.nets.discriminators import PatchDiscriminator
from artgan.stylize.config import StylizeConfig
from artgan.stylize.model import ARCHS, StyleBank, StyleTransferNet, build, grow
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
    to_tensor,
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
    cfg: StylizeConfig,
    fnet: FeatureNet,
    x: torch.Tensor,
    out: torch.Tensor,
    targets: list[torch.Tensor],
    chroma: torch.Tensor,
    structure: torch.Tensor | None = None,
    edge: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """The weighted loss of the recipe: Gram style + feature content + total variation (+ chroma, edges, structure).

    x: the photos, out: their stylization ([N,3,H,W] in [0,1]); targets: per style layer,
    each sample's Gram target / M ([N,C,C]); chroma: each sample's painting's chroma
    statistics ([N,4]) and stroke-gradient target ([N]), used when the recipe weights them;
    edge: each sample's edge-correlation weight ([N]; default the recipe's edge_weight).
    """
    f_out = fnet(out)
    with torch.no_grad():
        f_in = fnet(x)
    style = gram_style_loss([f_out[i] for i in cfg.style_layers], targets, list(cfg.style_layer_weights))
    content = content_loss([f_out[i] for i in cfg.content_layers], [f_in[i] for i in cfg.content_layers])
    tv = total_variation(out)
    total = cfg.style_weight * style + cfg.content_weight * content + cfg.tv_weight * tv
    losses = {"total": total, "style": style, "content": content, "tv": tv}
    if cfg.chroma_weight > 0:
        losses["chroma"] = chroma_loss(out, chroma)
        losses["total"] = losses["total"] + cfg.chroma_weight * losses["chroma"]
    if edge is None:
        edge = torch.full((out.shape[0],), cfg.edge_weight, device=out.device)
    if bool((edge > 0).any()):
        misfit = edge_misfit(out, x)
        losses["edges"] = misfit.mean()
        losses["total"] = losses["total"] + (edge.to(misfit) * misfit).mean()
    if cfg.structure_weight > 0:
        losses["structure"] = structure_loss(out, structure)
        losses["total"] = losses["total"] + cfg.structure_weight * losses["structure"]
    return losses


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


class StyleLabel:
    """Dataset transform: the crop and a style index drawn from the item's own generator, so
    one process and N DDP processes pair the same crops with the same styles."""

    def __init__(self, num_styles: int, odds: np.ndarray | None = None) -> None:
        self.num_styles = num_styles
        self.p = None if odds is None else odds / odds.sum()

    def __call__(self, crop_u8: np.ndarray, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        return to_tensor(crop_u8), torch.tensor(int(rng.choice(self.num_styles, p=self.p)))


def named_values(spec: str, styles: tuple[str, ...], flag: str) -> dict[str, float]:
    """{name: value} from "name=value,..."; every name must be one of this run's styles."""
    out = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, value = (part.strip() for part in item.partition("="))
        if name not in styles:
            raise ArtganError(f"{flag}: no style {name!r} in this run ({', '.join(styles)})")
        out[name] = float(value)
    return out


def style_odds(spec: str, styles: tuple[str, ...]) -> np.ndarray | None:
    """Sampling odds from "name=odds,..." (unnamed styles 1): a fine-tune can dwell on the
    styles that lag without starving the rest, which share every convolution."""
    named = named_values(spec, styles, "--style-odds")
    if not named:
        return None
    return np.array([named.get(s, 1.0) for s in styles])


def per_style(spec: str, styles: tuple[str, ...], option: str, kind: type = float) -> tuple[tuple[str, float], ...]:
    """((name, value), ...) from "name=value,..." for a per-style config field (the others keep its default)."""
    return tuple((name, kind(value)) for name, value in named_values(spec, styles, f"--{option}").items())


PER_STYLE = {"style_sizes": int, "structure_ratios": float, "edge_weights": float}  # config field → value type


class StyleModel(nn.Module):
    """Network and style bank as one module: one DDP wrapper synchronises both."""

    def __init__(self, net: StyleTransferNet, bank: StyleBank) -> None:
        super().__init__()
        self.net, self.bank = net, bank

    def forward(self, x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        return self.net(x, self.bank(idx))


class StylizeTrainer:
    """Holds model, optimisers and loss targets; `step` does one update and returns losses.

    With `adversarial_weight` > 0 a style-conditional patch discriminator compares patches
    of the outputs with patches of the style's painting (the optional adversarial term).
    """

    def __init__(self, cfg: StylizeConfig, style_files: list[Path], session: Session) -> None:
        self.cfg, self.session, self.device = cfg, session, session.device
        self.net, self.bank = (m.to(self.device) for m in build(cfg))
        self.model = session.wrap(StyleModel(self.net, self.bank))
        self.fnet = build_feature_net(cfg.feature_net).to(self.device)
        self.paintings = [style_tensor(p, cfg.painting_size(p.stem)).to(self.device) for p in style_files]
        self.targets = gram_targets(self.fnet, self.paintings, cfg.style_layers)
        self.chroma = torch.cat([chroma_stats(p) for p in self.paintings])
        ratios = torch.tensor([cfg.style_structure_ratio(p.stem) for p in style_files], device=self.device)
        self.structure = ratios * torch.cat([stroke_gradient(p) for p in self.paintings])
        self.edge = torch.tensor([cfg.style_edge_weight(p.stem) for p in style_files], device=self.device)
        params = list(self.net.parameters()) + list(self.bank.parameters())
        self.opt = Optimizer(torch.optim.Adam(params, lr=cfg.lr), session)
        self.disc = self.opt_d = None
        if cfg.adversarial_weight > 0:
            self.disc = PatchDiscriminator(num_classes=len(cfg.styles)).to(self.device)
            self.disc_ddp = session.wrap(self.disc)
            self.opt_d = Optimizer(torch.optim.Adam(self.disc.parameters(), lr=cfg.lr / 2, betas=(0.5, 0.999)), session)
            self.adv_size = min([cfg.adv_patch, cfg.crop] + [min(p.shape[2:]) for p in self.paintings])
        self.step_count = 0

    def step(self, micro: list[list[torch.Tensor]]) -> dict[str, float]:
        """One update from micro-batches of (photos [n,3,S,S] in [0,1], style indices [n])."""
        micro = [(x.to(self.device, non_blocking=True), idx.to(self.device, non_blocking=True)) for x, idx in micro]
        meter = LossMeter(self.session, len(micro))
        kept = self.discriminator_step(micro, meter) if self.disc is not None else None
        self.opt.zero()
        for k, (x, idx) in enumerate(accumulate(micro, [self.model])):
            with self.session.autocast():
                out = kept[k] if kept else self.model(x, idx)
                targets = [t[idx] for t in self.targets]
                losses = style_losses(
                    self.cfg, self.fnet, x, out, targets, self.chroma[idx], self.structure[idx], self.edge[idx]
                )
                if self.disc is not None:
                    with frozen(self.disc):
                        fake = random_patches(out, self.adv_size, out.shape[0])
                        losses["adv_g"] = gan_losses(self.cfg.gan_loss)[1](self.disc(fake, idx))
                    losses["total"] = losses["total"] + self.cfg.adversarial_weight * losses["adv_g"]
            self.opt.backward(losses["total"] / len(micro))
            meter.add(losses)
        self.opt.step()
        self.step_count += 1
        return meter.result()

    def discriminator_step(self, micro: list, meter: LossMeter) -> list[torch.Tensor] | None:
        """One discriminator update on output patches against patches of each crop's painting."""
        d_loss_fn, size = gan_losses(self.cfg.gan_loss)[0], self.adv_size

        def d_loss(batch, out: torch.Tensor) -> torch.Tensor:
            idx = batch[1]
            real = torch.cat([random_patches(self.paintings[int(i)], size, 1) for i in idx])
            fake = random_patches(out, size, out.shape[0])
            return d_loss_fn(self.disc_ddp(real, idx), self.disc_ddp(fake, idx))

        def generate(batch) -> torch.Tensor:
            return self.model(*batch)

        return discriminator_update(self.session, self.opt_d, self.disc_ddp, micro, meter, "adv_d", generate, d_loss)

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
        self.opt.restore(state.get("optimizer"), self.cfg.lr)
        if self.disc is not None and "disc" in state:  # a run may add the term when resumed
            self.disc.load_state_dict(state["disc"])
            self.opt_d.load_state_dict(state["optimizer_d"])
        self.step_count = state["step"]

    @torch.no_grad()
    def sample(self, images: torch.Tensor, path: Path, max_styles: int = 8) -> np.ndarray:
        """Grid: first row the photos, then one row per style."""
        self.net.eval()
        x = images.to(self.device)
        rows = [x]
        n_styles = len(self.cfg.styles)
        for s in np.linspace(0, n_styles - 1, min(n_styles, max_styles)).astype(int):
            idx = torch.full((x.shape[0],), int(s), device=self.device)
            rows.append(self.net(x, self.bank(idx)))
        self.net.train()
        return save_grid(rows, path)


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
    p.add_argument(
        "--style-odds",
        default="",
        help="sampling odds of some styles, e.g. the_scream=3,udnie=3 (others 1; default: uniform)",
    )
    p.add_argument("--content", required=True, help="folder tree of photos (recursive; corrupt files are skipped)")
    add_data_arguments(p)
    add_common_arguments(p, "runs/stylize", steps=20000, ckpt_every=250, sample_every=500)
    p.add_argument(
        "--feature-net",
        default=None,
        choices=sorted(FEATURE_NETS),
        help=f"frozen loss network (default {d.feature_net}; on --resume: the checkpoint's)",
    )
    p.add_argument("--style-layers", default=None, help="feature-net stages of the Gram loss, e.g. 0,1,2,3,5")
    p.add_argument("--style-layer-weights", default=None, help="one weight per style layer, e.g. 1,1,2,2,2")
    p.add_argument("--content-layers", default=None, help="feature-net stages of the content loss, e.g. 4")
    for name, what in (
        ("style-weight", "the Gram style loss"),
        ("content-weight", "the feature content loss"),
        ("tv-weight", "total variation"),
        ("chroma-weight", "the chroma statistics term (the painting's colourfulness; 0 = off)"),
        ("edge-weight", "the edge-correlation term (the photo's contours as the strongest lines; 0 = off)"),
        ("structure-weight", "the stroke-contrast hinge (at least the painting's σ=3 px gradient; 0 = off)"),
        ("adversarial-weight", "the adversarial term (patch discriminator on painting crops; 0 = off)"),
    ):
        default = getattr(d, name.replace("-", "_"))
        p.add_argument(f"--{name}", type=float, default=None, help=f"weight of {what} (default {default})")
    p.add_argument(
        "--structure-ratio",
        type=float,
        default=None,
        help=f"target of the stroke-contrast hinge, × the painting's (default {d.structure_ratio})",
    )
    p.add_argument(
        "--gan-loss",
        default=None,
        choices=sorted(GAN_LOSSES),
        help="adversarial loss: bce (the seed's L_D/L_G) or hinge (default hinge)",
    )
    p.add_argument(
        "--adv-patch",
        type=int,
        default=None,
        help=f"side of the patches the discriminator compares; larger sees shapes, not grain (default {d.adv_patch})",
    )
    p.add_argument("--crop", type=int, default=None, help=f"training crop side, multiple of 4 (default {d.crop})")
    p.add_argument(
        "--crop-scale",
        default=None,
        help=f"min,max share of a photo's short side per crop (default {','.join(map(str, d.crop_scale))})",
    )
    p.add_argument(
        "--style-size", type=int, default=None, help=f"long side of paintings for Gram targets (default {d.style_size})"
    )
    p.add_argument(
        "--style-sizes",
        default=None,
        help="long sides of some paintings, e.g. udnie=512 (the others keep --style-size)",
    )
    p.add_argument(
        "--structure-ratios",
        default=None,
        help="stroke-contrast targets of some styles, e.g. the_scream=1.25 (the others keep --structure-ratio)",
    )
    p.add_argument(
        "--edge-weights",
        default=None,
        help="edge-correlation weights of some styles, e.g. udnie=1.5 (the others keep --edge-weight)",
    )
    p.add_argument("--batch-size", type=int, default=None, help=f"crops per step, all GPUs (default {d.batch_size})")
    p.add_argument("--lr", type=float, default=None, help=f"Adam learning rate (default {d.lr})")
    p.add_argument("--arch", default=d.arch, choices=ARCHS, help="johnson, or fast (stride-2 input, 5× less CPU)")
    p.add_argument("--channels", default="16,32,64", help="network widths c1,c2,c3 (fast: c1,c2)")
    p.add_argument("--kernels", default="9,3", help="input and output conv kernels (fast: 5,3)")
    p.add_argument("--res-blocks", type=int, default=d.res_blocks, help="residual blocks at 1/4 scale")
    p.add_argument(
        "--work-side",
        type=int,
        default=d.work_side,
        help="long side the exported network paints at, then upsampled (0 = the output size)",
    )
    p.add_argument(
        "--coarse",
        default="0,0",
        help="channels,blocks of an optional 1/8-scale stage (larger shapes; 0,0 = none), e.g. 128,2",
    )
    p.add_argument(
        "--init-from",
        default=None,
        help="start from this checkpoint's weights and styles, reshaped to the network given here "
        "(new layers start as identity, missing ones are dropped); a fresh optimiser and step count",
    )


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


RECIPE = (
    "feature_net",
    "style_weight",
    "content_weight",
    "tv_weight",
    "chroma_weight",
    "edge_weight",
    "structure_weight",
    "structure_ratio",
    "adversarial_weight",
    "gan_loss",
    "adv_patch",
    "crop",
    "style_size",
    "batch_size",
    "lr",
)
LAYER_LISTS = {"style_layers": int, "style_layer_weights": float, "content_layers": int, "crop_scale": float}


def recipe_overrides(args: argparse.Namespace) -> dict:
    """Recipe fields given on the command line: they apply to a new run and change a resumed one
    (the network's shape always comes from the checkpoint)."""
    out = {n: getattr(args, n) for n in RECIPE if getattr(args, n) is not None}
    for name, kind in LAYER_LISTS.items():
        if (value := getattr(args, name)) is not None:
            out[name] = tuple(kind(v) for v in value.split(","))
    return out


def config_from(args: argparse.Namespace, style_files: list[Path]) -> StylizeConfig:
    return replace(
        StylizeConfig(),
        arch=args.arch,
        channels=tuple(int(c) for c in args.channels.split(",")),
        kernels=tuple(int(k) for k in args.kernels.split(",")),
        res_blocks=args.res_blocks,
        work_side=args.work_side,
        coarse_channels=int(args.coarse.split(",")[0]),
        coarse_blocks=int(args.coarse.split(",")[1]),
        styles=tuple(p.stem for p in style_files),
        **recipe_overrides(args),
    )


def run(args: argparse.Namespace) -> Path:
    """Train (or resume) and return the path of the last checkpoint."""
    session = start_session(args.device, args.precision, args.seed)
    style_files = style_files_from(args.styles, [s.strip() for s in args.style_names.split(",") if s.strip()])
    train_files, test_files = train_test_files([args.content], args.max_images, args.holdout)
    cfg = config_from(args, style_files)
    state = resume_state(args)
    seed_state = load_checkpoint(Path(args.init_from)) if args.init_from and state is None else None
    if state is not None:
        cfg = replace(StylizeConfig.from_dict(state["config"]), **recipe_overrides(args))
    elif seed_state is not None:
        cfg = replace(cfg, styles=tuple(seed_state["config"]["styles"]))
    for field, kind in PER_STYLE.items():  # validated against the run's styles, known only from its checkpoint
        if getattr(args, field) is not None:
            cfg = replace(cfg, **{field: per_style(getattr(args, field), cfg.styles, field.replace("_", "-"), kind)})
    style_files = style_files_from(args.styles, cfg.styles)  # a checkpoint's styles, in its order
    trainer = StylizeTrainer(cfg, style_files, session)
    if state is not None:
        trainer.load(state)
    elif seed_state is not None:
        new, dropped = grow(trainer.net, trainer.bank, seed_state)
        listed = {"new": ", ".join(new) or "none", "dropped": ", ".join(dropped) or "none"}
        print(f"started from {args.init_from}; layers new: {listed['new']}; dropped: {listed['dropped']}")
    labels = StyleLabel(len(cfg.styles), style_odds(args.style_odds, cfg.styles))
    data = CropDataset(train_files, cfg.crop, cfg.batch_size, cfg.crop_scale, seed=args.seed, transform=labels)
    preview = torch.stack(list(FixedImages((test_files or train_files)[:4], cfg.crop)))
    return fit(trainer, session, data, cfg.batch_size, args, lambda path: trainer.sample(preview, path), "stylize")
