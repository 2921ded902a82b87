"""Live: the per-frame pipeline on its own, and the tab in a real browser with a clip as the camera.

The browser tests play a clip made from an example photo through Chromium's fake camera
(`--use-file-for-fake-video-capture`), so nothing is mocked between the camera and the page.
"""

from __future__ import annotations

import base64

import numpy as np
import pytest

from artgan.errors import StyleError
from artgan.live.pipeline import LiveSession, LiveSettings
from artgan.runtime.images import read_image
from tests.browser import launch
from tests.conftest import ROOT, WEIGHTS
from tests.video_clips import pan, photo, write_y4m

SHOTS = ROOT / "tests" / "artifacts" / "walk"
CAMERA_SIZE = (320, 240)


@pytest.fixture(scope="module")
def fast_library():
    from artgan.stylize.pipeline import library_for

    return library_for(fast=True, weights_dir=WEIGHTS)


@pytest.fixture(scope="module")
def clip() -> list[np.ndarray]:
    return pan(photo(), 48, CAMERA_SIZE, step=2.0)  # 2 s at 24 fps


def test_frames_are_painted_at_the_chosen_size(fast_library, clip):
    live = LiveSession(fast_library)
    big = pan(photo(), 1, (640, 480))[0]
    out, stats = live(big, LiveSettings({"starry_night": 1.0}, size=480, steady=False))
    assert out.shape == (360, 480, 3) and stats.size == (480, 360)
    small = clip[0]
    out, _ = live(small, LiveSettings({"starry_night": 1.0}, size=640))  # never upscaled
    assert out.shape == small.shape
    assert np.abs(out.astype(int) - small).mean() > 20  # painted, not the camera echoed


def test_live_runs_its_own_session_whose_threads_do_not_spin(fast_library, clip):
    """A stream is a steady load: its ONNX Runtime threads sleep between frames (BENCHMARKS, Live)."""
    from artgan.runtime import sessions

    LiveSession(fast_library)(clip[0], LiveSettings({"starry_night": 1.0}))
    key = (str(fast_library.model_path), sessions.requested_device(), None, False)
    opts = sessions._sessions[key].get_session_options()
    assert opts.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_steadiness_carries_the_previous_output_and_says_what_it_cost(fast_library, clip):
    steady, per_frame = LiveSession(fast_library), LiveSession(fast_library)
    on = LiveSettings({"starry_night": 1.0}, steady=True)
    off = LiveSettings({"starry_night": 1.0}, steady=False)
    for frame in clip[:4]:
        a, stats_on = steady(frame, on)
        b, stats_off = per_frame(frame, off)
    assert np.abs(a.astype(int) - b).mean() > 1  # blended with the carried frame
    assert stats_on.steady_ms > 0 and stats_off.steady_ms < stats_on.steady_ms
    assert stats_on.frames == 4 and stats_on.fps > 0


def test_changing_size_or_style_mid_stream_restarts_steadiness(fast_library, clip):
    live = LiveSession(fast_library)
    live(clip[0], LiveSettings({"starry_night": 1.0}))
    first = live.stabilizer
    out, _ = live(pan(photo(), 1, (480, 360))[0], LiveSettings({"starry_night": 1.0}, size=480))
    assert out.shape == (360, 480, 3) and live.stabilizer is not first
    blended = LiveSettings({"starry_night": 0.5, "the_scream": 0.5}, size=480, keep_colors=True, strength=0.7)
    second = live.stabilizer
    live(pan(photo(), 1, (480, 360))[0], blended)
    assert live.stabilizer is not second


def test_a_new_stream_after_a_pause_starts_afresh(fast_library, clip, monkeypatch):
    import artgan.live.pipeline as live_pipeline

    live = LiveSession(fast_library)
    settings = LiveSettings({"starry_night": 1.0})
    for frame in clip[:3]:
        live(frame, settings)
    first = live.stabilizer
    monkeypatch.setattr(live_pipeline, "RESTART_GAP", 0.0)  # as if Stop, then Record again
    _, stats = live(clip[3], settings)
    assert stats.frames == 1 and live.stabilizer is not first


def test_bad_settings_are_refused():
    with pytest.raises(StyleError, match="size"):
        LiveSettings({"starry_night": 1.0}, size=500)
    with pytest.raises(StyleError, match="strength"):
        LiveSettings({"starry_night": 1.0}, strength=1.5)


def test_frames_leave_as_inline_jpeg_and_the_readout_names_the_cost(clip):
    from artgan.live.pipeline import FrameStats
    from artgan.live.ui import LiveCamera, LiveFrame, readout

    sent = LiveFrame(interactive=False).postprocess(clip[0])
    assert sent.url.startswith("data:image/jpeg;base64,")
    back = read_image(base64.b64decode(sent.url.split(",", 1)[1]))
    assert back.shape == clip[0].shape and np.abs(back.astype(int) - clip[0]).mean() < 4
    received = LiveCamera(sources=["webcam"], streaming=True).preprocess(sent)  # as the browser posts it
    assert received.dtype == np.uint8 and np.abs(received.astype(int) - back).mean() < 1
    line = readout(FrameStats(11.94, 30.0, 20.0, 52.0, 40, (320, 240)), steady=True)
    assert "11.9 fps" in line and "steadiness 20 ms" in line and "Slow" not in line
    assert "Slow" in readout(FrameStats(1.5, 300.0, 200.0, 520.0, 40, (320, 240)), steady=True)


def test_live_paints_without_torch():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import numpy as np\n"
        "import artgan.live.ui\n"
        "from artgan.live.pipeline import LiveSession, LiveSettings\n"
        "from artgan.stylize.pipeline import library_for\n"
        "out, _ = LiveSession(library_for(fast=True))(np.zeros((48, 64, 3), np.uint8), LiveSettings({'udnie': 1.0}))\n"
        "assert out.shape == (48, 64, 3)\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr


# --- in a real browser ------------------------------------------------------------------------


def open_live(context, app_url):
    page = context.new_page()
    page.goto(app_url)
    page.get_by_role("tab", name="Live").click()
    page.locator("#live-status").wait_for()
    return page


WATCH_FRAMES = """() => {
    window.liveFrames = [];
    const box = document.querySelector('#live-result');
    new MutationObserver(() => {
        const img = box.querySelector('img');
        if (img && img.src.startsWith('data:') && img.src !== window.liveLast) {
            window.liveLast = img.src;
            window.liveFrames.push(img.src);
        }
    }).observe(box, {subtree: true, childList: true, attributes: true});
}"""


def frames_shown(page) -> int:
    return page.evaluate("window.liveFrames.length")


def frame(page, i: int) -> np.ndarray:
    return read_image(base64.b64decode(page.evaluate(f"window.liveFrames[{i}]").split(",", 1)[1]))


@pytest.mark.browser
def test_live_tab_paints_the_camera_and_stops(app_url, clip, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    camera = write_y4m(tmp_path / "camera.y4m", clip, 24)
    SHOTS.mkdir(parents=True, exist_ok=True)
    fake = ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream")
    with sync_api.sync_playwright() as p:
        browser = launch(p, *fake, f"--use-file-for-fake-video-capture={camera}")
        page = open_live(browser.new_context(viewport={"width": 1280, "height": 1100}), app_url)
        page.get_by_text("Click to Access Webcam").click()
        record = page.locator("#live-camera").get_by_role("button", name="capture photo")
        record.wait_for(timeout=15_000)
        page.evaluate(WATCH_FRAMES)
        record.click()
        page.wait_for_function("window.liveFrames.length >= 12", timeout=60_000)
        page.screenshot(path=str(SHOTS / "5_live.png"))
        assert "fps" in page.locator("#live-status").inner_text()

        first, last = frame(page, 1), frame(page, frames_shown(page) - 1)
        assert first.shape == (240, 320, 3)
        assert np.abs(first.astype(int) - last).mean() > 3  # the picture moves with the camera
        mirrored = [f[:, ::-1] for f in clip]  # the browser mirrors the webcam, as a mirror does
        for shown in (first, last):  # painted: far from every camera frame, mirrored or not
            assert min(np.abs(shown.astype(int) - c).mean() for c in clip + mirrored) > 20

        # another user's request is answered while the stream runs (streams have their own slots)
        from gradio_client import Client, handle_file

        before = frames_shown(page)
        out = Client(app_url, verbose=False).predict(
            handle_file(str(ROOT / "examples" / "kodak_02_red_door.jpg")),
            "the_scream",
            [],
            0.0,
            1.0,
            False,
            1.0,
            256,
            api_name="/stylize",
        )
        assert max(read_image(out).shape[:2]) == 256
        assert frames_shown(page) > before  # and the stream kept going meanwhile

        page.locator("#live-camera").get_by_role("button", name="capture photo").filter(has_text="Stop").click()
        page.wait_for_timeout(1500)  # a frame already on its way may still land
        stopped = frames_shown(page)
        page.wait_for_timeout(2500)
        assert frames_shown(page) == stopped  # stop stops the frames
        browser.close()


@pytest.mark.browser
@pytest.mark.parametrize(
    ("flags", "line"),
    [
        (("--use-fake-device-for-media-stream", "--deny-permission-prompts"), "Camera permission was refused"),
        ((), "No camera found"),  # this machine has none
    ],
    ids=["refused", "none"],
)
def test_no_camera_or_refused_permission_says_so_and_the_app_goes_on(app_url, flags, line):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = launch(p, *flags)
        page = open_live(browser.new_context(viewport={"width": 1280, "height": 1100}), app_url)
        page.get_by_text("Click to Access Webcam").click()
        page.locator("#live-status").get_by_text(line).wait_for(timeout=15_000)
        page.screenshot(path=str(SHOTS / f"5_live_{'refused' if flags else 'none'}.png"))
        page.get_by_role("tab", name="Texture").click()  # the rest of the app is unaffected
        page.get_by_role("button", name="Generate", exact=True).click()
        page.locator("#texture-result img").wait_for(timeout=90_000)
        browser.close()
