"""The three picture measures of issue 16 (stroke structure, colourfulness, content kept).

All take HWC uint8 RGB. Structure and colourfulness are reported relative to the painting's
own value (painting = 1.0); content is a correlation with the photo (photo = 1.0).
Luminance is Rec. 601 (0.299 R + 0.587 G + 0.114 B) in [0, 1]; resizing is OpenCV's
INTER_AREA (box averaging, no ringing) for downscaling and bicubic for the rare upscale.
"""

from __future__ import annotations

import cv2
import numpy as np

MEASURE_SIDE = 384  # structure and colourfulness compare pictures squashed to 384×384
STROKE_SIGMA = 3.0  # px at 384²: blur away pixel noise/speckle so only stroke-scale shapes count
CONTENT_FRACTION = 0.25  # content edges are compared at ¼ of the 512 px output


def resize(img_u8: np.ndarray, width: int, height: int) -> np.ndarray:
    """Area-average down (bicubic up) to width×height; uint8 HWC in and out."""
    h, w = img_u8.shape[:2]
    interp = cv2.INTER_AREA if width <= w and height <= h else cv2.INTER_CUBIC
    return cv2.resize(img_u8, (width, height), interpolation=interp)


def luminance(img_u8: np.ndarray) -> np.ndarray:
    """[H,W] float64 in [0,1], Rec. 601 weights."""
    rgb = img_u8.astype(np.float64) / 255.0
    return rgb @ np.array([0.299, 0.587, 0.114])


def stroke_structure(img_u8: np.ndarray, side: int = MEASURE_SIDE, sigma: float = STROKE_SIGMA) -> float:
    """Mean luminance gradient magnitude after a σ=3 px Gaussian blur, at side×side.

    Gradient: np.gradient (central differences, one-sided at the border), so the value is
    in luminance units per pixel; the blur (cv2.GaussianBlur, kernel 6σ+1, reflected
    border) keeps edges and strokes a few pixels wide and removes single-pixel speckle,
    which would otherwise read as "structure" (issue 16).
    """
    lum = luminance(resize(img_u8, side, side))
    k = int(round(6 * sigma)) | 1
    blurred = cv2.GaussianBlur(lum, (k, k), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT_101)
    gy, gx = np.gradient(blurred)
    return float(np.mean(np.hypot(gx, gy)))


def colourfulness(img_u8: np.ndarray, side: int = MEASURE_SIDE) -> float:
    """Hasler & Süsstrunk 2003, eq. 3: M = σ_rgyb + 0.3·μ_rgyb on 0–255 RGB, at side×side.

    rg = R − G, yb = ½(R + G) − B; σ_rgyb = √(σ_rg² + σ_yb²), μ_rgyb = √(μ_rg² + μ_yb²).
    A grey picture scores 0; the paper's "highly colourful" starts near 59.
    """
    rgb = resize(img_u8, side, side).astype(np.float64)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    rg, yb = r - g, 0.5 * (r + g) - b
    sigma = np.sqrt(rg.var() + yb.var())
    mu = np.sqrt(rg.mean() ** 2 + yb.mean() ** 2)
    return float(sigma + 0.3 * mu)


def sobel_magnitude(img_u8: np.ndarray) -> np.ndarray:
    """Sobel (3×3, cv2) gradient magnitude of the luminance."""
    lum = luminance(img_u8)
    gx = cv2.Sobel(lum, cv2.CV_64F, 1, 0, ksize=3, borderType=cv2.BORDER_REFLECT_101)
    gy = cv2.Sobel(lum, cv2.CV_64F, 0, 1, ksize=3, borderType=cv2.BORDER_REFLECT_101)
    return np.hypot(gx, gy)


def content_kept(output_u8: np.ndarray, photo_u8: np.ndarray, fraction: float = CONTENT_FRACTION) -> float:
    """Pearson correlation of Sobel edge magnitudes, both at `fraction` of the output's size.

    The photo is resized to exactly the output's quarter size, so a picture against itself
    gives 1 and against unrelated noise ≈ 0. A flat picture (no edges) gives 0.
    """
    h, w = output_u8.shape[:2]
    qw, qh = max(8, round(w * fraction)), max(8, round(h * fraction))
    a = sobel_magnitude(resize(output_u8, qw, qh)).ravel()
    b = sobel_magnitude(resize(photo_u8, qw, qh)).ravel()
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def relative_measures(output_u8: np.ndarray, photo_u8: np.ndarray, painting_u8: np.ndarray) -> dict[str, float]:
    """The issue's three numbers for one output: structure and colour ÷ the painting's."""
    return {
        "structure": stroke_structure(output_u8) / stroke_structure(painting_u8),
        "colourfulness": colourfulness(output_u8) / colourfulness(painting_u8),
        "content": content_kept(output_u8, photo_u8),
    }
