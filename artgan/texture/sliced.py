"""Sliced Wasserstein feature loss over an image pyramid: the whole feature distribution, not its Gram.

A Gram matrix keeps second moments only, so an exemplar of many-coloured tiles and its grey
average look alike to it (seen when fitting fish-scale tiles: grey slabs). Sorting random 1-D
projections of the feature vectors compares entire distributions at O(M log M) cost
(Heitz et al. 2021, "A Sliced Wasserstein Loss for Neural Texture Synthesis"); on the same
pyramid and layers as the Gram term.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from artgan.texture.gram import GramPyramid

MAX_SAMPLES = 4096  # feature vectors kept per exemplar, layer and level (sorted quantiles need no more)


class SlicedWassersteinPyramid(GramPyramid):
    """Exemplar feature samples as targets; the loss compares sorted projections on fresh random directions."""

    @torch.no_grad()
    def targets(self, images: list[torch.Tensor]) -> list[list[torch.Tensor]]:
        """Whole exemplars [1,3,H,W] → per level and layer, feature samples [K, C, M] (M alike for all)."""
        gen = torch.Generator().manual_seed(0)
        per_image = [self.features(im) for im in images]
        out = []
        for s in range(self.scales):
            level = []
            for j in range(len(self.taps)):
                flats = [f[s][j][0].flatten(1) for f in per_image]  # [C, HW] each
                m = min(MAX_SAMPLES, *(f.shape[1] for f in flats))
                level.append(torch.stack([f[:, torch.randperm(f.shape[1], generator=gen)[:m]] for f in flats]))
            out.append(level)
        return out

    def loss(self, x: torch.Tensor, targets: list[list[torch.Tensor]]) -> torch.Tensor:
        """Σ over levels and layers of the mean squared gap between sorted projections of x and target features."""
        total = x.new_zeros(())
        for feats, level_targets in zip(self.features(x), targets, strict=True):
            for f, t, w in zip(feats, level_targets, self.weights, strict=True):
                total = total + w * sliced_distance(f.flatten(2), t)
        return total


def sliced_distance(f: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """f [N, C, P] against t [N, C, M]: project both on C random unit directions, sort, compare quantiles."""
    c = f.shape[1]
    dirs = F.normalize(torch.randn(c, c, device=f.device), dim=0)  # columns: unit directions
    pf = torch.einsum("ncp,cd->ndp", f.float(), dirs).sort(dim=2).values
    pt = torch.einsum("ncm,cd->ndm", t.float(), dirs).sort(dim=2).values
    if pt.shape[2] != pf.shape[2]:  # the targets' quantiles at the output's sample count
        pt = F.interpolate(pt, size=pf.shape[2], mode="linear", align_corners=True)
    return (pf - pt).pow(2).mean()
