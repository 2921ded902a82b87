"""Evaluate inpainting against classical methods, and time it.

Usage: python bench/bench_inpaint.py [--data ../shared/data/photos ../shared/data/styles] [--images 16]
Fixed-seed masks (thin, medium, thick, cracks) on the held-out split (never trained on)
at 256 and 512 px; L1, PSNR and SSIM *inside the hole* (skimage.metrics) for the shipped
GAN (through the real pipeline: crop strategy, paste), its own input (the blurred
Navier–Stokes prefill), OpenCV Telea and Navier–Stokes, and skimage's biharmonic.
Prints Markdown for BENCHMARKS.md and saves a comparison grid.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from skimage.metrics import structural_similarity
from skimage.restoration import inpaint_biharmonic

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from artgan.datasets import list_images, load_rgb, split  # noqa: E402
from artgan.inpaint import pipeline as P  # noqa: E402
from artgan.inpaint.masks import prefill, random_mask  # noqa: E402
from artgan.runtime.manifest import model_entry  # noqa: E402

KINDS = ("thin", "medium", "thick", "cracks")


def biharmonic(img: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = inpaint_biharmonic(img, mask, channel_axis=-1, split_into_regions=True)
    return (out * 255 + 0.5).clip(0, 255).astype(np.uint8)


def gan_input(img: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The blurred Navier–Stokes fill the GAN starts from: shows what the network itself adds."""
    entry = model_entry(P.MODEL_ID, P.WEIGHTS_DIR)
    return prefill(img, mask, entry["prefill_radius"], entry["prefill_blur"])


METHODS = {
    "artgan GAN": lambda img, m: P.inpaint(img, m, "gan"),
    "GAN input (NS + blur)": gan_input,
    "OpenCV Telea": lambda img, m: P.inpaint(img, m, "telea"),
    "OpenCV Navier–Stokes": lambda img, m: P.inpaint(img, m, "navier-stokes"),
    "skimage biharmonic": biharmonic,
}


def square(path: Path, side: int) -> np.ndarray:
    im = load_rgb(path)
    s = min(im.size)
    left, top = (im.width - s) // 2, (im.height - s) // 2
    return np.asarray(im.crop((left, top, left + s, top + s)).resize((side, side), Image.BICUBIC))


def hole_metrics(out: np.ndarray, ref: np.ndarray, mask: np.ndarray) -> tuple[float, float, float, float]:
    """L1 (0–1 units), PSNR (dB), mean SSIM and detail over the hole pixels only.

    Detail: variance of the grey Laplacian in the hole relative to the original's (1 = as
    much fine structure as the photo, 0 = flat), 1 px inside the hole so that a seam does
    not count. Smearing scores low; it says nothing about whether the structure is right,
    which SSIM does.
    """
    diff = out[mask].astype(np.float64) / 255 - ref[mask].astype(np.float64) / 255
    l1, mse = float(np.abs(diff).mean()), float((diff**2).mean())
    psnr = 10 * np.log10(1 / max(mse, 1e-10))
    _, ssim_map = structural_similarity(ref, out, channel_axis=-1, data_range=255, full=True)

    inner = cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0  # no Laplacian tap on the seam

    def laplacian_var(img: np.ndarray) -> float:
        return float(cv2.Laplacian(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32), cv2.CV_32F)[inner].var())

    detail = laplacian_var(out) / max(laplacian_var(ref), 1e-6)
    return l1, psnr, float(ssim_map.mean(axis=-1)[mask].mean()), detail


def evaluate(files: list[Path], side: int) -> tuple[dict, list]:
    results: dict = {(k, m): [] for k in KINDS for m in METHODS}
    examples = []
    for i, path in enumerate(files):
        ref = square(path, side)
        for k, kind in enumerate(KINDS):
            mask = random_mask(side, side, np.random.default_rng(1000 * i + k), kind) > 0
            outs = {}
            for name, fill in METHODS.items():
                outs[name] = fill(ref, mask)
                results[(kind, name)].append(hole_metrics(outs[name], ref, mask))
            if i < 3 and kind in ("medium", "thick"):
                masked = ref.copy()
                masked[mask] = 255
                examples.append([masked, *outs.values(), ref])
    return results, examples


def latency(side: int, repeats: int = 5) -> float:
    ref = np.asarray(Image.open(Path(__file__).resolve().parents[1] / "examples" / "kodak_02_red_door.jpg"))
    img = np.asarray(Image.fromarray(ref).resize((side, side), Image.BICUBIC))
    mask = random_mask(side, side, np.random.default_rng(0), "medium") > 0
    P.inpaint(img, mask, "gan")  # warm-up (session creation, sha256)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        P.inpaint(img, mask, "gan")
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["../shared/data/photos", "../shared/data/styles"])
    parser.add_argument("--images", type=int, default=16, help="held-out images to evaluate")
    parser.add_argument("--sides", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--grid", default="docs/inpaint_comparison.jpg")
    args = parser.parse_args()
    files = [f for d in args.data for f in split(list_images(d), "test")][: args.images]
    print(f"{platform.processor() or platform.machine()}, {datetime.date.today()}, {len(files)} held-out images\n")
    print("| size | mask | method | L1 ↓ | PSNR ↑ | SSIM ↑ | detail |\n|---|---|---|---|---|---|---|")
    grid_rows = []
    for side in args.sides:
        results, examples = evaluate(files, side)
        if side == args.sides[0]:
            grid_rows = examples
        for (kind, name), values in results.items():
            l1, psnr, ssim, detail = np.mean(values, axis=0)
            print(f"| {side} | {kind} | {name} | {l1:.4f} | {psnr:.2f} | {ssim:.3f} | {detail:.2f} |")
    sheet = np.concatenate([np.concatenate(row, axis=1) for row in grid_rows], axis=0)
    Path(args.grid).parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).save(args.grid, quality=90)
    print(f"\ncolumns of {args.grid}: masked input | {' | '.join(METHODS)} | original\n")
    for side in (512, 2048):
        print(f"GAN latency {side}² (medium mask, crop strategy, median of 5): {latency(side):.3f} s")


if __name__ == "__main__":
    main()
