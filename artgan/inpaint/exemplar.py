"""Real texture in large holes: multi-scale PatchMatch guided by the network's fill.

The network fills a large hole with the right colours and structure but smoothly (issue 18:
~0.15 of the photo's fine detail). Here each hole pixel's patch is matched to a patch of the
known picture (PatchMatch, Barnes et al. 2009: propagation and random search, vectorised over
all hole pixels at once, coarse to fine, starting from the network's fill), the matches are
copied in, and only their high frequencies are kept on top of the network's low ones: its
colours and structure stay (hole L1), the grain is the picture's own (detail), held to the
strength of the detail around the hole (`detail_gain`). numpy + OpenCV only: it runs in the
app process.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

RADIUS = 2  # patches of (2·RADIUS+1)² pixels
COHERENCE = 0.6  # cost factor of an offset a neighbour uses: whole patches get copied, not pixel salad
GUARD_PX = 3  # sources keep this far from the hole: a mask drawn a little short leaves the object's rim
WORK_SIDE = 256  # matching runs at most at this long side; the field is scaled up to copy full-size pixels
COARSEST_DEPTH = 4.0  # levels are added until the hole is at most this many pixels deep…
COARSEST_SIDE = 32  # …or the picture would get shorter than this
COARSE_ITERATIONS = 6  # PatchMatch iterations at the coarsest level (random start)
ITERATIONS = 2  # …and at each finer one (started from the coarser field)…
FINE_RADIUS = 4  # …whose random search then stays within this many px
DETAIL_SIGMA = 1.0  # Gaussian sigma (px) splitting the network's low frequencies from the copy's high ones
FADE_PX = 6.0  # the copied detail fades in over this many px from the hole's edge: no seam
ENERGY_HEADROOM = 1.25  # copied detail's amplitude ≤ this × the nearest known detail's (see detail_gain)
ENERGY_CELLS = 64.0  # detail energy is compared over cells of 1/this of the hole's box…
ENERGY_SIGMA = 2.0  # …and carried into the hole with a Gaussian of this many cells

NEIGHBOURS = ((-1, 0), (1, 0), (0, -1), (0, 1))


def texture_fill(fill_u8: np.ndarray, hole: np.ndarray, seed: int = 0) -> np.ndarray:
    """The network's fill with the picture's own texture added in the hole.

    fill_u8: HWC uint8, the picture with its hole filled by the network; hole: bool [H,W];
    seed: PatchMatch's random start and search (fixed: a picture always gets the same fill).
    Returns HWC uint8 equal to fill_u8 outside the hole: in it the fill's low frequencies plus
    the high frequencies of patches copied from the known part, away from the hole's rim.
    """
    h, w = hole.shape
    scale = min(1.0, WORK_SIDE / max(h, w))
    small = cv2.resize(fill_u8, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    small_hole = cv2.resize(hole.astype(np.float32), small.shape[1::-1], interpolation=cv2.INTER_AREA) > 0
    field = match(small, small_hole, max(1, round(GUARD_PX * scale)), np.random.default_rng(seed))
    if field is None:  # no known patch to copy from: the network's fill as it is
        return fill_u8.copy()
    return blend(fill_u8, copy_pixels(fill_u8, hole, field, scale), hole)


def windows(img: np.ndarray) -> np.ndarray:
    """Every pixel's patch of `img` (HWC) as a view [H, W, C, side, side] (edges reflected, no copy)."""
    pad = cv2.copyMakeBorder(img, RADIUS, RADIUS, RADIUS, RADIUS, cv2.BORDER_REFLECT_101)
    return sliding_window_view(pad, (2 * RADIUS + 1, 2 * RADIUS + 1), axis=(0, 1))


class Level:
    """One pyramid level: the known patches and the hole's nearest-neighbour field.

    The field maps every hole pixel (ty, tx) to the centre (sy, sx) of a known patch; a
    patch is a source when all its pixels lie outside the hole grown by `guard` px.
    Offsets are kept as integer keys on a padded grid so that a target reads its four
    neighbours' offsets without bounds checks (coherence, propagation).
    """

    def __init__(self, img: np.ndarray, hole: np.ndarray, guard: int, rng: np.random.Generator) -> None:
        self.h, self.w = hole.shape
        self.rng = rng
        self.ty, self.tx = np.nonzero(hole)
        self.n = len(self.ty)
        grown = cv2.dilate(hole.astype(np.uint8), np.ones((2 * guard + 1, 2 * guard + 1), np.uint8))
        side = 2 * RADIUS + 1
        known = cv2.erode((grown == 0).astype(np.uint8), np.ones((side, side), np.uint8), borderValue=0)
        self.valid = known > 0
        self.sources = np.flatnonzero(self.valid)
        self.patches = windows(img)
        self.keys = np.full((self.h + 2, self.w + 2), -1, np.int64)
        self.span = 2 * self.w + 1
        # cover[p, k]: the target whose patch covers target p with its tap k (self.n: none), for voting
        index = np.full((self.h + 2 * RADIUS, self.w + 2 * RADIUS), self.n, np.int64)
        index[self.ty + RADIUS, self.tx + RADIUS] = np.arange(self.n)
        taps = [(dy, dx) for dy in range(side) for dx in range(side)]
        self.cover = np.stack([index[self.ty + 2 * RADIUS - dy, self.tx + 2 * RADIUS - dx] for dy, dx in taps], 1)
        self.votes = (self.cover < self.n).sum(1)[:, None].astype(np.float32)
        self.sy = self.sx = self.cost = self.target = np.empty(0)

    def key(self, idx: np.ndarray | slice, sy: np.ndarray, sx: np.ndarray) -> np.ndarray:
        """One integer ≥ 0 per offset (sy − ty, sx − tx) of targets idx."""
        return (sy - self.ty[idx] + self.h) * self.span + (sx - self.tx[idx] + self.w)

    def usable(self, sy: np.ndarray, sx: np.ndarray) -> np.ndarray:
        ok = (sy >= 0) & (sy < self.h) & (sx >= 0) & (sx < self.w)
        ok[ok] = self.valid[sy[ok], sx[ok]]
        return ok

    def start(self, sy: np.ndarray, sx: np.ndarray) -> None:
        """Take a field; unusable sources are replaced by random ones."""
        bad = ~self.usable(sy, sx)
        sy, sx = sy.copy(), sx.copy()
        sy[bad], sx[bad] = np.divmod(self.sources[self.rng.integers(0, len(self.sources), int(bad.sum()))], self.w)
        self.sy, self.sx = sy, sx
        self.keys[self.ty + 1, self.tx + 1] = self.key(slice(None), sy, sx)

    def match_to(self, est: np.ndarray) -> None:
        """New target patches (the estimate changed): recompute the current matches' costs."""
        self.target = windows(est)[self.ty, self.tx].reshape(self.n, -1)
        everyone = np.arange(self.n)
        self.cost = self.costs(
            everyone, self.sy, self.sx, self.coherent(everyone, self.key(everyone, self.sy, self.sx))
        )

    def coherent(self, idx: np.ndarray, key: np.ndarray) -> np.ndarray:
        """Whether a neighbour of each target idx already uses offset `key`."""
        y, x, k = self.ty[idx] + 1, self.tx[idx] + 1, self.keys
        return (k[y - 1, x] == key) | (k[y + 1, x] == key) | (k[y, x - 1] == key) | (k[y, x + 1] == key)

    def costs(self, idx: np.ndarray, sy: np.ndarray, sx: np.ndarray, coherent: np.ndarray) -> np.ndarray:
        """Sum of squared differences of the patches, discounted where the offset is a neighbour's."""
        target = self.target[idx]
        diff = np.subtract(self.patches[sy, sx].reshape(target.shape), target, dtype=np.float32)
        cost = np.einsum("ij,ij->i", diff, diff)
        return np.where(coherent, COHERENCE * cost, cost)

    def offer(self, idx: np.ndarray, sy: np.ndarray, sx: np.ndarray, coherent: np.ndarray | None = None) -> None:
        """Candidate sources for targets idx: kept where usable and cheaper than the current match.

        coherent None: the candidates are neighbours' offsets (propagation), coherent by construction.
        """
        ok = self.usable(sy, sx)
        idx, sy, sx = idx[ok], sy[ok], sx[ok]
        coherent = np.ones(len(idx), bool) if coherent is None else coherent[ok]
        cost = self.costs(idx, sy, sx, coherent)
        better = cost < self.cost[idx]
        idx, sy, sx = idx[better], sy[better], sx[better]
        self.sy[idx], self.sx[idx], self.cost[idx] = sy, sx, cost[better]
        self.keys[self.ty[idx] + 1, self.tx[idx] + 1] = self.key(idx, sy, sx)

    def iterate(self, radius: int) -> None:
        """Propagation from the four neighbours, then random search within `radius`, halving to 1 px.

        A neighbour's offset that a target already uses is not tried again: in coherent
        areas that skips most of the propagation work.
        """
        everyone = np.arange(self.n)
        for dy, dx in NEIGHBOURS:
            key = self.keys[self.ty + 1 + dy, self.tx + 1 + dx]
            new = np.flatnonzero((key >= 0) & (key != self.keys[self.ty + 1, self.tx + 1]))
            oy, ox = np.divmod(key[new], self.span)
            self.offer(new, self.ty[new] + oy - self.h, self.tx[new] + ox - self.w)
        while radius >= 1:
            sy = self.sy + self.rng.integers(-radius, radius + 1, self.n)
            sx = self.sx + self.rng.integers(-radius, radius + 1, self.n)
            self.offer(everyone, sy, sx, self.coherent(everyone, self.key(everyone, sy, sx)))
            radius //= 2

    def vote(self, est: np.ndarray) -> np.ndarray:
        """The estimate with each hole pixel the mean of the matched patches covering it."""
        matched = self.patches[self.sy, self.sx].reshape(self.n, est.shape[2], -1).transpose(0, 2, 1)
        matched = np.concatenate([matched, np.zeros((1, *matched.shape[1:]), matched.dtype)])  # row n: no patch
        total = matched[self.cover, np.arange(self.cover.shape[1])].sum(1, dtype=np.float32)
        out = est.copy()
        out[self.ty, self.tx] = total / self.votes + 0.5  # rounded into est's uint8
        return out


def pyramid(img: np.ndarray, hole: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(picture, hole) halved until the hole is at most COARSEST_DEPTH px deep; finest first.

    A coarse pixel counts as hole when any fine hole pixel reaches it through pyrDown's
    5×5 kernel, so coarse known pixels never carry the fill.
    """
    levels = [(img, hole)]
    depth = float(cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3).max())
    while depth > COARSEST_DEPTH and min(hole.shape) // 2 >= COARSEST_SIDE:
        img, hole = cv2.pyrDown(img), cv2.pyrDown(hole.astype(np.float32)) > 0
        levels.append((img, hole))
        depth /= 2
    return levels


def match(img_u8: np.ndarray, hole: np.ndarray, guard: int, rng: np.random.Generator) -> np.ndarray | None:
    """Coarse-to-fine field: [H,W,2] source (y, x) of every hole pixel; None without any source patch.

    The coarsest estimate is the network's fill. After each PatchMatch iteration the matched
    patches are voted in and the estimate becomes the fill's low frequencies plus their
    detail (`blend`), so the matches follow the network's structure at every level instead
    of drifting to whatever the first copy looked like; each finer level starts from the
    coarser field, scaled up.
    """
    levels = pyramid(img_u8, hole)
    field = None
    for i, (img, hole_l) in enumerate(reversed(levels)):
        level = Level(img, hole_l, max(1, guard >> (len(levels) - 1 - i)), rng)
        if not len(level.sources):
            return None
        if field is None:
            level.start(np.full(level.n, -1), np.full(level.n, -1))
            est, radius, iterations = img, max(level.h, level.w), COARSE_ITERATIONS
        else:
            cy, cx = np.minimum(level.ty // 2, field.shape[0] - 1), np.minimum(level.tx // 2, field.shape[1] - 1)
            level.start(2 * field[cy, cx, 0] + level.ty % 2, 2 * field[cy, cx, 1] + level.tx % 2)
            est, radius, iterations = blend(img, level.vote(img), hole_l), FINE_RADIUS, ITERATIONS
        level.match_to(est)
        for _ in range(iterations):
            level.iterate(radius)
            est = blend(img, level.vote(est), hole_l)
            level.match_to(est)
        field = np.full((level.h, level.w, 2), -(10**6), np.int64)  # far outside: "no match" when scaled up
        field[level.ty, level.tx, 0], field[level.ty, level.tx, 1] = level.sy, level.sx
    return field


def copy_pixels(fill_u8: np.ndarray, hole: np.ndarray, field: np.ndarray, scale: float) -> np.ndarray:
    """Each hole pixel copied from its match, the field (found at `scale`) scaled to full size.

    Copying full-size pixels along scaled-up offsets keeps the picture's full-size grain
    when matching ran on a smaller copy; pixels whose source falls in the hole keep the fill.
    """
    h, w = hole.shape
    ys, xs = np.nonzero(hole)
    wy = np.minimum((ys * scale).astype(np.int64), field.shape[0] - 1)
    wx = np.minimum((xs * scale).astype(np.int64), field.shape[1] - 1)
    sy = ys + np.round((field[wy, wx, 0] - wy) / scale).astype(np.int64)
    sx = xs + np.round((field[wy, wx, 1] - wx) / scale).astype(np.int64)
    ok = (sy >= 0) & (sy < h) & (sx >= 0) & (sx < w)
    ok[ok] = ~hole[sy[ok], sx[ok]]
    out = fill_u8.copy()
    out[ys[ok], xs[ok]] = fill_u8[sy[ok], sx[ok]]
    return out


def blend(fill_u8: np.ndarray, copy_u8: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """fill's low frequencies + copy's high ones in the hole; elsewhere fill (HWC uint8).

    The copied detail fades in over FADE_PX from the hole's edge (no seam) and is scaled by
    `detail_gain`. Works on the hole's bounding box plus a band of known picture around it
    (the blur's reach, and ⅛ of the box for `detail_gain` to see the surroundings): on a
    2048² picture the crops have millions of pixels.
    """
    x, y, w, h = cv2.boundingRect(hole.astype(np.uint8))
    reach = int(4 * DETAIL_SIGMA) + 1 + max(w, h) // 8
    box = np.s_[max(0, y - reach) : y + h + reach, max(0, x - reach) : x + w + reach]
    inside = hole[box]
    fill, fill_high, copy_high = fill_u8[box], high_frequencies(fill_u8[box]), high_frequencies(copy_u8[box])
    ys, xs = np.nonzero(inside)
    gain = detail_gain(fill_high, copy_high, inside)[ys, xs, None]
    depth = cv2.distanceTransform(inside.astype(np.uint8), cv2.DIST_L2, 3)[ys, xs, None]
    alpha = np.clip(depth / FADE_PX, 0.0, 1.0)
    # fill + alpha·(low(fill) + gain·high(copy) − fill), and low(fill) − fill = −high(fill)
    out = fill_u8.copy()
    new = fill[ys, xs] + alpha * (gain * copy_high[ys, xs] - fill_high[ys, xs])
    out[box][ys, xs] = (new + 0.5).clip(0, 255).astype(np.uint8)
    return out


def high_frequencies(img_u8: np.ndarray) -> np.ndarray:
    """img minus its Gaussian blur (sigma DETAIL_SIGMA), float32 HWC."""
    return img_u8.astype(np.float32) - cv2.GaussianBlur(img_u8, (0, 0), DETAIL_SIGMA)


def detail_gain(fill_high: np.ndarray, copy_high: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Per pixel [H,W], the factor that brings the copied detail's energy to at most
    ENERGY_HEADROOM × the energy the known picture has nearest to it.

    Patches are matched on colour, so a smooth sky next to a hole can be matched to rocks of
    the same colour elsewhere; their detail would etch squiggles into the sky. Detail energy
    (squared high frequencies) is averaged over cells of ~1/ENERGY_CELLS of the box; the
    known cells' energy is carried into the hole by normalised convolution (Gaussian, sigma
    ENERGY_SIGMA cells); cells beyond the kernel's reach get the mean of all known cells.
    The headroom above 1: the cells' averages undercount textured spots (bench_inpaint, 12
    held-out pictures, large holes: headroom 1 / 1.25 / 1.5 → detail 0.58 / 0.67 / 0.75,
    hole L1 0.0692 / 0.0696 / 0.0698).
    """
    h, w = hole.shape
    f = min(1.0, ENERGY_CELLS / max(h, w))
    size = (max(1, round(w * f)), max(1, round(h * f)))

    def cells(img: np.ndarray) -> np.ndarray:
        return cv2.resize(img, size, interpolation=cv2.INTER_AREA)

    known = (~hole).astype(np.float32)
    share = cells(known)
    fill_energy = cells((fill_high**2).sum(-1) * known)
    weight = cv2.GaussianBlur(share, (0, 0), ENERGY_SIGMA)
    near = cv2.GaussianBlur(fill_energy, (0, 0), ENERGY_SIGMA) / np.maximum(weight, 1e-12)
    near[weight < 1e-12] = fill_energy.sum() / max(float(share.sum()), 1e-9)
    copied = cells((copy_high**2).sum(-1) * (1 - known)) / np.maximum(1 - share, 1e-3)
    gain = np.sqrt(near / np.maximum(copied, 1e-6)).clip(0, ENERGY_HEADROOM)
    return cv2.resize(gain, (w, h), interpolation=cv2.INTER_LINEAR)
