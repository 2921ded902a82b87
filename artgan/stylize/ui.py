"""The Stylize tab: gallery, blend, strength, colours, brush, size; learning a new style.

Layout and handlers only; the work happens in `pipeline` (and `learn`, which needs torch
and is imported only when a user starts learning).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import gradio as gr

from artgan.errors import ArtganError
from artgan.runtime.images import read_image
from artgan.stylize.pipeline import StyleLibrary, stylize
from artgan.ui import CheckedImage, user_errors

TRAIN_AVAILABLE = importlib.util.find_spec("torch") is not None  # finds, does not import
EXAMPLE_STYLES = ("starry_night", "great_wave_off_kanagawa", "the_scream", "udnie")  # one per example photo
TRAIN_HINT = "Learning a style needs the training extra: `pip install '.[train]'`, then restart the app."


def style_choices(library: StyleLibrary) -> list[tuple[str, str]]:
    return [(s.label, s.id) for s in library.styles.values()]


def gallery_items(library: StyleLibrary) -> list[tuple[str, str]]:
    return [(str(s.thumbnail), s.label) for s in library.styles.values() if s.thumbnail]


def blend_weights(style: str, blend_with: list[str] | None, blend: float) -> dict[str, float]:
    """Main style plus any others sharing `blend` (0–1) of the weight equally."""
    if not style:
        raise ArtganError("pick a style first")
    others = [s for s in dict.fromkeys(blend_with or []) if s != style]
    if not others or blend <= 0:
        return {style: 1.0}
    return {style: 1.0 - blend, **{s: blend / len(others) for s in others}}


def build_tab(library: StyleLibrary, examples: list[Path]) -> None:
    """Lay out the Stylize tab inside the current Blocks context and wire its events."""
    choices = style_choices(library)
    with gr.Row():
        photo = CheckedImage(type="filepath", label="Photo", sources=["upload", "clipboard"], elem_id="stylize-photo")
        result = gr.Image(type="numpy", format="png", label="Painted", interactive=False, elem_id="stylize-result")
    gallery = gr.Gallery(
        gallery_items(library),
        label="Styles (click to pick)",
        columns=6,
        height=240,
        allow_preview=False,
        elem_id="stylize-gallery",
    )
    with gr.Row():
        style = gr.Dropdown(choices, value=choices[0][1], label="Style")
        blend_with = gr.Dropdown(choices, value=[], multiselect=True, label="Blend with (one or more)")
        blend = gr.Slider(0, 1, value=0.5, step=0.05, label="Blend amount")
    with gr.Row():
        strength = gr.Slider(0, 1, value=1.0, step=0.05, label="Strength (0 = photo)")
        brush = gr.Slider(0.25, 4, value=1.0, step=0.25, label="Brush scale (bigger = larger strokes)")
        max_size = gr.Slider(256, 4096, value=1024, step=64, label="Output long side (px)")
        keep = gr.Checkbox(label="Keep original colours")
    go = gr.Button("Stylize", variant="primary")
    with gr.Accordion("Learn a new style from a painting", open=False):
        gr.Markdown(
            "Fits a new style vector to your painting in a few minutes; the network itself stays the same."
            + ("" if TRAIN_AVAILABLE else f"\n\n**{TRAIN_HINT}**")
        )
        with gr.Row():
            painting = CheckedImage(type="filepath", label="Painting", elem_id="learn-painting")
            preview = gr.Image(type="numpy", label="Preview while learning", interactive=False)
        with gr.Row():
            name = gr.Textbox(label="Name of the new style", placeholder="my_painting")
            steps = gr.Slider(20, 600, value=300, step=10, label="Steps (300 ≈ 3 min on 2 CPU cores)")
        learn = gr.Button("Learn style", interactive=TRAIN_AVAILABLE)
        saved = gr.File(label="Style vector (keep it to reuse with `artgan stylize -s FILE.npy`)")

    @user_errors
    def run_stylize(photo, style, blend_with, blend, strength, keep_colors, brush_scale, max_size):
        if not photo:
            raise ArtganError("upload a photo first")
        weights = blend_weights(style, blend_with, blend)
        return stylize(library, read_image(photo), weights, strength, keep_colors, brush_scale, int(max_size))

    @user_errors
    def run_learn(painting, name, steps, progress=gr.Progress()):  # noqa: B008 (Gradio injects it)
        if not TRAIN_AVAILABLE:
            raise gr.Error(TRAIN_HINT)
        if not painting:
            raise gr.Error("upload a painting first")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", name or ""):
            raise gr.Error("name the style with 1–40 letters, digits, '-' or '_'")
        if name in library and not library.get(name).label.endswith("(learned)"):
            raise gr.Error(f"{name!r} is a shipped style; choose another name")
        from artgan.stylize.learn import learn_style, save_learned

        painting_u8 = read_image(painting)
        content = [read_image(p) for p in examples]
        last = None
        for last in learn_style(library, painting_u8, content, steps=int(steps)):
            progress((last.step, last.steps), desc="learning the style")
            if last.preview is not None:
                yield last.preview, gr.update(), gr.update(), gr.update(), gr.update()
        path = save_learned(library.user_dir, name, last.params, painting_u8)
        library.add_file(path)
        new = style_choices(library)
        yield (
            last.preview,
            gr.update(choices=new, value=name),
            gr.update(choices=new),
            gallery_items(library),
            str(path),
        )

    def pick_from_gallery(evt: gr.SelectData) -> str:
        return [s for s in library.styles.values() if s.thumbnail][evt.index].id

    controls = [photo, style, blend_with, blend, strength, keep, brush, max_size]
    picks = [c for c in EXAMPLE_STYLES if c in library] or [choices[0][1]]
    gr.Examples(
        [[str(p), picks[i % len(picks)], [], 0.5, 1.0, False, 1.0, 1024] for i, p in enumerate(examples)],
        inputs=controls,
        outputs=result,
        fn=run_stylize,
        cache_examples=True,
        cache_mode="lazy",  # painted on first click, then served from the cache: no start-up cost
        label="Example photos (credits in examples/README.md)",
        visible_columns=[0, 1],  # photo and style; the other settings are the defaults
        api_visibility="private",
    )
    gallery.select(pick_from_gallery, None, style, api_visibility="private")
    go.click(run_stylize, controls, result, api_name="stylize")
    learn.click(
        run_learn,
        [painting, name, steps],
        [preview, style, blend_with, gallery, saved],
        api_name="learn_style",
        concurrency_limit=1,
    )
