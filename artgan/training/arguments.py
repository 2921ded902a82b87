"""The command-line options every trainer shares."""

from __future__ import annotations

import argparse

from artgan.training.session import PRECISIONS


def add_common_arguments(p: argparse.ArgumentParser, out: str, steps: int, ckpt_every: int, sample_every: int) -> None:
    """The options every `artgan train TASK` shares: run folder, length, device, scale-out."""
    p.add_argument("--out", default=out, help="run folder: last.pt, samples/, log.jsonl, tb/ (TensorBoard)")
    p.add_argument("--steps", type=int, default=steps, help="total optimisation steps (global batches)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt if it exists (any GPU count)")
    p.add_argument("--ckpt-every", type=int, default=ckpt_every, help="steps between checkpoints")
    p.add_argument("--sample-every", type=int, default=sample_every, help="steps between sample grids")
    p.add_argument("--log-every", type=int, default=10, help="steps between log.jsonl / TensorBoard points")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="where to train")
    p.add_argument(
        "--precision",
        default="auto",
        choices=PRECISIONS,
        help="autocast dtype; auto = bf16 on GPUs that have it, else fp16 with loss scaling; fp32 on CPU",
    )
    p.add_argument("--accum", type=int, default=1, help="gradient accumulation: micro-batches per step")
    p.add_argument("--workers", type=int, default=2, help="data-loading worker processes per training process")
    p.add_argument("--seed", type=int, default=0, help="seed of initial weights, shuffling and crops")


def add_data_arguments(p: argparse.ArgumentParser) -> None:
    """Options of the trainers that read photo folders."""
    p.add_argument("--max-images", type=int, default=None, help="use at most this many images (per folder)")
    p.add_argument(
        "--holdout",
        type=float,
        default=0.1,
        help="fraction of images held out for samples by file-name hash, never trained on (0 = none)",
    )
