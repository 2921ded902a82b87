"""Export a module to ONNX and refuse to write it unless ONNX Runtime agrees with PyTorch.

Exporter: `torch.onnx.export(dynamo=True)` (torch.export + onnxscript) at opset 18. For
these conv nets it gives a clean graph (Conv, InstanceNormalization, Pad(reflect),
Resize; measured: no Constant/Reshape/Transpose clutter, which the TorchScript exporter
adds around every reflection pad) with symbolic batch/height/width. The parity check
below is the judge, on shapes other than the example's.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch

OPSET = 18
TOLERANCE = 1e-3  # max abs error in [0,1] image units (relative for values above 1)


class ParityError(RuntimeError):
    """ONNX Runtime's output differs from PyTorch's beyond the tolerance."""


def export_onnx(
    module: torch.nn.Module,
    example: tuple[torch.Tensor, ...],
    path: Path,
    input_names: list[str],
    output_names: list[str],
    dynamic_shapes: dict[str, dict],
    parity_inputs: list[tuple[torch.Tensor, ...]],
) -> float:
    """Export, check with onnx.checker, compare against PyTorch; write only if all pass.

    Returns the worst max-abs error over `parity_inputs`.
    """
    module = module.eval()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=path.parent)
    os.close(fd)
    try:
        with torch.no_grad():
            torch.onnx.export(
                module,
                example,
                tmp,
                input_names=input_names,
                output_names=output_names,
                dynamic_shapes=dynamic_shapes,
                opset_version=OPSET,
                dynamo=True,
                external_data=False,  # one self-contained file (the app ships it as is)
                verbose=False,
            )
        onnx.checker.check_model(onnx.load(tmp), full_check=True)
        worst = parity(module, Path(tmp), input_names, parity_inputs)
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only
        os.replace(tmp, path)
        return worst
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def parity(
    module: torch.nn.Module, path: Path, input_names: list[str], inputs: list[tuple[torch.Tensor, ...]]
) -> float:
    """Worst difference between ORT (CPU) and PyTorch over all outputs; raises past TOLERANCE.

    Image outputs are compared in absolute [0,1] units; other outputs (e.g. statistics
    with large values) relative to their magnitude where it exceeds 1.
    """
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    worst = 0.0
    for args in inputs:
        with torch.no_grad():
            expected = module(*args)
        expected = [t.numpy() for t in (expected if isinstance(expected, tuple) else (expected,))]
        got = sess.run(None, {n: a.numpy() for n, a in zip(input_names, args, strict=True)})
        for g, e in zip(got, expected, strict=True):
            if g.shape != e.shape:
                raise ParityError(f"ONNX output shape {g.shape} ≠ PyTorch {e.shape}")
            worst = max(worst, float((np.abs(g - e) / np.maximum(1.0, np.abs(e))).max()))
    if worst > TOLERANCE:
        raise ParityError(f"ONNX Runtime differs from PyTorch by {worst:.2e} (> {TOLERANCE})")
    return worst
