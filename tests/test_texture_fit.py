"""A fitted texture's low-rank adapter: learned, saved beside its code, and run by ONNX Runtime
as the shipped graph with replaced initialisers (no re-export), parity with torch, morphing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from artgan.texture.pipeline import TextureError, TextureLibrary, feeds, generate, noise_field

torch = pytest.importorskip("torch")

from artgan.learning import save_learned  # noqa: E402
from artgan.texture.learn import add_adapter, body_from_onnx, learn_texture  # noqa: E402

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"


@pytest.fixture(scope="module")
def fitted(tmp_path_factory, example_u8):
    """A two-step fit with a rank-4 adapter on the cell level, saved as `door`."""
    user = tmp_path_factory.mktemp("fitted")
    lib = TextureLibrary(WEIGHTS, user_dir=user)
    steps = list(learn_texture(lib, example_u8[:200, :200], steps=2, crop=64, rank=4, levels=1, preview_every=1))
    last = steps[-1]
    assert steps[0].adapter is None and set(last.adapter) >= {"model_sha256", "up:blocks.0.conv.weight"}
    assert np.abs(last.adapter["up:blocks.1.conv.weight"]).max() > 0  # the adapter moved off the shipped body
    save_learned(user, "door", last.params, example_u8, last.adapter)
    return TextureLibrary(WEIGHTS, user_dir=user), last


def test_adapter_session_matches_the_adapted_torch_body(fitted):
    lib, last = fitted
    tex = lib.get("door")
    assert tex.adapter is not None and tex.adapter.name == "door.adapter.npz"
    field = noise_field(lib, tex.params, 5, 3, 3, tile=False)
    mix = lib.adapter_mix("door")
    onnx_out = lib.session(threads=1, mix=mix).run(None, feeds(lib, field, tex.params))[0]
    plain_out = lib.session(threads=1).run(None, feeds(lib, field, tex.params))[0]
    _, body = body_from_onnx(lib)
    adapters = add_adapter(body, tuple(lib.entry["config"]["depths"]), 1, 4)
    with torch.no_grad():
        for name, delta in adapters.items():
            delta.down.copy_(torch.from_numpy(last.adapter[f"down:{name}"]))
            delta.up.copy_(torch.from_numpy(last.adapter[f"up:{name}"]))
        torch_out = body(torch.from_numpy(field)[None], torch.from_numpy(tex.params[None, : lib.global_dim])).numpy()
    assert np.abs(onnx_out - torch_out).max() < 1e-4  # the replaced initialisers really are used
    assert np.abs(onnx_out - plain_out).max() > 1e-3


def test_morph_blends_adapters_and_ends_at_the_other_texture(fitted):
    lib, _ = fitted
    assert lib.adapter_mix("grass") is None and lib.adapter_mix("door", "grass", 1.0) is None
    plain = generate(lib, "grass", 96, 96, seed=3)
    np.testing.assert_array_equal(generate(lib, "door", 96, 96, seed=3, morph_to="grass", morph=1.0), plain)
    half = generate(lib, "door", 96, 96, seed=3, morph_to="grass", morph=0.5)
    assert half.shape == (96, 96, 3) and not np.array_equal(half, plain)


def test_adapter_of_another_model_is_refused(fitted, tmp_path):
    lib, last = fitted
    other = dict(last.adapter, model_sha256=np.array("0" * 64))
    save_learned(tmp_path, "stale", last.params, np.zeros((64, 64, 3), np.uint8), other)
    with pytest.raises(TextureError, match="another texture model"):
        lib.add_file(tmp_path / "stale.npy")
    save_learned(tmp_path, "stale", last.params, np.zeros((64, 64, 3), np.uint8))  # relearned without one
    assert not (tmp_path / "stale.adapter.npz").exists() and lib.add_file(tmp_path / "stale.npy").adapter is None


def test_sliced_distance_compares_whole_distributions():
    from artgan.texture.sliced import sliced_distance

    torch.manual_seed(0)
    two_modes = torch.cat([torch.full((1, 16, 500), -1.0), torch.full((1, 16, 500), 1.0)], dim=2)
    mean_only = torch.zeros(1, 16, 700)  # same mean, and a Gram of zeros rather than ones
    shuffled = two_modes[:, :, torch.randperm(1000)][:, :, :600]  # the same distribution, fewer samples
    assert float(sliced_distance(shuffled, two_modes)) < 0.05
    assert float(sliced_distance(mean_only, two_modes)) > 0.3


def test_codes_only_fit_with_sliced_statistics_has_no_adapter(example_u8, tmp_path):
    lib = TextureLibrary(WEIGHTS, user_dir=tmp_path)
    (last,) = learn_texture(lib, example_u8[:160, :160], steps=1, crop=64, rank=0, statistics="sliced")
    assert last.adapter is None and last.params.shape == (lib.dim,) and np.isfinite(last.loss)
    with pytest.raises(TextureError, match="unknown statistics"):
        next(learn_texture(lib, example_u8, statistics="moments"))
