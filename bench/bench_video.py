"""Video benchmark: flicker (per-frame vs stabilised) and throughput, results for BENCHMARKS.md.

    ARTGAN_THREADS=2 python bench/bench_video.py [--out runs/bench_video] [--frames 16]

Flicker is the warping error of artgan.video.temporal.FlickerMeter (flow from the input
frames, untrusted pixels excluded) on a generated camera pan, a generated zoom over another
photo (never used for tuning) and on the time-lapse in
../shared/data/videos (skipped when that folder is absent). Side-by-side PNGs (input |
per-frame | stabilised) are written for looking at ghosting. Throughput is timed per stage
(decode, network, flow + blend, encode) and end to end through stylize_video.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from artgan.evaluation.video import FlickerMeter, stylize_video  # noqa: E402
from artgan.runtime.images import save_png  # noqa: E402
from artgan.runtime.sessions import active_provider  # noqa: E402
from artgan.stylize.pipeline import library_for  # noqa: E402
from artgan.video.media import Limits, Mp4Writer, probe, read_frames  # noqa: E402
from artgan.video.pipeline import FramePainter, VideoSettings, stylize_frames  # noqa: E402
from artgan.video.temporal import DEFAULT_STABILIZE, Stabilizer  # noqa: E402
from tests.video_clips import pan, photo, write_clip  # noqa: E402

FLOWER = ROOT.parent / "shared" / "data" / "videos" / "flower_bud_opening_timelapse.mp4"
STYLE = {"starry_night": 1.0}


def sharpness(img_u8: np.ndarray) -> float:
    """Variance of the Laplacian: how much stroke detail a frame has (blur lowers it)."""
    return float(cv2.Laplacian(cv2.cvtColor(img_u8, cv2.COLOR_RGB2GRAY), cv2.CV_32F).var())


STRENGTHS = tuple(sorted({0.5, 0.8, 0.9, DEFAULT_STABILIZE, 1.0}))  # the columns of the flicker table


def flicker(library, name: str, frames: list[np.ndarray], out_dir: Path, strengths=STRENGTHS) -> dict:
    """Warping error of per-frame and stabilised outputs on the same flow and mask; saves side-by-sides."""
    h, w = frames[0].shape[:2]
    painter = FramePainter(library, VideoSettings(STYLE), w, h)
    painted = [painter([f])[0] for f in frames]
    stabilisers = [Stabilizer(s) for s in strengths]
    meter = FlickerMeter()
    steady_last, sharp = {}, np.zeros(1 + len(strengths))
    for i, (frame, p) in enumerate(zip(frames, painted, strict=True)):
        steady = [st(frame, p) for st in stabilisers]
        meter.update(frame, p, *steady)
        sharp += [sharpness(x) for x in (p, *steady)]
        if i in (len(frames) // 3, len(frames) - 1):
            steady_last[i] = np.concatenate([frame, p, steady[strengths.index(DEFAULT_STABILIZE)]], axis=1)
    for i, row in steady_last.items():
        save_png(row, out_dir / f"{name}_frame{i:03d}_input_perframe_stab{DEFAULT_STABILIZE:g}.png")
    per_frame, *stab = meter.values
    detail = dict(zip(strengths, sharp[1:] / sharp[0], strict=True))
    return {
        "detail": detail,
        "clip": name,
        "size": f"{w}×{h}",
        "frames": len(frames),
        "per_frame": per_frame,
        "stab": dict(zip(strengths, stab, strict=True)),
    }


def time_stages(library, clip: Path, batch_sizes=(1, 4)) -> dict:
    """Seconds per frame of each stage on one clip (frames held in memory between stages)."""
    info = probe(clip, Limits(max_side=10_000))
    t = time.perf_counter()
    frames = list(read_frames(clip, info))
    decode = (time.perf_counter() - t) / len(frames)
    vec = library.blend(STYLE)
    stylize_frames(library, frames[:1], vec)  # warm-up for this size
    network = {}
    for b in batch_sizes:
        t = time.perf_counter()
        painted = [o for i in range(0, len(frames), b) for o in stylize_frames(library, frames[i : i + b], vec)]
        network[b] = (time.perf_counter() - t) / len(frames)
    stabilizer = Stabilizer(DEFAULT_STABILIZE)
    t = time.perf_counter()
    steady = [stabilizer(f, p) for f, p in zip(frames, painted, strict=True)]
    flow = (time.perf_counter() - t) / (len(frames) - 1)
    t = time.perf_counter()
    with Mp4Writer(clip.with_suffix(".enc.mp4"), info) as writer:
        for f in steady:
            writer.write(f)
    encode = (time.perf_counter() - t) / len(frames)
    return {"decode": decode, "network": network, "flow": flow, "encode": encode}


def end_to_end(library, clip: Path, brush_scale: float = 1.0) -> float:
    """Frames per second of stylize_video (decode → network → stabilise → encode, with audio)."""
    settings = VideoSettings(STYLE, brush_scale=brush_scale, limits=Limits(max_side=10_000))
    t = time.perf_counter()
    result = stylize_video(library, clip, clip.with_suffix(f".out{brush_scale:g}.mp4"), settings)
    return result.frames / (time.perf_counter() - t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "runs" / "bench_video"))
    parser.add_argument(
        "--frames", type=int, default=96, help="frames per throughput clip (short clips overweight start-up)"
    )
    parser.add_argument("--quality", action="store_true", help="the quality network (default: the fast one)")
    parser.add_argument("--throughput-only", action="store_true", help="skip the flicker measurements")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    library = library_for(fast=not args.quality)
    print(f"network: {library.entry['id']} · provider: {active_provider(library.session())}")

    rows = []
    if not args.throughput_only:  # the pan was used to tune the stabiliser; the zoom never was
        rows.append(flicker(library, "pan", pan(photo(), 48, (480, 270), step=2.5), out))
        zoom = pan(photo("glacier_lagoon_icebergs.jpg"), 48, (480, 270), step=1.5, zoom=0.004)
        rows.append(flicker(library, "zoom", zoom, out))
        if FLOWER.is_file():
            info = probe(FLOWER, Limits(max_side=480))
            rows.append(flicker(library, "flower", list(read_frames(FLOWER, info)), out))
    d = DEFAULT_STABILIZE
    head = ["clip", "size", "frames", "per-frame", *(f"stab. {v:g}" + " (default)" * (v == d) for v in STRENGTHS)]
    head += [f"{d:g} / per-frame", f"detail {d:g}"]
    print("\n| " + " | ".join(head) + " |\n" + "|---" * len(head) + "|")
    for r in rows:
        s = r["stab"]
        cells = [r["clip"], r["size"], r["frames"], *(f"{v:.2f}" for v in (r["per_frame"], *s.values()))]
        cells += [f"{s[d] / r['per_frame']:.0%}", f"{r['detail'][d]:.0%}"]
        print("| " + " | ".join(map(str, cells)) + " |")

    print("\n| size | decode | network b=1 | network b=4 | flow + blend | encode | end to end | brush 2 |")
    print("|---|---|---|---|---|---|---|---|")
    for w, h in ((854, 480), (1280, 720)):
        clip = write_clip(out / f"pan_{h}p.mp4", pan(photo(), args.frames, (w, h), step=3.0), 30, audio=True)
        st = time_stages(library, clip)
        fps, fast = end_to_end(library, clip), end_to_end(library, clip, brush_scale=2.0)
        ms = lambda s: f"{s * 1000:.0f} ms"  # noqa: E731
        print(
            f"| {w}×{h} | {ms(st['decode'])} | {ms(st['network'][1])} | {ms(st['network'][4])} | {ms(st['flow'])} | "
            f"{ms(st['encode'])} | {fps:.2f} fps | {fast:.2f} fps |"
        )


if __name__ == "__main__":
    main()
