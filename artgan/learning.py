"""Learning a new style or texture from one upload: the `artgan learn-…` command, written once.

The word is *learn* everywhere (tab, command, code): a new style or texture is a small
vector learned against the frozen shipped network. The command runs the torch side in its
own process; with `--progress-dir` it prints one JSON line per step (and writes the
preview there), which is how the app reads a learning job it started as a child process.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from artgan.capability import TRAIN_HINT
from artgan.errors import ArtganError
from artgan.runtime.images import read_image, save_png
from artgan.runtime.library import adapter_path

NAME = re.compile(r"[A-Za-z0-9_-]{1,40}")
PREVIEW = "preview.png"


@dataclass
class LearnProgress:
    """One step of learning a style or texture; the last one carries the result."""

    step: int
    steps: int
    loss: float
    preview: np.ndarray | None  # HWC uint8, on preview steps
    params: np.ndarray  # the vector learned so far
    # per-item network weights beside the vector (a fitted texture's low-rank adapter), saved as
    # <name>.adapter.npz; None: the vector alone drives the shipped network
    adapter: dict[str, np.ndarray] | None = None


@dataclass(frozen=True)
class Learner:
    """How one capability learns: its noun, what the user uploads, and the torch-side loop."""

    noun: str  # "style", "texture": the command is learn-<noun>
    source: str  # what the upload is: "painting", "image"
    steps: int  # default number of steps
    minutes: str  # how long the default takes, for the help text
    user_dir: Callable[[], Path]  # where learned files go by default
    # (args, upload) → progress; imports torch itself
    learn: Callable[[argparse.Namespace, np.ndarray], Iterator[LearnProgress]]
    aliases: tuple[str, ...] = ()


def check_name(name: str | None, noun: str) -> str:
    if not NAME.fullmatch(name or ""):
        raise ArtganError(f"name the {noun} with 1–40 letters, digits, '-' or '_'")
    return name


def save_learned(
    folder: Path, name: str, params: np.ndarray, source_u8: np.ndarray, adapter: dict[str, np.ndarray] | None = None
) -> Path:
    """Write <name>.npy (the learned vector), <name>.jpg (its thumbnail) and any adapter into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.npy"
    np.save(path, params.astype(np.float32))
    if adapter is not None:
        np.savez(adapter_path(path), **adapter)
    else:  # relearned without one: an old adapter must not stick to the new vector
        adapter_path(path).unlink(missing_ok=True)
    thumb = Image.fromarray(source_u8)
    thumb.thumbnail((256, 256), Image.LANCZOS)
    thumb.save(folder / f"{name}.jpg", quality=88)
    return path


def add_learn_command(sub, learner: Learner) -> argparse.ArgumentParser:
    """`artgan learn-<noun> SOURCE --name N [--steps S] [--out-dir D] [--progress-dir P]`."""
    noun = learner.noun
    p = sub.add_parser(
        f"learn-{noun}",
        aliases=list(learner.aliases),
        help=f"learn a new {noun} from one {learner.source} in minutes (needs the train extra)",
    )
    p.add_argument("source", metavar=learner.source.upper(), help=f"the {learner.source} to learn from")
    p.add_argument("--name", required=True, help=f"id of the new {noun} (letters, digits, - and _)")
    p.add_argument("--steps", type=int, default=learner.steps, help=f"default {learner.steps}, {learner.minutes}")
    p.add_argument("--out-dir", default="", help=f"where to save <name>.npy (default {learner.user_dir()})")
    p.add_argument("--progress-dir", default="", help="print JSON progress lines and write previews here")
    p.set_defaults(func=lambda args: run_learn_command(learner, args))
    return p


def run_learn_command(learner: Learner, args: argparse.Namespace) -> None:
    name = check_name(args.name, learner.noun)
    if args.steps < 1:
        raise ArtganError("--steps must be at least 1")
    source_u8 = read_image(args.source)
    try:
        steps = learner.learn(args, source_u8)
    except ImportError as exc:
        raise ArtganError(TRAIN_HINT) from exc
    report = json_progress(Path(args.progress_dir)) if args.progress_dir else bar_progress(args, learner)
    last = None
    for last in steps:
        report(last)
    path = save_learned(
        Path(args.out_dir) if args.out_dir else learner.user_dir(), name, last.params, source_u8, last.adapter
    )
    if args.progress_dir:
        print(json.dumps({"saved": str(path)}), flush=True)
    else:
        print(f"saved {path}; use it as `{name}` or by its file")


def json_progress(folder: Path) -> Callable[[Any], None]:
    """One JSON line per step; the preview, when there is one, is written to `folder` first."""
    folder.mkdir(parents=True, exist_ok=True)

    def report(step: Any) -> None:
        preview = None
        if step.preview is not None:
            preview = str(save_png(step.preview, folder / f"{step.step}-{PREVIEW}"))
        line = {"step": step.step, "steps": step.steps, "loss": float(step.loss), "preview": preview}
        print(json.dumps(line), flush=True)

    return report


def bar_progress(args: argparse.Namespace, learner: Learner) -> Callable[[Any], None]:
    from tqdm import tqdm  # with the train extra, like torch

    bar = tqdm(total=args.steps, desc=f"learning {args.name}")

    def report(step: Any) -> None:
        bar.update(1)
        bar.set_postfix(loss=f"{step.loss:.3g}")
        if step.step == step.steps:
            bar.close()

    return report
