"""Contact sheet: held-out example photos × every shipped style, through ONNX Runtime.

Usage: python bench/contact_sheet.py [-o docs/contact_sheet.jpg] [--side 256] [--photos a,b] [--styles a,b] [--across]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from artgan.runtime.images import read_image  # noqa: E402
from artgan.stylize.pipeline import StyleLibrary, stylize  # noqa: E402


def square(img: np.ndarray, side: int) -> np.ndarray:
    h, w = img.shape[:2]
    s = min(h, w)
    crop = img[(h - s) // 2 : (h - s) // 2 + s, (w - s) // 2 : (w - s) // 2 + s]
    return np.asarray(Image.fromarray(crop).resize((side, side), Image.LANCZOS))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "contact_sheet.jpg")
    p.add_argument("--side", type=int, default=256, help="cell size in pixels")
    p.add_argument("--work", type=int, default=512, help="long side the network runs at")
    p.add_argument("--model-id", default="stylize", help="stylize (quality) or stylize_fast (distilled)")
    p.add_argument("--photos", default="", help="example photo stems, a,b,… (default all)")
    p.add_argument("--styles", default="", help="style ids, a,b,… (default all)")
    p.add_argument("--across", action="store_true", help="styles across, photos down (the README's banner)")
    args = p.parse_args()
    library = StyleLibrary(model_id=args.model_id)
    files = sorted((ROOT / "examples").glob("*.jpg"))
    if args.photos:
        files = [f for f in files if f.stem in args.photos.split(",")]
    photos = [read_image(f) for f in files]
    styles = [s for s in library.styles.values() if not args.styles or s.id in args.styles.split(",")]
    side = args.side
    # grid[i][j]: (picture or None, label); row 0 holds the photos, column 0 the paintings
    grid: list[list[tuple[np.ndarray | None, str]]] = [[(None, "")] + [(square(ph, side), "") for ph in photos]]
    for style in styles:
        thumb = square(read_image(style.thumbnail), side) if style.thumbnail else None
        row = [(thumb, style.label.replace("—", "-")[:60])]  # default font lacks the dash
        for photo in photos:
            row.append((square(stylize(library, photo, {style.id: 1.0}, max_side=args.work), side), ""))
        grid.append(row)
    if args.across:
        grid = [list(col) for col in zip(*grid, strict=True)]
    label = 18
    sheet = Image.new("RGB", (side * len(grid[0]), (side + label) * len(grid)), "white")
    draw = ImageDraw.Draw(sheet)
    for i, row in enumerate(grid):
        for j, (cell, text) in enumerate(row):
            x, y = j * side, i * (side + label)
            if cell is not None:
                sheet.paste(Image.fromarray(cell), (x, y + label))
            if text:
                draw.text((x + 4, y + 2), text, fill="black")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.output, quality=88)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
