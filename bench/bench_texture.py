"""Texture: time and peak memory per output size, seams of tiled output, patch plausibility, real vs generated grid.

Usage: python bench/bench_texture.py [--sizes 512 2048 4096] [--repeats 3] [--grid docs/texture_grid.jpg]
                                     [--sheet docs/texture_sheet.jpg]
                                     [--fitted NAME=EXEMPLAR ...] [--only ID ...] [--skip-timing]
Prints Markdown for BENCHMARKS.md. The plausibility check and the grid read the training
textures from ../shared/data (a benchmark may; the app and the tests never do); a fitted
texture (`artgan learn-texture`) is measured against the image it was learned from.
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

from artgan.datasets import load_rgb  # noqa: E402
from artgan.evaluation.texture import patch_plausibility, seam_ratio  # noqa: E402
from artgan.texture.data import load_texture, texture_id  # noqa: E402
from artgan.texture.pipeline import TextureLibrary, generate  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


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


def plausibility(lib: TextureLibrary, tid: str, exemplar_u8: np.ndarray) -> dict[str, float]:
    """Seed-to-seed difference; patch plausibility of a 512² sample (seed 11) at the fine and coarse scales.

    fine / coarse: `patch_plausibility` with the exemplar's short side at 192 / 96 px and the
    sample shrunk by the same factor (16 px patches: ~1/12 and ~1/6 of the exemplar, a brick
    or a tile row); copy: the larger of the
    two copy shares; coverage: the reverse direction at the fine scale (exemplar patches
    to the sample's), which an all-average sample of a many-coloured exemplar fails.
    """
    a = generate(lib, tid, 256, 256, seed=1)
    b = generate(lib, tid, 256, 256, seed=2)
    sample = generate(lib, tid, 512, 512, seed=11)
    fine, coarse = (patch_plausibility(sample, exemplar_u8, s) for s in (192, 96))
    return {
        "seed_diff": float(np.abs(a.astype(np.float32) - b).mean()),
        "fine": fine["ratio"],
        "coarse": coarse["ratio"],
        "copy": max(fine["copy"], coarse["copy"]),
        "coverage": fine["coverage"],
    }


def exemplars(lib: TextureLibrary, fitted: list[str], only: list[str] | None) -> dict[str, np.ndarray]:
    """Texture id → the image it should look like, at the scale the generator works at (a fit, like
    training, shrinks its example to the short side of the training textures)."""
    cfg = lib.entry["config"]
    out = {}
    for spec in cfg["textures"]:
        out[texture_id(spec)] = load_texture(spec, [DATA / "textures", DATA / "styles"], cfg["short_side"])
    for pair in fitted:
        name, path = pair.split("=", 1)
        image = load_rgb(Path(path))
        if image is None:
            raise SystemExit(f"--fitted {pair}: {path} is not a readable image")
        lib.get(name)  # a learned texture of the user folder (or a .npy path)
        s = min(1.0, cfg["short_side"] / min(image.size))
        out[name] = np.asarray(image.resize((round(image.width * s), round(image.height * s)), Image.BICUBIC))
    return {k: v for k, v in out.items() if not only or k in only}


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


def sheet(lib: TextureLibrary, specs: tuple[str, ...], short_side: int, path: Path, cell: int = 256) -> None:
    """Issue 20's sheet, two textures a row: exemplar (centre square) | ours at 512² (seed 11), at one scale."""
    pairs = []
    for spec in specs:
        real = load_texture(spec, [DATA / "textures", DATA / "styles"], short_side)
        h, w = real.shape[:2]
        side = min(h, w)
        square = real[(h - side) // 2 : (h + side) // 2, (w - side) // 2 : (w + side) // 2]
        ours = generate(lib, texture_id(spec), 512, 512, seed=11)
        shown = round(side * cell / 512)  # one scale for both: cell px show 512 px of texture
        pairs.append(
            [
                Image.fromarray(square).resize((shown, shown), Image.LANCZOS),
                Image.fromarray(ours).resize((cell, cell), Image.LANCZOS),
            ]
        )
    cols = 2
    out = Image.new("RGB", (cols * 2 * cell + (cols - 1) * 8, -(-len(pairs) // cols) * (cell + 8)), "white")
    for i, (real_im, ours_im) in enumerate(pairs):
        x, y = (i % cols) * (2 * cell + 8), (i // cols) * (cell + 8)
        out.paste(real_im, (x, y))
        out.paste(ours_im, (x + real_im.width, y))
    path.parent.mkdir(parents=True, exist_ok=True)
    out.save(path, quality=88)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[512, 2048, 4096])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--grid", default=str(ROOT / "docs" / "texture_grid.jpg"))
    p.add_argument("--sheet", default=str(ROOT / "docs" / "texture_sheet.jpg"), help="exemplar | ours, 512²")
    p.add_argument("--fitted", nargs="*", default=[], help="NAME=EXEMPLAR: a learned texture and its source image")
    p.add_argument("--only", nargs="*", default=None, help="measure only these texture ids")
    p.add_argument("--skip-timing", action="store_true", help="no timing table, no grid (plausibility only)")
    args = p.parse_args()
    lib = TextureLibrary()
    specs = tuple(lib.entry["config"]["textures"])
    short_side = lib.entry["config"]["short_side"]
    print(f"texture · {datetime.date.today()} · {cpu_name()} · {os.cpu_count()} cores · ORT CPU\n")
    if not args.skip_timing:
        print("| size | time (s) | peak RSS (MiB) |\n|---|---|---|")
        for side in args.sizes:
            seconds, peak = time_and_memory(side, args.repeats if side < 4096 else 1)
            print(f"| {side}² | {seconds:.2f} | {peak:.0f} |")
    print(
        "\n| texture | fine (≤ 1.3) | coarse (≤ 1.2) | copy (≤ 0.2) | coverage | seam ratio tiled (≤ 1.2,"
        " median of 5 seeds) | not tiled | seed diff |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for tid, exemplar in exemplars(lib, args.fitted, args.only).items():
        # one row/column pair is noisy on strongly oriented textures (a plank edge may fall on
        # the seam), so the median over five seeds
        tiled = float(np.median([seam_ratio(generate(lib, tid, 512, 512, seed=s, tile=True)) for s in range(5)]))
        plain = float(np.median([seam_ratio(generate(lib, tid, 512, 512, seed=s)) for s in range(5)]))
        d = plausibility(lib, tid, exemplar)
        print(
            f"| {tid} | {d['fine']:.2f} | {d['coarse']:.2f} | {d['copy']:.2f} | {d['coverage']:.2f} | {tiled:.2f}"
            f" | {plain:.2f}"
            f" | {d['seed_diff']:.1f} |",
            flush=True,
        )
    if not args.skip_timing:
        grid(lib, specs, short_side, Path(args.grid))
        sheet(lib, specs, short_side, Path(args.sheet))
        print(f"\ngrid: {args.grid}; exemplar | ours at 512²: {args.sheet}")


if __name__ == "__main__":
    main()
