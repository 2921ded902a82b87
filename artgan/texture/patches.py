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
hold every patch of the texture, which it can only do by packing light and dark parts side
by side (diagonal contrast bands on gravel, 2026-12-05). `window` asks a crop to cover a
random crop-sized window of the exemplar instead (what a real crop could hold), and `mirror`
adds the mirrored exemplar, since the discriminator sees real crops mirrored half the time.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from artgan.errors import ArtganError

PATCH = 16
PROJECTION = 64
CHUNK = 1024  # queries per distance block: bounded memory for long uploads
# pooling level → (query stride, bank stride) in px of that level: denser banks at the coarse level
STRIDES = {1: (4, 2), 2: (2, 1)}
MIN_SIDE = PATCH * 2 ** max(STRIDES)  # the coarsest level must hold one patch
WINDOW_GRID = 8  # px: a coverage window starts on every level's query grid (4 px at ×2, 2 px at ×4)


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
        self, exemplar: torch.Tensor, coverage: float = 1.0, window: int | None = None, mirror: bool = False
    ) -> None:
        """`exemplar` [1,3,H,W] in [0,1] at the scale the generator draws it, both sides ≥ MIN_SIDE;
        `window` (px, ≥ MIN_SIDE): coverage of a random window of that side per call, not of the whole."""
        if min(exemplar.shape[-2:]) < MIN_SIDE:
            raise ArtganError(f"the nearest-patch term needs a texture of at least {MIN_SIDE} px a side")
        if window is not None and window < MIN_SIDE:
            raise ArtganError(f"the nearest-patch coverage window must be at least {MIN_SIDE} px")
        self.coverage, self.window, self.shape = coverage, window, tuple(exemplar.shape[-2:])
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

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Loss of a batch [N,3,S,S] in [0,1] (S ≥ MIN_SIDE): Σ over levels of fidelity + coverage·coverage-distance."""
        if min(x.shape[-2:]) < MIN_SIDE:
            raise ArtganError(f"the nearest-patch term needs crops of at least {MIN_SIDE} px")
        with torch.autocast(x.device.type, enabled=False):  # a bf16 search would pick neighbours by rounding
            x = x.float()
            total = x.new_zeros(())
            place = self.place() if self.window is not None else None
            for level, e, (bank_at, bank_p), (sparse_at, sparse_p) in self.levels:
                y = F.avg_pool2d(x, 2**level)
                query_stride, bank_stride = STRIDES[level]
                q = patches(y, query_stride)
                total = total + distance(q, cut(e, bank_at[nearest(q.detach() @ self.proj, bank_p)]))
                if self.coverage > 0:
                    if place is not None:
                        (image, top, left), f = place, 2**level
                        sparse_at, sparse_p = in_window(
                            sparse_at, sparse_p, image, top // f, left // f, self.window // f
                        )
                    out = patches(y, bank_stride)
                    found = nearest(sparse_p, out.detach() @ self.proj)
                    total = total + self.coverage * distance(out[found], cut(e, sparse_at))
            return total

    def place(self) -> tuple[int, int, int]:
        """A random coverage window's (image, top, left) in exemplar px, on WINDOW_GRID: one for all levels."""
        n, h, w = self.levels[0][1].shape[0], *self.shape
        y = WINDOW_GRID * int(torch.randint(max(h - self.window, 0) // WINDOW_GRID + 1, ()))
        x = WINDOW_GRID * int(torch.randint(max(w - self.window, 0) // WINDOW_GRID + 1, ()))
        return int(torch.randint(n, ())), y, x


def in_window(at: torch.Tensor, projected: torch.Tensor, image: int, y: int, x: int, side: int) -> tuple:
    """The coverage queries (corners [M, 3], their projections) whose patches lie inside a window."""
    keep = (at[:, 0] == image) & (at[:, 1] >= y) & (at[:, 1] <= y + side - PATCH)
    keep &= (at[:, 2] >= x) & (at[:, 2] <= x + side - PATCH)
    return at[keep], projected[keep]
