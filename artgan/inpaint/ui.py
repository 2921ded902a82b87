"""The Inpaint tab: paint over damage with a brush, pick a method, compare before/after."""

from __future__ import annotations

import cv2
import gradio as gr
import numpy as np

from artgan.capability import AppContext
from artgan.inpaint.pipeline import (
    DEFAULT_METHOD,
    METHOD_LABELS,
    InpaintError,
    inpaint,
    mask_from_image,
    mask_from_layers,
)
from artgan.runtime.images import ensure_rgb_u8, read_image
from artgan.ui import CheckedImage, checked_upload, needs_our_decoder, user_errors

BRUSH_COLOUR = "#ff00ff"


class CheckedEditor(gr.ImageEditor):
    """`gr.ImageEditor` whose uploads are size-checked and decoded like every other picture.

    The background goes through `read_image` (EXIF rotation, 16-bit, CMYK) when it needs to:
    Gradio's plain `convert("RGBA")` turns 16-bit pictures white and ignores EXIF.
    """

    def get_block_name(self) -> str:
        return "imageeditor"

    def preprocess(self, payload):
        background = getattr(payload, "background", None)
        return checked_upload(background, lambda _: super(CheckedEditor, self).preprocess(payload))

    def convert_and_format_image(self, file, flatten_on_white: bool = False):
        if flatten_on_white and getattr(file, "path", None) and needs_our_decoder(file.path):
            rgb = read_image(file.path)
            return np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])  # opaque RGBA, like the canvas sends
        return super().convert_and_format_image(file, flatten_on_white)


def editor_inputs(value: dict | None, mask_upload: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Picture and hole mask from the editor's value (brush layers) and an optional mask picture.

    The editor sometimes returns the picture letterboxed in its square canvas (transparent
    bars), and sometimes brush layers of its canvas's size (800×800) beside a picture-sized
    background: both are mapped back onto the picture.
    """
    if not value or value.get("background") is None:
        raise InpaintError("upload a picture first, then paint over the part to restore")
    background = np.asarray(value["background"])
    layers = [np.asarray(x) for x in value.get("layers") or [] if x is not None]
    window = letterbox_window(background)
    img = ensure_rgb_u8(background[window][..., :3] if background.ndim == 3 else background[window])
    shape = img.shape[:2]
    on_picture = [x[window] if x.shape[:2] == background.shape[:2] else fit_layer(x, shape) for x in layers]
    mask = mask_from_layers(on_picture, shape)
    if mask_upload is not None:
        mask |= mask_from_image(mask_upload, shape)
    return img, mask


def letterbox_window(background: np.ndarray) -> tuple[slice, slice]:
    """The picture's rectangle when the editor letterboxed it in its square canvas, else all of it.

    Only centred transparent bars on a square canvas count: a picture that is itself partly
    transparent (a PNG with alpha) is kept whole.
    """
    whole = (slice(None), slice(None))
    h, w = background.shape[:2]
    if h != w or background.ndim != 3 or background.shape[2] != 4 or not background[..., 3].any():
        return whole
    ys, xs = np.nonzero(background[..., 3])
    top, bottom, left, right = ys.min(), h - 1 - ys.max(), xs.min(), w - 1 - xs.max()
    bars = (left == right == 0 and abs(top - bottom) <= 1) or (top == bottom == 0 and abs(left - right) <= 1)
    return (slice(top, h - bottom), slice(left, w - right)) if bars else whole


def fit_layer(layer: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A brush layer drawn on a canvas of another size → the picture's size.

    The editor shows the picture fitted into its canvas and centred, so the same
    transform is undone: crop the picture's rectangle out of the layer and resize it.
    """
    h, w = shape
    big_h, big_w = layer.shape[:2]
    scale = min(big_w / w, big_h / h)
    x0, y0 = round((big_w - w * scale) / 2), round((big_h - h * scale) / 2)
    crop = layer[y0 : y0 + max(1, round(h * scale)), x0 : x0 + max(1, round(w * scale))]
    painted = (crop[..., 3] if crop.ndim == 3 and crop.shape[2] == 4 else crop.reshape(*crop.shape[:2], -1).max(-1)) > 0
    fitted = np.zeros((h, w, 4), np.uint8)  # an RGBA layer again: only its alpha counts
    fitted[..., 3] = cv2.resize(painted.astype(np.uint8) * 255, (w, h), interpolation=cv2.INTER_NEAREST)
    return fitted


def build_tab(app: AppContext) -> None:
    """Lay out the Inpaint tab inside the current Blocks context and wire its events."""
    examples = sorted((app.examples / "inpaint").glob("*.jpg"))
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
        method = gr.Dropdown([(v, k) for k, v in METHOD_LABELS.items()], value=DEFAULT_METHOD, label="Method")
        grow_px = gr.Slider(0, 32, value=4, step=1, label="Grow mask (px)")
        mask_upload = CheckedImage(
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
