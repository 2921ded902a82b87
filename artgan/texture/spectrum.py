"""Wave vectors for PSGAN's periodic channels read off an exemplar's power spectrum.

Gradient descent on a frequency barely moves it to the right one (the loss is flat or
oscillating between periods), so regular textures (tiles, bricks) trained from random wave
vectors place their joints at random: courses straight, joints misaligned. The exemplar's
own lattice is in its spectrum: its strongest peaks are the reciprocal lattice vectors.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.ndimage import maximum_filter

from artgan.texture.config import CELL

PAD = 4  # zero-padding factor of the FFT
PROMINENCE = 10


def spectral_waves(image: np.ndarray, count: int, cell: int = CELL, min_share: float = 0.05) -> np.ndarray:
    """[count, 2] wave vectors (ky, kx) in radians per cell, strongest first; zeros where the exemplar has fewer peaks.

    Peaks: local maxima of the Hann-windowed, zero-padded luminance power spectrum, made
    symmetric under the horizontal mirror (training crops are mirrored half the time), on the
    half-plane ky > 0, with periods from 0.9 × the cell grid's Nyquist limit to half the
    exemplar's short side, ≥ 10× the median power there and ≥ `min_share` of the strongest;
    positions refined by a parabola through the log power (a wave off by a fraction of a bin
    drifts by whole tiles across a picture).
    """
    grey = np.asarray(image, np.float64)
    grey = grey.mean(axis=2) if grey.ndim == 3 else grey
    h, w = grey.shape
    grey = (grey - grey.mean()) * np.outer(np.hanning(h), np.hanning(w))
    h, w = PAD * h, PAD * w  # zero-padded: the spectrum sampled PAD× finer
    power = np.abs(np.fft.fft2(grey, s=(h, w))) ** 2
    power = power + power[:, (-np.arange(w)) % w]  # the mirror's spectrum: kx → −kx
    ky = np.fft.fftfreq(h)[:, None] * 2 * math.pi * cell
    kx = np.fft.fftfreq(w)[None, :] * 2 * math.pi * cell
    norm = np.hypot(ky, kx)
    band = (norm < 0.9 * math.pi) & (norm > 2 * math.pi * cell * PAD / (min(h, w) / 2))
    half = (ky > 0) | ((ky == 0) & (kx > 0))
    peak = power == maximum_filter(power, size=2 * PAD + 1, mode="wrap")
    ys, xs = np.nonzero(band & half & peak)
    order = np.argsort(power[ys, xs])[::-1]
    waves = np.zeros((count, 2))
    if not len(order):
        return waves
    # a peak stands clear of the spectrum (≥ 10× its median: gravel and grass have none) and of the strongest
    floor = max(PROMINENCE * np.median(power[band]), min_share * power[ys[order[0]], xs[order[0]]])
    logp = np.log(power + 1e-12)
    for j, i in enumerate(order[:count]):
        y, x = ys[i], xs[i]
        if power[y, x] <= floor:
            break
        dy = parabola_offset(logp[(y - 1) % h, x], logp[y, x], logp[(y + 1) % h, x])
        dx = parabola_offset(logp[y, (x - 1) % w], logp[y, x], logp[y, (x + 1) % w])
        waves[j] = (ky[y, 0] + dy * 2 * math.pi * cell / h, kx[0, x] + dx * 2 * math.pi * cell / w)
    return waves


def parabola_offset(left: float, mid: float, right: float) -> float:
    """Where the parabola through three equally spaced samples peaks, in samples from the middle (|·| ≤ ½)."""
    curve = left - 2 * mid + right
    return 0.0 if curve >= 0 else float(np.clip(0.5 * (left - right) / curve, -0.5, 0.5))


def lattice_waves(k: np.ndarray, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Wave vectors [P, 2] (ky, kx) snapped to the lattice of a rows×cols-cell repeat, and which moved.

    On it every channel repeats every rows×cols cells, sampled at the same sub-cell phases in
    each repeat, so the network sees one layout with no beats between channels. Channels that
    snap to zero (the slow colour waves) are left as they are.
    """
    step = 2 * math.pi / np.array([rows, cols], np.float64)
    snapped = np.round(k / step) * step
    on = np.abs(snapped).sum(axis=1) > 0
    if (np.abs(snapped[on]) >= 0.99 * math.pi).any():
        raise ValueError(f"a {rows}×{cols}-cell repeat puts a wave at the cell grid's Nyquist limit: use a larger one")
    return np.where(on[:, None], snapped, k), on
