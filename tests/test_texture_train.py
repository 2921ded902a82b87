"""Texture training levers (issue 20): multi-scale discriminator, Gram pyramid, periodic channels,
coarse capacity; trained two steps, exported (asserted parity) and run by the pipeline."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from artgan.cli import main  # noqa: E402
from artgan.evaluation.texture import seam_ratio  # noqa: E402
from artgan.features.networks import build_feature_net  # noqa: E402
from artgan.nets.discriminators import MultiScalePatchDiscriminator  # noqa: E402
from artgan.texture.config import TextureConfig  # noqa: E402
from artgan.texture.data import load_texture  # noqa: E402
from artgan.texture.gram import GramPyramid, pyramid  # noqa: E402
from artgan.texture.patches import PatchLoss  # noqa: E402
from artgan.texture.pipeline import TextureLibrary, generate, noise_field  # noqa: E402
from artgan.texture.spectrum import lattice_waves, spectral_waves  # noqa: E402
from artgan.texture.train import TextureTrainer, build_discriminator, load_model  # noqa: E402
from artgan.training import start_session  # noqa: E402

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"


def test_multiscale_discriminator_judges_the_pooled_crop_too():
    torch.manual_seed(0)
    disc = MultiScalePatchDiscriminator(2, base=4, layers=3, num_classes=3).eval()  # spectral norm: no power step
    x, cls = torch.rand(2, 3, 64, 64), torch.tensor([0, 2])
    maps = disc(x, cls)
    assert [m.shape for m in maps] == [(2, 1, 8, 8), (2, 1, 4, 4)]
    torch.testing.assert_close(maps[1], disc.scales[1](torch.nn.functional.avg_pool2d(x, 2), cls))
    # one scale stays the plain discriminator: earlier checkpoints resume unchanged
    assert type(build_discriminator(TextureConfig(), 3)).__name__ == "PatchDiscriminator"


def test_gram_pyramid_is_zero_on_its_own_exemplar_only():
    torch.manual_seed(0)
    gram = GramPyramid(build_feature_net("efficientnet_lite0"), "efficientnet_lite0", scales=2)
    stripes = (torch.arange(128)[None, :] + torch.arange(128)[:, None]) % 24 < 12
    ex = stripes.float().expand(1, 3, -1, -1).clone()
    targets = gram.targets([ex, torch.rand(1, 3, 128, 128)])
    assert len(targets) == 2 and targets[0][0].shape[0] == 2  # levels × layers of [K, C, C]
    own = [[t[:1] for t in level] for level in targets]
    assert float(gram.loss(ex, own)) < 1e-6
    assert float(gram.loss(torch.rand(1, 3, 128, 128), own)) > 1e-3
    assert [p.shape[-1] for p in pyramid(ex, 3)] == [128, 64, 32]


@pytest.fixture(scope="module")
def lever_run(tmp_path_factory):
    """Two steps with every lever on: 2 discriminator scales, 2 Gram levels, 6 periodic
    channels, a deeper cell level (3 convs); then export."""
    tmp = tmp_path_factory.mktemp("levers")
    data = tmp / "data"
    (data / "textures").mkdir(parents=True)
    for name in ("grass", "bricks_mossy"):  # the shipped 128 px thumbnails (CC0) as training images
        shutil.copy(WEIGHTS / "textures" / f"{name}.jpg", data / "textures" / f"{name}.jpg")
    train = ["train", "texture", "--data", str(data), "--textures", "grass,bricks_mossy", "--out", str(tmp / "run")]
    small = ["--steps", "2", "--crop", "64", "--batch-size", "2", "--widths", "8,8,4,4,4", "--depths", "3,2,1,1,1"]
    levers = ["--disc-scales", "2", "--gram-scales", "2", "--periodic-dim", "6", "--gram-weight", "0.02"]
    levers += ["--patch-weight", "6"]
    assert main(train + small + levers) == 0
    weights = tmp / "weights"
    export = ["export", "texture", "--checkpoint", str(tmp / "run" / "last.pt"), "--weights", str(weights)]
    assert main([*export, "--data", str(data)]) == 0
    return tmp


def test_levers_are_in_the_checkpoint_and_resume(lever_run):
    state = torch.load(lever_run / "run" / "last.pt", weights_only=False)
    cfg = TextureConfig.from_dict(state["config"])
    assert (cfg.disc_scales, cfg.gram_scales, cfg.periodic_dim, cfg.depths[0], cfg.patch_weight) == (2, 2, 6, 3, 6)
    logged = [json.loads(line) for line in (lever_run / "run" / "log.jsonl").read_text().splitlines()]
    assert all(line["losses"]["patch"] > 0.01 for line in logged if "losses" in line)  # ε alone: 1e-4
    assert any(k.startswith("scales.1.") for k in state["discriminator"])
    _, gen = load_model(lever_run / "run" / "last.pt")
    assert gen.body.margin == 3 * 16 + 2 * 8 + 4 + 2 + 1 + 1  # a third cell-level conv: 16 px more a side


def test_lever_model_exports_and_keeps_tiling_and_morphing(lever_run, tmp_path):
    lib = TextureLibrary(lever_run / "weights", user_dir=tmp_path)
    assert lib.periodic_dim == 6 and lib.margin == 72 and lib.entry["export"]["parity_max_abs_error"] < 1e-3
    for size in (64, 300):
        tiled = generate(lib, "grass", size, size, seed=2, tile=True)
        assert tiled.shape == (size, size, 3) and seam_ratio(tiled) < 1.5
    a = generate(lib, "grass", 96, 96, seed=1, morph_to="bricks_mossy", morph=0.0)
    np.testing.assert_array_equal(a, generate(lib, "grass", 96, 96, seed=1))
    assert not np.array_equal(a, generate(lib, "grass", 96, 96, seed=1, morph_to="bricks_mossy", morph=1.0))


def test_resume_grows_a_coarser_discriminator(lever_run, tmp_path):
    """`--resume --disc-scales 3`: the trained scales keep their weights, the new one starts fresh."""
    run = tmp_path / "run"
    shutil.copytree(lever_run / "run", run)
    before = torch.load(run / "last.pt", weights_only=False)
    train = ["train", "texture", "--data", str(lever_run / "data"), "--out", str(run), "--resume", "--steps", "3"]
    cfg = replace(TextureConfig.from_dict(before["config"]), disc_scales=3)
    images = [np.random.default_rng(i).integers(0, 256, (96, 96, 3), dtype=np.uint8) for i in range(2)]
    trainer = TextureTrainer(cfg, images, start_session("cpu", "fp32", 0))
    trainer.load(before)
    loaded = trainer.disc.state_dict()
    new = {k for k in loaded if k.startswith("scales.2.")}
    assert new and set(loaded) - new == set(before["discriminator"])
    for k, v in before["discriminator"].items():
        torch.testing.assert_close(loaded[k], v, msg=k)
    assert main([*train, "--disc-scales", "3"]) == 0
    after = torch.load(run / "last.pt", weights_only=False)
    resumed = TextureConfig.from_dict(after["config"])
    assert (resumed.disc_scales, resumed.patch_weight, after["step"]) == (3, 6, 3)  # weights kept unless given
    assert set(after["discriminator"]) == set(loaded)


def test_resume_refuses_a_discriminator_that_does_not_fit(lever_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(lever_run / "run", run)
    state = torch.load(run / "last.pt", weights_only=False)
    state["discriminator"] = {k.replace("scales.1.", "scales.9."): v for k, v in state["discriminator"].items()}
    torch.save(state, run / "last.pt")
    train = ["train", "texture", "--data", str(lever_run / "data"), "--out", str(run), "--resume", "--steps", "3"]
    assert main([*train, "--disc-scales", "3"]) != 0


def running_bond(height: int, width: int, dy: int = 0, dx: int = 0) -> torch.Tensor:
    """Light joints between 48 × 16 px bricks in half-offset rows, [1, 3, H, W] in [0, 1]."""
    y, x = np.mgrid[dy : dy + height, dx : dx + width]
    joints = (y % 16 < 2) | ((x + (y // 16 % 2) * 24) % 48 < 2)
    return torch.from_numpy(np.where(joints, 0.9, 0.2).astype(np.float32)).expand(1, 3, -1, -1).clone()


def test_patch_loss_prefers_the_exemplars_layout_and_all_of_it():
    """Another view of the exemplar's lattice scores ~0; misaligned joints, a flat average or a
    half of the exemplar (every patch real, not every real patch there) do not."""
    loss = PatchLoss(running_bond(256, 256))
    view = running_bond(128, 128, dy=32, dx=48)  # whole periods away: the same patches
    assert float(loss(view)) < 1e-3
    shifted = view.clone()
    shifted[..., 64:, :] = running_bond(64, 128, dx=13)  # lower half's vertical joints out of line
    flat = torch.full_like(view, float(view.mean()))
    for worse in (shifted, flat):
        assert float(loss(worse)) > 0.1
    halves = torch.zeros(1, 3, 256, 256)
    halves[..., 128:] = 1.0  # dark and light ground: a dark picture's every patch is real, the light never appears
    dark = torch.zeros(1, 3, 128, 128)
    assert float(PatchLoss(halves, coverage=0.0)(dark)) < 1e-3 < 0.5 < float(PatchLoss(halves)(dark))
    # the term's gradient moves a generated picture towards the lattice
    x = flat.clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=0.02)
    for _ in range(30):
        opt.zero_grad()
        loss(x).backward()
        opt.step()
    assert float(loss(x.detach())) < 0.7 * float(loss(flat))


def test_patch_loss_coverage_asks_a_crop_for_what_real_crops_hold():
    """With `crop`, coverage counts only above real crops' own: one half of a dark|light exemplar
    still pays (less than in full), a real crop holding both halves pays nothing. A mirrored bank
    accepts the mirrored picture."""
    halves = torch.zeros(1, 3, 256, 256)
    halves[..., 128:] = 1.0
    dark = torch.zeros(1, 3, 96, 96)
    hinged, full = PatchLoss(halves, crop=96), PatchLoss(halves)
    assert min(hinged.floor) > 1.0  # real 96 px crops of one half miss the other's patches
    assert 0.5 < float(hinged(dark)) < float(full(dark)) - 1.0
    assert float(hinged(halves[..., 80:176, 80:176])) < 1e-3 < 1.0 < float(full(halves[..., 80:176, :96]))
    ramp = torch.linspace(0, 1, 256).expand(1, 3, 256, 256).clone()  # dark → light, left to right
    mirrored = ramp[..., 64:192].flip(-1)
    fidelity = [float(PatchLoss(ramp, coverage=0.0, mirror=m)(mirrored)) for m in (False, True)]
    assert fidelity[1] < 1e-3 < 0.05 < fidelity[0]


def test_spectral_waves_find_a_running_bond_lattice():
    """Bricks 90 × 30 px, half-offset rows, noisy, in a picture no multiple of either period."""
    y, x = np.mgrid[0:400, 0:410]
    joints = (y % 30 < 3) | ((x + (y // 30 % 2) * 45) % 90 < 3)
    image = joints * 200.0 + np.random.default_rng(0).normal(0, 40, y.shape)
    waves = spectral_waves(image, 6)  # radians per 16 px cell
    lattice = 2 * np.pi * 16 * np.array([[1 / 60, 1 / 90], [1 / 60, -1 / 90]])  # reciprocal of (0, 90), (30, 45)
    for k in lattice:
        assert np.abs(waves - k).sum(axis=1).min() < 0.02, (k, waves)
    assert np.hypot(*waves.T).max() < 0.9 * np.pi  # below the cell grid's Nyquist limit
    assert not spectral_waves(np.full((200, 200), 7.0), 4).any()  # nothing periodic: no waves


def test_resume_seeds_spectral_waves_and_takes_a_larger_crop(lever_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(lever_run / "run", run)
    train = ["train", "texture", "--data", str(lever_run / "data"), "--out", str(run), "--resume", "--steps", "3"]
    assert main([*train, "--spectral-waves", "no_such_texture"]) != 0
    assert main([*train, "--spectral-waves", "bricks_mossy", "--crop", "96"]) == 0
    cfg, gen = load_model(run / "last.pt")
    assert cfg.crop == 96
    bricks = load_texture("bricks_mossy", [lever_run / "data" / "textures"], cfg.short_side)
    k = np.pi * np.tanh(gen.waves[1].detach().numpy())
    np.testing.assert_allclose(k, spectral_waves(bricks, cfg.periodic_dim), atol=0.01)  # one Adam step off
    before = torch.load(lever_run / "run" / "last.pt", weights_only=False)["generator"]["waves"]
    torch.testing.assert_close(gen.waves[0].detach(), before[0], atol=0.01, rtol=0)  # grass: not reseeded
    assert not torch.allclose(gen.waves[1].detach(), before[1], atol=0.05)


def test_resume_gives_a_named_texture_full_coverage(lever_run, tmp_path):
    """`--full-coverage bricks_mossy`: bricks' coverage counts in full (floor 0), grass keeps its
    real-crop hinge; the choice is kept on later resumes and refused for a texture not trained."""
    run = tmp_path / "run"
    shutil.copytree(lever_run / "run", run)
    train = ["train", "texture", "--data", str(lever_run / "data"), "--out", str(run), "--resume", "--steps", "3"]
    assert main([*train, "--full-coverage", "no_such_texture"]) != 0
    assert main([*train, "--full-coverage", "bricks_mossy"]) == 0
    cfg = TextureConfig.from_dict(torch.load(run / "last.pt", weights_only=False)["config"])
    assert cfg.full_coverage == ("bricks_mossy",)
    images = [load_texture(n, [lever_run / "data" / "textures"], cfg.short_side) for n in ("grass", "bricks_mossy")]
    trainer = TextureTrainer(cfg, images, start_session("cpu", "fp32", 0))
    grass, bricks = trainer.patches
    assert min(grass.floor) > 0.1 and bricks.floor == [0.0, 0.0]
    assert main([*train, "--steps", "4"]) == 0  # not given again: kept
    assert TextureConfig.from_dict(torch.load(run / "last.pt", weights_only=False)["config"]).full_coverage == (
        "bricks_mossy",
    )


def test_lattice_waves_snap_a_near_lattice_and_leave_slow_waves():
    """The tiles' four fast waves (rad/cell, shipped before issue 20's lattice run) land on the
    12×6-cell repeat's lattice, where one sums the others; a slow colour wave is kept."""
    k = np.array([[0.999, -0.104], [-0.035, 2.114], [1.592, -1.100], [1.594, 1.158], [0.127, 0.109]])
    snapped, on = lattice_waves(k, 12, 6)
    assert on.tolist() == [True, True, True, True, False]
    np.testing.assert_allclose(snapped[:4], np.pi * np.array([[1 / 3, 0], [0, 2 / 3], [1 / 2, -1 / 3], [1 / 2, 1 / 3]]))
    np.testing.assert_allclose(snapped[2] + snapped[3], 3 * snapped[0])  # no beat between the channels
    np.testing.assert_array_equal(snapped[4], k[4])
    with pytest.raises(ValueError, match="Nyquist"):
        lattice_waves(np.array([[0.0, 3.0]]), 4, 2)


def test_resume_holds_a_named_texture_on_a_lattice(lever_run, tmp_path):
    """`--lattice bricks_mossy=24x24`: bricks' waves are snapped and stay there through Adam
    steps (grass's move freely); the choice is kept on later resumes; a bad spec is refused."""
    run = tmp_path / "run"
    shutil.copytree(lever_run / "run", run)
    train = ["train", "texture", "--data", str(lever_run / "data"), "--out", str(run), "--resume", "--steps", "3"]
    assert main([*train, "--lattice", "no_such_texture=12x6"]) != 0
    assert main([*train, "--lattice", "bricks_mossy=12"]) != 0
    assert main([*train, "--lattice", "bricks_mossy=24x24"]) == 0  # a fine lattice: the random waves snap off 0
    assert main([*train, "--steps", "5"]) == 0  # not given again: kept, and held through two more steps
    cfg, gen = load_model(run / "last.pt")
    assert cfg.lattices == (("bricks_mossy", 24, 24),)
    k = np.pi * np.tanh(gen.waves.detach().double().numpy())
    snapped, on = lattice_waves(k[1], 24, 24)
    assert on.any()
    np.testing.assert_allclose(k[1], snapped, atol=1e-5)
    before = torch.load(lever_run / "run" / "last.pt", weights_only=False)["generator"]["waves"]
    assert not torch.allclose(gen.waves[0].detach(), before[0], atol=1e-6)  # grass: trained as before
    assert gen.coupled[1].tolist() == on.tolist() and not gen.coupled[0].any()

    # exported, the pipeline couples the same channels' phases: one shift of the layout per seed
    weights = tmp_path / "weights"
    assert main(["export", "texture", "--checkpoint", str(run / "last.pt"), "--weights", str(weights)]) == 0
    lib = TextureLibrary(weights, user_dir=tmp_path / "user")
    assert lib.lattice("grass") is None and lib.lattice("grass", "bricks_mossy", 0.5)[1] is None
    coupled, repeat = lib.lattice("bricks_mossy")
    assert coupled.tolist() == on.tolist() and repeat == (24, 24)
    steps = np.rint(k[1][on] / (2 * np.pi / 24)).astype(int)  # the coupled waves in whole lattice steps
    assert len(steps) >= 3
    det = lambda a, b: a[0] * b[1] - a[1] * b[0]  # noqa: E731
    relation = np.array([det(steps[1], steps[2]), det(steps[2], steps[0]), det(steps[0], steps[1])])
    assert relation.any()  # Σ relation_j · k_j = 0, so Σ relation_j · φ_j ≡ 0 when the phases come from one shift
    y, x = np.mgrid[:24, :24]
    first = lib.local_dim + lib.global_dim

    def phases(field: np.ndarray, waves: np.ndarray) -> np.ndarray:
        """Each channel's phase, projected over one whole repeat (exact for a sampled sinusoid)."""
        proj = [
            (field[first + j, lib.pad :, lib.pad :][:24, :24] * np.exp(-1j * (kj[0] * y + kj[1] * x))).sum()
            for j, kj in zip(np.flatnonzero(on)[:3], waves[:3], strict=True)
        ]
        assert np.allclose(np.abs(proj), 24 * 24 / 2, rtol=1e-3)
        return np.angle(proj) + np.pi / 2

    params = lib.get("bricks_mossy").params
    for seed in (1, 2, 3):
        field = noise_field(lib, params, seed, 24, 24, tile=True, lattice=lib.lattice("bricks_mossy"))
        assert abs(np.exp(1j * (relation @ phases(field, k[1][on]))) - 1) < 1e-3
    free = [noise_field(lib, params, seed, 24, 24, tile=True) for seed in (1, 2, 3)]  # uncoupled: any relation
    assert max(abs(np.exp(1j * (relation @ phases(f, k[1][on]))) - 1) for f in free) > 0.1


def test_resume_holds_an_aperiodic_texture_flat(lever_run, tmp_path, capsys):
    """`--aperiodic grass`: grass's wave vectors go to 0 and stay there through Adam steps (bricks'
    move freely), so its exported periodic channels are constants; kept on later resumes."""
    run = tmp_path / "run"
    shutil.copytree(lever_run / "run", run)
    train = ["train", "texture", "--data", str(lever_run / "data"), "--out", str(run), "--resume", "--steps", "3"]
    assert main([*train, "--aperiodic", "no_such_texture"]) != 0
    for flat in ("grass", "all"):
        assert main([*train, "--aperiodic", flat, "--lattice", "grass=24x24"]) != 0
        assert "both name grass" in capsys.readouterr().err
    assert main([*train, "--aperiodic", "grass"]) == 0
    assert main([*train, "--steps", "5"]) == 0
    cfg, gen = load_model(run / "last.pt")
    assert cfg.aperiodic == ("grass",)
    assert not gen.waves[0].any()
    before = torch.load(lever_run / "run" / "last.pt", weights_only=False)["generator"]["waves"]
    assert not torch.allclose(gen.waves[1].detach(), before[1], atol=1e-6)

    weights = tmp_path / "weights"
    assert main(["export", "texture", "--checkpoint", str(run / "last.pt"), "--weights", str(weights)]) == 0
    lib = TextureLibrary(weights, user_dir=tmp_path / "user")
    first = lib.local_dim + lib.global_dim
    field = noise_field(lib, lib.get("grass").params, 1, 24, 24, tile=True)
    waves = field[first : first + lib.periodic_dim]
    assert np.ptp(waves, axis=(1, 2)).max() < 1e-6 and np.abs(waves).max() > 0.05  # flat, yet seed-dependent
    bricks = noise_field(lib, lib.get("bricks_mossy").params, 1, 24, 24, tile=True)[first : first + lib.periodic_dim]
    assert np.ptp(bricks, axis=(1, 2)).max() > 0.1
