"""Gradio plumbing shared by the app's tabs: error translation and upload checks."""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path

import gradio as gr
from gradio.utils import get_upload_folder
from PIL import Image

from artgan.errors import ArtganError, ImageError
from artgan.runtime.images import WIDE_MODES, check_pixels, read_image

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
        if self.type == "numpy":

            def decode_wide(p):
                # gr.Image applies EXIF itself and keeps a mask's alpha: only 16-bit and CMYK are ours
                return read_image(p.path) if p and p.path and needs_our_decoder(p.path, exif=False) else decode(p)

            return checked_upload(payload, decode_wide)
        return checked_upload(payload, decode)


def needs_our_decoder(path: str, exif: bool = True) -> bool:
    """True for pictures Gradio's decoding gets wrong: 16-bit (turns white), CMYK, or (`exif`) EXIF-rotated."""
    with Image.open(path) as im:
        return im.mode in WIDE_MODES + ("CMYK",) or (exif and im.getexif().get(0x0112, 1) != 1)


def sweep_cache(folder: Path, ttl: float, keep: set[Path]) -> int:
    """Delete files under `folder` not touched for `ttl` seconds (except `keep`), then empty folders.

    Gradio's own `delete_cache` misses some results (the video tab's clips and previews, which
    a generator yields): this catches whatever it left. Returns how many files went.
    """
    cutoff, removed = time.time() - ttl, 0
    for path in list(folder.rglob("*")):
        try:
            if path.is_file() and path not in keep and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    for path in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        try:
            if path.stat().st_mtime < cutoff:
                path.rmdir()  # only succeeds when empty
        except OSError:
            continue
    return removed


def start_cache_sweeper(ttl: int) -> threading.Thread:
    """Sweep Gradio's upload/result folder every min(ttl, 5 min), keeping what was there at start-up
    (gallery thumbnails and examples the page needs)."""
    folder = Path(get_upload_folder())
    keep = {p for p in folder.rglob("*") if p.is_file()}

    def loop() -> None:
        while True:
            time.sleep(max(1, min(ttl, 300)))
            try:
                if removed := sweep_cache(folder, ttl, keep):
                    log.info("removed %d temporary files older than %d s", removed, ttl)
            except OSError as exc:
                log.warning("cache sweep failed: %s", exc)

    thread = threading.Thread(target=loop, name="artgan-cache-sweeper", daemon=True)
    thread.start()
    return thread
