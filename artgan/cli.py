"""The `artgan` command: train, export and run every capability.

Each capability adds its own commands (`artgan.registry`). Inference commands need only the
core install (onnxruntime, numpy, pillow); `train`, `export` and `learn-…` import torch
lazily and say how to get it when it is missing.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from artgan.capability import Commands
from artgan.errors import ArtganError
from artgan.registry import CAPABILITIES

TORCH_GROUPS = {
    "train": "train a model (needs the train extra)",
    "export": "export a checkpoint to ONNX + manifest (needs the train extra)",
}


def build_parser(with_train: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="artgan", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    groups = {name: None for name in TORCH_GROUPS}
    if with_train:
        for name, help_text in TORCH_GROUPS.items():
            group = sub.add_parser(name, help=help_text)
            groups[name] = group.add_subparsers(dest="task", required=True, metavar="TASK")
    commands = Commands(sub, groups["train"], groups["export"])
    for capability in CAPABILITIES:
        capability.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # only build the torch-backed parsers when they are asked for: keeps inference fast
    with_train = bool(argv) and argv[0] in (*TORCH_GROUPS, "-h", "--help")
    args = build_parser(with_train).parse_args(argv)
    args.argv = argv
    handler: Callable[[argparse.Namespace], None] = args.func
    try:
        handler(args)
        sys.stdout.flush()  # a closed pipe shows here, not in Python's flush at exit
    except BrokenPipeError:
        return quiet_closed_pipe()
    except ArtganError as exc:
        print(f"artgan: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("artgan: interrupted", file=sys.stderr)
        return 130
    return 0


def quiet_closed_pipe() -> int:
    """The reader went away (`artgan styles | head -1`): end quietly, as `cat` does.

    stdout is pointed at /dev/null so Python's own flush at exit cannot raise again
    (the Python docs' recipe for SIGPIPE).
    """
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 141  # 128 + SIGPIPE, what a shell reports for a command killed by a closed pipe
