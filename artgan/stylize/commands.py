"""`artgan stylize`, `styles`, `learn-style`, `train stylize|stylize-distill`, `export stylize`."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np

from artgan.capability import Commands
from artgan.learning import Learner, add_learn_command
from artgan.shipped import examples_dir


def stylize_files(args: argparse.Namespace) -> None:
    from artgan.runtime.images import read_image, save_png
    from artgan.stylize.pipeline import library_for, parse_style_spec, stylize

    library = library_for(args.fast)
    weights = parse_style_spec(args.style)
    for name in weights:
        library.get(name)  # fail on a bad name before any work
    for src, dst in zip(args.inputs, output_paths(args.inputs, args.output), strict=True):
        out = stylize(
            library, read_image(src), weights, args.strength, args.keep_colors, args.brush_scale, args.max_size
        )
        save_png(out, dst)
        print(f"{src} → {dst}")


def output_paths(inputs: list[str], output: str) -> list[Path]:
    """One input: OUTPUT is the file. Several: OUTPUT is a folder of <stem>.png."""
    if len(inputs) == 1 and not output.endswith(("/", "\\")) and not Path(output).is_dir():
        return [Path(output)]
    return [Path(output) / f"{Path(i).stem}.png" for i in inputs]


def list_styles(_: argparse.Namespace) -> None:
    from artgan.stylize.pipeline import StyleLibrary

    for style in StyleLibrary().styles.values():
        print(f"{style.id:32s} {style.label}")


def learn(args: argparse.Namespace, painting_u8: np.ndarray) -> Iterator:
    """The torch side of `learn-style`: practise on --content, else the shipped example photos."""
    from artgan.datasets import list_images
    from artgan.runtime.images import read_image
    from artgan.stylize.learn import learn_style
    from artgan.stylize.pipeline import StyleLibrary

    photos = list_images(args.content)[:8] if args.content else sorted(examples_dir().glob("*.jpg"))
    return learn_style(StyleLibrary(), painting_u8, [read_image(p) for p in photos], steps=args.steps)


def user_dir() -> Path:
    from artgan.stylize.pipeline import user_styles_dir

    return user_styles_dir()


LEARNER = Learner("style", "painting", 150, "~3 min on 2 cores", user_dir, learn)


def add_stylize_parser(sub) -> None:
    p = sub.add_parser("stylize", help="paint photos in a shipped style or a blend of styles")
    p.add_argument("inputs", nargs="+", metavar="IN", help="image file(s) to stylize")
    p.add_argument(
        "-s",
        "--style",
        required=True,
        help="style id, or a blend NAME:W,NAME:W (weights are normalised); see `artgan styles`",
    )
    p.add_argument("-o", "--output", required=True, help="output PNG (one input) or folder (several inputs)")
    p.add_argument("--strength", type=float, default=1.0, help="0 = the photo, 1 = full style (default 1)")
    p.add_argument("--keep-colors", action="store_true", help="keep the photo's colours (luminance-only transfer)")
    p.add_argument("--fast", action="store_true", help="use the distilled fast network (~5× faster, softer strokes)")
    p.add_argument(
        "--brush-scale", type=float, default=1.0, help="stroke size relative to the picture, 0.25–4 (default 1)"
    )
    p.add_argument(
        "--max-size", type=int, default=1024, help="long side of the output in pixels, ≤ 4096 (default 1024)"
    )
    p.set_defaults(func=stylize_files)


def trainer() -> ModuleType:
    from artgan.stylize import train

    return train


def distiller() -> ModuleType:
    from artgan.stylize import distill

    return distill


def exporter() -> ModuleType:
    from export import stylize

    return stylize


def add_commands(commands: Commands) -> None:
    add_stylize_parser(commands.top)
    commands.top.add_parser("styles", help="list the shipped and learned styles").set_defaults(func=list_styles)
    learn_parser = add_learn_command(commands.top, LEARNER)
    learn_parser.add_argument("--content", default="", help="photos to practise on (default: the shipped examples)")
    commands.torch_task("train", "stylize", "multi-style transfer network with conditional instance norm", trainer)
    commands.torch_task("train", "stylize-distill", "distil a trained stylize network into a faster one", distiller)
    commands.torch_task("export", "stylize", "write weights/stylize.onnx and the style parameter files", exporter)
