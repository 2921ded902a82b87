"""The serving process never imports torch: checked on the source, function-level imports included.

Learning a style or texture from the app runs `python -m artgan learn-…` as a child process
(`artgan.runtime.jobs`); this test keeps every torch or training import out of the files the
app and the inference CLI load.
"""

from __future__ import annotations

import ast
import os
import subprocess
from pathlib import Path

import pytest

from artgan.errors import ArtganError
from artgan.runtime.jobs import run_artgan
from tests.conftest import EXAMPLES, ROOT

FORBIDDEN_PACKAGES = {"torch", "torchvision", "timm"}
TRAINING_MODULES = {"train", "learn", "fit", "distill", "training", "features", "losses", "nets", "export"}
SERVING = [
    ROOT / "app.py",
    *sorted((ROOT / "artgan" / "runtime").glob("*.py")),
    *sorted((ROOT / "artgan").glob("*/pipeline.py")),
    *sorted((ROOT / "artgan").glob("*/ui.py")),
    *(ROOT / "artgan" / name for name in ("ui.py", "learn_ui.py", "learning.py", "capability.py", "registry.py")),
    ROOT / "artgan" / "shipped.py",
]


def imported_modules(path: Path) -> list[str]:
    """Every module an `import` or `from … import` names anywhere in the file (relative ones resolved by name)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            names += [base] + [f"{base}.{alias.name}".strip(".") for alias in node.names]
    return names


def forbidden(module: str) -> bool:
    parts = module.split(".")
    return parts[0] in FORBIDDEN_PACKAGES or parts[0] == "export" or any(p in TRAINING_MODULES for p in parts[1:])


@pytest.mark.parametrize("path", SERVING, ids=lambda p: str(p.relative_to(ROOT)))
def test_serving_file_imports_no_torch_or_training_code(path):
    bad = sorted({m for m in imported_modules(path) if forbidden(m)})
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_the_check_catches_a_function_level_import(tmp_path):
    sneaky = tmp_path / "ui.py"
    sneaky.write_text("def run():\n    from artgan.stylize.learn import learn_style\n    import torch.nn as nn\n")
    assert [m for m in imported_modules(sneaky) if forbidden(m)] == [
        "artgan.stylize.learn",
        "artgan.stylize.learn.learn_style",
        "torch.nn",
    ]


def test_a_learning_job_reports_progress_and_saves(tmp_path):
    pytest.importorskip("torch")
    argv = ["learn-texture", str(EXAMPLES / "kodak_02_red_door.jpg"), "--name", "door", "--steps", "2"]
    lines = list(run_artgan([*argv, "--out-dir", str(tmp_path), "--progress-dir", str(tmp_path / "p")]))
    assert [line.get("step") for line in lines] == [1, 2, None]
    assert Path(lines[1]["preview"]).is_file() and lines[-1] == {"saved": str(tmp_path / "door.npy")}


def test_a_job_error_is_one_sentence(tmp_path):
    with pytest.raises(ArtganError, match="name the texture"):
        list(run_artgan(["learn-texture", str(EXAMPLES / "kodak_02_red_door.jpg"), "--name", "no spaces"]))


def test_closing_a_job_kills_its_child(tmp_path):
    """Cancel in the app closes the handler's generator: the child (and its memory) must go at once."""
    pytest.importorskip("torch")
    argv = ["learn-texture", str(EXAMPLES / "kodak_02_red_door.jpg"), "--name", "door", "--steps", "500"]
    job = run_artgan([*argv, "--out-dir", str(tmp_path), "--progress-dir", str(tmp_path / "p")])
    assert next(job)["step"] == 1 and artgan_children()
    job.close()
    assert not artgan_children()


def artgan_children() -> list[str]:
    """This process's `python -m artgan` children still running."""
    out = subprocess.run(["ps", "-o", "args=", "--ppid", str(os.getpid())], capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if "-m artgan" in line]
