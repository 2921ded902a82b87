"""`artgan video`: stylize a clip from the command line."""

from __future__ import annotations

import argparse
import sys

from artgan.capability import Commands
from artgan.video.temporal import DEFAULT_STABILIZE


def video_file(args: argparse.Namespace) -> None:
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


def add_commands(commands: Commands) -> None:
    p = commands.top.add_parser("video", help="stylize a video clip, steadied, with its sound (mp4 out)")
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
    p.set_defaults(func=video_file)
