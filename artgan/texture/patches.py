"""Nearest-patch texture loss: every generated patch should be one the exemplar shows, and back.

Gram statistics (Gatys et al. 2015) match how often features occur, not where: a fit that
matches them can draw herringbone chevrons of the right grey with no joints between them.
Kwatra et al. 2005 ("Texture optimization") score each output patch by its distance to the
nearest exemplar patch, which only a crisp, correctly laid-out patch satisfies. Alone, that
term favours a safe average patch close to many (a flat grey between grout lines), so
Simakov et al. 2008's other direction is added: every exemplar patch should find a near
output patch (coverage), which a bland output fails.

Patches are 16 px on the batch average-pooled ×2 and ×4: tiles, bricks and whole courses
rather than grain, which the Gram pyramid already matches. The nearest neighbour is searched
in a fixed random 64-d projection (Johnson–Lindenstrauss; 12× fewer operations), the loss is
the full-dimension distance to it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

PATCH = 16
PROJECTION = 64
# pooling level → (query stride, bank stride) in px of that level: denser banks at the coarse level
STRIDES = {1: (4, 2), 2: (2, 1)}


def patches(x: torch.Tensor, stride: int) -> torch.Tensor:
    """[N,3,H,W] → every PATCH² patch at `stride`, flattened [M, 3·PATCH²]."""
    return F.unfold(x, PATCH, stride=stride).transpose(1, 2).reshape(-1, 3 * PATCH * PATCH)


def nearest(queries: torch.Tensor, bank: torch.Tensor) -> torch.Tensor:
    """Index into `bank` of each query's nearest row (both already projected; no gradient)."""
    with torch.no_grad():
        return ((bank * bank).sum(1)[None] - 2 * queries @ bank.T).argmin(1)


def distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean L2 distance of matched rows (a small epsilon keeps the gradient finite at 0)."""
    return (a - b).pow(2).sum(1).add(1e-8).sqrt().mean()


class PatchLoss:
    """Bidirectional nearest-patch distance of generated images to one exemplar at pooled levels."""

    def __init__(self, exemplar: torch.Tensor, levels: tuple[int, ...] = (1, 2), coverage: float = 1.0) -> None:
        """`exemplar` [1,3,H,W] in [0,1], at the scale the generator draws it."""
        self.levels, self.coverage = levels, coverage
        self.proj = torch.randn(3 * PATCH * PATCH, PROJECTION, generator=torch.Generator().manual_seed(0))
        self.proj = self.proj.to(exemplar.device) / PROJECTION**0.5
        self.banks, self.sparse = [], []  # per level: (patches, their projection)
        for level in levels:
            e = F.avg_pool2d(exemplar, 2**level)
            query_stride, bank_stride = STRIDES[level]
            for out, stride in ((self.banks, bank_stride), (self.sparse, query_stride)):  # sparse: coverage queries
                p = patches(e, stride)
                out.append((p, p @ self.proj))

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Loss of a batch [N,3,S,S] in [0,1]: Σ over levels of fidelity + coverage·coverage-distance."""
        total = x.new_zeros(())
        for level, bank, sparse in zip(self.levels, self.banks, self.sparse, strict=True):
            y = F.avg_pool2d(x, 2**level)
            query_stride, bank_stride = STRIDES[level]
            q = patches(y, query_stride)
            total = total + distance(q, bank[0][nearest(q.detach() @ self.proj, bank[1])])
            if self.coverage > 0:
                out = patches(y, bank_stride)
                found = nearest(sparse[1], out.detach() @ self.proj)
                total = total + self.coverage * distance(out[found], sparse[0])
        return total
