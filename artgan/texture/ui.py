"""The Texture tab: picker, size, seed, tileable with a 2×2 preview, morph; learning your own texture.

Layout and handlers only; the work happens in `pipeline`, and learning in a child process.
"""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from artgan.capability import AppContext
from artgan.errors import ArtganError
from artgan.learn_ui import LearnPanel, learn_panel
from artgan.runtime.images import fit_long_side, save_png
from artgan.texture.commands import LEARNER
from artgan.texture.pipeline import MAX_SEED, MAX_SIDE, MIN_SIDE, TextureLibrary, generate, tiled_preview
from artgan.ui import user_errors

LEARN = LearnPanel(
    LEARNER,
    "Texture image",
    "Learns a new texture from your image in a few minutes: its code, and a small adapter for the"
    " generator's coarse layers so that it can take on new shapes, not only new colours.",
    (20, 400),
)
DISPLAY_SIDE = 1024  # the page shows at most this; the PNG download is full size


def texture_choices(lib: TextureLibrary) -> list[tuple[str, str]]:
    return [(t.label, t.id) for t in lib.textures.values()]


def gallery_items(lib: TextureLibrary) -> list[tuple[np.ndarray, str]]:
    """Thumbnails as arrays: learned textures live outside the app's folder, arrays need no path rights."""
    return [(np.asarray(Image.open(t.thumbnail).convert("RGB")), t.label) for t in with_thumbnails(lib)]


def with_thumbnails(lib: TextureLibrary) -> list:
    return [t for t in lib.textures.values() if t.thumbnail and t.thumbnail.exists()]


def refreshed(lib: TextureLibrary, name: str) -> tuple:
    """The texture pickers and gallery once `name` was learned, with `name` picked."""
    choices = texture_choices(lib)
    return gr.update(choices=choices, value=name), gr.update(choices=[("(none)", "")] + choices), gallery_items(lib)


def whole(value: float, name: str) -> int:
    """Gradio numbers arrive as floats; refuse fractions instead of silently rounding."""
    if value is None or float(value) != int(value):
        raise ArtganError(f"{name} must be a whole number, not {value}")
    return int(value)


def build_tab(app: AppContext) -> None:
    """Lay out the Texture tab inside the current Blocks context and wire its events."""
    lib = TextureLibrary()
    app.allowed_paths.append(lib.user_dir)
    choices = texture_choices(lib)
    gallery = gr.Gallery(
        gallery_items(lib),
        label="Textures (click to pick)",
        columns=10,
        height=190,
        allow_preview=False,
        elem_id="texture-gallery",
    )
    with gr.Row():
        texture = gr.Dropdown(choices, value=choices[0][1], label="Texture")
        morph_to = gr.Dropdown([("(none)", "")] + choices, value="", label="Morph towards")
        morph = gr.Slider(0, 1, value=0.0, step=0.05, label="Morph amount (0 = first texture)")
    with gr.Row():
        width = gr.Slider(MIN_SIDE, MAX_SIDE, value=512, step=16, label="Width (px)")
        height = gr.Slider(MIN_SIDE, MAX_SIDE, value=512, step=16, label="Height (px)")
        seed = gr.Number(value=7, precision=0, minimum=0, maximum=MAX_SEED, label="Seed (same seed, same image)")
        new_seed = gr.Button("New seed", size="sm")
        tile = gr.Checkbox(label="Tileable (repeats seamlessly)")
    go = gr.Button("Generate", variant="primary")
    with gr.Row():
        result = gr.Image(type="numpy", format="png", label="Texture", interactive=False, elem_id="texture-result")
        tiled = gr.Image(type="numpy", label="2×2 tiled preview", interactive=False, elem_id="texture-tiled")
    download = gr.File(label="Full-size PNG")
    learn_panel(LEARN, lib, [texture, morph_to, gallery], lambda name: refreshed(lib, name))

    @user_errors
    def run_generate(texture, width, height, seed, tile, morph_to, morph):
        if not texture:
            raise ArtganError("pick a texture first")
        w, h = whole(width, "width"), whole(height, "height")
        img = generate(lib, texture, w, h, whole(seed, "seed"), bool(tile), morph_to or None, float(morph))
        preview_2x2 = tiled_preview(img, DISPLAY_SIDE) if tile else None
        # a generator so the folder goes once Gradio has copied the PNG into its own cache
        with tempfile.TemporaryDirectory(prefix="artgan-texture-") as tmp:
            path = save_png(img, Path(tmp) / f"{texture}_{w}x{h}_seed{whole(seed, 'seed')}.png")
            yield fit_long_side(img, DISPLAY_SIDE), preview_2x2, str(path)

    def pick_from_gallery(evt: gr.SelectData) -> str:
        return with_thumbnails(lib)[evt.index].id

    gallery.select(pick_from_gallery, None, texture, api_visibility="private")
    new_seed.click(lambda: secrets.randbelow(MAX_SEED), None, seed, api_visibility="private")
    go.click(
        run_generate,
        [texture, width, height, seed, tile, morph_to, morph],
        [result, tiled, download],
        api_name="texture",
    )
