"""The Live tab: the browser's webcam, painted frame by frame, with an fps readout.

Layout and handlers only; the work happens in `pipeline`. Frames travel through Gradio's
streaming image input: the browser posts a JPEG every STREAM_EVERY s into the one running
event, each post replacing the last (Gradio's `/stream/{event_id}` keeps only the newest), so
frames the server had no time for are dropped, never queued, and the picture stays current.
"""

from __future__ import annotations

import base64
import html
import os

import cv2
import gradio as gr
import numpy as np
from gradio.data_classes import ImageData

from artgan.errors import ArtganError
from artgan.live import DEFAULT_SIZE, SIZES
from artgan.live.pipeline import FrameStats, LiveSession, LiveSettings
from artgan.stylize.pipeline import StyleLibrary
from artgan.stylize.ui import blend_weights, style_choices, style_picker
from artgan.ui import user_errors

# s between frames the browser sends (25/s at most); the server paints the newest, drops the rest
STREAM_EVERY = float(os.environ.get("ARTGAN_LIVE_STREAM_EVERY", "0.04"))
TIME_LIMIT = int(os.environ.get("ARTGAN_LIVE_SECONDS", "300"))  # processing seconds per press of start
STREAMS = int(os.environ.get("ARTGAN_LIVE_STREAMS", "2"))  # webcams painted at once; more wait their turn
JPEG_QUALITY = 85
HEIGHT = 400  # px on the page for both pictures, so they show side by side at one scale
CAMERA = {"video": {"width": {"ideal": 640}, "height": {"ideal": 480}}}  # enough for 640 px; less to upload
IDLE = "Click the camera box to allow your webcam, then Record to start painting and Stop to end."

# Gradio's webcam shows nothing when there is no camera at all (it rethrows NotFoundError), so the
# page's getUserMedia is wrapped to put one clear line in the status element instead.
CAMERA_CHECK = """
const say = (text) => { const p = element.querySelector('p'); if (p) p.textContent = text; };
const md = navigator.mediaDevices;
if (!md || !md.getUserMedia) {
  say('This browser gives no camera to this page (it needs HTTPS or localhost, and a browser with webcam support).');
} else if (!md.__artganWrapped) {
  const original = md.getUserMedia.bind(md);
  md.getUserMedia = (constraints) => original(constraints).catch((err) => {
    const why = {
      NotAllowedError: 'Camera permission was refused: allow the camera for this page (address bar), '
        + 'then click the camera box again.',
      NotFoundError: 'No camera found: connect one, then reload the page.',
      NotReadableError: 'The camera is busy in another program: close it there, then click the camera box again.',
      OverconstrainedError: 'The camera cannot give a picture this page can use.',
    }[err.name] || ('The camera could not start: ' + err.message);
    document.querySelectorAll('#live-status p').forEach((p) => { p.textContent = why; });
    throw err;
  });
  md.__artganWrapped = true;
}
"""


class LiveCamera(gr.Image):
    """The webcam input, its JPEG frames decoded by OpenCV straight from the data URL the browser posts."""

    def get_block_name(self) -> str:
        return "image"  # same front-end component as gr.Image

    def preprocess(self, payload: ImageData | None) -> np.ndarray | None:
        url = getattr(payload, "url", None) or ""
        if not url.startswith("data:image/"):
            return super().preprocess(payload)
        jpeg = np.frombuffer(base64.b64decode(url.split(",", 1)[1]), np.uint8)
        bgr = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)
        if bgr is None:
            raise ArtganError("the browser sent a camera frame that cannot be decoded")
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)  # HWC uint8 RGB


class LiveFrame(gr.Image):
    """An output image sent inline as a JPEG data URL: no file per frame on disk, no second request."""

    def get_block_name(self) -> str:
        return "image"  # same front-end component as gr.Image

    def postprocess(self, value: np.ndarray | None) -> ImageData | None:
        if value is None:
            return None
        ok, jpeg = cv2.imencode(
            ".jpg", cv2.cvtColor(value, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
        )
        if not ok:
            raise ArtganError("could not encode the frame")
        return ImageData(
            url="data:image/jpeg;base64," + base64.b64encode(jpeg.tobytes()).decode(), mime_type="image/jpeg"
        )


def readout(stats: FrameStats, steady: bool) -> str:
    """One line for people (fps and where the time goes) with the same numbers as data attributes for tools."""
    w, h = stats.size
    cost = f" + steadiness {stats.steady_ms:.0f} ms" if steady else " (steadiness off)"
    text = f"{stats.fps:.1f} fps · {w}×{h} · network {stats.network_ms:.0f} ms{cost} per frame on the server"
    if stats.slow:
        hint = "slow connection or a busy server; try 320 px or steadiness off"
        text = f"⚠ Slow: only {stats.fps:.1f} fps reach you ({hint}). {text}"
    return (
        f'<p class="live-readout" data-fps="{stats.fps:.2f}" data-total-ms="{stats.total_ms:.1f}" '
        f'data-frames="{stats.frames}">{html.escape(text)}</p>'
    )


def build_tab(fast_library: StyleLibrary) -> None:
    """Lay out the Live tab inside the current Blocks context and wire its events."""
    choices = style_choices(fast_library)
    gr.Markdown(
        "Your webcam, painted live with the fast network. The camera stays in your browser; "
        "frames the server has no time for are skipped, so the picture stays current. "
        f"Each Record paints for up to {TIME_LIMIT / 60:g} minutes."
    )
    status = gr.HTML(f"<p>{IDLE}</p>", js_on_load=CAMERA_CHECK, elem_id="live-status")
    with gr.Row():
        camera = LiveCamera(
            sources=["webcam"],
            streaming=True,
            type="numpy",
            label="Camera",
            height=HEIGHT,
            webcam_options=gr.WebcamOptions(mirror=True, constraints=CAMERA),
            elem_id="live-camera",
        )
        painted = LiveFrame(label="Painted, live", height=HEIGHT, interactive=False, elem_id="live-result")
    style, blend_with, blend = style_picker(choices)
    with gr.Row():
        strength = gr.Slider(0, 1, value=1.0, step=0.05, label="Strength (0 = the camera)")
        size = gr.Radio(list(SIZES), value=DEFAULT_SIZE, label="Size (long side, px)", elem_id="live-size")
        steady = gr.Checkbox(value=True, label="Steadiness (optical flow; its cost shows above)", elem_id="live-steady")
        keep = gr.Checkbox(label="Keep original colours")
    session = gr.State(None)

    @user_errors
    def run_live(frame, style, blend_with, blend, strength, keep_colors, size, steady, live):
        if frame is None:
            return gr.skip(), gr.skip(), live
        live = live or LiveSession(fast_library)
        settings = LiveSettings(blend_weights(style, blend_with, blend), strength, keep_colors, int(size), steady)
        out, stats = live(frame, settings)
        return out, readout(stats, steady), live

    camera.stream(
        run_live,
        [camera, style, blend_with, blend, strength, keep, size, steady, session],
        [painted, status, session],
        stream_every=STREAM_EVERY,
        time_limit=TIME_LIMIT,
        # each frame is a chunk posted into the one running event: "multiple" lets it through
        # (Gradio's default for .stream; "always_last" would hold every frame until the stream ended)
        trigger_mode="multiple",
        # streams hold their slot while they run: their own group, so they never take the
        # Stylize/Inpaint/Video slots, and a third webcam waits in line for a free one
        concurrency_id="live",
        concurrency_limit=STREAMS,
        show_progress="hidden",
        api_visibility="private",
    )
