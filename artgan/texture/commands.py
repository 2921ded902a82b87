"""`artgan texture`, `textures`, `learn-texture` (alias `fit-texture`), `train texture`, `export texture`."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np

from artgan.capability import Commands
from artgan.learning import Learner, add_learn_command


def texture_file(args: argparse.Namespace) -> None:
    from artgan.runtime.images import save_png
    from artgan.texture.pipeline import TextureLibrary, generate, parse_size

    width, height = parse_size(args.size)
    img = generate(TextureLibrary(), args.name, width, height, args.seed, args.tile, args.morph_to, args.morph)
    path = save_png(img, args.output)
    print(f"{args.name} {width}×{height} seed {args.seed}{' tileable' if args.tile else ''} → {path}")


def list_textures(_: argparse.Namespace) -> None:
    from artgan.texture.pipeline import TextureLibrary

    for tex in TextureLibrary().textures.values():
        print(f"{tex.id:28s} {tex.label}")


def learn(args: argparse.Namespace, example_u8: np.ndarray) -> Iterator:
    """The torch side of `learn-texture`."""
    from artgan.texture.learn import learn_texture
    from artgan.texture.pipeline import TextureLibrary

    return learn_texture(TextureLibrary(), example_u8, steps=args.steps)


def user_dir() -> Path:
    from artgan.texture.pipeline import user_textures_dir

    return user_textures_dir()


LEARNER = Learner("texture", "image", 200, "~3 min on 2 cores", user_dir, learn, aliases=("fit-texture",))


def add_texture_parser(sub) -> None:
    p = sub.add_parser("texture", help="synthesize a new texture of any size (64–4096 px a side)")
    p.add_argument("name", help="texture id (see `artgan textures`) or a learned texture's .npy file")
    p.add_argument("--size", default="1024x1024", help="WIDTHxHEIGHT in pixels, 64–4096 each (default 1024x1024)")
    p.add_argument("--seed", type=int, default=0, help="same seed, same image (default 0)")
    p.add_argument("--tile", action="store_true", help="make the image tile seamlessly with itself")
    p.add_argument("--morph-to", default=None, help="a second texture to morph towards")
    p.add_argument("--morph", type=float, default=0.5, help="0 = NAME, 1 = --morph-to (default 0.5; needs --morph-to)")
    p.add_argument("-o", "--output", required=True, help="output PNG")
    p.set_defaults(func=texture_file)


def trainer() -> ModuleType:
    from artgan.texture import train

    return train


def exporter() -> ModuleType:
    from export import texture

    return texture


def add_commands(commands: Commands) -> None:
    add_texture_parser(commands.top)
    commands.top.add_parser("textures", help="list the shipped and learned textures").set_defaults(func=list_textures)
    add_learn_command(commands.top, LEARNER)
    commands.torch_task("train", "texture", "multi-texture spatial GAN (PSGAN-style), any output size", trainer)
    commands.torch_task("export", "texture", "write weights/texture.onnx, texture codes and thumbnails", exporter)
