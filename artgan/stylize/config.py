"""The Stylize recipe: one frozen dataclass, saved inside every checkpoint."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class StylizeConfig:
    """Network shape and loss balance; a checkpoint rebuilds its model from this alone."""

    # network (a slim Johnson et al. 2016 transformer with conditional instance norm)
    arch: str = "johnson"  # or "fast" (see model.ARCHS)
    channels: tuple[int, ...] = (16, 32, 64)
    res_blocks: int = 3
    # first and last conv kernels: a 9×9 head costs 8× a 3×3 one on CPU (measured) for
    # no visible gain, while the 9×9 input conv gives the receptive field for strokes
    kernels: tuple[int, int] = (9, 3)
    # optional ⅛-scale stage beside the ¼-scale trunk (channels, residual blocks; 0 = none):
    # its receptive field reaches painting-sized shapes, at ⅛ scale it costs little
    coarse_channels: int = 0
    coarse_blocks: int = 0
    styles: tuple[str, ...] = ()
    # long side the network paints at before upsampling (0 = the output size): a wide network
    # at ~512 px costs what a slim one costs at 1024, and its strokes keep the painting's scale
    work_side: int = 0
    # feature network and layers (indices of the feature net's stages)
    feature_net: str = "efficientnet_lite0"
    style_layers: tuple[int, ...] = (0, 1, 2, 3, 4)
    content_layers: tuple[int, ...] = (2,)
    # balance the stages: raw early-stage Gram losses are ~100× the last stage's (measured)
    style_layer_weights: tuple[float, ...] = (0.5, 0.5, 1.0, 5.0, 20.0)
    # loss weights
    style_weight: float = 1.0
    content_weight: float = 3.0
    tv_weight: float = 2000.0  # TV is a mean of squared differences (~0.005): this suppresses Gram speckle
    # the painting's colourfulness: mean and spread of the opponent chroma axes (losses.style.chroma_loss)
    chroma_weight: float = 0.0
    # the photo's contours as the output's strongest lines (losses.style.edge_correlation_loss)
    edge_weight: float = 0.0
    # at least `structure_ratio` × the painting's stroke-scale contrast (losses.style.structure_loss)
    structure_weight: float = 0.0
    structure_ratio: float = 1.0
    # per-style overrides ((name, value), ...) of structure_ratio and edge_weight: styles share
    # every convolution, so one balance leaves some under the stroke goal and others under the
    # content goal (issue 16's per-style table); a fine-tune can move those alone
    structure_ratios: tuple[tuple[str, float], ...] = ()
    edge_weights: tuple[tuple[str, float], ...] = ()
    # optional adversarial term: style-conditional patch discriminator on painting crops
    adversarial_weight: float = 0.0
    gan_loss: str = "hinge"
    adv_patch: int = 96
    # data
    crop: int = 192
    # share of a photo's short side a training crop covers: sets the scale of content the
    # network learns to paint, which should match the size it runs at (`work_side`)
    crop_scale: tuple[float, float] = (0.3, 1.0)
    style_size: int = 384
    # per-style long sides ((name, px), ...) overriding style_size: the painting's scale sets
    # the scale of the marks its Gram targets ask for (for Seurat's points a larger painting
    # gave softer marks, not finer ones: docs/models/stylize.md, 2026-12-06)
    style_sizes: tuple[tuple[str, int], ...] = ()
    batch_size: int = 4
    lr: float = 1e-3

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> StylizeConfig:
        tuples = {
            "channels",
            "kernels",
            "styles",
            "style_layers",
            "content_layers",
            "style_layer_weights",
            "crop_scale",
        }
        known = {f.name for f in fields(cls)}  # older checkpoints may carry retired keys
        out = {k: tuple(v) if k in tuples else v for k, v in d.items() if k in known}
        if "style_sizes" in out:
            out["style_sizes"] = tuple((str(n), int(v)) for n, v in out["style_sizes"])
        for key in ("structure_ratios", "edge_weights"):
            if key in out:
                out[key] = tuple((str(n), float(v)) for n, v in out[key])
        return cls(**out)

    def painting_size(self, style: str) -> int:
        """The long side a style's painting is resized to for its loss targets."""
        return dict(self.style_sizes).get(style, self.style_size)

    def style_structure_ratio(self, style: str) -> float:
        return dict(self.structure_ratios).get(style, self.structure_ratio)

    def style_edge_weight(self, style: str) -> float:
        return dict(self.edge_weights).get(style, self.edge_weight)
