"""The Texture tab: picker, size, seed, tileable with a 2×2 preview, morph; fitting your own texture.

Layout and handlers only; the work happens in `pipeline` (and `fit`, which needs torch and
is imported only when a user starts fitting).
"""

from __future__ import annotations

import importlib.util
import re
import secrets
import tempfile
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from artgan.errors import ArtganError
from artgan.runtime.images import fit_long_side, read_image, save_png
from artgan.texture.pipeline import MAX_SEED, MAX_SIDE, MIN_SIDE, TextureLibrary, generate, tiled_preview
from artgan.ui import CheckedImage, user_errors

TRAIN_AVAILABLE = importlib.util.find_spec("torch") is not None  # finds, does not import
TRAIN_HINT = "Fitting a texture needs the training extra: `pip install '.[train]'`, then restart the app."
DISPLAY_SIDE = 1024  # the page shows at most this; the PNG download is full size


def texture_choices(lib: TextureLibrary) -> list[tuple[str, str]]:
    return [(t.label, t.id) for t in lib.textures.values()]


def gallery_items(lib: TextureLibrary) -> list[tuple[np.ndarray, str]]:
    """Thumbnails as arrays: fitted textures live outside the app's folder, arrays need no path rights."""
    return [(np.asarray(Image.open(t.thumbnail).convert("RGB")), t.label) for t in with_thumbnails(lib)]


def with_thumbnails(lib: TextureLibrary) -> list:
    return [t for t in lib.textures.values() if t.thumbnail and t.thumbnail.exists()]


def whole(value: float, name: str) -> int:
    """Gradio numbers arrive as floats; refuse fractions instead of silently rounding."""
    if value is None or float(value) != int(value):
        raise ArtganError(f"{name} must be a whole number, not {value}")
    return int(value)


def build_tab(lib: TextureLibrary | None = None) -> None:
    """Lay out the Texture tab inside the current Blocks context and wire its events."""
    lib = lib or TextureLibrary()
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
    with gr.Accordion("Your own texture: fit one to an image", open=False):
        gr.Markdown(
            "Fits a new texture code to your image in a few minutes; the generator itself stays the same,"
            " so it works best for looks near the shipped textures and their blends."
            + ("" if TRAIN_AVAILABLE else f"\n\n**{TRAIN_HINT}**")
        )
        with gr.Row():
            example = CheckedImage(type="filepath", label="Texture image", elem_id="texture-example")
            preview = gr.Image(type="numpy", label="Preview while fitting", interactive=False)
        with gr.Row():
            name = gr.Textbox(label="Name of the new texture", placeholder="my_texture")
            steps = gr.Slider(20, 400, value=200, step=10, label="Steps (200 ≈ 3 min on 2 CPU cores)")
        fit = gr.Button("Fit texture", interactive=TRAIN_AVAILABLE)
        saved = gr.File(label="Texture file (reuse with `artgan texture FILE.npy`)")

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

    @user_errors
    def run_fit(example, name, steps, progress=gr.Progress()):  # noqa: B008 (Gradio injects it)
        if not TRAIN_AVAILABLE:
            raise gr.Error(TRAIN_HINT)
        if not example:
            raise gr.Error("upload a texture image first")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", name or ""):
            raise gr.Error("name the texture with 1–40 letters, digits, '-' or '_'")
        if name in lib.textures and not lib.get(name).label.endswith("(fitted)"):
            raise gr.Error(f"{name!r} is a shipped texture; choose another name")
        from artgan.texture.fit import fit_texture
        from artgan.texture.pipeline import save_fitted

        example_u8 = read_image(example)
        last = None
        for last in fit_texture(lib, example_u8, steps=int(steps)):
            progress((last.step, last.steps), desc="fitting the texture")
            if last.preview is not None:
                yield last.preview, gr.update(), gr.update(), gr.update(), gr.update()
        path = save_fitted(lib.user_dir, name, last.params, example_u8)
        lib.add_file(path)
        new = texture_choices(lib)
        yield (
            last.preview,
            gr.update(choices=new, value=name),
            gr.update(choices=[("(none)", "")] + new),
            gallery_items(lib),
            str(path),
        )

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
    fit.click(
        run_fit,
        [example, name, steps],
        [preview, texture, morph_to, gallery, saved],
        api_name="fit_texture",
        concurrency_limit=1,
    )
