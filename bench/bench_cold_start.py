"""Cold start of the app: process start → page served → first stylize request answered.

Usage: python bench/bench_cold_start.py [--runs 3]
A Space restarts the process on every wake-up, so this is what a visitor waits for.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.app_process import free_port, wait_until_served  # noqa: E402


def one_run() -> tuple[float, float]:
    from gradio_client import Client, handle_file

    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        if not wait_until_served(proc, url):
            raise SystemExit("app.py did not serve its page within 120 s")
        served = time.perf_counter() - start
        photo = handle_file(str(ROOT / "examples" / "kodak_02_red_door.jpg"))
        Client(url, verbose=False).predict(photo, "the_scream", [], 0.0, 1.0, False, 1.0, 512, api_name="/stylize")
        return served, time.perf_counter() - start
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    runs = [one_run() for _ in range(args.runs)]
    print(f"{datetime.date.today()} · {os.cpu_count()} cores · median of {args.runs} cold starts")
    print(
        f"page served: {statistics.median(r[0] for r in runs):.1f} s · first stylize (512 px) answered: "
        f"{statistics.median(r[1] for r in runs):.1f} s"
    )


if __name__ == "__main__":
    main()
