"""Parallel load on the running app: 8 gradio_client users mixing Stylize and Inpaint (and some video).

Usage: python bench/bench_load.py [--clients 8] [--seconds 60] [--ttl 30]

Launches `app.py` in a subprocess with its own temporary folder and `ARTGAN_TEMP_TTL=ttl`,
drives it for a bounded time, then reports latency percentiles, failed requests, the
queue positions the clients were shown, the app's peak RSS (VmHWM, Linux) and the size of
its temporary folder before, right after, and once the TTL has passed (uploads, results and
videos must be gone by then). Nothing is mocked: real uploads, real ONNX Runtime sessions.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.app_process import free_port, wait_until_served  # noqa: E402

PHOTO = ROOT / "examples" / "kodak_02_red_door.jpg"
DAMAGED = ROOT / "examples" / "inpaint" / "glacier_scratched.jpg"
DAMAGE_MASK = ROOT / "examples" / "inpaint" / "glacier_scratched_mask.png"


def folder_size(folder: Path) -> tuple[int, int]:
    """(bytes, files) under `folder`."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def inputs(work: Path) -> dict:
    """The files every client sends: a photo, a damaged picture with its brush layer, a short clip."""
    from tests.video_clips import pan, photo, write_clip

    layer = np.zeros((*Image.open(DAMAGED).size[::-1], 4), np.uint8)
    layer[np.asarray(Image.open(DAMAGE_MASK)) > 127] = (255, 0, 255, 255)
    Image.fromarray(layer).save(work / "layer.png")
    clip = write_clip(work / "clip.mp4", pan(photo(), 24, (240, 144), step=2.0), 12, audio=True)
    return {"layer": work / "layer.png", "clip": clip}


def client_loop(
    url: str, files: dict, user: int, deadline: float, video_every: int, stats: dict, lock: threading.Lock
) -> None:
    """One user; each asks with slightly different settings, as people do (identical outputs written
    at the same moment race in Gradio's cache writer, which rewrites the file in place)."""
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False)
    n = 0
    while time.monotonic() < deadline:
        n += 1
        if video_every and n % video_every == 0:
            kind = "video"
            args = (handle_file(str(files["clip"])), "starry_night", [], 0.0, 1.0 - 0.02 * user, 0.8, 1.0, False)
        elif n % 2:
            kind = "stylize"
            args = (handle_file(str(PHOTO)), "the_scream", [], 0.0, 1.0 - 0.02 * user, False, 1.0, 512)
        else:
            kind = "inpaint"
            editor = {"background": handle_file(str(DAMAGED)), "layers": [handle_file(str(files["layer"]))]}
            args = ({**editor, "composite": None}, None, "gan", 1 + user)
        start = time.monotonic()
        job = client.submit(*args, api_name=f"/{kind}")
        ranks = set()
        while not job.done():
            status = job.status()
            if status.rank is not None:
                ranks.add(status.rank)
            time.sleep(0.1)
        try:
            job.result()
            ok = True
        except Exception as exc:  # a failed request is the measurement, not a crash of the bench
            ok = False
            with lock:
                stats["errors"].append(f"{kind}: {exc}")
        with lock:
            if ok:
                stats[kind].append(time.monotonic() - start)
            else:
                stats["failed"].append(kind)
            stats["ranks"].update(ranks)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--seconds", type=float, default=60.0, help="how long the clients keep sending")
    p.add_argument("--ttl", type=int, default=30, help="ARTGAN_TEMP_TTL for the launched app (seconds)")
    p.add_argument("--video-every", type=int, default=8, help="every Nth request of a client is a video (0: none)")
    args = p.parse_args()

    work = Path(tempfile.mkdtemp(prefix="artgan-bench-load-"))
    app_tmp = work / "app_tmp"
    app_tmp.mkdir()
    files = inputs(work)
    port = free_port()
    env = {
        **os.environ,
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "TMPDIR": str(app_tmp),
        "GRADIO_TEMP_DIR": str(app_tmp / "gradio"),
        "ARTGAN_TEMP_TTL": str(args.ttl),
    }
    with open(work / "app.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        if not wait_until_served(proc, url):
            raise SystemExit((work / "app.log").read_text())
        before = folder_size(app_tmp)
        startup_files = {p for p in app_tmp.rglob("*") if p.is_file()}
        rss_idle = peak_rss_mb(proc.pid)
        stats: dict = defaultdict(list)
        stats["ranks"] = set()
        lock = threading.Lock()
        deadline = time.monotonic() + args.seconds
        threads = [
            threading.Thread(target=client_loop, args=(url, files, user, deadline, args.video_every, stats, lock))
            for user in range(args.clients)
        ]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - t0
        rss_peak = peak_rss_mb(proc.pid)
        after = folder_size(app_tmp)
        time.sleep(2 * args.ttl + 5)  # files older than TTL go at the next sweep (every TTL seconds)
        later = folder_size(app_tmp)
        leftovers = sorted(p.name for p in app_tmp.glob("artgan-*"))
        kept = sorted(str(p.relative_to(app_tmp)) for p in app_tmp.rglob("*") if p.is_file() and p not in startup_files)
        alive = proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(10)

    done = sum(len(stats[k]) for k in ("stylize", "inpaint", "video"))
    command = f"python bench/bench_load.py --clients {args.clients} --seconds {args.seconds:g} --ttl {args.ttl}"
    print(f"## Load — `{command}`")
    print(
        f"\n{datetime.date.today()}, {platform.node()}: {os.cpu_count()} CPU cores, "
        f"Python {platform.python_version()}; ARTGAN_CONCURRENCY={os.environ.get('ARTGAN_CONCURRENCY', '2')}\n"
    )
    print("| request | answered | p50 s | p90 s | p99 s | max s |")
    print("|---|---|---|---|---|---|")
    for kind in ("stylize", "inpaint", "video"):
        v = stats[kind]
        if v:
            row = [percentile(v, q) for q in (50, 90, 99)] + [max(v)]
            print(f"| {kind} | {len(v)} | " + " | ".join(f"{x:.2f}" for x in row) + " |")
    print(
        f"\n- {done} requests answered in {wall:.0f} s ({done / wall:.2f}/s), "
        f"**{len(stats['failed'])} failed**{': ' + '; '.join(stats['errors'][:3]) if stats['errors'] else ''}"
    )
    ranks = sorted(stats["ranks"])
    print(f"- queue positions shown to clients while waiting: {ranks[0]}–{ranks[-1]}" if ranks else "- no queueing")
    print(f"- app peak RSS: {rss_peak:.0f} MB (idle after start-up: {rss_idle:.0f} MB); app alive at the end: {alive}")
    print(
        f"- temporary folder: {before[0] / 1e6:.1f} MB ({before[1]} files) before, "
        f"{after[0] / 1e6:.1f} MB ({after[1]} files) right after the load, "
        f"{later[0] / 1e6:.1f} MB ({later[1]} files) {2 * args.ttl + 5} s later; "
        f"job folders left: {len(leftovers)}"
    )
    print(f"- files made during the load still there after the TTL: {', '.join(kept) or 'none'}")
    print(f"- median latency overall: {statistics.median(stats['stylize'] + stats['inpaint']):.2f} s")


if __name__ == "__main__":
    main()
