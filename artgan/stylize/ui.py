"""The Stylize tab: gallery, blend, strength, colours, brush, size; learning a new style.

Layout and handlers only; the work happens in `pipeline`, and learning in a child process.
"""

from __future__ import annotations

import gradio as gr

from artgan.capability import AppContext
from artgan.errors import ArtganError
from artgan.learn_ui import LearnPanel, learn_panel
from artgan.runtime.images import read_image
from artgan.stylize.commands import LEARNER
from artgan.stylize.pipeline import StyleLibrary, stylize
from artgan.ui import CheckedImage, user_errors

EXAMPLE_STYLES = ("starry_night", "great_wave_off_kanagawa", "the_scream", "udnie")  # one per example photo
LEARN = LearnPanel(
    LEARNER,
    "Painting",
    "Learns a new style vector from your painting in a few minutes; the network itself stays the same.",
    (20, 600),
)


def style_choices(library: StyleLibrary) -> list[tuple[str, str]]:
    return [(s.label, s.id) for s in library.styles.values()]


def style_picker(choices: list[tuple[str, str]]) -> tuple[gr.Dropdown, gr.Dropdown, gr.Slider]:
    """The row every painting tab shares: a style, others to blend with, and how much of them."""
    with gr.Row():
        style = gr.Dropdown(choices, value=choices[0][1], label="Style")
        blend_with = gr.Dropdown(choices, value=[], multiselect=True, label="Blend with (one or more)")
        blend = gr.Slider(0, 1, value=0.5, step=0.05, label="Blend amount")
    return style, blend_with, blend


def gallery_items(library: StyleLibrary) -> list[tuple[str, str]]:
    return [(str(s.thumbnail), s.label) for s in library.styles.values() if s.thumbnail]


def refreshed(library: StyleLibrary, name: str) -> tuple:
    """The style pickers and gallery once `name` was learned, with `name` picked."""
    choices = style_choices(library)
    return gr.update(choices=choices, value=name), gr.update(choices=choices), gallery_items(library)


def blend_weights(style: str, blend_with: list[str] | None, blend: float) -> dict[str, float]:
    """Main style plus any others sharing `blend` (0–1) of the weight equally."""
    if not style:
        raise ArtganError("pick a style first")
    others = [s for s in dict.fromkeys(blend_with or []) if s != style]
    if not others or blend <= 0:
        return {style: 1.0}
    return {style: 1.0 - blend, **{s: blend / len(others) for s in others}}


def build_tab(app: AppContext) -> None:
    """Lay out the Stylize tab inside the current Blocks context and wire its events."""
    library, examples = app.styles, sorted(app.examples.glob("*.jpg"))
    app.allowed_paths.append(library.user_dir)  # learned styles' thumbnails
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
    style, blend_with, blend = style_picker(choices)
    with gr.Row():
        strength = gr.Slider(0, 1, value=1.0, step=0.05, label="Strength (0 = photo)")
        brush = gr.Slider(0.25, 4, value=1.0, step=0.25, label="Brush scale (bigger = larger strokes)")
        max_size = gr.Slider(256, 4096, value=1024, step=64, label="Output long side (px)")
        keep = gr.Checkbox(label="Keep original colours")
    go = gr.Button("Stylize", variant="primary")
    learn_panel(LEARN, library, [style, blend_with, gallery], lambda name: refreshed(library, name))

    @user_errors
    def run_stylize(photo, style, blend_with, blend, strength, keep_colors, brush_scale, max_size):
        if not photo:
            raise ArtganError("upload a photo first")
        weights = blend_weights(style, blend_with, blend)
        return stylize(library, read_image(photo), weights, strength, keep_colors, brush_scale, int(max_size))

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
