"""The Inpaint tab: paint over damage with a brush, pick a method, compare before/after."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np

from artgan.inpaint.pipeline import METHOD_LABELS, InpaintError, inpaint, mask_from_image, mask_from_layers
from artgan.runtime.images import ensure_rgb_u8
from artgan.ui import user_errors

BRUSH_COLOUR = "#ff00ff"


class CheckedEditor(gr.ImageEditor):
    """`gr.ImageEditor` whose upload decoding failures become a clear message."""

    def get_block_name(self) -> str:
        return "imageeditor"

    def preprocess(self, payload):
        try:
            return super().preprocess(payload)
        except (OSError, ValueError, SyntaxError) as exc:
            raise gr.Error("the upload is not an image file that can be read (corrupt or unsupported)") from exc


def editor_inputs(value: dict | None, mask_upload: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Picture and hole mask from the editor's value (brush layers) and an optional mask picture.

    The editor sometimes returns the picture letterboxed in its square canvas (transparent
    bars, layers of the canvas's size): both are cropped back to the picture.
    """
    if not value or value.get("background") is None:
        raise InpaintError("upload a picture first, then paint over the part to restore")
    background = np.asarray(value["background"])
    layers = [np.asarray(x) for x in value.get("layers") or [] if x is not None]
    window = (slice(None), slice(None))
    if background.ndim == 3 and background.shape[2] == 4 and background[..., 3].any():
        ys, xs = np.nonzero(background[..., 3])
        window = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
    img = ensure_rgb_u8(background[window][..., :3] if background.ndim == 3 else background[window])
    shape = img.shape[:2]
    mask = mask_from_layers([x[window] if x.shape[:2] == background.shape[:2] else x for x in layers], shape)
    if mask_upload is not None:
        mask |= mask_from_image(mask_upload, shape)
    return img, mask


def build_tab(examples: list[Path]) -> None:
    """Lay out the Inpaint tab inside the current Blocks context and wire its events."""
    gr.Markdown(
        "Paint over scratches, cracks, stains or unwanted objects, then **Restore**. "
        "Only the painted pixels change; grow the mask to also cover a damaged rim (its edge is feathered)."
    )
    with gr.Row():
        editor = CheckedEditor(
            type="numpy",
            image_mode="RGBA",
            label="Picture: paint over the damage",
            sources=["upload", "clipboard"],
            brush=gr.Brush(colors=[BRUSH_COLOUR], color_mode="fixed", default_size=24),
            eraser=gr.Eraser(default_size=24),
            layers=False,
            transforms=(),
            elem_id="inpaint-editor",
        )
        compare = gr.ImageSlider(type="numpy", label="Before / after", interactive=False, elem_id="inpaint-compare")
    with gr.Row():
        method = gr.Dropdown([(v, k) for k, v in METHOD_LABELS.items()], value="gan", label="Method")
        grow_px = gr.Slider(0, 32, value=4, step=1, label="Grow mask (px)")
        mask_upload = gr.Image(
            type="numpy", image_mode="RGBA", label="Optional mask picture (white = restore)", sources=["upload"]
        )
    go = gr.Button("Restore", variant="primary")
    result = gr.Image(type="numpy", format="png", label="Restored (PNG)", interactive=False, elem_id="inpaint-result")
    if examples:
        gr.Examples([[str(p)] for p in examples], inputs=[editor], label="Example pictures")

    @user_errors
    def run(value, mask_img, method_key, grow_by):
        img, mask = editor_inputs(value, mask_img)
        out = inpaint(img, mask, method_key, int(grow_by))
        return (img, out), out

    go.click(run, [editor, mask_upload, method, grow_px], [compare, result], api_name="inpaint")
