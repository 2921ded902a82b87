"""`weights/manifest.json`: the only contract between export and app.

Every shipped file is listed with its sha256; the loader refuses a file whose hash
differs, so a truncated download or a Git LFS pointer gives a clear message instead of
an ONNX Runtime parse error.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

from artgan.errors import WeightsError
from artgan.shipped import weights_dir

WEIGHTS_DIR = weights_dir()
MANIFEST = "manifest.json"

_verified: set[tuple[str, str]] = set()
_lock = threading.Lock()


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_manifest(weights_dir: Path = WEIGHTS_DIR) -> dict:
    path = Path(weights_dir) / MANIFEST
    if not path.exists():
        raise WeightsError(
            f"no {MANIFEST} in {weights_dir}: point ARTGAN_WEIGHTS at a weights folder, or reinstall artgan"
        )
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise WeightsError(f"{path} is not valid JSON: {exc}") from exc


def model_entry(model_id: str, weights_dir: Path = WEIGHTS_DIR) -> dict:
    """The manifest entry of one model; an unknown id lists the known ones."""
    models = load_manifest(weights_dir).get("models", [])
    for entry in models:
        if entry["id"] == model_id:
            return entry
    known = ", ".join(m["id"] for m in models) or "none"
    raise WeightsError(f"model {model_id!r} is not in the manifest (known: {known})")


def verified_path(relative: str, sha256: str, weights_dir: Path = WEIGHTS_DIR) -> Path:
    """Path of a manifest-listed file after checking it exists and its sha256 matches."""
    path = Path(weights_dir) / relative
    key = (str(path), sha256)
    with _lock:
        if key in _verified:
            return path
    if not path.exists():
        raise WeightsError(
            f"weights file {path} is missing: restore it, or point ARTGAN_WEIGHTS at a whole weights folder"
        )
    actual = sha256_of(path)
    if actual != sha256:
        raise WeightsError(
            f"weights file {path.name} is corrupted (sha256 {actual[:12]}… ≠ manifest {sha256[:12]}…);"
            " restore it from the repository (with Git LFS files pulled)"
        )
    with _lock:
        _verified.add(key)
    return path
