"""The "learn a new style / texture" panel, written once for the Stylize and Texture tabs.

The learning itself runs as `python -m artgan learn-<noun> …` in a child process
(`runtime.jobs`): the app never imports torch, Cancel kills the child, and its memory goes
back to the system when it ends.
"""

from __future__ import annotations

import importlib.util
import tempfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from artgan.errors import ArtganError
from artgan.learning import Learner, check_name
from artgan.runtime.images import read_image
from artgan.runtime.jobs import run_artgan
from artgan.ui import CheckedImage, user_errors

TRAIN_AVAILABLE = importlib.util.find_spec("torch") is not None  # finds, does not import


@dataclass(frozen=True)
class LearnPanel:
    """What differs between the tabs' panels; the default steps and their time come from the command."""

    learner: Learner  # the `artgan learn-<noun>` command the panel runs
    source: str  # the upload's label: "Painting", "Texture image"
    blurb: str  # what learning does, in one or two sentences
    step_range: tuple[int, int]  # slider minimum, maximum
    extra_args: tuple[str, ...] = ()

    @property
    def noun(self) -> str:
        return self.learner.noun

    @property
    def hint(self) -> str:
        return f"Learning a {self.noun} needs the training extra: `pip install '.[train]'`, then restart the app."


def learn_panel(panel: LearnPanel, library: Any, outputs: list, refresh: Callable[[str], tuple]) -> None:
    """Lay out the panel and wire it; `outputs` are the tab's widgets that `refresh(name)` updates."""
    noun = panel.noun
    with gr.Accordion(f"Learn a new {noun} from your own picture", open=False):
        gr.Markdown(panel.blurb + ("" if TRAIN_AVAILABLE else f"\n\n**{panel.hint}**"))
        with gr.Row():
            source = CheckedImage(type="filepath", label=panel.source, elem_id=f"learn-{noun}-source")
            preview = gr.Image(type="numpy", label="Preview while learning", interactive=False)
        with gr.Row():
            name = gr.Textbox(label=f"Name of the new {noun}", placeholder=f"my_{noun}")
            (low, high), default = panel.step_range, panel.learner.steps
            steps = gr.Slider(low, high, value=default, step=10, label=f"Steps ({default}: {panel.learner.minutes})")
        with gr.Row():
            learn = gr.Button(f"Learn {noun}", interactive=TRAIN_AVAILABLE)
            cancel = gr.Button("Cancel", variant="stop", size="sm")
        saved = gr.File(label=f"{noun.capitalize()} file (reuse it by its path in `artgan`)")

    @user_errors
    def run_learn(source_path, name, steps, progress=gr.Progress()):  # noqa: B008 (Gradio injects it)
        if not TRAIN_AVAILABLE:
            raise ArtganError(panel.hint)
        if not source_path:
            raise ArtganError(f"upload a {panel.source.lower()} first")
        check_name(name, noun)
        if library.is_shipped(name):
            raise ArtganError(f"{name!r} is a shipped {noun}; choose another name")
        skip = (gr.update(),) * (len(outputs) + 1)
        shown, path = None, None
        with tempfile.TemporaryDirectory(prefix="artgan-learn-") as tmp:
            argv = [f"learn-{noun}", source_path, "--name", name, "--steps", str(int(steps))]
            argv += ["--out-dir", str(library.user_dir), "--progress-dir", tmp, *panel.extra_args]
            with closing(run_artgan(argv)) as lines:  # closed on Cancel: the child is killed
                for line in lines:
                    if "saved" in line:
                        path = Path(line["saved"])
                        continue
                    progress((line["step"], line["steps"]), desc=f"learning the {noun}")
                    if line["preview"]:
                        shown = read_image(line["preview"])
                        yield shown, *skip
        library.add_file(path)
        yield shown, *refresh(name), str(path)

    event = learn.click(
        run_learn, [source, name, steps], [preview, *outputs, saved], api_name=f"learn_{noun}", concurrency_limit=1
    )
    cancel.click(None, None, None, cancels=[event], api_visibility="private")
