"""The Texture recipe: one frozen dataclass, saved inside every checkpoint."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

CELL = 16  # output pixels per noise cell: four nearest ×2 upsamplings


@dataclass(frozen=True)
class TextureConfig:
    """Noise layout, network widths and training balance; a checkpoint rebuilds its model from this alone."""

    textures: tuple[str, ...] = ()
    # spatial noise channels (Bergmann 2017 §3): i.i.d. local, per-sample global (the texture's
    # learned code: morphing = interpolating codes) and periodic sin(k·x + φ) with learned k
    local_dim: int = 16
    global_dim: int = 32
    periodic_dim: int = 4
    # generator widths and 3×3 convs per level: cell level, then after each of the four
    # upsamplings. Every level costs ~ c_in·c_out·9 MACs per output pixel ÷ its area, so
    # halving widths keep levels equal (~1.2k MACs/px each) and extra depth goes where it is
    # cheap (coarse levels); 2048² in ~1 s on 2 cores needs ≲ 7k MACs/px (measured: 18k → 8 s)
    widths: tuple[int, ...] = (128, 64, 32, 16, 8)
    depths: tuple[int, ...] = (2, 2, 1, 1, 1)
    # discriminator
    disc_base: int = 32
    disc_layers: int = 4
    # data: textures are resized so their short side is at most `short_side`, crops of `crop` px
    short_side: int = 384
    crop: int = 96
    batch_size: int = 10  # one crop of each shipped texture per step
    lr_g: float = 3e-4
    lr_d: float = 3e-4
    gan_loss: str = "bce"  # the seed's BCE L_D and non-saturating L_G (§4.1)
    gram_weight: float = 0.02  # Gram term through the shared feature network: +10 % time, steadier colours
    feature_net: str = "efficientnet_lite0"  # or "vgg19" (Gatys' original layers, ~6× slower)
    # structures larger than a crop's patches (issue 20: tile courses, whole leaves, swirls):
    # discriminators and Gram terms also on the crop pooled ×2, ×4, … (1 = only the crop itself)
    disc_scales: int = 1  # multi-scale PatchGAN (Wang et al. 2018 §3.2)
    gram_scales: int = 1  # Gram pyramid (Snelgrove 2017)
    # nearest-patch term (artgan.texture.patches: Kwatra 2005 + Simakov 2008 coverage): joints,
    # courses and tiles that the exemplar shows; 0 = off. Coverage counts only above real crops'
    # own (until step 14600 in full: at 192 px crops the term read ~7.4, × 6 = 44 against the
    # Gram term's 0.02 × ~300 = 6, and pushed gravel's crops into diagonal contrast bands)
    patch_weight: float = 0.0
    # textures (ids) whose coverage counts against the whole exemplar, not real crops': a regular
    # layout (tiles) is held in its courses by it, where a stochastic one got contrast bands
    full_coverage: tuple[str, ...] = ()
    # (texture id, rows, cols): that texture's periodic channels held on the wave-vector lattice
    # of a rows×cols-cell repeat (issue 20): free wave vectors of a regular layout drift a little
    # off one lattice, and their beats shift the tiles' courses by half a tile along a diagonal
    lattices: tuple[tuple[str, int, int], ...] = ()
    # textures (ids) whose wave vectors are held at 0, so their periodic channels are per-sample
    # constants: an irregular layout (leaves, swirls) that learned waves set on a visible lattice
    aperiodic: tuple[str, ...] = ()

    @property
    def noise_dim(self) -> int:
        return self.local_dim + self.global_dim + self.periodic_dim

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TextureConfig:
        tuples = {"textures", "widths", "depths", "full_coverage", "aperiodic"}
        known = {f.name for f in fields(cls)}
        out = {k: tuple(v) if k in tuples else v for k, v in d.items() if k in known}
        out["lattices"] = tuple(tuple(item) for item in d.get("lattices", ()))  # JSON/torch round trip: lists
        return cls(**out)
