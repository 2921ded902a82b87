"""Training at scale, on CPU: a 2-process gloo DDP run (real torchrun) ends where one process
does, resume continues the step count and the loss curve exactly (also across a change in
the number of processes), gradient accumulation equals the large batch, corrupt files are
skipped and counted, and TensorBoard gets the losses and sample grids."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from artgan.cli import main  # noqa: E402
from tests.conftest import EXAMPLES, WEIGHTS  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# lr 1e-4: Adam's first steps are ±lr for any weight whose gradient is rounding noise, which
# amplifies summation-order differences ~50× a step; a small lr keeps 3 steps comparable at 1e-4
STYLIZE = ["--channels", "4,8,8", "--res-blocks", "1", "--crop", "64", "--style-size", "96", "--batch-size", "4"]
STYLIZE += ["--lr", "1e-4"]
COMMON = ["--workers", "0", "--holdout", "0", "--ckpt-every", "1", "--sample-every", "2", "--log-every", "1"]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """Four photos in a nested tree, one corrupt "photo", two paintings."""
    root = tmp_path_factory.mktemp("data")
    for i, photo in enumerate(sorted(EXAMPLES.glob("*.jpg"))):
        (root / "photos" / f"part{i % 2}").mkdir(parents=True, exist_ok=True)
        shutil.copy(photo, root / "photos" / f"part{i % 2}" / photo.name)
    (root / "photos" / "zz_broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    (root / "styles").mkdir()
    for name in ("starry_night", "the_scream"):
        shutil.copy(WEIGHTS / "styles" / f"{name}.jpg", root / "styles" / f"{name}.jpg")
    return root


def stylize_args(data: Path, out: Path, steps: int, *extra: str) -> list[str]:
    return [
        *["train", "stylize", "--styles", str(data / "styles"), "--content", str(data / "photos")],
        *["--out", str(out), "--steps", str(steps), *STYLIZE, *COMMON, *extra],
    ]


def torchrun(args: list[str], procs: int = 2) -> str:
    """The documented multi-GPU command, here with gloo on CPU; returns its output."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={procs}"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([*cmd, "-m", "artgan", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def checkpoint(run: Path) -> dict:
    return torch.load(run / "last.pt", weights_only=False)


def losses(run: Path) -> dict[int, float]:
    rows = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    return {r["step"]: r["losses"]["total"] for r in rows}


def assert_same_losses(a: Path, b: Path, rtol: float = 1e-5) -> None:
    la, lb = losses(a), losses(b)
    assert sorted(la) == sorted(lb)
    assert all(abs(la[s] - lb[s]) <= rtol * abs(la[s]) for s in la), (la, lb)


def assert_same_weights(a: dict, b: dict, atol: float = 1e-5) -> None:
    assert a["step"] == b["step"]
    for part in ("net", "bank"):
        for k in a[part]:
            assert torch.allclose(a[part][k], b[part][k], atol=atol), f"{part}.{k} differs"


def assert_same_network(a: Path, b: Path, atol: float = 1e-4) -> None:
    """The two checkpoints paint alike. Weights are compared through what they compute: a
    conv bias before instance norm has a zero gradient in exact arithmetic, so summation
    order alone (one batch vs two all-reduced halves) decides Adam's step for it, harmlessly."""
    from artgan.stylize.train import load_model

    assert checkpoint(a)["step"] == checkpoint(b)["step"]
    (_, net_a, bank_a), (_, net_b, bank_b) = load_model(a / "last.pt"), load_model(b / "last.pt")
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        for style in range(bank_a.table.num_embeddings):
            idx = torch.full((2,), style)
            assert (net_a(x, bank_a(idx)) - net_b(x, bank_b(idx))).abs().max() < atol


@pytest.fixture(scope="module")
def runs(data, tmp_path_factory):
    """One process: 3 steps straight; and 2 steps (kept), then resumed to 3."""
    root = tmp_path_factory.mktemp("runs")
    straight, resumed = root / "straight", root / "resumed"
    assert main(stylize_args(data, straight, 3)) == 0
    assert main(stylize_args(data, resumed, 2)) == 0
    shutil.copytree(resumed, root / "two_steps")
    assert main(stylize_args(data, resumed, 3, "--resume")) == 0
    return root


def test_resume_continues_step_count_and_loss_curve(runs):
    straight, resumed = checkpoint(runs / "straight"), checkpoint(runs / "resumed")
    assert resumed["step"] == 3 and resumed["optimizer"]["state"][0]["step"] == 3
    assert_same_weights(straight, resumed)
    assert sorted(losses(runs / "resumed")) == [1, 2, 3]  # one log, appended on resume
    assert_same_losses(runs / "straight", runs / "resumed")
    assert len(set(losses(runs / "straight").values())) == 3  # real, changing numbers


def test_two_ddp_processes_equal_one(data, runs, tmp_path):
    """torchrun, 2 gloo processes × 2 crops = one process × 4 crops; then one process resumes it."""
    ddp = tmp_path / "ddp"
    torchrun(stylize_args(data, ddp, 2))
    assert_same_network(runs / "two_steps", ddp)
    assert_same_losses(runs / "two_steps", ddp)  # the global batch's loss, all-reduced
    assert (ddp / "samples" / "step000002.png").exists()
    assert main(stylize_args(data, ddp, 3, "--resume")) == 0  # 2 processes → 1
    assert_same_network(runs / "straight", ddp)
    assert_same_losses(runs / "straight", ddp)  # only rank 0 logged: one line a step


def test_resume_on_more_processes(data, runs, tmp_path):
    more = tmp_path / "more"
    shutil.copytree(runs / "two_steps", more)
    torchrun(stylize_args(data, more, 3, "--resume"))  # 1 process → 2
    assert_same_network(runs / "straight", more)
    assert_same_losses(runs / "straight", more)


def test_gradient_accumulation_equals_the_whole_batch(data, runs, tmp_path):
    accum = tmp_path / "accum"
    assert main(stylize_args(data, accum, 2, "--accum", "2")) == 0
    assert_same_network(runs / "two_steps", accum)


def test_corrupt_file_is_skipped_and_counted(data, tmp_path, capsys):
    assert main(stylize_args(data, tmp_path / "run", 2)) == 0  # 2 × 4 crops: a whole epoch of 5 files
    assert "skipped 1 unreadable image: zz_broken.jpg" in capsys.readouterr().out


def test_tensorboard_has_loss_curves_and_sample_grids(runs):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(runs / "straight" / "tb")).Reload()
    assert [e.step for e in events.Scalars("loss/total")] == [1, 2, 3]
    assert {"loss/style", "loss/content", "speed/images_per_s"} <= set(events.Tags()["scalars"])
    grids = events.Images("samples")
    assert [g.step for g in grids] == [2] and grids[0].width == 64 * 4 and grids[0].height == 64 * 3


def test_batch_must_split_over_processes(data, tmp_path, capsys):
    assert main(stylize_args(data, tmp_path / "run", 1, "--accum", "3")) == 1
    assert "batch size 4 is not divisible by 1 processes × 3 accumulation steps" in capsys.readouterr().err


INPAINT = ["--channels", "4,8,8,8", "--crop", "128", "--batch-size", "4", "--perceptual", "0"]


def test_inpaint_gan_under_ddp_equals_one_process(data, tmp_path):
    """Two optimisers (generator, then SN-PatchGAN discriminator) through DDP on 2 processes:
    after one step both Adam first moments (0.5 × the gradient) equal one process's. Weights
    are not compared: Adam's first step is ±lr for gradients that are rounding noise."""
    args = ["train", "inpaint", "--data", str(data / "photos"), "--steps", "1", *INPAINT, *COMMON]
    assert main([*args, "--out", str(tmp_path / "one")]) == 0
    torchrun([*args, "--out", str(tmp_path / "two")])
    one, two = checkpoint(tmp_path / "one"), checkpoint(tmp_path / "two")
    for opt in ("optimizer", "optimizer_d"):
        for k, state in one[opt]["state"].items():
            assert torch.allclose(state["exp_avg"], two[opt]["state"][k]["exp_avg"], atol=1e-6), f"{opt} {k}"
    assert_same_losses(tmp_path / "one", tmp_path / "two")


def test_texture_reads_a_whole_tree_under_ddp(data, tmp_path):
    """`--textures all`: every readable image of DATA/textures (nested), one texture each,
    the corrupt one skipped and counted; the two-network GAN trains on 2 processes."""
    root = tmp_path / "dtd"
    for name in ("grass", "bricks_mossy"):  # the shipped 128 px thumbnails (CC0)
        (root / "textures" / name).mkdir(parents=True)
        shutil.copy(WEIGHTS / "textures" / f"{name}.jpg", root / "textures" / name / f"{name}.jpg")
    shutil.copy(data / "photos" / "zz_broken.jpg", root / "textures" / "zz_broken.jpg")
    args = ["train", "texture", "--data", str(root), "--textures", "all", "--out", str(tmp_path / "run")]
    args += ["--steps", "2", "--crop", "32", "--batch-size", "4", "--widths", "8,8,4,4,4", "--gram-weight", "0"]
    out = torchrun([*args, "--accum", "2", "--ckpt-every", "1", "--sample-every", "2", "--log-every", "1"])
    assert out.count("skipped 1 unreadable image: zz_broken.jpg") == 1  # rank 0 only
    state = checkpoint(tmp_path / "run")
    assert list(state["config"]["textures"]) == ["bricks_mossy", "grass"] and state["step"] == 2
    assert state["optimizer_d"]["state"][0]["step"] == 2 and (tmp_path / "run" / "samples" / "step000002.png").exists()
