"""Gram-matrix style loss, feature (content) loss, total variation and picture-statistics terms."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def gram(features: torch.Tensor) -> torch.Tensor:
    """Unnormalised Gram matrix G = F Fᵀ per sample: [N,C,H,W] → [N,C,C].

    Always fp32, also under mixed-precision autocast: a sum of H·W products overflows fp16 (max 65504).
    """
    n, c, h, w = features.shape
    with torch.autocast(features.device.type, enabled=False):
        flat = features.float().reshape(n, c, h * w)
        return flat @ flat.transpose(1, 2)


def gram_style_loss(features: list[torch.Tensor], targets: list[torch.Tensor], weights: list[float]) -> torch.Tensor:
    """Σ_l w_l · 1/(4 N_l² M_l²) Σ (G_l − A_l)²  (Gatys et al. 2016, eq. 4–5).

    `targets` are the style images' Gram matrices normalised by M (so one target serves
    any crop size); they are rescaled to this batch's M before the difference.
    """
    total = features[0].new_zeros(())
    for f, a, w in zip(features, targets, weights, strict=False):
        n, c, h, wd = f.shape
        m = h * wd
        g = gram(f)
        diff = g - a * m
        total = total + w * (diff.pow(2).sum(dim=(1, 2)) / (4.0 * c**2 * m**2)).mean()
    return total


def content_loss(features: list[torch.Tensor], targets: list[torch.Tensor]) -> torch.Tensor:
    """Mean squared feature difference (Johnson et al. 2016, feature reconstruction loss)."""
    return sum(F.mse_loss(f, t) for f, t in zip(features, targets, strict=False))


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Sum of squared neighbour differences per pixel: discourages high-frequency noise."""
    dh = (x[:, :, 1:, :] - x[:, :, :-1, :]).pow(2).mean()
    dw = (x[:, :, :, 1:] - x[:, :, :, :-1]).pow(2).mean()
    return dh + dw


def edge_misfit(out: torch.Tensor, x: torch.Tensor, pool: int = 4) -> torch.Tensor:
    """1 − correlation of output's and photo's luminance edge strength at 1/`pool` scale, per sample: [N].

    Feature content losses keep what is where but let the subject's contours dissolve into
    strokes, so stronger style terms trade content for structure one for one. A correlation
    does not care how strong the edges are, only where: strokes may be as bold as the
    painting's if the photo's contours stay the strongest lines, the way painters outline
    shapes (the content measure of issue 16 reads the same thing).
    """
    weights = torch.tensor([0.299, 0.587, 0.114], device=out.device, dtype=out.dtype).view(1, 3, 1, 1)
    sobel = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], device=out.device, dtype=out.dtype)
    kernels = torch.stack([sobel, sobel.T])[:, None]

    def edges(img: torch.Tensor) -> torch.Tensor:
        g = F.conv2d(F.avg_pool2d((img.to(out.dtype) * weights).sum(1, keepdim=True), pool), kernels)
        e = (g.pow(2).sum(1) + 1e-8).sqrt().flatten(1)
        return e - e.mean(1, keepdim=True)

    a, b = edges(out), edges(x)
    corr = (a * b).sum(1) / ((a.pow(2).sum(1) * b.pow(2).sum(1)).sqrt() + 1e-8)
    return 1 - corr


def edge_correlation_loss(out: torch.Tensor, x: torch.Tensor, pool: int = 4) -> torch.Tensor:
    """The batch mean of `edge_misfit`."""
    return edge_misfit(out, x, pool).mean()


def opponent_chroma(x: torch.Tensor) -> torch.Tensor:
    """RGB [N,3,H,W] → the two opponent axes of Hasler & Süsstrunk, rg = R − G, yb = ½(R + G) − B: [N,2,H,W]."""
    r, g, b = x.unbind(1)
    return torch.stack([r - g, 0.5 * (r + g) - b], 1)


def chroma_stats(x: torch.Tensor) -> torch.Tensor:
    """Per image, the mean and standard deviation of rg and yb: [N,4].

    How colourful a picture is, as a person sees it (Hasler & Süsstrunk 2003), is these four numbers.
    """
    c = opponent_chroma(x).flatten(2)
    return torch.cat([c.mean(2), c.std(2)], 1)


def chroma_loss(out: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Squared distance of the outputs' chroma statistics from each sample's painting's ([N,4]).

    A Gram loss in a deep network's features barely sees how saturated the whole picture is,
    so a network trained on it alone paints in the painting's hues but paler.
    """
    return (chroma_stats(out) - targets).pow(2).sum(1).mean()


def stroke_gradient(x: torch.Tensor, sigma: float = 3.0) -> torch.Tensor:
    """Per image, the mean luminance gradient after a Gaussian blur of `sigma` px: [N].

    The blur keeps edges and strokes a few pixels wide and removes single-pixel speckle, so
    this reads how boldly a picture is painted at the scale of strokes (issue 16's structure
    measure, `bench/stylize_measures.py`, in torch: Rec. 601 luminance, reflected border,
    central differences).
    """
    weights = torch.tensor([0.299, 0.587, 0.114], device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    lum = (x * weights).sum(1, keepdim=True)
    radius = int(round(3 * sigma))
    t = torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    lum = F.conv2d(F.pad(lum, (radius, radius, 0, 0), mode="reflect"), k.view(1, 1, 1, -1))
    lum = F.conv2d(F.pad(lum, (0, 0, radius, radius), mode="reflect"), k.view(1, 1, -1, 1))
    gx = (lum[:, :, 1:-1, 2:] - lum[:, :, 1:-1, :-2]) / 2
    gy = (lum[:, :, 2:, 1:-1] - lum[:, :, :-2, 1:-1]) / 2
    return (gx.pow(2) + gy.pow(2) + 1e-10).sqrt().flatten(1).mean(1)


def structure_loss(out: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Squared relative shortfall of the outputs' stroke gradient below each sample's target ([N]).

    A hinge, not a match: Gram and content terms together paint smaller, softer shapes than the
    painting has (a tint rather than strokes), while a picture bolder than its target is fine.
    """
    return F.relu(1 - stroke_gradient(out) / targets).pow(2).mean()
