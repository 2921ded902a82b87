"""Gradio plumbing shared by the app's tabs: error translation and upload checks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

import gradio as gr

from artgan.errors import ArtganError

def user_errors(fn: Callable) -> Callable:
    """Turn our errors into a visible `gr.Error` message instead of a traceback."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ArtganError as exc:
            raise gr.Error(str(exc)) from exc

    return wrapper

class CheckedImage(gr.Image):
    """`gr.Image` whose upload decoding failures become a clear message.

    Gradio decodes uploads before our handler runs, so a corrupt or non-image file
    would otherwise surface as a generic "error" with no hint of the cause.
    """

    def get_block_name(self) -> str:
        return "image"  # same front-end component as gr.Image

    def preprocess(self, payload):
        try:
            return super().preprocess(payload)
        except (OSError, ValueError, SyntaxError) as exc:
            name = getattr(payload, "orig_name", None) or "the upload"
            raise gr.Error(f"{name} is not an image file that can be read (corrupt or unsupported)") from exc
    from collections.abc import Callable, Sequence
    from typing import TYPE_CHECKING, Any, Literal

    from gradio.blocks import Block

    if TYPE_CHECKING:
        from gradio.components import Timer
        from gradio.components.base import Component
