"""Rebuild a training checkpoint from a shipped inpaint ONNX file, so a new generator can
grow from the shipped one when its checkpoint was not kept (issue 18: the 11 200-step
checkpoint is not in the repository).

`python -m artgan.inpaint.recover [--weights weights] --out runs/inpaint_shipped.pt`

The exporter names most weights after their parameters but folds the halves of the gated
convs' biases (and of the first layer's weight) into anonymous constants, so names alone
do not do: each Conv node's weight and bias are traced back through Slice nodes instead
and handed to the generator's convs in forward order (a gated conv runs as two Convs,
features then gate). The rebuilt network must then match ONNX Runtime, or nothing is
written. The discriminator and optimiser states are not in the ONNX file: they start fresh.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import numpy_helper
from torch import nn

from artgan.inpaint.config import InpaintConfig
from artgan.inpaint.model import GatedConv, InpaintGenerator, build
from artgan.runtime.manifest import WEIGHTS_DIR, model_entry
from artgan.training import save_checkpoint

TOLERANCE = 1e-4


def conv_parameters(model: onnx.ModelProto) -> list[tuple[np.ndarray, np.ndarray]]:
    """(weight, bias) of every Conv node, in graph order."""
    known = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    producer = {out: node for node in model.graph.node for out in node.output}

    def value(name: str) -> np.ndarray:
        if name in known:
            return known[name]
        node = producer[name]
        if node.op_type == "Constant":
            return numpy_helper.to_array(node.attribute[0].t)
        if node.op_type == "Slice":
            data, starts, ends, axes = (value(i) for i in node.input[:4])
            index = [slice(None)] * data.ndim
            for start, end, axis in zip(starts, ends, axes, strict=True):
                index[int(axis)] = slice(int(start), int(end))
            return data[tuple(index)]
        raise ValueError(f"cannot trace a Conv parameter through a {node.op_type} node ({name})")

    return [(value(n.input[1]), value(n.input[2])) for n in model.graph.node if n.op_type == "Conv"]


@torch.no_grad()
def load_from_onnx(net: InpaintGenerator, model: onnx.ModelProto) -> None:
    """Fill `net`'s convs from the ONNX Conv nodes in forward order (modules are registered in it)."""
    params = iter(conv_parameters(model))
    halves = {id(m.conv) for m in net.modules() if isinstance(m, GatedConv)}
    for module in net.modules():
        if isinstance(module, GatedConv):
            (wf, bf), (wg, bg) = next(params), next(params)
            conv, weight, bias = module.conv, np.concatenate([wf, wg]), np.concatenate([bf, bg])
        elif isinstance(module, nn.Conv2d) and id(module) not in halves:
            conv, (weight, bias) = module, next(params)
        else:
            continue
        conv.weight.copy_(torch.tensor(weight))  # a copy: ONNX arrays are read-only
        conv.bias.copy_(torch.tensor(bias))
    if next(params, None) is not None:
        raise ValueError("the ONNX file has more convs than this generator")


def parity_error(net: InpaintGenerator, path: Path) -> float:
    """Largest |ONNX Runtime − PyTorch| on a random picture with a hole (a size unlike the export's)."""
    rng = np.random.default_rng(0)
    image = rng.random((1, 3, 192, 256), dtype=np.float32)
    mask = np.zeros((1, 1, 192, 256), np.float32)
    mask[..., 60:140, 80:200] = 1
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"image": image, "mask": mask})
    with torch.no_grad():
        want = net.eval()(torch.from_numpy(image), torch.from_numpy(mask)).numpy()
    return float(np.abs(got[0] - want).max())


def recover(weights: Path) -> dict:
    """The checkpoint (config + generator) of the manifest's inpaint model; raises unless parity holds."""
    entry = model_entry("inpaint", weights)
    cfg = InpaintConfig.from_dict(entry["config"])
    net = build(cfg)
    load_from_onnx(net, onnx.load(str(weights / entry["file"])))
    error = parity_error(net, weights / entry["file"])
    if error > TOLERANCE:
        raise ValueError(f"rebuilt generator differs from ONNX Runtime by {error:.1e} (> {TOLERANCE})")
    print(f"rebuilt {entry['file']} (step {entry['training']['steps']}), parity error {error:.1e}")
    return {"task": "inpaint", "config": cfg.to_dict(), "net": net.state_dict(), "step": entry["training"]["steps"]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--weights", default=str(WEIGHTS_DIR), help="weights folder holding manifest.json")
    p.add_argument("--out", required=True, help="checkpoint to write (for `train inpaint --init-from`)")
    args = p.parse_args()
    save_checkpoint(Path(args.out), recover(Path(args.weights)))


if __name__ == "__main__":
    main()
