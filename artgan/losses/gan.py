"""Adversarial losses on discriminator logits: the seed's BCE pair and hinge.

Each entry is (discriminator_loss(real, fake), generator_loss(fake)); logits may be
patch maps of any shape.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F


def bce_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """L_D = −E[log D(x)] − E[log(1 − D(G(z)))] (seed §4.1; Goodfellow et al. 2014)."""
    return F.binary_cross_entropy_with_logits(real, torch.ones_like(real)) + F.binary_cross_entropy_with_logits(
        fake, torch.zeros_like(fake)
    )


def bce_g(fake: torch.Tensor) -> torch.Tensor:
    """Non-saturating L_G = −E[log D(G(z))] (seed §4.1)."""
    return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))


def hinge_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """E[max(0, 1 − D(x))] + E[max(0, 1 + D(G(z)))] (Lim & Ye 2017; SN-PatchGAN)."""
    return F.relu(1 - real).mean() + F.relu(1 + fake).mean()


def hinge_g(fake: torch.Tensor) -> torch.Tensor:
    return -fake.mean()


GAN_LOSSES: dict[str, tuple[Callable, Callable]] = {"bce": (bce_d, bce_g), "hinge": (hinge_d, hinge_g)}


def gan_losses(name: str) -> tuple[Callable, Callable]:
    """(discriminator loss, generator loss) by name; an unknown name lists the known ones."""
    if name not in GAN_LOSSES:
        from artgan.errors import ArtganError

        raise ArtganError(f"unknown GAN loss {name!r}; choose from {sorted(GAN_LOSSES)}")
    return GAN_LOSSES[name]
