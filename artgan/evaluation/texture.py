"""How seamless a tileable texture is."""

from __future__ import annotations

import numpy as np


def seam_ratio(img_u8: np.ndarray) -> float:
    """Mean |difference| across the wrap seams ÷ mean |difference| of interior neighbours.

    About 1 for a seamless tile (the seam is just another pair of neighbours); a visible
    seam gives several times that. Used by the tests and bench/bench_texture.py.
    """
    x = img_u8.astype(np.float32)
    seam = (np.abs(x[:, 0] - x[:, -1]).mean() + np.abs(x[0] - x[-1]).mean()) / 2
    inner = (np.abs(np.diff(x, axis=1)).mean() + np.abs(np.diff(x, axis=0)).mean()) / 2
    return float(seam / max(inner, 1e-6))
