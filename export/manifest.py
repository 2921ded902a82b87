"""Writing weights/manifest.json: export/ is its only writer (`artgan.runtime.manifest` only reads).

Every model's entry starts from `base_entry` (file, hash, size, training steps, export record),
so the exporters add only what their network needs to be run.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
from pathlib import Path

import torch

from artgan.runtime.manifest import MANIFEST, WEIGHTS_DIR, sha256_of
from export.onnx_export import OPSET

SHIPPED_FILE_LIMIT = 10_000_000  # bytes: the largest file a Space accepts without LFS
UNRECORDED = "see the model card in docs/models/"  # the training command, when the export was not told it


def base_entry(model_id: str, task: str, onnx_path: Path, parity_error: float, args: argparse.Namespace) -> dict:
    """The fields every entry has; `args` is the export command's (checkpoint, train_command, argv)."""
    step = torch.load(args.checkpoint, map_location="cpu", weights_only=False)["step"]
    return {
        "id": model_id,
        "task": task,
        "file": onnx_path.name,
        "sha256": sha256_of(onnx_path),
        "size_bytes": onnx_path.stat().st_size,
        "training": {"steps": step, "command": args.train_command or UNRECORDED},
        "export": {
            "exporter": "torch.onnx dynamo",
            "opset": OPSET,
            "parity_max_abs_error": parity_error,
            "command": "artgan " + " ".join(shlex.quote(a) for a in getattr(args, "argv", [])),
        },
    }


def ship_checkpoint(entry: dict, checkpoint: Path, weights: Path, note: str) -> None:
    """Copy the checkpoint to weights/checkpoints/<id>.pt and record it, so a later run can resume.

    Spaces refuse files over 10 MB without LFS: a checkpoint that would exceed it is shipped
    without its optimiser state (Adam's moments are twice the network), and `--resume`
    then starts the optimiser afresh from the shipped weights.
    """
    shipped = weights / "checkpoints" / f"{entry['id']}.pt"
    shipped.parent.mkdir(parents=True, exist_ok=True)
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    has_optimiser = any(k.startswith("optimizer") for k in state)
    if has_optimiser and checkpoint.stat().st_size > SHIPPED_FILE_LIMIT:
        torch.save({k: v for k, v in state.items() if not k.startswith("optimizer")}, shipped)
        note += "; without its optimiser state, to stay under 10 MB (a resumed run restarts Adam)"
    else:
        shutil.copyfile(checkpoint, shipped)
        restarts = "; without optimiser state (a resumed run restarts Adam)"
        note += "; with its optimiser state" if has_optimiser else restarts
    entry["checkpoint"] = {"file": f"checkpoints/{shipped.name}", "sha256": sha256_of(shipped), "note": note}


def write_entry(entry: dict, weights_dir: Path = WEIGHTS_DIR) -> None:
    """Add or replace a model entry (by id), keeping the others."""
    path = Path(weights_dir) / MANIFEST
    manifest = json.loads(path.read_text()) if path.exists() else {"version": 1, "models": []}
    models = [m for m in manifest["models"] if m["id"] != entry["id"]] + [entry]
    manifest["models"] = sorted(models, key=lambda m: m["id"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
