"""Gram-matrix texture statistics over an image pyramid, shared by training and fitting.

One Gram matrix per feature layer only sees structures as large as that layer's receptive
field inside the crop; the same statistics on 2×, 4×… average-pooled copies see twice,
four times… larger structures (Snelgrove 2017, "High-resolution multi-scale neural texture
synthesis"): tile courses and whole leaves rather than grout and veins alone.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from artgan.errors import ArtganError
from artgan.features.networks import FeatureNet
from artgan.losses.style import gram, gram_style_loss

# feature net → (tapped stages used for the Gram term, their weights)
GRAM_TAPS: dict[str, tuple[tuple[int, ...], tuple[float, ...]]] = {
    # early stages' raw Gram losses are far larger (as in Stylize)
    "efficientnet_lite0": ((0, 1, 2, 3), (0.5, 0.5, 1.0, 5.0)),
    # Gatys et al. 2015: relu1_1 … relu5_1 equally (tap 4 is relu4_2, their content layer)
    "vgg19": ((0, 1, 2, 3, 5), (1.0, 1.0, 1.0, 1.0, 1.0)),
}


def pyramid(x: torch.Tensor, scales: int) -> list[torch.Tensor]:
    """[N,3,H,W] → [x, x pooled ×2, x pooled ×4, …], `scales` images."""
    out = [x]
    for _ in range(scales - 1):
        out.append(F.avg_pool2d(out[-1], 2))
    return out


class GramPyramid:
    """Gram targets of exemplars and the Gram loss of generated crops, at `scales` pyramid levels."""

    def __init__(self, fnet: FeatureNet, feature_net: str, scales: int = 1) -> None:
        if feature_net not in GRAM_TAPS:
            raise ArtganError(f"no Gram layers for feature net {feature_net!r}; choose from {sorted(GRAM_TAPS)}")
        self.fnet, self.scales = fnet, scales
        self.taps, self.weights = GRAM_TAPS[feature_net]

    def features(self, x: torch.Tensor) -> list[list[torch.Tensor]]:
        """Per pyramid level, the tapped feature maps of x [N,3,H,W] in [0,1]."""
        return [[f[i] for i in self.taps] for f in map(self.fnet, pyramid(x, self.scales))]

    @torch.no_grad()
    def targets(self, images: list[torch.Tensor]) -> list[list[torch.Tensor]]:
        """Whole exemplars [1,3,H,W] each → per level and layer, Gram ÷ M stacked over exemplars: [K, C, C]."""
        per_image = [[[gram(f)[0] / f[0, 0].numel() for f in level] for level in self.features(im)] for im in images]
        return [[torch.stack([g[s][j] for g in per_image]) for j in range(len(self.taps))] for s in range(self.scales)]

    def loss(self, x: torch.Tensor, targets: list[list[torch.Tensor]]) -> torch.Tensor:
        """Σ over levels of the Gram loss of x [N,3,S,S] against per-sample targets ([N, C, C] per level and layer)."""
        total = x.new_zeros(())
        for feats, level_targets in zip(self.features(x), targets, strict=True):
            total = total + gram_style_loss(feats, level_targets, list(self.weights))
        return total
