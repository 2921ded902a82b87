"""Fast Fourier convolution blocks: the matrix DFT against torch.fft, identity at start,
growing a trained generator, and a real ONNX export with ORT parity at symbolic sizes."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")

from artgan.inpaint.fourier import FFCResBlock, irfft2, rfft2  # noqa: E402
from artgan.inpaint.model import InpaintGenerator, grow  # noqa: E402
from export.inpaint import export_network  # noqa: E402


@pytest.mark.parametrize("h,w", [(16, 16), (17, 22), (40, 64)])
def test_matrix_dft_matches_torch_fft(h, w):
    torch.manual_seed(0)
    x = torch.randn(2, 3, h, w)
    real, imag = rfft2(x)
    want = torch.fft.rfft2(x, norm="ortho").transpose(-1, -2)  # rfft2 keeps [W//2+1, H]
    assert torch.allclose(real, want.real, atol=2e-5) and torch.allclose(imag, want.imag, atol=2e-5)
    spectrum = torch.randn(2, 3, h, w // 2 + 1, dtype=torch.complex64)  # not Hermitian at DC/Nyquist: ignored alike
    got = irfft2(spectrum.real.transpose(-1, -2), spectrum.imag.transpose(-1, -2), w)
    assert torch.allclose(got, torch.fft.irfft2(spectrum, s=(h, w), norm="ortho"), atol=2e-5)


def test_block_starts_as_identity_and_mixes_globally_once_trained():
    block = FFCResBlock(16).eval()
    x = torch.rand(1, 16, 24, 24)
    assert torch.equal(block(x), x)
    torch.manual_seed(0)
    with torch.no_grad():
        for p in block.parameters():
            p.add_(0.1 * torch.randn_like(p))
        y = torch.rand(1, 16, 24, 24)
        y2 = y.clone()
        y2[..., 0, 0] += 1.0  # one corner pixel changes…
        far = (block(y2) - block(y))[..., 12:, 12:]  # …and the far quarter answers (3×3 convs reach 2 px)
    assert far.abs().max() > 1e-4


def test_grow_copies_the_trained_generator_and_adds_identity_blocks():
    torch.manual_seed(0)
    old = InpaintGenerator((4, 8, 8, 8), (2,))
    with torch.no_grad():
        old.head.weight.normal_(0, 0.1)  # not the zero-initialised head: the fill differs from the input
    new = InpaintGenerator((4, 8, 8, 8), (2,), ffc_blocks=2)
    assert grow(new, {"net": old.state_dict()}) == ["fourier_blocks.0", "fourier_blocks.1"]
    image, mask = torch.rand(1, 3, 128, 128), (torch.rand(1, 1, 128, 128) > 0.7).float()
    with torch.no_grad():
        assert torch.equal(new.eval()(image, mask), old.eval()(image, mask))
    with pytest.raises(ValueError, match="only grow"):
        grow(InpaintGenerator((4, 8, 8, 16), (2,), ffc_blocks=1), {"net": old.state_dict()})


def test_generator_with_fourier_blocks_exports_with_ort_parity(tmp_path):
    """export_network asserts parity itself, at batch 1 and 2 and sizes other than the example's."""
    torch.manual_seed(0)
    net = InpaintGenerator((4, 8, 8, 8), (2,), ffc_blocks=1)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.05 * torch.randn_like(p))
    error = export_network(net, tmp_path / "inpaint.onnx")
    assert error < 1e-4
    sess = ort.InferenceSession(str(tmp_path / "inpaint.onnx"), providers=["CPUExecutionProvider"])
    image, mask = np.random.rand(3, 3, 136, 176).astype(np.float32), np.zeros((3, 1, 136, 176), np.float32)
    mask[:, :, 40:90, 50:120] = 1
    got = sess.run(None, {"image": image, "mask": mask})[0]
    with torch.no_grad():
        want = net.eval()(torch.from_numpy(image), torch.from_numpy(mask)).numpy()
    assert np.abs(got - want).max() < 1e-4
