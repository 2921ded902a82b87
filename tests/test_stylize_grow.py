"""Growing a trained style network (wider, deeper, a ⅛-scale stage) starts it where it was."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from artgan.stylize.config import StylizeConfig  # noqa: E402
from artgan.stylize.model import build, grow, norm_slices  # noqa: E402

STYLES = ("a", "b", "c")


def trained(cfg: StylizeConfig) -> dict:
    """A checkpoint of a network with non-trivial weights and styles (as after training)."""
    torch.manual_seed(1)
    net, bank = build(cfg)
    with torch.no_grad():
        bank.table.weight.add_(0.3 * torch.randn_like(bank.table.weight))
    return {"config": cfg.to_dict(), "net": net.state_dict(), "bank": bank.state_dict()}


@pytest.mark.parametrize(
    "old_shape, new_shape",
    [
        (dict(arch="fast", channels=(8, 24), res_blocks=2, kernels=(5, 3)), dict(channels=(16, 48), res_blocks=3)),
        (
            dict(channels=(8, 16, 32), res_blocks=1, kernels=(9, 3)),
            dict(res_blocks=2, coarse_channels=32, coarse_blocks=1),
        ),
    ],
)
def test_grown_network_computes_what_it_grew_from_and_learns_with_its_new_channels(old_shape, new_shape):
    old_cfg = StylizeConfig(styles=STYLES, **old_shape)
    state = trained(old_cfg)
    old_net, old_bank = build(old_cfg)
    old_net.load_state_dict(state["net"])
    old_bank.load_state_dict(state["bank"])
    new_cfg = StylizeConfig(**{**old_cfg.to_dict(), **new_shape})
    net, bank = build(new_cfg)
    new, dropped = grow(net, bank, state)
    assert new and not dropped
    x, idx = torch.rand(2, 3, 64, 48), torch.tensor([0, 2])
    with torch.no_grad():
        want = old_net(x, old_bank(idx))
    got = net(x, bank(idx))
    torch.testing.assert_close(got, want, atol=1e-5, rtol=0)
    got.square().mean().backward()
    # the zero weights that connect the new parts are the ones that learn first
    if new_cfg.channels != old_cfg.channels:  # the fast head: an upsampling conv
        assert net.head.conv.conv.weight.grad[:, old_cfg.channels[0] :].abs().sum() > 0
    if new_cfg.coarse_blocks:
        assert net.coarse_out.weight.grad.abs().sum() > 0
    new_block_gamma = norm_slices(net)[f"res.{2 * new_cfg.res_blocks - 1}.norm"]
    assert bank.table.weight.grad[idx][:, new_block_gamma].abs().sum() > 0


def test_a_narrower_network_is_refused():
    cfg = StylizeConfig(styles=STYLES, arch="fast", channels=(8, 24), res_blocks=2, kernels=(5, 3))
    net, bank = build(StylizeConfig(**{**cfg.to_dict(), "channels": (8, 16)}))
    with pytest.raises(ValueError, match="narrow"):
        grow(net, bank, trained(cfg))
