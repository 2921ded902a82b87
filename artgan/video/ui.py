"""The Video tab: upload a clip, pick a style or blend, get it back stylized, steady, with its sound.

Layout and handlers only; the work happens in `pipeline`. The handler is a generator so the
first stylized frame shows as a preview long before the clip is done, and so Cancel can
stop it between frames (Gradio cancels generators at their next step).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import gradio as gr

from artgan.capability import AppContext
from artgan.errors import ArtganError
from artgan.stylize.ui import blend_weights, style_choices, style_picker
from artgan.ui import user_errors
from artgan.video.media import Limits, VideoInfo, probe
from artgan.video.pipeline import VideoSettings, iter_stylize_video
from artgan.video.temporal import DEFAULT_STABILIZE

PREVIEW_SECONDS = 2.0  # refresh the preview this often after the first frame


def describe(info: VideoInfo) -> str:
    """What will be made, and any downscale/cut notes, as Markdown."""
    sound = "with its sound" if info.has_audio else "no sound track"
    lines = [
        f"**{info.name}**: {info.out_width}×{info.out_height}, {float(info.fps):.3g} fps, {info.seconds:.1f} s, {sound}"
    ]
    return "\n".join(lines + [f"- ⚠ {note}" for note in info.notes])


def build_tab(app: AppContext) -> None:
    """Lay out the Video tab inside the current Blocks context and wire its events."""
    library, limits = app.fast_styles, Limits.from_env()
    choices = style_choices(library)
    gr.Markdown(
        f"Clips up to {limits.max_seconds:g} s and {limits.max_side} px on the long side are processed as they are; "
        "longer or larger ones are cut or downscaled (you will see a note)."
    )
    with gr.Row():
        clip = gr.Video(label="Clip (mp4, mov, webm, mkv)", sources=["upload"], elem_id="video-input")
        with gr.Column():
            preview = gr.Image(
                type="numpy", label="Preview (first stylized frame)", interactive=False, elem_id="video-preview"
            )
            result = gr.Video(label="Stylized", interactive=False, elem_id="video-result")
    style, blend_with, blend = style_picker(choices)
    with gr.Row():
        strength = gr.Slider(0, 1, value=1.0, step=0.05, label="Strength (0 = the clip)")
        stabilize = gr.Slider(0, 1, value=DEFAULT_STABILIZE, step=0.05, label="Stabilisation (0 = per-frame, flickers)")
        brush = gr.Slider(1, 4, value=1.0, step=0.25, label="Brush scale (bigger = larger strokes, faster)")
        keep = gr.Checkbox(label="Keep original colours")
    with gr.Row():
        go = gr.Button("Stylize video", variant="primary")
        stop = gr.Button("Cancel", variant="stop")
    notes = gr.Markdown(elem_id="video-notes")
    download = gr.File(label="Download (mp4: H.264 + AAC)")

    @user_errors
    def run_video(clip, style, blend_with, blend, strength, stabilize, brush, keep, progress=gr.Progress()):  # noqa: B008
        if not clip:
            raise ArtganError("upload a video first")
        weights = blend_weights(style, blend_with, blend)
        settings = VideoSettings(weights, strength, keep, stabilize, brush, limits=limits)
        info = probe(clip, limits)
        text = describe(info)
        yield None, None, None, text
        # the folder goes when Gradio asks for more after the last yield, by which time it has
        # copied the result into its own cache; on Cancel the generator is closed and it goes too
        with tempfile.TemporaryDirectory(prefix="artgan-video-") as tmp:
            dst = Path(tmp) / f"{Path(clip).stem}-stylized.mp4"
            shown = 0.0
            for step in iter_stylize_video(library, clip, dst, settings, info):
                left = f"{step.done}/{step.total} frames · about {step.seconds_left:.0f} s left"
                progress((step.done, step.total), desc=left, unit="frames")
                fresh = step.done == 1 or time.monotonic() - shown > PREVIEW_SECONDS
                shown = time.monotonic() if fresh else shown
                # yield every frame: Cancel takes effect at the next step, not at the end
                yield (step.frame if fresh else gr.skip()), gr.skip(), gr.skip(), gr.skip()
            yield step.frame, str(dst), str(dst), f"{text}\n\nDone: {step.done} frames."

    event = go.click(
        run_video,
        [clip, style, blend_with, blend, strength, stabilize, brush, keep],
        [preview, result, download, notes],
        api_name="video",
        concurrency_limit=1,  # a clip keeps both cores busy; more at once only slows each
    )
    stop.click(None, None, None, cancels=[event], api_visibility="private")
