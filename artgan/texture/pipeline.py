"""Texture synthesis with ONNX Runtime: what the app and the CLI call (numpy only, no torch).

The graph maps a noise field (one cell = 16 px) to pixels with 'valid' convolutions, so
an output pixel depends only on a window of cells around it. Hence:
- any size: the field is generated whole from the seed (cheap: 1/256 of the pixels) and
  run in windows; the stitched image equals a one-shot run exactly;
- seamless tiling: a periodic field (wrapped local noise, wave vectors snapped to whole
  periods, Bergmann et al. 2017 §3.3) gives a periodic image;
- morphing: the global code and wave vectors are interpolated between two textures;
- a fitted texture may carry a low-rank adapter for the coarse layers (<name>.adapter.npz):
  its session is the same graph with those initialisers replaced (no re-export), and a
  morph blends the adapters' weight changes like the codes.
Order of operations mirrors the Texture tab: texture → morph → size → seed → tileable.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from artgan.errors import ArtganError
from artgan.runtime.images import resize_u8
from artgan.runtime.library import Vector, VectorLibrary
from artgan.runtime.manifest import WEIGHTS_DIR
from artgan.runtime.sessions import parallel_workers, session_with_weights, warm_up

log = logging.getLogger(__name__)

MODEL_ID = "texture"
MIN_SIDE, MAX_SIDE = 64, 4096
WINDOW_CELLS = 64  # 1024 px per window: bounded memory (~0.3 GB) at any output size
MAX_SEED = 2**31 - 1
ADAPTED_SESSIONS = 4  # sessions with replaced weights kept (learned textures or morphs in use)

LATTICE_SHIFT = 1024  # whole cells; as artgan.texture.model (not imported: no torch here)

# (adapter file, coefficient) per texture of a morph that has one: weights = base + Σ coefficient·Δ
AdapterMix = tuple[tuple[Path, float], ...]
# a lattice texture's periodic channels with coupled phases [P] bool, and its repeat in cells (rows, cols)
# when one texture's waves are used as they are (None in a morph between two)
Lattice = tuple[np.ndarray, tuple[int, int] | None]


class TextureError(ArtganError):
    """An unknown texture, a bad size or seed, or an unusable texture file."""


Texture = Vector  # a texture is the generator's global code and wave vectors, [G + 2P] (+ a learned adapter)


def load_adapter(path: Path) -> tuple[str, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """<name>.adapter.npz → (sha256 of the texture model it was fitted on, initialiser → (base, Δ)).

    Stored as base weights plus low-rank factors (Hu et al. 2021, LoRA): Δ = up @ down,
    reshaped like the base. The base travels along so a blend needs no ONNX parser.
    """
    try:
        with np.load(path) as z:
            sha = str(z["model_sha256"])
            names = [k.split(":", 1)[1] for k in z.files if k.startswith("base:")]
            layers = {n: (z[f"base:{n}"], (z[f"up:{n}"] @ z[f"down:{n}"]).reshape(z[f"base:{n}"].shape)) for n in names}
    except (OSError, ValueError, KeyError) as exc:
        raise TextureError(f"{path.name} is not a texture adapter file") from exc
    return sha, layers


def user_textures_dir() -> Path:
    """Where learned textures are saved: ARTGAN_USER_TEXTURES or ~/.artgan/textures."""
    return Path(os.environ.get("ARTGAN_USER_TEXTURES", Path.home() / ".artgan" / "textures"))


class TextureLibrary(VectorLibrary):
    """The shipped textures of the manifest plus the user's learned ones, by id."""

    noun, rows, error = "texture", "textures", TextureError

    def __init__(self, weights_dir: Path = WEIGHTS_DIR, user_dir: Path | None = None) -> None:
        super().__init__(weights_dir, user_dir or user_textures_dir(), MODEL_ID)
        self.cell, self.margin = int(self.entry["cell"]), int(self.entry["margin"])
        noise = self.entry["noise"]
        self.local_dim, self.global_dim, self.periodic_dim = noise["local"], noise["global"], noise["periodic"]
        self.pad = math.ceil(self.margin / self.cell)  # cells of context around every window
        self.adapted: OrderedDict[tuple, object] = OrderedDict()  # (mix with file times, threads, spin) → session
        self.adapted_lock = threading.Lock()
        self.lattices = {row["id"]: row["lattice"] for row in self.entry[self.rows] if "lattice" in row}

    @property
    def textures(self) -> dict[str, Vector]:
        return self.items

    @property
    def dim(self) -> int:
        """Global code + (ky, kx) per periodic channel."""
        noise = self.entry["noise"]
        return noise["global"] + 2 * noise["periodic"]

    def add_file(self, path: Path, item_id: str | None = None) -> Vector:
        """A learned texture; its adapter, if any, must have been fitted on this model."""
        item = super().add_file(path, item_id)
        if item.adapter is not None and load_adapter(item.adapter)[0] != self.entry["sha256"]:
            self.items.pop(item.id)
            raise TextureError(f"{item.adapter.name} was fitted on another texture model; learn it again")
        return item

    def adapter_mix(self, a: str, b: str | None = None, t: float = 0.0) -> AdapterMix | None:
        """The adapters of a morph, weighted like the codes; None when neither texture has one."""
        pairs = [(self.get(a).adapter, 1.0 - t)] + ([(self.get(b).adapter, t)] if b is not None else [])
        mix = tuple((path, coef) for path, coef in pairs if path is not None and coef > 0)
        return mix or None

    def session(self, threads: int | None = None, spin: bool | None = None, mix: AdapterMix | None = None):
        """The shipped graph's session, or (with `mix`) one with the blended adapter weights (a few cached)."""
        if mix is None:
            return super().session(threads, spin)
        key = (tuple((path, path.stat().st_mtime_ns, coef) for path, coef in mix), threads, spin)  # relearned: new
        with self.adapted_lock:
            if key not in self.adapted:
                self.adapted[key] = session_with_weights(self.model_path, blended_weights(mix), threads, spin)
                while len(self.adapted) > ADAPTED_SESSIONS:
                    self.adapted.popitem(last=False)
            self.adapted.move_to_end(key)
            return self.adapted[key]

    def morph(self, a: str, b: str | None = None, t: float = 0.0) -> np.ndarray:
        """(1 − t)·params(a) + t·params(b): codes and wave vectors interpolated together."""
        if not 0.0 <= t <= 1.0:
            raise TextureError(f"morph must be between 0 and 1, not {t}")
        pa = self.get(a).params
        if b is None or t == 0.0:
            return pa
        return ((1.0 - t) * pa + t * self.get(b).params).astype(np.float32)

    def lattice(self, a: str, b: str | None = None, t: float = 0.0) -> Lattice | None:
        """The coupled channels of a texture or of a morph (either side's); None for free waves only."""
        names = [a] if b is None or t == 0.0 else [b] if t == 1.0 else [a, b]
        rows = [self.lattices[i] for i in (self.get(n).id for n in names) if i in self.lattices]
        if not rows:
            return None
        on = np.zeros(self.periodic_dim, bool)
        for row in rows:
            on[row["channels"]] = True
        return on, (tuple(rows[0]["repeat"]) if len(names) == 1 else None)

    def warm_up(self) -> None:
        params = next(iter(self.textures.values())).params
        warm_up(self.session(), feeds(self, noise_field(self, params, 0, 4, 4, False), params))


def blended_weights(mix: AdapterMix) -> dict[str, np.ndarray]:
    """base + Σ coefficient·Δ per replaced initialiser (a layer only one adapter changes keeps the other's base)."""
    out: dict[str, np.ndarray] = {}
    for path, coef in mix:
        for name, (base, delta) in load_adapter(path)[1].items():
            out[name] = out.get(name, base) + coef * delta
    return {name: w.astype(np.float32) for name, w in out.items()}


def check_size(width: int, height: int) -> None:
    for name, v in (("width", width), ("height", height)):
        if not isinstance(v, int | np.integer) or not MIN_SIDE <= v <= MAX_SIDE:
            raise TextureError(f"{name} must be a whole number of pixels from {MIN_SIDE} to {MAX_SIDE}, not {v}")


def parse_size(text: str) -> tuple[int, int]:
    """'2048x1024' → (2048, 1024); '512' → (512, 512)."""
    parts = text.lower().replace("×", "x").split("x")
    try:
        w, h = (int(parts[0]), int(parts[-1])) if len(parts) <= 2 else (None, None)
    except ValueError:
        w = h = None
    if w is None:
        raise TextureError(f"bad size {text!r}: use WIDTHxHEIGHT, e.g. 2048x2048")
    check_size(w, h)
    return w, h


def check_seed(seed: int) -> int:
    if not isinstance(seed, int | np.integer) or not 0 <= seed <= MAX_SEED:
        raise TextureError(f"seed must be a whole number from 0 to {MAX_SEED}, not {seed}")
    return int(seed)


def noise_field(
    lib: TextureLibrary,
    params: np.ndarray,
    seed: int,
    rows: int,
    cols: int,
    tile: bool,
    lattice: Lattice | None = None,
) -> np.ndarray:
    """The generator's input for `rows`×`cols` cells of output, context cells included: [C, h, w].

    Tileable: the field is periodic with period rows×cols (local noise wrapped, wave
    vectors snapped to whole periods), so the image repeats exactly. A lattice texture's
    coupled channels take their phases from one random whole-cell shift of the layout (as in training).
    """
    rng = np.random.default_rng(check_seed(seed))
    g, p = lib.global_dim, lib.periodic_dim
    phase = rng.uniform(0.0, 2 * math.pi, p)
    k = params[g:].reshape(p, 2).astype(np.float64)  # (ky, kx) radians per cell
    if tile:
        period = np.array([rows, cols], np.float64)
        snapped = np.round(k * period / (2 * math.pi)) * 2 * math.pi / period
        if lattice is not None and lattice[1] is not None:
            # snapped one by one, a lattice's waves would no longer sum to each other and beat across
            # the tile; scaled together to whole repeats (per axis the tile spans one at least) they do
            repeat = np.array(lattice[1], np.float64)
            scale = np.where(period >= repeat, repeat * np.round(period / repeat) / period, np.nan)
            scaled = k * scale
            snapped = np.where(lattice[0][:, None] & ~np.isnan(scaled), scaled, snapped)
        k = snapped
        h, w = rows, cols
    else:
        h, w = rows + 2 * lib.pad, cols + 2 * lib.pad
    local = rng.standard_normal((lib.local_dim, h, w), dtype=np.float32)
    if lattice is not None:
        phase = np.where(lattice[0], k @ rng.integers(0, LATTICE_SHIFT, 2), phase)
    code = np.broadcast_to(params[:g, None, None], (g, h, w))
    y, x = np.arange(h)[:, None], np.arange(w)[None, :]
    waves = np.sin(k[:, 0, None, None] * y + k[:, 1, None, None] * x + phase[:, None, None]).astype(np.float32)
    field = np.concatenate([local, code, waves]).astype(np.float32)
    if tile:
        field = np.pad(field, ((0, 0), (lib.pad, lib.pad), (lib.pad, lib.pad)), mode="wrap")
    return field


def feeds(lib: TextureLibrary, field: np.ndarray, params: np.ndarray) -> dict[str, np.ndarray]:
    """The graph's inputs for one noise field [C, h, w] (or a window of it) and texture params."""
    return {"noise": np.ascontiguousarray(field[None]), "code": params[None, : lib.global_dim]}


def run_field(
    lib: TextureLibrary,
    field: np.ndarray,
    params: np.ndarray,
    window: int = WINDOW_CELLS,
    mix: AdapterMix | None = None,
) -> np.ndarray:
    """Noise field [C, h, w] → HWC uint8 of (h − 2·pad)·cell × (w − 2·pad)·cell px, in windows.

    Windows of `window` cells (+ context) are exact crops of the one-shot result:
    valid convolutions and nearest upsampling commute with whole-cell shifts.
    """
    pad, cell = lib.pad, lib.cell
    rows, cols = field.shape[1] - 2 * pad, field.shape[2] - 2 * pad
    trim = pad * cell - lib.margin  # extra context pixels when the margin is not whole cells
    out = np.empty((rows * cell, cols * cell, 3), np.uint8)
    boxes = [
        (r0, min(rows, r0 + window), c0, min(cols, c0 + window))
        for r0 in range(0, rows, window)
        for c0 in range(0, cols, window)
    ]
    sess = lib.session(mix=mix)
    workers = min(len(boxes), parallel_workers(sess))
    if workers > 1:  # one single-threaded run per core (same pixels, bit for bit)
        sess = lib.session(threads=1, mix=mix)

    def one(box: tuple[int, int, int, int]) -> None:
        r0, r1, c0, c1 = box
        sub = field[:, r0 : r1 + 2 * pad, c0 : c1 + 2 * pad]
        img = sess.run(None, feeds(lib, sub, params))[0][0]  # [3, ·, ·] in [0, 1]
        img = img[:, trim : img.shape[1] - trim, trim : img.shape[2] - trim]
        out[r0 * cell : r1 * cell, c0 * cell : c1 * cell] = (img.transpose(1, 2, 0) * 255 + 0.5).astype(np.uint8)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, boxes))
    return out


def resize_periodic(img_u8: np.ndarray, width: int, height: int) -> np.ndarray:
    """Shrink a periodic image by cropping its Fourier spectrum, so it stays exactly periodic.

    Unlike spatial interpolation, this treats every pixel pair alike: the wrap seam is
    statistically one more pair of neighbours (bilinear resampling smooths some columns
    more than others, so a seam metric would see a false seam).
    """
    h, w = img_u8.shape[:2]
    assert height <= h and width <= w, "only shrinks (the pipeline rounds sizes up to whole cells)"
    out = np.empty((height, width, 3), np.uint8)
    keep_rows = np.r_[0 : (height + 1) // 2, h - height // 2 : h]  # lowest frequencies, both signs
    for c in range(3):
        spec = np.fft.rfft2(img_u8[..., c].astype(np.float32))[keep_rows, : width // 2 + 1]
        small = np.fft.irfft2(spec, s=(height, width)) * (height * width / (h * w))
        out[..., c] = np.clip(small + 0.5, 0, 255)
    return out


def generate(
    lib: TextureLibrary,
    texture: str,
    width: int,
    height: int,
    seed: int = 0,
    tile: bool = False,
    morph_to: str | None = None,
    morph: float = 0.0,
    window: int = WINDOW_CELLS,
) -> np.ndarray:
    """A new texture sample, HWC uint8 of height×width; the same arguments give the same image."""
    check_size(width, height)
    params = lib.morph(texture, morph_to, morph)
    rows, cols = math.ceil(height / lib.cell), math.ceil(width / lib.cell)
    mix = lib.adapter_mix(texture, morph_to, morph)
    field = noise_field(lib, params, seed, rows, cols, tile, lib.lattice(texture, morph_to, morph))
    img = run_field(lib, field, params, window, mix)
    if not tile:
        return img[:height, :width]
    # any origin of a periodic image is as good: put the wrap half a cell inside, where neighbours
    # differ as usual; on cell boundaries they differ ~1.15× more (a faint 16 px grid, measured)
    img = np.roll(img, (lib.cell // 2, lib.cell // 2), axis=(0, 1))
    if img.shape[:2] != (height, width):
        return resize_periodic(img, width, height)  # ≤ 15 px of rounding to whole cells, spread out
    return img


def tiled_preview(img_u8: np.ndarray, max_side: int = 1024) -> np.ndarray:
    """2×2 repeats of a tileable image (scaled down to `max_side`) to show that it has no seams."""
    tiled = np.tile(img_u8, (2, 2, 1))
    s = max_side / max(tiled.shape[:2])
    if s < 1:
        tiled = resize_u8(tiled, max(1, round(tiled.shape[1] * s)), max(1, round(tiled.shape[0] * s)))
    return tiled
