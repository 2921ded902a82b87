"""Training pairs for inpainting: random crops of photos and paintings with random masks."""

from __future__ import annotations

import numpy as np
import torch

from artgan.inpaint.masks import prefill, random_mask
from artgan.training import to_tensor


class MaskedCrop:
    """Crop-dataset transform: a random mask from the item's generator and the classical fill
    under it → (image, fill, mask): [3,S,S], [3,S,S] in [0,1], [1,S,S] with 1 = hole."""

    def __init__(self, prefill_radius: int, prefill_blur: float, kind: str) -> None:
        self.radius, self.blur, self.kind = prefill_radius, prefill_blur, kind

    def __call__(self, crop_u8: np.ndarray, rng: np.random.Generator) -> tuple[torch.Tensor, ...]:
        size = crop_u8.shape[0]
        mask = random_mask(size, size, rng, self.kind)
        filled = prefill(crop_u8, mask, self.radius, self.blur)
        return to_tensor(crop_u8), to_tensor(filled), torch.from_numpy(mask)[None]


def fixed_masks(count: int, size: int, seed: int = 0) -> torch.Tensor:
    """The same masks every time (for sample grids): [count,1,S,S], kinds in turn, large holes among them."""
    rng = np.random.default_rng(seed)
    kinds = ("medium", "large", "thick", "wide_strokes", "cracks", "thin")
    return torch.stack(
        [torch.from_numpy(random_mask(size, size, rng, kinds[i % len(kinds)]))[None] for i in range(count)]
    )


def prefilled(images: torch.Tensor, masks: torch.Tensor, radius: int, blur: float) -> torch.Tensor:
    """Classical fills of a batch ([N,3,S,S], [N,1,S,S]) → [N,3,S,S], as the data loader makes them."""
    out = []
    for image, mask in zip(images, masks, strict=True):
        u8 = (image.permute(1, 2, 0).cpu().numpy() * 255 + 0.5).astype(np.uint8)
        out.append(torch.from_numpy(prefill(u8, mask[0].cpu().numpy(), radius, blur)).permute(2, 0, 1).float() / 255)
    return torch.stack(out).to(images.device)
