"""Texture: time and peak memory per output size, seams of tiled output, diversity, real vs generated grid.

Usage: python bench/bench_texture.py [--sizes 512 2048 4096] [--repeats 3] [--grid docs/texture_grid.jpg]
Prints Markdown for BENCHMARKS.md. The diversity check and the grid read the training
textures from ../shared/data (a benchmark may; the app and the tests never do).
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from artgan.evaluation.texture import seam_ratio  # noqa: E402
from artgan.texture.data import load_texture, texture_id  # noqa: E402
from artgan.texture.pipeline import TextureLibrary, generate  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
PATCH = 32  # nearest-patch comparison size (px at the training scale)


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def time_and_memory(side: int, repeats: int) -> tuple[float, float]:
    """Median seconds (after a warm-up) and peak RSS (MiB) of a fresh process generating side×side."""
    code = (
        "import re, statistics, time\n"
        "from artgan.texture.pipeline import TextureLibrary, generate\n"
        "lib = TextureLibrary(); generate(lib, 'grass', 256, 256, 0)\n"
        "ts = []\n"
        f"for seed in range({repeats}):\n"
        "    t = time.perf_counter()\n"
        f"    generate(lib, 'grass', {side}, {side}, seed)\n"
        "    ts.append(time.perf_counter() - t)\n"
        "hwm = int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
        "print(statistics.median(ts), hwm / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    seconds, peak = out.stdout.split()[-2:]
    return float(seconds), float(peak)


def patches(img_u8: np.ndarray, stride: int) -> np.ndarray:
    """All PATCH×PATCH patches at `stride`, flattened: [M, PATCH²·3] float32 in [0, 1]."""
    win = np.lib.stride_tricks.sliding_window_view(img_u8, (PATCH, PATCH, 3))[::stride, ::stride, 0]
    return win.reshape(-1, PATCH * PATCH * 3).astype(np.float32) / 255


def nearest_rms(queries: np.ndarray, bank: np.ndarray) -> float:
    """Median over queries of the RMS pixel distance to the closest bank patch."""
    d2 = (queries**2).sum(1)[:, None] - 2 * queries @ bank.T + (bank**2).sum(1)[None]
    return float(np.median(np.sqrt(np.maximum(d2.min(1), 0) / queries.shape[1])))


def diversity(lib: TextureLibrary, spec: str, short_side: int) -> dict[str, float]:
    """Seed-to-seed difference; nearest-patch distance of generated vs real held-apart patches.

    The real reference: patches of the training image's bottom half matched against its top
    half (a new view of the same texture). A generator that copied crops would score ~0.
    """
    tid = texture_id(spec)
    real = load_texture(spec, [DATA / "textures", DATA / "styles"], short_side)
    a = generate(lib, tid, 256, 256, seed=1)
    b = generate(lib, tid, 256, 256, seed=2)
    half = real.shape[0] // 2
    top, bottom = patches(real[:half], 4), patches(real[half:], 16)
    full = patches(real, 4)
    gen = patches(a, 16)
    return {
        "seed_diff": float(np.abs(a.astype(np.float32) - b).mean()),
        "gen_nn": nearest_rms(gen, full),
        "real_nn": nearest_rms(bottom, top),
    }


def grid(lib: TextureLibrary, specs: tuple[str, ...], short_side: int, path: Path, cell: int = 160) -> None:
    """Per texture: two real crops, three generated samples (seeds 1–3), a 2×2 repeat of a tileable one."""
    rows = []
    for spec in specs:
        tid = texture_id(spec)
        real = load_texture(spec, [DATA / "textures", DATA / "styles"], short_side)
        crops = [real[:cell, :cell], real[-cell:, -cell:]]
        fakes = [generate(lib, tid, cell, cell, seed=s) for s in (1, 2, 3)]
        tile = generate(lib, tid, cell // 2, cell // 2, seed=4, tile=True)
        rows.append(np.concatenate([*crops, *fakes, np.tile(tile, (2, 2, 1))], axis=1))
    sheet = np.concatenate(rows, axis=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).save(path, quality=88)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[512, 2048, 4096])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--grid", default=str(ROOT / "docs" / "texture_grid.jpg"))
    args = p.parse_args()
    lib = TextureLibrary()
    specs = tuple(lib.entry["config"]["textures"])
    short_side = lib.entry["config"]["short_side"]
    print(f"texture · {datetime.date.today()} · {cpu_name()} · {os.cpu_count()} cores · ORT CPU\n")
    print("| size | time (s) | peak RSS (MiB) |\n|---|---|---|")
    for side in args.sizes:
        seconds, peak = time_and_memory(side, args.repeats if side < 4096 else 1)
        print(f"| {side}² | {seconds:.2f} | {peak:.0f} |")
    print(
        "\n| texture | seam ratio tiled (≤ 1.2, median of 5 seeds) | not tiled | seed diff | gen NN RMS | real NN RMS |"
    )
    print("|---|---|---|---|---|---|")
    for spec in specs:
        tid = texture_id(spec)
        # one row/column pair is noisy on strongly oriented textures (a plank edge may fall on
        # the seam), so the median over five seeds
        tiled = float(np.median([seam_ratio(generate(lib, tid, 512, 512, seed=s, tile=True)) for s in range(5)]))
        plain = float(np.median([seam_ratio(generate(lib, tid, 512, 512, seed=s)) for s in range(5)]))
        d = diversity(lib, spec, short_side)
        print(f"| {tid} | {tiled:.2f} | {plain:.2f} | {d['seed_diff']:.1f} | {d['gen_nn']:.3f} | {d['real_nn']:.3f} |")
    grid(lib, specs, short_side, Path(args.grid))
    print(f"\ngrid: {args.grid}")


if __name__ == "__main__":
    main()
