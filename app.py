"""artgan web app: layout and wiring only (no torch, no model state here).

Run `python app.py` (or on a Hugging Face Space). Every action has a named API endpoint,
so `gradio_client` can call it too.
"""

from __future__ import annotations

import os

import gradio as gr

from artgan.inpaint import ui as inpaint_ui
from artgan.runtime.sessions import describe_device
from artgan.shipped import examples_dir
from artgan.stylize import ui as stylize_ui
from artgan.stylize.pipeline import StyleLibrary, library_for
from artgan.texture import ui as texture_ui
from artgan.texture.pipeline import user_textures_dir
from artgan.ui import start_cache_sweeper
from artgan.video import ui as video_ui

EXAMPLES = sorted(examples_dir().glob("*.jpg"))
INPAINT_EXAMPLES = sorted((examples_dir() / "inpaint").glob("*.jpg"))
MAX_UPLOAD = os.environ.get("ARTGAN_MAX_UPLOAD", "25mb")
CONCURRENCY = int(os.environ.get("ARTGAN_CONCURRENCY", "2"))
QUEUE_SIZE = int(os.environ.get("ARTGAN_QUEUE_SIZE", "64"))  # more waiting requests are told to retry later
TEMP_TTL = int(os.environ.get("ARTGAN_TEMP_TTL", "3600"))  # seconds an upload or result stays on disk


def build_demo(library: StyleLibrary, fast_library: StyleLibrary) -> gr.Blocks:
    """`fast_library`: the distilled network's styles (video needs the speed), else `library` itself."""
    # every min(TTL, 5 min), Gradio deletes the uploads and results older than TTL (videos included);
    # all of them go when the app stops
    with gr.Blocks(title="artgan — art AI studio", delete_cache=(max(1, min(TEMP_TTL, 300)), TEMP_TTL)) as demo:
        gr.Markdown("# artgan\nPaint photos like the masters, restore artworks, make textures, stylize video.")
        with gr.Tabs():
            with gr.Tab("Stylize", id="stylize"):
                stylize_ui.build_tab(library, EXAMPLES)
            with gr.Tab("Inpaint", id="inpaint"):
                inpaint_ui.build_tab(INPAINT_EXAMPLES)
            with gr.Tab("Texture", id="texture"):
                texture_ui.build_tab()
            with gr.Tab("Video", id="video"):
                video_ui.build_tab(fast_library)
        gr.Markdown(
            f"<small>Running on {describe_device()} · paintings are public domain; "
            "photo credits in examples/README.md</small>",
            elem_id="footer",
        )
    return demo


def main() -> None:
    library, fast_library = StyleLibrary(), library_for(fast=True)
    library.warm_up()
    fast_library.warm_up()
    demo = build_demo(library, fast_library)
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    demo.launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        max_file_size=MAX_UPLOAD,
        # the learned styles' and fitted textures' own files (vectors, thumbnails); nothing else
        allowed_paths=[str(library.user_dir), str(user_textures_dir())],
        theme=gr.themes.Soft(),
        prevent_thread_lock=True,
    )
    start_cache_sweeper(TEMP_TTL)  # what delete_cache misses (generator results: videos, previews)
    demo.block_thread()


if __name__ == "__main__":
    main()
