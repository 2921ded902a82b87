"""Gradio plumbing shared by the app's tabs: error translation and upload checks."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps

import gradio as gr

from artgan.errors import ArtganError, ImageError
from artgan.runtime.images import check_pixels

log = logging.getLogger(__name__)


def user_errors(fn: Callable) -> Callable:
    """Turn every failure of a handler (generators too) into a visible `gr.Error` message.

    Our own errors keep their sentence; anything unexpected is logged with its traceback on
    the server and shown as one neutral line, so a stranger never sees a stack trace.
    """
    if inspect.isgeneratorfunction(fn):

        @wraps(fn)
        def generator_wrapper(*args, **kwargs):
            with translated_errors():
                yield from fn(*args, **kwargs)

        return generator_wrapper

    @wraps(fn)
    def wrapper(*args, **kwargs):
        with translated_errors():
            return fn(*args, **kwargs)

    return wrapper


@contextmanager
def translated_errors() -> Iterator[None]:
    try:
        yield
    except gr.Error:
        raise
    except ArtganError as exc:
        raise gr.Error(str(exc)) from exc
    except MemoryError as exc:
        raise gr.Error("not enough memory for this request: try a smaller picture or output size") from exc
    except Exception as exc:
        log.exception("unexpected error in a request")
        name = type(exc).__name__
        raise gr.Error(f"something went wrong on the server ({name}); it was logged, please try again") from exc


def checked_upload(payload, decode: Callable):
    """Refuse oversized or unreadable uploads with a clear message before Gradio decodes them.

    The header check runs first, so a small file claiming billions of pixels is never decoded.
    """
    if payload is None or getattr(payload, "path", None) is None:
        return decode(payload)
    name = getattr(payload, "orig_name", None) or "the upload"
    try:
        check_pixels(payload.path, name)
        return decode(payload)
    except ImageError as exc:
        raise gr.Error(str(exc)) from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise gr.Error(f"{name} is not an image file that can be read (corrupt or unsupported)") from exc


class CheckedImage(gr.Image):
    """`gr.Image` whose uploads are size-checked, and whose decoding failures become a clear message.

    Gradio decodes uploads before our handler runs, so a corrupt or non-image file would
    otherwise surface as a generic "error" with no hint of the cause. With `type="filepath"`
    the file is handed over as uploaded: `read_image` decodes it (EXIF, 16-bit, CMYK, alpha)
    better than a blanket `convert("RGB")`, which turns 16-bit pictures white.
    """

    def get_block_name(self) -> str:
        return "image"  # same front-end component as gr.Image

    def preprocess(self, payload):
        decode = super().preprocess
        if self.type == "filepath":
            return checked_upload(payload, lambda p: p.path if p is not None and p.path else decode(p))
        return checked_upload(payload, decode)
