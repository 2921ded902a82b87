"""Live tab speed through the real app in headless Chromium with a clip as the camera.

Usage: python bench/bench_live.py [--seconds 10] [--rounds 2] [--sizes 320 480 640]

Launches `app.py`, opens the Live tab in Debian's Chromium with a fake camera playing a
640×480 clip (a pan over an example photo), presses Record and, for each size with
steadiness on and off (interleaved, `--rounds` times, since the machine is shared), counts
the painted frames the page shows per second and their end-to-end latency.

Latency is measured on the pictures themselves: every camera frame carries its number in a
strip of 8 bright/dark block pairs along its bottom edge (a bit is which block of its pair
is brighter, so it survives the painting's change of tones). The page reads the number from
each frame it sends (the canvas it encodes) and from each painted frame it shows, so a
shown frame's latency is the time from its capture to its display, whatever was dropped.
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
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.app_process import free_port, wait_until_served  # noqa: E402
from tests.browser import ARGS, HOW_TO_GET_ONE, find_chromium  # noqa: E402
from tests.video_clips import pan, photo, write_y4m  # noqa: E402

CAMERA = (640, 480)
FRAMES = 160  # 6.7 s at 24 fps, then the camera loops; fewer than the 256 numbers 8 bits can tell
MARK = 0.1  # the numbered strip's height, as a fraction of the frame's

# Reads a frame's number from its bottom strip: 16 blocks, bit b = block 2b brighter than 2b+1.
READ_MARK = """
const readMark = (ctx, w, h) => {
  const sh = Math.max(4, Math.round(h * MARK)), bw = w / 16;
  const d = ctx.getImageData(0, h - sh, w, sh).data;
  const mean = [];
  for (let k = 0; k < 16; k++) {
    let s = 0, n = 0;
    for (let y = Math.floor(sh / 4); y < sh - Math.floor(sh / 4); y++)
      for (let x = Math.floor(k * bw + bw / 4); x < Math.floor((k + 1) * bw - bw / 4); x++) {
        const i = 4 * (y * w + x); s += d[i] + d[i + 1] + d[i + 2]; n++;
      }
    mean.push(s / n);
  }
  let v = 0;
  for (let b = 0; b < 8; b++) if (mean[2 * b] > mean[2 * b + 1]) v |= 1 << b;
  return v;
};
""".replace("MARK", str(MARK))

INSTRUMENT = (
    "() => {"
    + READ_MARK
    + """
  window.benchSent = new Map(); window.benchShown = [];
  const toDataURL = HTMLCanvasElement.prototype.toDataURL;
  HTMLCanvasElement.prototype.toDataURL = function (...args) {
    if (args[0] === 'image/jpeg' && this.width >= 64) {
      const n = readMark(this.getContext('2d'), this.width, this.height), now = performance.now();
      const seen = window.benchSent.get(n);
      if (seen === undefined || now - seen > 3000) window.benchSent.set(n, now);  // first capture of it
    }
    return toDataURL.apply(this, args);
  };
  const box = document.querySelector('#live-result'), canvas = document.createElement('canvas');
  let last = null;
  new MutationObserver(() => {
    const img = box.querySelector('img');
    if (!img || !img.src.startsWith('data:') || img.src === last) return;
    last = img.src;
    const shown = performance.now(), pic = new Image();
    pic.onload = () => {
      canvas.width = pic.width; canvas.height = pic.height;
      const ctx = canvas.getContext('2d'); ctx.drawImage(pic, 0, 0);
      const n = readMark(ctx, pic.width, pic.height), sent = window.benchSent.get(n);
      const ms = document.querySelector('#live-status .live-readout');
      window.benchShown.push([shown, sent === undefined ? null : shown - sent,
                              ms ? parseFloat(ms.dataset.totalMs) : null]);
    };
    pic.src = img.src;
  }).observe(box, {subtree: true, childList: true, attributes: true});
}"""
)


def numbered(frames: list[np.ndarray]) -> list[np.ndarray]:
    """Each frame with its index in the bottom strip: bit b set = block 2b white, 2b+1 black."""
    out = []
    for i, f in enumerate(frames):
        f = f.copy()
        h, w = f.shape[:2]
        sh, bw = round(h * MARK), w // 16
        for b in range(8):
            bright = (i >> b) & 1
            f[h - sh :, 2 * b * bw : (2 * b + 1) * bw] = 255 if bright else 0
            f[h - sh :, (2 * b + 1) * bw : (2 * b + 2) * bw] = 0 if bright else 255
        out.append(f)
    return out


def load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def cpu_seconds(pids: set[int]) -> float:
    """User + system CPU time the processes have used so far (Linux /proc)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def descendants(root: int) -> set[int]:
    """`root` and every process below it."""
    parent = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid, rest = stat.read_text().split(" ", 1)
            parent[int(pid)] = int(rest.rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    found, todo = {root}, [root]
    while todo:
        current = todo.pop()
        kids = [pid for pid, ppid in parent.items() if ppid == current]
        found.update(kids)
        todo.extend(kids)
    return found


def measure(page, seconds: float, app_pid: int) -> dict:
    """Frames shown per second, latency percentiles and CPU time per frame over the next `seconds`.

    CPU time is what the machine's load cannot distort: the app's (server) and the browser's
    (every other process this bench started) per shown frame.
    """
    app = descendants(app_pid)
    browser = descendants(os.getpid()) - app - {os.getpid()}
    page.evaluate("window.benchShown = []")
    cpu0 = cpu_seconds(app), cpu_seconds(browser)
    page.wait_for_timeout(int(seconds * 1000))
    cpu1 = cpu_seconds(app), cpu_seconds(browser)
    shown = page.evaluate("window.benchShown")
    times = [s[0] for s in shown]
    lat = [s[1] for s in shown if s[1] is not None and 0 < s[1] < 5000]
    server = [s[2] for s in shown if s[2] is not None]
    fps = (len(times) - 1) / ((times[-1] - times[0]) / 1000) if len(times) > 2 else 0.0
    frames = max(1, len(shown))
    app_ms, browser_ms = (1000 * (b - a) / frames for a, b in zip(cpu0, cpu1, strict=True))
    return {
        "fps": fps,
        "lat": lat,
        "server": server,
        "shown": len(shown),
        "read": len(lat),
        "app_cpu": app_ms,
        "browser_cpu": browser_ms,
    }


def set_controls(page, size: int, steady: bool) -> None:
    page.locator("#live-size").get_by_label(str(size), exact=True).check()
    page.locator("#live-steady input").set_checked(steady)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=10.0, help="measuring time per setting and round")
    p.add_argument("--settle", type=float, default=3.0, help="seconds after a change before measuring")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--sizes", type=int, nargs="+", default=[320, 480, 640])
    p.add_argument("--stream-every", type=float, default=None, help="ARTGAN_LIVE_STREAM_EVERY for the app (s)")
    p.add_argument("--shots", type=Path, default=None, help="save a screenshot per setting here")
    args = p.parse_args()
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="artgan-bench-live-"))
    camera = write_y4m(work / "camera.y4m", numbered(pan(photo(), FRAMES, CAMERA, step=1.5)), 24)
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False", "TMPDIR": str(work)}
    if args.stream_every:
        env["ARTGAN_LIVE_STREAM_EVERY"] = str(args.stream_every)
    with open(work / "app.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    results: dict[tuple[int, bool], list[dict]] = {}
    loads = [load()]
    try:
        if not wait_until_served(proc, url):
            raise SystemExit((work / "app.log").read_text())
        fake = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
        with sync_playwright() as pw:
            chromium = find_chromium(pw.chromium)
            if chromium is None:
                raise SystemExit(HOW_TO_GET_ONE)
            flags = ARGS + fake + [f"--use-file-for-fake-video-capture={camera}"]
            browser = pw.chromium.launch(executable_path=chromium, args=flags)
            page = browser.new_page(viewport={"width": 1280, "height": 1100})
            page.goto(url)
            page.get_by_role("tab", name="Live").click()
            page.get_by_text("Click to Access Webcam").click()
            record = page.locator("#live-camera").get_by_role("button", name="capture photo")
            record.wait_for(timeout=30_000)
            page.evaluate(INSTRUMENT)
            record.click()
            page.wait_for_function("window.benchShown.length > 5", timeout=120_000)
            for r in range(args.rounds):
                for size in args.sizes:
                    for steady in (True, False):
                        set_controls(page, size, steady)
                        page.wait_for_timeout(int(args.settle * 1000))
                        results.setdefault((size, steady), []).append(measure(page, args.seconds, proc.pid))
                        if args.shots and r == 0:
                            args.shots.mkdir(parents=True, exist_ok=True)
                            page.screenshot(path=str(args.shots / f"live_{size}_{'steady' if steady else 'off'}.png"))
                        loads.append(load())
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    report(args, results, loads)


def report(args, results: dict, loads: list[str]) -> None:
    import onnxruntime

    command = "python bench/bench_live.py" + (f" --rounds {args.rounds}" if args.rounds != 2 else "")
    command += f" --stream-every {args.stream_every:g}" if args.stream_every else ""
    print(f"## Live — `{command}`\n")
    print(
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC · {cpu_name()} ({os.cpu_count()} cores) · "
        f"ONNX Runtime {onnxruntime.__version__} · Chromium headless on the same machine · camera {CAMERA[0]}×"
        f"{CAMERA[1]} at 24 fps · load average (1/5/15 min) during the run: {loads[0]} … {loads[-1]}\n"
    )
    print(
        "| size | steadiness | fps shown (per round) | latency p50 | p90 | handler ms/frame p50 "
        "| app CPU ms/frame | browser CPU ms/frame | frames read |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for (size, steady), runs in sorted(results.items(), key=lambda kv: (kv[0][0], not kv[0][1])):
        lat = [x for r in runs for x in r["lat"]]
        server = [x for r in runs for x in r["server"]]
        fps = " / ".join(f"{r['fps']:.1f}" for r in runs)
        p50, p90 = (np.percentile(lat, q) if lat else float("nan") for q in (50, 90))
        srv = statistics.median(server) if server else float("nan")
        read = f"{sum(r['read'] for r in runs)}/{sum(r['shown'] for r in runs)}"
        app, web = (statistics.median(r[k] for r in runs) for k in ("app_cpu", "browser_cpu"))
        print(
            f"| {size} px | {'on' if steady else 'off'} | {fps} | {p50:.0f} ms | {p90:.0f} ms | {srv:.0f} ms "
            f"| {app:.0f} | {web:.0f} | {read} |"
        )


if __name__ == "__main__":
    main()
