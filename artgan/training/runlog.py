"""Rank 0's record of a run: progress bar, JSON lines, TensorBoard, sample images."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm


class RunLog:
    """Rank 0's outputs: progress bar, OUT/log.jsonl and TensorBoard scalars and sample grids."""

    def __init__(self, out: Path, total: int, start: int, images_per_step: int, desc: str) -> None:
        from torch.utils.tensorboard import SummaryWriter

        out.mkdir(parents=True, exist_ok=True)
        self.bar = tqdm(total=total, initial=start, desc=desc, dynamic_ncols=True)
        self.jsonl = (out / "log.jsonl").open("a")
        self.tb = SummaryWriter(str(out / "tb"))
        self.images_per_step = images_per_step
        self.started = self.tick = time.perf_counter()
        self.start, self.last = start, start

    def step(self, step: int, losses: dict[str, float], every: int) -> None:
        self.bar.update(1)
        self.bar.set_postfix({k: f"{v:.3g}" for k, v in losses.items() if k != "total"}, refresh=False)
        if step % every and step != self.bar.total:
            return
        now = time.perf_counter()
        steps_per_s = (step - self.last) / max(now - self.tick, 1e-9)
        self.tick, self.last = now, step
        speed = {"steps_per_s": steps_per_s, "images_per_s": steps_per_s * self.images_per_step}
        self.jsonl.write(json.dumps({"step": step, "losses": losses, **speed}) + "\n")
        self.jsonl.flush()
        for k, v in losses.items():
            self.tb.add_scalar(f"loss/{k}", v, step)
        for k, v in speed.items():
            self.tb.add_scalar(f"speed/{k}", v, step)

    def image(self, grid: np.ndarray, step: int) -> None:
        self.tb.add_image("samples", grid, step, dataformats="HWC")
        self.tb.flush()

    def close(self, step: int, last: Path, skipped: list[Path]) -> None:
        self.bar.close()
        self.tb.close()
        self.jsonl.close()
        seconds = time.perf_counter() - self.started
        rate = (step - self.start) / max(seconds, 1e-9)
        speed = f"{rate:.3g} steps/s, {rate * self.images_per_step:.3g} images/s"
        print(f"trained {step} steps in {seconds:.0f} s ({speed}) → {last}")
        if skipped:
            names = ", ".join(p.name for p in skipped[:5]) + (", …" if len(skipped) > 5 else "")
            print(f"skipped {len(skipped)} unreadable image{'s' * (len(skipped) != 1)}: {names}")
