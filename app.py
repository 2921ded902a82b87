"""artgan web app: layout and wiring only (no torch, no model state here).

Run `python app.py` (or on a Hugging Face Space). Every action has a named API endpoint,
so `gradio_client` can call it too.
"""

from __future__ import annotations

import os
from pathlib import Path

import gradio as gr

from artgan.errors import ArtganError
from artgan.runtime.images import read_image
from artgan.runtime.sessions import describe_device
from artgan.stylize.pipeline import StyleLibrary, stylize
from artgan.ui import CheckedImage, user_errors

ROOT = Path(__file__).resolve().parent
EXAMPLES = ROOT / "examples"
MAX_UPLOAD = os.environ.get("ARTGAN_MAX_UPLOAD", "25mb")
CONCURRENCY = int(os.environ.get("ARTGAN_CONCURRENCY", "2"))


def build_demo(library: StyleLibrary) -> gr.Blocks:
    choices = [(s.label, s.id) for s in library.styles.values()]
    gallery_items = [(str(s.thumbnail), s.label) for s in library.styles.values() if s.thumbnail]

    @user_errors
    def run_stylize(photo, style, blend_with, blend, strength, keep_colors, brush_scale, max_size):
        if not photo:
            raise ArtganError("upload a photo first")
        weights = {style: 1.0 - blend}
        if blend_with and blend_with != style and blend > 0:
            weights[blend_with] = blend
        return stylize(library, read_image(photo), weights, strength, keep_colors, brush_scale, int(max_size))

    def pick_from_gallery(evt: gr.SelectData) -> str:
        return choices[evt.index][1]

    with gr.Blocks(title="artgan — art AI studio") as demo:
        gr.Markdown("# artgan\nPaint photos like the masters, restore artworks, make textures, stylize video.")
        with gr.Tabs():
            with gr.Tab("Stylize", id="stylize"):
                with gr.Row():
                    photo = CheckedImage(
                        type="filepath", label="Photo", sources=["upload", "clipboard"], elem_id="stylize-photo"
                    )
                    result = gr.Image(
                        type="numpy", format="png", label="Painted", interactive=False, elem_id="stylize-result"
                    )
                gallery = gr.Gallery(
                    gallery_items, label="Styles (click to pick)", columns=6, height=240, allow_preview=False
                )
                with gr.Row():
                    style = gr.Dropdown(choices, value=choices[0][1], label="Style")
                    blend_with = gr.Dropdown([("none", "")] + choices, value="", label="Blend with")
                    blend = gr.Slider(0, 1, value=0.5, step=0.05, label="Blend amount")
                with gr.Row():
                    strength = gr.Slider(0, 1, value=1.0, step=0.05, label="Strength (0 = photo)")
                    brush = gr.Slider(0.5, 3, value=1.0, step=0.25, label="Brush scale")
                    max_size = gr.Slider(256, 4096, value=1024, step=64, label="Output long side (px)")
                    keep = gr.Checkbox(label="Keep original colours")
                go = gr.Button("Stylize", variant="primary")
                gr.Examples(
                    [[str(p)] for p in sorted(EXAMPLES.glob("*.jpg"))],
                    inputs=[photo],
                    label="Example photos (credits in examples/README.md)",
                )
                gallery.select(pick_from_gallery, None, style, api_visibility="private")
                go.click(
                    run_stylize,
                    [photo, style, blend_with, blend, strength, keep, brush, max_size],
                    result,
                    api_name="stylize",
                )
            with gr.Tab("Inpaint", id="inpaint"):
                gr.Markdown("Restoration of brushed-over damage: coming in the next release.")
            with gr.Tab("Texture", id="texture"):
                gr.Markdown("Texture synthesis of any size: coming in the next release.")
            with gr.Tab("Video", id="video"):
                gr.Markdown("Steady, stylized video with its sound: coming in the next release.")
        gr.Markdown(
            f"<small>Running on {describe_device()} · paintings are public domain; "
            "photo credits in examples/README.md</small>",
            elem_id="footer",
        )
    return demo


def main() -> None:
    library = StyleLibrary()
    library.warm_up()
    demo = build_demo(library)
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=64)
    demo.launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        max_file_size=MAX_UPLOAD,
        theme=gr.themes.Soft(),
    )


if __name__ == "__main__":
    main()
