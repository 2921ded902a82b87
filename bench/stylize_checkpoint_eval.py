"""Judge a stylize training checkpoint before exporting it: issue 16's measures, eager PyTorch.

Usage: python bench/stylize_checkpoint_eval.py runs/q5_wide/last.pt [--photos 3] [--side 512] [-o sheet.png]

Each shipped-style row of the checkpoint paints `--photos` held-out photos (never trained on)
at long side `--side`, at the network's own size (as the pipeline does up to its work side);
prints structure / colourfulness ÷ the painting's and content kept per style and their mean,
and writes a sheet (painting | outputs, a row per style) to look at. Needs the train extra.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from artgan.runtime.images import read_image, resize_u8, save_png  # noqa: E402
from artgan.stylize.train import load_model  # noqa: E402
from bench.peer import DATA_DIR, held_out_photos, load_photo  # noqa: E402
from bench.stylize_measures import relative_measures  # noqa: E402

CELL = 256


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoint", type=Path)
    p.add_argument("--photos", type=int, default=3, help="held-out photos per style (default 3)")
    p.add_argument("--side", type=int, default=512, help="long side of the outputs (default 512)")
    p.add_argument("--data", type=Path, default=DATA_DIR, help="folder with photos/ and styles/")
    p.add_argument("-o", "--output", type=Path, default=None, help="sheet PNG (default: beside the checkpoint)")
    return p.parse_args()


@torch.no_grad()
def paint(net, bank, photo_u8: np.ndarray, style_index: int) -> np.ndarray:
    x = torch.from_numpy(photo_u8.copy()).permute(2, 0, 1)[None].float() / 255
    y = net(x, bank(torch.tensor([style_index])))
    return (y[0].clamp(0, 1).permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)


def main() -> None:
    args = parse_args()
    cfg, net, bank = load_model(args.checkpoint)
    photos = [load_photo(p, args.side) for p in held_out_photos(args.data, args.photos, args.side)]
    blank = np.full((CELL, CELL, 3), 255, np.uint8)
    rows, means = [np.concatenate([blank, *(resize_u8(p, CELL, CELL) for p in photos)], 1)], []
    for i, style in enumerate(cfg.styles):
        painting = read_image(args.data / "styles" / f"{style}.jpg")
        outs = [paint(net, bank, p, i) for p in photos]
        rel = [relative_measures(o, p, painting) for o, p in zip(outs, photos, strict=True)]
        m = np.mean([(r["structure"], r["colourfulness"], r["content"]) for r in rel], 0)
        means.append(m)
        print(f"{style:30s} structure {m[0]:.2f}  colourfulness {m[1]:.2f}  content {m[2]:.2f}", flush=True)
        rows.append(np.concatenate([resize_u8(painting, CELL, CELL), *(resize_u8(o, CELL, CELL) for o in outs)], 1))
    m = np.mean(means, 0)
    print(f"{'mean':30s} structure {m[0]:.2f}  colourfulness {m[1]:.2f}  content {m[2]:.2f}")
    out = args.output or args.checkpoint.with_suffix(".eval.png")
    save_png(np.concatenate(rows, 0), out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
