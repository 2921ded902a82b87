"""The `artgan` command: train, export and run every capability.

Inference commands need only the core install (onnxruntime, numpy, pillow); `train`
and `export` import torch lazily and say how to get it when it is missing.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from artgan.errors import ArtganError
from artgan.shipped import examples_dir
from artgan.video import DEFAULT_STABILIZE

TRAIN_HINT = "this command needs the training extra: pip install '.[train]'"
EXAMPLES = examples_dir()


def _stylize(args: argparse.Namespace) -> None:
    from artgan.runtime.images import read_image, save_png
    from artgan.stylize.pipeline import library_for, parse_style_spec, stylize

    library = library_for(args.fast)
    weights = parse_style_spec(args.style)
    for name in weights:
        library.get(name)  # fail on a bad name before any work
    outputs = _output_paths(args.inputs, args.output)
    for src, dst in zip(args.inputs, outputs, strict=False):
        out = stylize(
            library, read_image(src), weights, args.strength, args.keep_colors, args.brush_scale, args.max_size
        )
        save_png(out, dst)
        print(f"{src} → {dst}")


def _inpaint(args: argparse.Namespace) -> None:
    from artgan.inpaint.pipeline import inpaint_files
    from artgan.runtime.images import save_png

    out = inpaint_files(args.image, args.mask, args.method, args.grow)
    print(f"{args.image} → {save_png(out, args.output)}")


def _add_inpaint_parser(sub) -> None:
    from artgan.inpaint.pipeline import METHODS

    p = sub.add_parser("inpaint", help="restore the masked region of a picture (cracks, scratches, objects)")
    p.add_argument("image", help="picture to restore")
    p.add_argument("--mask", required=True, help="mask picture of the same size: white (or opaque) = restore")
    p.add_argument("-o", "--output", required=True, help="output PNG")
    p.add_argument("--method", default="gan", choices=list(METHODS), help="gan (default) or a classical method")
    p.add_argument("--grow", type=int, default=0, help="dilate the mask by this many pixels, feathered (default 0)")
    p.set_defaults(func=_inpaint)


def _output_paths(inputs: list[str], output: str) -> list[Path]:
    """One input: OUTPUT is the file. Several: OUTPUT is a folder of <stem>.png."""
    if len(inputs) == 1 and not output.endswith(("/", "\\")) and not Path(output).is_dir():
        return [Path(output)]
    return [Path(output) / f"{Path(i).stem}.png" for i in inputs]


def _learn_style(args: argparse.Namespace) -> None:
    try:
        from tqdm import tqdm

        from artgan.stylize.learn import learn_style, save_learned
    except ImportError as exc:
        raise ArtganError(TRAIN_HINT) from exc
    from artgan.datasets import list_images
    from artgan.runtime.images import read_image
    from artgan.stylize.pipeline import StyleLibrary, user_styles_dir

    if not args.name.replace("_", "").replace("-", "").isalnum():
        raise ArtganError("--name may hold letters, digits, '-' and '_' only")
    library = StyleLibrary()
    painting = read_image(args.painting)
    content = [read_image(p) for p in list_images(args.content)[:8]]
    bar = tqdm(total=args.steps, desc=f"learning {args.name}")
    for progress in learn_style(library, painting, content, steps=args.steps):
        bar.update(1)
        bar.set_postfix(loss=f"{progress.loss:.3g}")
    bar.close()
    path = save_learned(Path(args.out_dir) if args.out_dir else user_styles_dir(), args.name, progress.params, painting)
    print(f"saved {path}; use it with: artgan stylize IN -s {args.name} -o OUT")


def _styles(args: argparse.Namespace) -> None:
    from artgan.stylize.pipeline import StyleLibrary

    for style in StyleLibrary().styles.values():
        print(f"{style.id:32s} {style.label}")


def _add_stylize_parser(sub) -> None:
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
    p.set_defaults(func=_stylize)
    sub.add_parser("styles", help="list the shipped and learned styles").set_defaults(func=_styles)
    p = sub.add_parser("learn-style", help="learn a new style from one painting in minutes (needs the train extra)")
    p.add_argument("painting", help="image of the painting whose style to learn")
    p.add_argument("--name", required=True, help="id of the new style (letters, digits, - and _)")
    p.add_argument("--steps", type=int, default=300, help="optimisation steps (default 300, ~3 min on 2 cores)")
    p.add_argument("--content", default=str(EXAMPLES), help="photos to practise on (default: the shipped examples)")
    p.add_argument(
        "--out-dir", default="", help="where to save <name>.npy (default $ARTGAN_USER_STYLES or ~/.artgan/styles)"
    )
    p.set_defaults(func=_learn_style)


def _video(args: argparse.Namespace) -> None:
    from artgan.stylize.pipeline import library_for, parse_style_spec
    from artgan.video.media import Limits, probe
    from artgan.video.pipeline import VideoSettings, iter_stylize_video

    settings = VideoSettings(
        parse_style_spec(args.style),
        args.strength,
        args.keep_colors,
        args.stabilize,
        args.brush_scale,
        Limits(args.max_side, args.max_seconds),
    )
    info = probe(args.input, settings.limits)
    for note in info.notes:
        print(f"note: {note}")
    steps = iter_stylize_video(library_for(not args.quality), args.input, args.output, settings, info)
    try:
        while True:
            step = next(steps)
            print(f"\r{step.done}/{step.total} frames, {step.seconds_left:.0f} s left ", end="", file=sys.stderr)
    except StopIteration as stop:
        result = stop.value
    print(file=sys.stderr)
    sound = "with its sound" if result.has_audio else "silent"
    print(f"{args.input} → {args.output}: {result.frames} frames at {result.fps:.3g} fps, {sound}")


def _add_video_parser(sub) -> None:
    p = sub.add_parser("video", help="stylize a video clip, steadied, with its sound (mp4 out)")
    p.add_argument("input", metavar="IN", help="video file (mp4, mov, webm, mkv, avi, ts)")
    p.add_argument("-s", "--style", required=True, help="style id, or a blend NAME:W,NAME:W; see `artgan styles`")
    p.add_argument("-o", "--output", required=True, help="output .mp4 (H.264 + AAC)")
    p.add_argument("--strength", type=float, default=1.0, help="0 = the clip, 1 = full style (default 1)")
    p.add_argument(
        "--stabilize",
        type=float,
        default=DEFAULT_STABILIZE,
        help=f"temporal smoothing 0–1: 0 = per-frame, flickers (default {DEFAULT_STABILIZE})",
    )
    p.add_argument("--keep-colors", action="store_true", help="keep the clip's colours (luminance-only transfer)")
    p.add_argument(
        "--brush-scale", type=float, default=1.0, help="larger strokes and faster above 1, 0.25–4 (default 1)"
    )
    p.add_argument("--max-side", type=int, default=720, help="downscale so the long side is at most this (720)")
    p.add_argument("--max-seconds", type=float, default=60.0, help="keep at most this many seconds (60)")
    p.add_argument("--quality", action="store_true", help="use the quality network (default: the fast one, ~5× faster)")
    p.set_defaults(func=_video)


def _texture(args: argparse.Namespace) -> None:
    from artgan.runtime.images import save_png
    from artgan.texture.pipeline import TextureLibrary, generate, parse_size

    width, height = parse_size(args.size)
    library = TextureLibrary()
    img = generate(library, args.name, width, height, args.seed, args.tile, args.morph_to, args.morph)
    path = save_png(img, args.output)
    print(f"{args.name} {width}×{height} seed {args.seed}{' tileable' if args.tile else ''} → {path}")


def _fit_texture(args: argparse.Namespace) -> None:
    try:
        from tqdm import tqdm

        from artgan.texture.fit import fit_texture
    except ImportError as exc:
        raise ArtganError(TRAIN_HINT) from exc
    from artgan.runtime.images import read_image
    from artgan.texture.pipeline import TextureLibrary, save_fitted, user_textures_dir

    if not args.name.replace("_", "").replace("-", "").isalnum():
        raise ArtganError("--name may hold letters, digits, '-' and '_' only")
    library = TextureLibrary()
    example = read_image(args.image)
    bar = tqdm(total=args.steps, desc=f"fitting {args.name}")
    for progress in fit_texture(library, example, steps=args.steps):
        bar.update(1)
        bar.set_postfix(loss=f"{progress.loss:.3g}")
    bar.close()
    folder = Path(args.out_dir) if args.out_dir else user_textures_dir()
    path = save_fitted(folder, args.name, progress.params, example)
    print(f"saved {path}; use it with: artgan texture {args.name} -o OUT.png")


def _textures(args: argparse.Namespace) -> None:
    from artgan.texture.pipeline import TextureLibrary

    for tex in TextureLibrary().textures.values():
        print(f"{tex.id:28s} {tex.label}")


def _add_texture_parser(sub) -> None:
    p = sub.add_parser("texture", help="synthesize a new texture of any size (64–4096 px a side)")
    p.add_argument("name", help="texture id (see `artgan textures`) or a fitted texture's .npy file")
    p.add_argument("--size", default="1024x1024", help="WIDTHxHEIGHT in pixels, 64–4096 each (default 1024x1024)")
    p.add_argument("--seed", type=int, default=0, help="same seed, same image (default 0)")
    p.add_argument("--tile", action="store_true", help="make the image tile seamlessly with itself")
    p.add_argument("--morph-to", default=None, help="a second texture to morph towards")
    p.add_argument("--morph", type=float, default=0.5, help="0 = NAME, 1 = --morph-to (default 0.5; needs --morph-to)")
    p.add_argument("-o", "--output", required=True, help="output PNG")
    p.set_defaults(func=_texture)
    sub.add_parser("textures", help="list the shipped and fitted textures").set_defaults(func=_textures)
    p = sub.add_parser("fit-texture", help="fit a new texture to one image in minutes (needs the train extra)")
    p.add_argument("image", help="image of the texture to fit")
    p.add_argument("--name", required=True, help="id of the new texture (letters, digits, - and _)")
    p.add_argument("--steps", type=int, default=200, help="optimisation steps (default 200, ~3 min on 2 cores)")
    p.add_argument(
        "--out-dir", default="", help="where to save <name>.npy (default $ARTGAN_USER_TEXTURES or ~/.artgan/textures)"
    )
    p.set_defaults(func=_fit_texture)


# (command, task, torch-side module with add_arguments() and run(), help)
TORCH_COMMANDS = [
    ("train", "stylize", "artgan.stylize.train", "multi-style transfer network with conditional instance norm"),
    ("train", "stylize-distill", "artgan.stylize.distill", "distil a trained stylize network into a faster one"),
    ("train", "texture", "artgan.texture.train", "multi-texture spatial GAN (PSGAN-style), any output size"),
    ("train", "inpaint", "artgan.inpaint.train", "gated-convolution inpainting GAN with an SN-PatchGAN discriminator"),
    ("export", "stylize", "export.stylize", "write weights/stylize.onnx and the style parameter files"),
    ("export", "texture", "export.texture", "write weights/texture.onnx, texture codes and thumbnails"),
    ("export", "inpaint", "export.inpaint", "write weights/inpaint.onnx and its manifest entry"),
]


def _add_train_parsers(sub) -> None:
    helps = {
        "train": "train a model (needs the train extra)",
        "export": "export a checkpoint to ONNX + manifest (needs the train extra)",
    }
    tasks = {}
    for command, help_text in helps.items():
        tasks[command] = sub.add_parser(command, help=help_text).add_subparsers(
            dest="task", required=True, metavar="TASK"
        )
    for command, task, module, help_text in TORCH_COMMANDS:
        _with_torch_args(tasks[command].add_parser(task, help=help_text), module)


def _with_torch_args(p: argparse.ArgumentParser, module: str) -> None:
    """Add a torch-side module's options and its `run`; without torch, the command explains itself."""
    import importlib

    try:
        mod = importlib.import_module(module)
    except ImportError:
        p.add_argument("rest", nargs=argparse.REMAINDER, help=TRAIN_HINT)
        p.set_defaults(func=_missing_torch)
        return
    mod.add_arguments(p)
    p.set_defaults(func=mod.run)


def _missing_torch(_: argparse.Namespace) -> None:
    raise ArtganError(TRAIN_HINT)


def build_parser(with_train: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="artgan", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_stylize_parser(sub)
    _add_texture_parser(sub)
    _add_inpaint_parser(sub)
    _add_video_parser(sub)
    if with_train:
        _add_train_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # only build the torch-backed parsers when they are asked for: keeps inference fast
    with_train = bool(argv) and argv[0] in ("train", "export", "-h", "--help")
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
