"""Time the shipped stylize network: ONNX Runtime (CPU, and CUDA when present) vs PyTorch eager.

Usage: python bench/bench_stylize.py [--sizes 512 1024 2048] [--repeats 5] [--checkpoint runs/…/last.pt]
Prints a Markdown table for BENCHMARKS.md. PyTorch eager needs the `train` extra and a
checkpoint of the same network (the shipped ONNX file cannot be run by torch).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from artgan.runtime.sessions import CPU, CUDA, nvidia_driver_present, session_options  # noqa: E402
from artgan.stylize.pipeline import StyleLibrary, network_feeds  # noqa: E402


def median_time(fn, repeats: int) -> float:
    return interleaved({"fn": fn}, repeats)[0]["fn"]


def interleaved(fns: dict, repeats: int) -> tuple[dict[str, float], list[dict[str, float]]]:
    """Median seconds of each callable, run in turn within every repeat, and the raw rounds.

    Taking turns, rather than all repeats of one then all of the next, lets both sides of a
    ratio see the same machine state: on a shared host the load drifts between phases. A
    pause before each call keeps ONNX Runtime's spin-waiting threads from slowing torch.
    """
    for fn in fns.values():
        fn()  # warm-up: allocation and kernel choice
    rounds = []
    for _ in range(repeats):
        row = {}
        for name, fn in fns.items():
            time.sleep(0.2)  # let the previous runtime's spinning worker threads go idle first
            t = time.perf_counter()
            fn()
            row[name] = time.perf_counter() - t
        rounds.append(row)
    return {name: statistics.median(r[name] for r in rounds) for name in fns}, rounds


def ort_call(library: StyleLibrary, providers: list[str], size: int):
    sess = ort.InferenceSession(str(library.model_path), session_options(), providers=providers)
    x = np.random.default_rng(0).random((1, 3, size, size), dtype=np.float32)
    feeds = network_feeds(x, library.get(library.names()[0]).params)
    return lambda: sess.run(None, feeds)


def torch_calls(checkpoint: Path, size: int) -> dict:
    """Eager calls of (the exported graph's function, the plain forward).

    The exported graph is the shared-statistics form (it mixes given normalisation statistics
    with the image's own, for tiles); the plain forward uses torch's fused instance norm and
    cannot tile. With stats_weight 0 both compute the same image.
    """
    import torch

    from artgan.stylize.model import SharedStatsGraph
    from artgan.stylize.train import load_model

    _, net, bank = load_model(checkpoint)
    x, s = torch.rand(1, 3, size, size), bank(torch.tensor([0])).detach()
    graph, stats, weight = SharedStatsGraph(net), torch.zeros_like(s), torch.zeros(1, 1)

    def run(fn):
        def call():
            with torch.inference_mode():
                fn()

        return call

    return {"graph": run(lambda: graph(x, s, stats, weight)), "plain": run(lambda: net(x, s))}


def bench_pipeline_memory(side: int, brush: float, model_id: str = "stylize") -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of a fresh process stylizing a side×side picture end to end.

    A child process, so the peak belongs to this one job; brush 0.25 at 4096 px runs the
    network at full resolution in shared-statistics tiles.
    """
    code = (
        "import numpy as np, re, time\n"
        "from artgan.stylize.pipeline import StyleLibrary, stylize\n"
        f"lib = StyleLibrary(model_id={model_id!r})\n"
        f"img = np.zeros(({side}, {side}, 3), np.uint8); img[::7] = 200; img[:, ::5] = 90\n"
        f"t = time.perf_counter(); stylize(lib, img, {{lib.names()[0]: 1.0}}, max_side=None, brush_scale={brush})\n"
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork+exec from the parent
        "hwm = int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
        "print(time.perf_counter() - t, hwm / 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    seconds, peak = out.stdout.split()[-2:]
    return float(seconds), float(peak)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--checkpoint", type=Path, default=None, help="training checkpoint for the PyTorch eager column")
    p.add_argument("--tiled", type=int, default=4096, help="side of the end-to-end tiled run (time + peak memory)")
    p.add_argument("--model-id", default="stylize", help="stylize (quality) or stylize_fast (distilled)")
    args = p.parse_args()
    library = StyleLibrary(model_id=args.model_id)
    threads = os.environ.get("ARTGAN_THREADS", "all")
    print(
        f"{args.model_id} network · {datetime.date.today()} · {cpu_name()} · {os.cpu_count()} cores · "
        f"ORT {ort.__version__} threads={threads}; ORT and eager take turns within each of {args.repeats} rounds, "
        "speed-up = median over rounds of eager / ORT\n"
    )
    print(
        "| size | ORT CPU (s) | eager, same graph (s) | ORT speed-up "
        "| eager, plain forward (s) | speed-up | ORT CUDA (s) |"
    )
    print("|---|---|---|---|---|---|---|")
    for size in args.sizes:
        calls = {"ort": ort_call(library, [CPU], size)}
        if args.checkpoint:
            calls |= torch_calls(args.checkpoint, size)
        med, rounds = interleaved(calls, args.repeats)
        cuda = (
            median_time(ort_call(library, [CUDA, CPU], size), args.repeats)
            if nvidia_driver_present() and CUDA in ort.get_available_providers()
            else None
        )

        def cell(name: str, med=med, rounds=rounds) -> str:
            if name not in med:
                return "– | –"
            ratio = statistics.median(r[name] / r["ort"] for r in rounds)  # paired: same moment
            return f"{med[name]:.3f} | {ratio:.2f}×"

        cuda_s = f"{cuda:.3f}" if cuda is not None else "–"
        print(f"| {size}² | {med['ort']:.3f} | {cell('graph')} | {cell('plain')} | {cuda_s} |")
    print(f"\nwhole pipeline at {args.tiled}² output, one fresh process each:\n")
    print("| brush scale | network runs at | time (s) | peak RSS (MiB) |")
    print("|---|---|---|---|")
    for brush in (1.0, 0.25):
        seconds, peak = bench_pipeline_memory(args.tiled, brush, args.model_id)
        work = min(args.tiled, library.work_side) / brush  # as `stylize` sizes the network's input
        how = f"{work:.0f}² in 1024 px tiles" if work > 1024 else f"{work:.0f}², one pass"
        print(f"| {brush} | {how} | {seconds:.2f} | {peak:.0f} |")


if __name__ == "__main__":
    main()
