"""Training throughput of every trainer on this machine's device: steps/s, images/s, and the
projected time of a COCO-scale run.

Usage: python bench/bench_train.py [--steps 8] [--warmup 2] [--device auto] [--tasks stylize inpaint …]
Each trainer runs its own recipe (default crop and batch) in a fresh `python -m artgan train`
process for `--steps` steps; speeds are the median of the per-step rates after `--warmup`
steps (data workers starting, cuDNN autotuning). Prints Markdown rows for BENCHMARKS.md.
Reads the photos and textures in ../shared/data (a benchmark may; tests never do).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
COCO_IMAGES = 118_287  # COCO 2017 train
EPOCHS = 2


def task_args(task: str) -> list[str]:
    """Each trainer with its default recipe on the shared data."""
    photos = str(DATA / "photos")
    return {
        "stylize": ["--styles", str(DATA / "styles"), "--content", photos],
        "stylize-distill": ["--teacher", str(ROOT / "weights" / "checkpoints" / "stylize.pt"), "--content", photos],
        "inpaint": ["--data", photos, str(DATA / "styles")],
        "texture": ["--data", str(DATA)],
    }[task]


def device_name(device: str) -> str:
    if device in ("auto", "cuda") and torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return f"{line.split(':', 1)[1].strip()} ({os.cpu_count()} cores)"
    return "CPU"


def measure(task: str, steps: int, warmup: int, device: str, workers: int, procs: int) -> dict:
    """Train `steps` steps in a fresh process (torchrun when procs > 1); rates from its log.jsonl."""
    with tempfile.TemporaryDirectory() as out:
        launcher = [sys.executable, "-m", "artgan"]
        if procs > 1:
            launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={procs}"]
            launcher += ["-m", "artgan"]
        cmd = [*launcher, "train", task, *task_args(task), "--out", out, "--steps", str(steps), "--log-every", "1"]
        cmd += ["--device", device, "--workers", str(workers), "--ckpt-every", "100000", "--sample-every", "100000"]
        subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        rows = [json.loads(line) for line in (Path(out) / "log.jsonl").read_text().splitlines()]
        config = torch.load(Path(out) / "last.pt", weights_only=False)["config"]
    timed = [r for r in rows if r["step"] > warmup]
    steps_per_s = statistics.median(r["steps_per_s"] for r in timed)
    return {"task": task, "steps_per_s": steps_per_s, "crop": config["crop"], "batch": config["batch_size"]}


def row(m: dict, device: str, precision: str) -> str:
    images_per_s = m["steps_per_s"] * m["batch"]
    hours = COCO_IMAGES * EPOCHS / images_per_s / 3600
    return (
        f"| {m['task']} | {device} | {precision} | {m['crop']}² × {m['batch']} | {m['steps_per_s']:.3g} "
        f"| {images_per_s:.3g} | {hours:,.0f} h |"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", nargs="+", default=["stylize", "stylize-distill", "inpaint", "texture"])
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--workers", type=int, default=1, help="data workers per process (CPU: 1; GPU: 6–8)")
    p.add_argument("--procs", type=int, default=1, help="GPUs: processes started by torchrun")
    args = p.parse_args()
    cuda = args.device != "cpu" and torch.cuda.is_available()
    precision = ("bf16" if torch.cuda.is_bf16_supported() else "fp16 + loss scaling") if cuda else "fp32"
    name = device_name(args.device) + (f" × {args.procs}" if args.procs > 1 else "")
    timing = f"{args.steps} steps, median after {args.warmup}"
    print(f"{datetime.date.today()} · {name} · PyTorch {torch.__version__} · {timing}")
    print(f"COCO-scale projection: {COCO_IMAGES:,} images × {EPOCHS} epochs at the measured images/s\n")
    print("| trainer | device | precision | crop × batch | steps/s | images/s | COCO-scale run |")
    print("|---|---|---|---|---|---|---|")
    for task in args.tasks:
        m = measure(task, args.steps, args.warmup, args.device, args.workers, args.procs)
        print(row(m, name, precision), flush=True)


if __name__ == "__main__":
    main()
