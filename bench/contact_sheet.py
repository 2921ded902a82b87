"""Contact sheet: held-out example photos × every shipped style, through ONNX Runtime.

Usage: python bench/contact_sheet.py [-o docs/contact_sheet.jpg] [--side 256]
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
    args = p.parse_args()
    library = StyleLibrary(model_id=args.model_id)
    photos = [read_image(f) for f in sorted((ROOT / "examples").glob("*.jpg"))]
    styles = list(library.styles.values())
    side, label = args.side, 18
    sheet = Image.new("RGB", (side * (len(photos) + 1), (side + label) * (len(styles) + 1)), "white")
    draw = ImageDraw.Draw(sheet)
    for j, photo in enumerate(photos):
        sheet.paste(Image.fromarray(square(photo, side)), ((j + 1) * side, label))
    for i, style in enumerate(styles, start=1):
        y = i * (side + label)
        if style.thumbnail:
            thumb = read_image(style.thumbnail)
            sheet.paste(Image.fromarray(square(thumb, side)), (0, y + label))
        draw.text((4, y + 2), style.label.replace("—", "-")[:60], fill="black")  # default font lacks the dash
        for j, photo in enumerate(photos):
            out = stylize(library, photo, {style.id: 1.0}, max_side=args.work)
            sheet.paste(Image.fromarray(square(out, side)), ((j + 1) * side, y + label))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.output, quality=88)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
