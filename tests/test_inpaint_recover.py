"""The shipped inpaint.onnx rebuilds into a training checkpoint that a larger generator grows from."""

from __future__ import annotations

from dataclasses import replace

import pytest

torch = pytest.importorskip("torch")

from artgan.inpaint.config import InpaintConfig  # noqa: E402
from artgan.inpaint.model import build, grow  # noqa: E402
from artgan.inpaint.recover import parity_error, recover  # noqa: E402
from tests.conftest import WEIGHTS  # noqa: E402


def test_shipped_onnx_rebuilds_into_a_checkpoint_to_grow_from():
    state = recover(WEIGHTS)  # raises unless the rebuilt generator matches ONNX Runtime
    cfg = InpaintConfig.from_dict(state["config"])
    assert cfg.ffc_blocks == 0 and state["step"] > 0
    grown = build(replace(cfg, ffc_blocks=1))
    assert grow(grown, state) == ["fourier_blocks.0"]
    assert parity_error(grown, WEIGHTS / "inpaint.onnx") < 1e-4  # new blocks start as identity
