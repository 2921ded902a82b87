"""Smoke chain: train a few steps → resume → export (asserted parity) → runtime → stylize."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from artgan.cli import main  # noqa: E402
from artgan.errors import ArtganError  # noqa: E402
from artgan.runtime.manifest import load_manifest  # noqa: E402
from artgan.stylize.pipeline import StyleLibrary, stylize  # noqa: E402
from artgan.stylize.train import StyleLabel, per_style, style_losses, style_odds  # noqa: E402
from export.onnx_export import ParityError, parity  # noqa: E402
from tests.conftest import EXAMPLES, WEIGHTS  # noqa: E402

TINY = [
    "--channels",
    "4,8,8",
    "--res-blocks",
    "1",
    "--crop",
    "64",
    "--batch-size",
    "2",
    "--style-size",
    "96",
    "--workers",
    "0",
    "--holdout",
    "0",
    "--ckpt-every",
    "1",
    "--sample-every",
    "2",
]


def export_to(checkpoint, styles, weights) -> dict:
    """`artgan export stylize` into `weights`; returns the model's manifest entry."""
    args = ["export", "stylize", "--checkpoint", str(checkpoint), "--styles", str(styles), "--weights", str(weights)]
    assert main(args) == 0
    return load_manifest(weights)["models"][0]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("chain")
    styles = root / "styles"
    styles.mkdir()
    for name in ("starry_night", "the_scream"):
        shutil.copy(WEIGHTS / "styles" / f"{name}.jpg", styles / f"{name}.jpg")
    out = root / "run"
    args = ["train", "stylize", "--styles", str(styles), "--content", str(EXAMPLES), "--out", str(out), *TINY]
    assert main([*args, "--steps", "2"]) == 0
    first = torch.load(out / "last.pt", weights_only=False)
    assert main([*args, "--steps", "3", "--resume"]) == 0
    return root, styles, out, first


def test_resume_can_add_the_adversarial_term(tiny_run, tmp_path):
    root, styles, out, _ = tiny_run
    run = tmp_path / "adv"
    run.mkdir()
    shutil.copy(out / "last.pt", run / "last.pt")
    args = ["train", "stylize", "--styles", str(styles), "--content", str(EXAMPLES), "--out", str(run), *TINY]
    recipe = ["--adversarial-weight", "0.1", "--gan-loss", "bce", "--adv-patch", "48"]
    assert main([*args, "--steps", "5", "--resume", *recipe]) == 0
    state = torch.load(run / "last.pt", weights_only=False)
    assert state["step"] == 5 and state["config"]["adversarial_weight"] == 0.1 and "disc" in state
    assert state["config"]["adv_patch"] == 48


def test_resume_can_change_the_recipe_but_not_the_network(tiny_run, tmp_path):
    """The loss network, its layers and weights and the learning rate change on --resume; the
    network's shape stays the checkpoint's (here against a --channels asking for another)."""
    root, styles, out, _ = tiny_run
    run = tmp_path / "vgg"
    run.mkdir()
    shutil.copy(out / "last.pt", run / "last.pt")
    args = ["train", "stylize", "--styles", str(styles), "--content", str(EXAMPLES), "--out", str(run), *TINY]
    recipe = ["--feature-net", "vgg19", "--style-layers", "0,3", "--style-layer-weights", "2e-6,3e-10"]
    recipe += ["--content-layers", "4", "--lr", "0.0004", "--channels", "8,8,8", "--edge-weight", "2"]
    assert main([*args, "--steps", "4", "--resume", *recipe]) == 0
    state = torch.load(run / "last.pt", weights_only=False)
    cfg = state["config"]
    assert state["step"] == 4 and cfg["feature_net"] == "vgg19" and list(cfg["channels"]) == [4, 8, 8]
    assert list(cfg["style_layers"]) == [0, 3] and list(cfg["style_layer_weights"]) == [2e-6, 3e-10]
    assert list(cfg["content_layers"]) == [4] and cfg["lr"] == 0.0004 and cfg["edge_weight"] == 2
    assert state["optimizer"]["param_groups"][0]["lr"] == 0.0004


def test_a_trained_network_grows_a_coarse_stage_then_exports_and_serves(tiny_run, tmp_path):
    """--init-from + --coarse: the grown network paints exactly as its seed did (the ⅛-scale
    stage adds zero at first), then trains, exports with stride 8 and serves any size."""
    from dataclasses import replace

    from artgan.stylize.model import build, grow
    from artgan.stylize.train import load_model

    _, styles, out, _ = tiny_run
    run = tmp_path / "grown"
    args = ["train", "stylize", "--styles", str(styles), "--content", str(EXAMPLES), "--out", str(run), *TINY]
    assert main([*args, "--steps", "1", "--init-from", str(out / "last.pt"), "--coarse", "12,1"]) == 0
    seed = torch.load(out / "last.pt", weights_only=False)
    cfg, old_net, old_bank = load_model(out / "last.pt")
    net, bank = build(replace(cfg, coarse_channels=12, coarse_blocks=1))
    assert grow(net, bank, seed) == (["coarse.0.conv", "coarse.1.conv", "coarse.2.conv", "coarse_out"], [])
    x, idx = torch.rand(2, 3, 40, 56), torch.tensor([1, 0])
    with torch.no_grad():
        assert torch.allclose(net(x, bank(idx)), old_net(x, old_bank(idx)), atol=1e-6)
    state = torch.load(run / "last.pt", weights_only=False)
    assert state["step"] == 1 and state["config"]["coarse_blocks"] == 1
    assert not torch.equal(state["net"]["coarse_out.weight"], torch.zeros_like(state["net"]["coarse_out.weight"]))
    weights = tmp_path / "weights"
    entry = export_to(run / "last.pt", styles, weights)
    assert entry["stride"] == 8 and entry["export"]["parity_max_abs_error"] <= 1e-3
    img = (np.random.default_rng(2).random((45, 61, 3)) * 255).astype(np.uint8)
    assert stylize(StyleLibrary(weights), img, {"starry_night": 1}, max_side=None).shape == (45, 61, 3)


def test_training_writes_checkpoint_and_samples(tiny_run):
    _, _, out, first = tiny_run
    assert first["step"] == 2 and list(first["config"]["styles"]) == ["starry_night", "the_scream"]
    assert (out / "samples" / "step000002.png").exists()


def test_resume_continues_step_count_and_weights(tiny_run):
    _, _, out, first = tiny_run
    resumed = torch.load(out / "last.pt", weights_only=False)
    assert resumed["step"] == 3
    assert resumed["optimizer"]["state"][0]["step"] == 3  # Adam state carried over, not restarted
    changed = [not torch.equal(first["net"][k], resumed["net"][k]) for k in first["net"]]
    assert any(changed)


def test_export_then_serve_through_onnx_runtime(tiny_run, tmp_path):
    _, styles, out, _ = tiny_run
    weights = tmp_path / "weights"
    entry = export_to(out / "last.pt", styles, weights)
    assert entry["export"]["parity_max_abs_error"] <= 1e-3 and entry["training"]["steps"] == 3
    library = StyleLibrary(weights)
    img = (np.random.default_rng(1).random((50, 70, 3)) * 255).astype(np.uint8)
    assert stylize(library, img, {"the_scream": 1}, max_side=None).shape == (50, 70, 3)


def test_re_exporting_the_shipped_checkpoint_keeps_its_record(tiny_run, tmp_path):
    _, styles, out, _ = tiny_run
    weights = tmp_path / "weights"
    base = ["export", "stylize", "--styles", str(styles), "--weights", str(weights)]
    ship = ["--checkpoint", str(out / "last.pt"), "--ship-checkpoint", "--train-command", "artgan train stylize X"]
    assert main([*base, *ship]) == 0
    first = load_manifest(weights)["models"][0]
    assert main([*base, "--checkpoint", str(weights / "checkpoints" / "stylize.pt")]) == 0  # e.g. after a graph change
    again = load_manifest(weights)["models"][0]
    assert again["checkpoint"] == first["checkpoint"]
    assert again["training"]["command"] == "artgan train stylize X"


def test_a_checkpoint_too_large_for_a_space_ships_without_its_optimiser_and_still_resumes(
    tiny_run, tmp_path, monkeypatch
):
    import export.manifest

    _, styles, out, _ = tiny_run
    monkeypatch.setattr(export.manifest, "SHIPPED_FILE_LIMIT", 1000)  # the tiny run's checkpoint is ~40 kB
    weights = tmp_path / "weights"
    base = ["export", "stylize", "--styles", str(styles), "--weights", str(weights)]
    assert main([*base, "--checkpoint", str(out / "last.pt"), "--ship-checkpoint"]) == 0
    shipped = torch.load(weights / "checkpoints" / "stylize.pt", weights_only=False)
    full = torch.load(out / "last.pt", weights_only=False)
    assert "optimizer" in full and "optimizer" not in shipped
    assert all(torch.equal(shipped["net"][k], v) for k, v in full["net"].items())
    assert "without its optimiser state" in load_manifest(weights)["models"][0]["checkpoint"]["note"]
    run = tmp_path / "resumed"
    run.mkdir()
    shutil.copy(weights / "checkpoints" / "stylize.pt", run / "last.pt")
    args = ["train", "stylize", "--styles", str(styles), "--content", str(EXAMPLES), "--out", str(run), *TINY]
    assert main([*args, "--steps", "4", "--resume"]) == 0
    assert torch.load(run / "last.pt", weights_only=False)["step"] == 4


def test_parity_check_rejects_a_model_that_disagrees(tiny_run, tmp_path):
    from artgan.stylize.model import SharedStatsGraph
    from artgan.stylize.train import load_model
    from export.stylize import INPUTS, export_network

    _, _, out, _ = tiny_run
    _, net, _ = load_model(out / "last.pt")
    path = tmp_path / "net.onnx"
    export_network(net, path)
    with torch.no_grad():
        net.head.conv.bias += 1.0  # the PyTorch model now differs from the file
    s = net.identity_style()[None]
    args = (torch.rand(1, 3, 32, 32), s, torch.zeros_like(s), torch.zeros(1, 1))
    with pytest.raises(ParityError):
        parity(SharedStatsGraph(net), path, INPUTS, [args])


def test_learn_style_makes_a_usable_style_vector(tmp_path):
    from artgan.learning import save_learned
    from artgan.runtime.images import read_image
    from artgan.stylize.learn import learn_style

    library = StyleLibrary(WEIGHTS, user_dir=tmp_path / "none")
    painting = read_image(WEIGHTS / "styles" / "the_scream.jpg")
    content = [read_image(p) for p in sorted(EXAMPLES.glob("*.jpg"))[:2]]
    progress = list(learn_style(library, painting, content, steps=4, crop=64, preview_every=2))
    assert [p.step for p in progress] == [1, 2, 3, 4] and progress[1].preview is not None
    start = np.mean([s.params for s in library.styles.values()], axis=0)
    assert np.abs(progress[-1].params - start).max() > 1e-3  # the vector moved
    path = save_learned(tmp_path / "mine", "screamish", progress[-1].params, painting)
    mine = StyleLibrary(WEIGHTS, user_dir=tmp_path / "mine")
    assert "screamish" in mine and mine.get("screamish").thumbnail.exists()
    out = stylize(mine, content[0], {"screamish": 1.0}, max_side=96)
    assert out.shape[2] == 3 and out.std() > 5
    assert np.array_equal(stylize(library, content[0], {str(path): 1.0}, max_side=96), out)  # by file path too


def test_distil_into_the_fast_architecture_then_export(tiny_run, tmp_path):
    root, styles, out, _ = tiny_run
    student = tmp_path / "fast"
    args = ["train", "stylize-distill", "--teacher", str(out / "last.pt"), "--content", str(EXAMPLES)]
    args += ["--out", str(student), "--channels", "4,8", "--res-blocks", "1", "--crop", "64", "--batch-size", "2"]
    args += ["--workers", "0", "--holdout", "0", "--sample-every", "2", "--feature-weight", "0.01"]
    assert main([*args, "--steps", "2"]) == 0
    state = torch.load(student / "last.pt", weights_only=False)
    assert state["config"]["arch"] == "fast" and list(state["config"]["styles"]) == ["starry_night", "the_scream"]
    assert (student / "samples" / "step000002.png").exists()
    # a resumed distillation takes the lr it is given (a decay), not the checkpoint's
    assert main([*args, "--steps", "3", "--resume", "--lr", "1e-4"]) == 0
    state = torch.load(student / "last.pt", weights_only=False)
    assert state["step"] == 3 and state["optimizer"]["param_groups"][0]["lr"] == 1e-4
    # --init-from grows the student: wider and deeper, starting from its weights
    wide = tmp_path / "wide"
    grown = [*args[:6], "--out", str(wide), "--channels", "6,12", "--res-blocks", "2", "--crop", "64"]
    grown += ["--batch-size", "2", "--workers", "0", "--holdout", "0", "--feature-weight", "0", "--steps", "1"]
    assert main([*grown, "--init-from", str(student / "last.pt")]) == 0
    config = torch.load(wide / "last.pt", weights_only=False)["config"]
    assert list(config["channels"]) == [6, 12] and config["res_blocks"] == 2
    # same checkpoint format as `train stylize`: it resumes there with the Gram losses, and exports
    gram = ["train", "stylize", "--styles", str(styles), "--content", str(EXAMPLES), "--out", str(student), *TINY]
    assert main([*gram, "--steps", "4", "--resume"]) == 0
    weights = tmp_path / "weights"
    export = ["export", "stylize", "--checkpoint", str(student / "last.pt"), "--styles", str(styles)]
    assert main([*export, "--weights", str(weights)]) == 0
    library = StyleLibrary(weights)
    assert library.entry["config"]["arch"] == "fast"
    img = (np.random.default_rng(2).random((45, 61, 3)) * 255).astype(np.uint8)
    assert stylize(library, img, {"starry_night": 1}, max_side=None).shape == (45, 61, 3)


def test_a_network_with_a_work_side_paints_at_it_and_upsamples(tiny_run, tmp_path):
    """--work-side goes into the manifest: a picture larger than it is painted at the work side
    and upsampled (as the same picture first shrunk to it would be), so strokes keep the
    painting's scale at any output size; --crop-scale is saved with the recipe."""
    from artgan.runtime.images import resize_u8

    _, styles, _, _ = tiny_run
    run = tmp_path / "work"
    args = ["train", "stylize", "--styles", str(styles), "--content", str(EXAMPLES), "--out", str(run), *TINY]
    assert main([*args, "--steps", "1", "--work-side", "48", "--crop-scale", "0.6,0.9"]) == 0
    state = torch.load(run / "last.pt", weights_only=False)
    assert list(state["config"]["crop_scale"]) == [0.6, 0.9]
    entry = export_to(run / "last.pt", styles, tmp_path / "weights")
    assert entry["config"]["work_side"] == 48
    library = StyleLibrary(tmp_path / "weights")
    img = (np.random.default_rng(3).random((64, 96, 3)) * 255).astype(np.uint8)
    out = stylize(library, img, {"the_scream": 1}, max_side=None)
    small = stylize(library, resize_u8(img, 48, 32), {"the_scream": 1}, max_side=None)
    assert out.shape == (64, 96, 3)
    np.testing.assert_array_equal(out, resize_u8(small, 96, 64))
    finer = stylize(library, img, {"the_scream": 1}, brush_scale=0.5, max_side=None)
    assert np.abs(finer.astype(int) - out.astype(int)).mean() > 1  # brush scale 0.5 paints at 96 px


def test_style_odds_make_a_fine_tune_dwell_on_the_named_styles():
    styles = ("starry_night", "the_scream", "udnie", "the_kiss")
    labels = StyleLabel(len(styles), style_odds("the_scream=4,udnie=4", styles))
    rng = np.random.default_rng(0)
    crop = np.zeros((8, 8, 3), np.uint8)
    counts = np.bincount([int(labels(crop, rng)[1]) for _ in range(2000)], minlength=4)
    assert (counts > 0).all()  # the other styles are still drawn
    assert counts[1] > 3 * counts[0] and counts[2] > 3 * counts[3]
    assert style_odds("", styles) is None
    with pytest.raises(ArtganError, match="no style 'scream'"):
        style_odds("scream=2", styles)


def test_per_style_overrides_change_one_style_and_survive_the_checkpoint():
    from artgan.stylize.config import StylizeConfig

    styles = ("starry_night", "sunday_on_la_grande_jatte")
    cfg = StylizeConfig(
        styles=styles,
        style_sizes=per_style("sunday_on_la_grande_jatte=768", styles, "style-sizes", int),
        structure_ratios=per_style("starry_night=1.25", styles, "structure-ratios"),
        edge_weights=per_style("sunday_on_la_grande_jatte=1.5", styles, "edge-weights"),
        edge_weight=0.5,
    )
    assert cfg.painting_size("sunday_on_la_grande_jatte") == 768
    assert cfg.painting_size("starry_night") == cfg.style_size == 384
    assert (cfg.style_structure_ratio("starry_night"), cfg.style_structure_ratio(styles[1])) == (1.25, 1.0)
    assert (cfg.style_edge_weight("starry_night"), cfg.style_edge_weight(styles[1])) == (0.5, 1.5)
    restored = StylizeConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))  # as a checkpoint stores it
    assert restored == cfg
    with pytest.raises(ArtganError, match="no style 'seurat'"):
        per_style("seurat=768", styles, "style-sizes", int)


def test_style_losses_weigh_each_samples_edge_term_by_its_style():
    """A per-sample edge weight adds weight × that sample's edge misfit, and no more."""
    from artgan.features.networks import build_feature_net
    from artgan.losses.style import edge_misfit
    from artgan.stylize.config import StylizeConfig

    torch.manual_seed(0)
    cfg = StylizeConfig(styles=("a", "b"), edge_weight=0.0)
    fnet = build_feature_net(cfg.feature_net)
    x, out = torch.rand(2, 3, 64, 64), torch.rand(2, 3, 64, 64)
    targets = [torch.zeros(2, f.shape[1], f.shape[1]) for f in (fnet(x)[i] for i in cfg.style_layers)]
    chroma, structure = torch.zeros(2, 4), torch.ones(2)

    def total(edge: torch.Tensor | None) -> float:
        return float(style_losses(cfg, fnet, x, out, targets, chroma, structure, edge)["total"])

    misfit = edge_misfit(out, x)
    assert float(misfit.min()) > 0.5  # unrelated noise: edges in other places
    assert total(None) == total(torch.zeros(2))  # the recipe's weight 0: no term
    assert total(torch.tensor([0.0, 2.0])) == pytest.approx(total(None) + float(misfit[1]), rel=1e-5)


def test_shipped_checkpoint_note_says_whether_adam_resumes(tmp_path) -> None:
    """The manifest must not promise optimiser state a checkpoint does not hold."""
    from export.manifest import ship_checkpoint

    notes = {}
    for name, state in {"bare": {"net": {}}, "full": {"net": {}, "optimizer": {}}}.items():
        ckpt = tmp_path / f"{name}.pt"
        torch.save(state, ckpt)
        entry = {"id": name}
        ship_checkpoint(entry, ckpt, tmp_path / "weights", "note")
        notes[name] = entry["checkpoint"]["note"]
    assert "without optimiser state" in notes["bare"]
    assert "with its optimiser state" in notes["full"]
