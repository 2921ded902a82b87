"""artgan web app: layout and wiring only (no torch, no model state here).

Run `python app.py` (or on a Hugging Face Space). Every action has a named API endpoint,
so `gradio_client` can call it too.
"""

from __future__ import annotations

import os

import gradio as gr

from artgan.capability import AppContext
from artgan.registry import CAPABILITIES
from artgan.runtime.sessions import describe_device
from artgan.shipped import examples_dir
from artgan.stylize.pipeline import StyleLibrary, library_for
from artgan.ui import start_cache_sweeper

MAX_UPLOAD = os.environ.get("ARTGAN_MAX_UPLOAD", "25mb")
CONCURRENCY = int(os.environ.get("ARTGAN_CONCURRENCY", "2"))
QUEUE_SIZE = int(os.environ.get("ARTGAN_QUEUE_SIZE", "64"))  # more waiting requests are told to retry later
TEMP_TTL = int(os.environ.get("ARTGAN_TEMP_TTL", "3600"))  # seconds an upload or result stays on disk


def build_demo(app: AppContext) -> gr.Blocks:
    """One tab per registered capability, in the registry's order."""
    # every min(TTL, 5 min), Gradio deletes the uploads and results older than TTL (videos included);
    # all of them go when the app stops
    with gr.Blocks(title="artgan — art AI studio", delete_cache=(max(1, min(TEMP_TTL, 300)), TEMP_TTL)) as demo:
        gr.Markdown("# artgan\nPaint photos like the masters, restore artworks, make textures, stylize video.")
        with gr.Tabs():
            for capability in CAPABILITIES:
                with gr.Tab(capability.label, id=capability.name):
                    capability.build_tab(app)
        gr.Markdown(
            f"<small>Running on {describe_device()} · paintings are public domain; "
            "photo credits in examples/README.md</small>",
            elem_id="footer",
        )
    return demo


def app_context() -> AppContext:
    """The style libraries, warmed up (the first request is not slower), and the example photos."""
    styles, fast_styles = StyleLibrary(), library_for(fast=True)
    styles.warm_up()
    fast_styles.warm_up()
    return AppContext(styles, fast_styles, examples_dir())


def main() -> None:
    app = app_context()
    demo = build_demo(app)
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    demo.launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        max_file_size=MAX_UPLOAD,
        # the learned styles' and textures' own files (vectors, thumbnails); nothing else
        allowed_paths=[str(p) for p in app.allowed_paths],
        theme=gr.themes.Soft(),
        prevent_thread_lock=True,
    )
    start_cache_sweeper(TEMP_TTL)  # what delete_cache misses (generator results: videos, previews)
    demo.block_thread()


if __name__ == "__main__":
    main()
