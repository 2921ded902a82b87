"""The Inpaint recipe: one frozen dataclass, saved inside every checkpoint."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class InpaintConfig:
    # generator: gated convs (DeepFill v2) down to 1/8 scale, dilated gated res blocks there
    channels: tuple[int, ...] = (16, 32, 48, 64)
    dilations: tuple[int, ...] = (2, 4, 8)
    ffc_blocks: int = 0  # fast Fourier conv residual blocks after the dilated ones (LaMa); 0 = shipped generator
    ffc_global: float = 0.75  # share of their channels on the global (Fourier) path, LaMa's ratio_gin
    prefill_radius: int = 1  # px, OpenCV Navier–Stokes: the fill the generator starts from…
    prefill_blur: float = 3.0  # …blurred in the hole with this Gaussian sigma (px), fading in over as many px
    # discriminator (SN-PatchGAN on RGB + mask) and losses
    disc_base: int = 32
    disc_layers: int = 4
    gan_loss: str = "hinge"
    l1_hole: float = 6.0
    l1_valid: float = 1.0
    perceptual: float = 0.03
    perceptual_layers: tuple[int, ...] = (0, 1, 2)
    colour: float = 2.0  # L1 of 8× box-blurred output vs target inside the hole
    ssim: float = 1.0  # 1 − SSIM (skimage's 7×7 window) over the hole of the composite
    adversarial: float = 0.01
    feature_net: str = "efficientnet_lite0"
    masks: str = "mixed"  # a mix from masks.MIXES (or one kind): `wide` adds large holes (issue 18)
    crop: int = 160
    batch_size: int = 6
    lr: float = 2e-4

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> InpaintConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items() if k in known})
