"""Inpaint training chain: a few steps → resume → export (asserted parity) → ONNX runtime fills holes."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from artgan.cli import main  # noqa: E402
from artgan.inpaint import pipeline as P  # noqa: E402
from artgan.inpaint.masks import prefill, random_mask  # noqa: E402
from artgan.inpaint.train import load_model  # noqa: E402
from artgan.runtime.images import read_image  # noqa: E402
from artgan.runtime.manifest import model_entry  # noqa: E402
from tests.conftest import EXAMPLES  # noqa: E402

TINY = ["--channels", "4,8,8,8", "--crop", "128", "--batch-size", "2", "--workers", "0", "--holdout", "0"]
TINY += ["--perceptual", "0", "--ckpt-every", "1", "--sample-every", "2"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("inpaint_run")
    args = ["train", "inpaint", "--data", str(EXAMPLES), "--out", str(out), *TINY]
    assert main([*args, "--steps", "2"]) == 0
    first = torch.load(out / "last.pt", weights_only=False)
    assert main([*args, "--steps", "3", "--resume"]) == 0
    return out, first


def test_training_writes_checkpoint_samples_and_resumes(tiny_run):
    out, first = tiny_run
    assert first["step"] == 2 and (out / "samples" / "step000002.png").exists()
    resumed = torch.load(out / "last.pt", weights_only=False)
    assert resumed["step"] == 3 and resumed["optimizer"]["state"][0]["step"] == 3
    assert resumed["optimizer_d"]["state"][0]["step"] == 3  # the discriminator trained too
    assert any(not torch.equal(first["net"][k], resumed["net"][k]) for k in first["net"])


def test_export_then_runtime_matches_torch(tiny_run, tmp_path, monkeypatch):
    out, _ = tiny_run
    weights = tmp_path / "weights"
    assert main(["export", "inpaint", "--checkpoint", str(out / "last.pt"), "--weights", str(weights)]) == 0
    entry = model_entry("inpaint", weights)
    assert entry["export"]["parity_max_abs_error"] < 1e-3 and entry["stride"] == 8
    monkeypatch.setattr(P, "WEIGHTS_DIR", weights)
    img = read_image(EXAMPLES / "kodak_02_red_door.jpg")[:200, :264]
    hole = random_mask(200, 264, np.random.default_rng(0), "medium") > 0
    got = P.run_network(img, hole)  # ORT, 200×264 multiples of 8 and ≤ the working size: no pad, no rescale
    cfg, net = load_model(out / "last.pt")
    assert (entry["prefill_radius"], entry["prefill_blur"]) == (cfg.prefill_radius, cfg.prefill_blur)
    filled = prefill(img, hole, cfg.prefill_radius, cfg.prefill_blur)  # as the pipeline does
    x = torch.from_numpy(filled).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        want = net(x, torch.from_numpy(hole)[None, None].float())
    want = (want[0].permute(1, 2, 0).numpy() * 255 + 0.5).clip(0, 255).astype(np.uint8)
    assert np.abs(got.astype(int) - want).max() <= 1


def test_grow_fourier_blocks_on_wide_masks_then_export(tiny_run, tmp_path):
    """`--init-from` + `--ffc-blocks`: the new blocks train from the old generator and export with parity."""
    out, _ = tiny_run
    grown = tmp_path / "grown"
    args = ["train", "inpaint", "--data", str(EXAMPLES), "--out", str(grown), *TINY, "--steps", "1"]
    assert main([*args, "--init-from", str(out / "last.pt"), "--ffc-blocks", "1", "--masks", "wide"]) == 0
    state = torch.load(grown / "last.pt", weights_only=False)
    assert state["config"]["ffc_blocks"] == 1 and state["config"]["masks"] == "wide" and state["step"] == 1
    assert "fourier_blocks.0.a.to_local.weight" in state["net"]
    weights = tmp_path / "weights"
    assert main(["export", "inpaint", "--checkpoint", str(grown / "last.pt"), "--weights", str(weights)]) == 0
    assert model_entry("inpaint", weights)["export"]["parity_max_abs_error"] < 1e-3


def test_shipped_checkpoint_without_optimiser_state_resumes(tiny_run, tmp_path):
    """`export --ship-checkpoint` records the checkpoint; one without Adam's moments (as a large one
    ships) still resumes, with fresh optimisers."""
    out, _ = tiny_run
    weights = tmp_path / "weights"
    export = ["export", "inpaint", "--checkpoint", str(out / "last.pt"), "--weights", str(weights)]
    assert main([*export, "--ship-checkpoint"]) == 0
    shipped = weights / model_entry("inpaint", weights)["checkpoint"]["file"]
    state = torch.load(shipped, weights_only=False)
    run = tmp_path / "run"
    run.mkdir()
    torch.save({k: v for k, v in state.items() if not k.startswith("optimizer")}, run / "last.pt")
    args = ["train", "inpaint", "--data", str(EXAMPLES), "--out", str(run), *TINY, "--steps", "4", "--resume"]
    assert main(args) == 0
    resumed = torch.load(run / "last.pt", weights_only=False)
    assert resumed["step"] == 4 and resumed["optimizer"]["state"][0]["step"] == 1
