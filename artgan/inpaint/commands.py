"""`artgan inpaint`, `train inpaint`, `export inpaint`."""

from __future__ import annotations

import argparse
from types import ModuleType

from artgan.capability import Commands


def inpaint_file(args: argparse.Namespace) -> None:
    from artgan.inpaint.pipeline import inpaint_files
    from artgan.runtime.images import save_png

    out = inpaint_files(args.image, args.mask, args.method, args.grow)
    print(f"{args.image} → {save_png(out, args.output)}")


def add_inpaint_parser(sub) -> None:
    from artgan.inpaint.pipeline import DEFAULT_METHOD, METHODS

    p = sub.add_parser("inpaint", help="restore the masked region of a picture (cracks, scratches, objects)")
    p.add_argument("image", help="picture to restore")
    p.add_argument("--mask", required=True, help="mask picture of the same size: white (or opaque) = restore")
    p.add_argument("-o", "--output", required=True, help="output PNG")
    p.add_argument(
        "--method",
        default=DEFAULT_METHOD,
        choices=list(METHODS),
        help=f"default {DEFAULT_METHOD}; gan-texture: the network's fill plus texture copied from the picture",
    )
    p.add_argument("--grow", type=int, default=0, help="dilate the mask by this many pixels, feathered (default 0)")
    p.set_defaults(func=inpaint_file)


def trainer() -> ModuleType:
    from artgan.inpaint import train

    return train


def exporter() -> ModuleType:
    from export import inpaint

    return inpaint


def add_commands(commands: Commands) -> None:
    add_inpaint_parser(commands.top)
    help_text = "gated-convolution inpainting GAN with an SN-PatchGAN discriminator"
    commands.torch_task("train", "inpaint", help_text, trainer)
    commands.torch_task("export", "inpaint", "write weights/inpaint.onnx and its manifest entry", exporter)
