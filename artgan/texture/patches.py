"""Nearest-patch texture loss: every generated patch should be one the exemplar shows, and back.

Gram statistics (Gatys et al. 2015) match how often features occur, not where: a fit that
matches them can draw herringbone chevrons of the right grey with no joints between them.
Kwatra et al. 2005 ("Texture optimization") score each output patch by its distance to the
nearest exemplar patch, which only a crisp, correctly laid-out patch satisfies. Alone, that
term favours a safe average patch close to many (a flat grey between grout lines), so
Simakov et al. 2008's other direction is added: every exemplar patch should find a near
output patch (coverage), which a bland output fails.

Patches are 16 px on the images average-pooled ×2 and ×4: tiles, bricks and whole courses
rather than grain, which the Gram pyramid already matches. The nearest neighbour is searched
in a fixed random 64-d projection (Johnson–Lindenstrauss; 12× fewer operations), the loss is
the full-dimension distance to it. Only the pooled exemplar and the projections are kept
(a few MB a texture); matched exemplar patches are cut out of it when needed.

For a generator trained on crops, coverage against the whole exemplar asks every crop to
hold every patch of the texture, more than a real crop does (gravel: a real 192 px crop's
coverage distance 4.10 / 3.69 at ×2 / ×4; the step-14600 generator's 3.91 / 3.48), and the
generator got there by packing light and dark parts side by side: diagonal contrast bands.
Given `crop`, coverage is a hinge at the mean of real crops of that size (only a crop less
varied than a real one pays), and `mirror` adds the mirrored exemplar to the bank, since
the discriminator sees real crops mirrored half the time.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
import torch.nn.functional as F

from artgan.errors import ArtganError

PATCH = 16
PROJECTION = 64
CHUNK = 1024  # queries per distance block: bounded memory for long uploads
# pooling level → (query stride, bank stride) in px of that level: denser banks at the coarse level
STRIDES = {1: (4, 2), 2: (2, 1)}
MIN_SIDE = PATCH * 2 ** max(STRIDES)  # the coarsest level must hold one patch
REAL_CROPS = 16  # real crops whose mean coverage distance is the hinge (fixed places)


def patches(x: torch.Tensor, stride: int) -> torch.Tensor:
    """[N,3,H,W] → every PATCH² patch at `stride`, flattened [M, 3·PATCH²] (unfold's channel-major order)."""
    return F.unfold(x, PATCH, stride=stride).transpose(1, 2).reshape(-1, 3 * PATCH * PATCH)


def cut(images: torch.Tensor, corners: torch.Tensor) -> torch.Tensor:
    """The PATCH² patches of images [B,3,H,W] at corners [M, 3] (image, y, x), flattened like `patches`."""
    r = torch.arange(PATCH, device=images.device)
    ys, xs = (corners[:, 1:2] + r)[:, :, None], (corners[:, 2:3] + r)[:, None, :]
    return images[corners[:, 0, None, None], :, ys, xs].permute(0, 3, 1, 2).reshape(len(corners), -1)


def corners(images: int, height: int, width: int, stride: int, device: torch.device) -> torch.Tensor:
    """Corners [M, 3] (image, y, x) of the patches `patches` cuts at `stride`, in the same order."""
    ys = torch.arange(0, height - PATCH + 1, stride, device=device)
    xs = torch.arange(0, width - PATCH + 1, stride, device=device)
    return torch.cartesian_prod(torch.arange(images, device=device), ys, xs)


def nearest(queries: torch.Tensor, bank: torch.Tensor) -> torch.Tensor:
    """Index into `bank` of each query's nearest row (both already projected; no gradient)."""
    with torch.no_grad():
        norms = (bank * bank).sum(1)[None]
        return torch.cat([(norms - 2 * q @ bank.T).argmin(1) for q in queries.split(CHUNK)])


def distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean L2 distance of matched rows (a small epsilon keeps the gradient finite at 0)."""
    return (a - b).pow(2).sum(1).add(1e-8).sqrt().mean()


class PatchLoss:
    """Bidirectional nearest-patch distance of generated images to one exemplar, at pooling ×2 and ×4."""

    def __init__(
        self, exemplar: torch.Tensor, coverage: float = 1.0, crop: int | None = None, mirror: bool = False
    ) -> None:
        """`exemplar` [1,3,H,W] in [0,1] at the scale the generator draws it, both sides ≥ MIN_SIDE;
        `crop` (px): the side of the generated crops, whose coverage then only counts above real crops'."""
        if min(exemplar.shape[-2:]) < MIN_SIDE:
            raise ArtganError(f"the nearest-patch term needs a texture of at least {MIN_SIDE} px a side")
        self.coverage = coverage
        exemplar = exemplar.float()
        if mirror:
            exemplar = torch.cat([exemplar, exemplar.flip(-1)])
        proj = torch.randn(3 * PATCH * PATCH, PROJECTION, generator=torch.Generator().manual_seed(0))
        self.proj = proj.to(exemplar.device) / PROJECTION**0.5
        # per level: the pooled exemplar, and (corners, projections) of its bank and of its coverage queries
        self.levels: list[tuple[int, torch.Tensor, tuple, tuple]] = []
        for level, (query_stride, bank_stride) in STRIDES.items():
            e = F.avg_pool2d(exemplar, 2**level)
            sets = []
            for stride in (bank_stride, query_stride):
                at = corners(*e.shape[:1], *e.shape[-2:], stride, e.device)
                sets.append((at, torch.cat([cut(e, c) @ self.proj for c in at.split(CHUNK)])))
            self.levels.append((level, e, sets[0], sets[1]))
        self.floor = [0.0] * len(self.levels)
        if crop is not None and coverage > 0:
            self.floor = self.real_coverage(exemplar[:1], min(crop, *exemplar.shape[-2:]))

    def real_coverage(self, exemplar: torch.Tensor, crop: int) -> list[float]:
        """Per level, the mean coverage distance of REAL_CROPS crop² windows of the exemplar itself."""
        g = torch.Generator().manual_seed(0)
        h, w = exemplar.shape[-2:]
        total = [0.0] * len(self.levels)
        for _ in range(REAL_CROPS):
            y, x = (int(torch.randint(n - crop + 1, (), generator=g)) for n in (h, w))
            for k, (_, cov) in enumerate(self.terms(exemplar[..., y : y + crop, x : x + crop])):
                total[k] += float(cov) / REAL_CROPS
        return total

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Loss of a batch [N,3,S,S] in [0,1] (S ≥ MIN_SIDE): Σ over levels of fidelity + coverage·coverage-distance
        (with `crop`, only the coverage distance above real crops')."""
        if min(x.shape[-2:]) < MIN_SIDE:
            raise ArtganError(f"the nearest-patch term needs crops of at least {MIN_SIDE} px")
        with torch.autocast(x.device.type, enabled=False):  # a bf16 search would pick neighbours by rounding
            x = x.float()
            total = x.new_zeros(())
            for floor, (fidelity, cov) in zip(self.floor, self.terms(x), strict=True):
                total = total + fidelity
                if self.coverage > 0:
                    total = total + self.coverage * (cov - floor).clamp(min=0)
            return total

    def terms(self, x: torch.Tensor) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Per level: (fidelity, coverage distance) of fp32 images x (coverage 0 when it is off)."""
        for level, e, (bank_at, bank_p), (sparse_at, sparse_p) in self.levels:
            y = F.avg_pool2d(x, 2**level)
            query_stride, bank_stride = STRIDES[level]
            q = patches(y, query_stride)
            fidelity = distance(q, cut(e, bank_at[nearest(q.detach() @ self.proj, bank_p)]))
            cov = x.new_zeros(())
            if self.coverage > 0:
                out = patches(y, bank_stride)
                cov = distance(out[nearest(sparse_p, out.detach() @ self.proj)], cut(e, sparse_at))
            yield fidelity, cov
