"""Video: real clips made with PyAV, the real shipped network, real decode/encode, real flicker measurement."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from fractions import Fraction

import av
import numpy as np
import pytest

from artgan.errors import VideoError
from artgan.evaluation.video import VideoCancelled, stylize_video, warping_error
from artgan.stylize.pipeline import stylize
from artgan.video.media import Limits, probe
from artgan.video.pipeline import FramePainter, VideoSettings
from artgan.video.temporal import Stabilizer
from tests.conftest import EXAMPLES, ROOT
from tests.video_clips import moving_disc, pan, photo, read_back, write_audio_only, write_clip

NTSC = Fraction(30000, 1001)
STARRY = {"starry_night": 1.0}


@pytest.fixture(scope="module")
def pan_clip(tmp_path_factory):
    """16 frames, 160×96, 29.97 fps, camera panning right, with an AAC tone."""
    path = tmp_path_factory.mktemp("clips") / "pan.mp4"
    return write_clip(path, pan(photo(), 16, (160, 96), step=2.0), NTSC, audio=True)


def test_round_trip_keeps_frames_fps_and_audio(library, pan_clip, tmp_path):
    out = tmp_path / "out.mp4"
    result = stylize_video(library, pan_clip, out, VideoSettings(STARRY))
    back, source = read_back(out), read_back(pan_clip)
    assert result.frames == len(back["frames"]) == len(source["frames"]) == 16
    assert back["fps"] == NTSC and result.has_audio and result.notes == ()
    assert (back["codec"], back["pix_fmt"], back["audio"]) == ("h264", "yuv420p", ["aac"])
    assert abs(back["audio_seconds"] - 16 / NTSC) < 0.05  # the sound lasts as long as the picture
    data = out.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # +faststart: playable while downloading
    frames = np.stack(back["frames"]).astype(float)
    assert np.abs(frames - np.stack(source["frames"])).mean() > 20  # painted, not copied


def test_silent_video_and_webm_input(library, tmp_path):
    silent = write_clip(tmp_path / "silent.mp4", pan(photo(), 6, (96, 64)), 24, audio=False)
    result = stylize_video(library, silent, tmp_path / "a.mp4", VideoSettings(STARRY, stabilize=0.5))
    assert not result.has_audio and read_back(tmp_path / "a.mp4")["audio"] == []
    webm = write_clip(tmp_path / "in.webm", pan(photo(), 6, (96, 64)), 24, codec="libvpx-vp9", audio_codec="libopus")
    result = stylize_video(library, webm, tmp_path / "b.mp4", VideoSettings(STARRY))
    back = read_back(tmp_path / "b.mp4")
    assert result.frames == len(back["frames"]) == 6 and back["audio"] == ["aac"]  # Opus re-encoded to AAC
    live = write_clip(tmp_path / "rec.webm", pan(photo(), 6, (96, 64)), 24, False, "libvpx-vp9", options={"live": "1"})
    result = stylize_video(library, live, tmp_path / "c.mp4", VideoSettings(STARRY))  # no duration in its header
    assert result.frames == len(read_back(tmp_path / "c.mp4")["frames"]) == 6


def test_hevc_mov_rotation_metadata_is_applied_to_the_pixels(library, tmp_path):
    frames = pan(photo(), 4, (96, 64))
    clip = write_clip(tmp_path / "phone.mov", frames, 24, audio=False, codec="libx265", rotation=90)  # as phones do
    info = probe(clip)
    assert (info.rotation, info.out_width, info.out_height) == (90, 64, 96)
    stylize_video(library, clip, tmp_path / "o.mp4", VideoSettings(STARRY, strength=0.0, stabilize=0.0))
    upright = read_back(tmp_path / "o.mp4")["frames"][0].astype(float)
    assert upright.shape == (96, 64, 3)
    stored = read_back(clip)["frames"][0]  # decoded as stored, before rotation
    right, wrong = (np.abs(upright - np.rot90(stored, k)).mean() for k in (1, -1))  # k=1: counter-clockwise
    assert right < 5 and wrong > 4 * right, (right, wrong)  # as a player shows it, only codec loss


def test_limits_downscale_and_cut_with_a_note(library, tmp_path):
    clip = write_clip(tmp_path / "long.mp4", pan(photo(), 24, (320, 180)), 24, audio=True)
    settings = VideoSettings(STARRY, limits=Limits(max_side=160, max_seconds=0.5))
    result = stylize_video(library, clip, tmp_path / "o.mp4", settings)
    back = read_back(tmp_path / "o.mp4")
    assert back["frames"][0].shape == (90, 160, 3) and len(back["frames"]) == result.frames == 12
    assert any("downscaled from 320×180 to 160×90" in n for n in result.notes)
    assert any("cut to the first 0.5 s" in n for n in result.notes)
    assert back["audio_seconds"] == pytest.approx(0.5, abs=0.05)


def _zero_length(path):
    """An mp4 whose header was written but not a single frame."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        container.start_encoding()
    return path


def _bad_files(tmp_path):
    good = write_clip(tmp_path / "good.mp4", pan(photo(), 8, (64, 48)), 24, audio=True)
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video")
    image = tmp_path / "photo.mov"
    shutil.copy(EXAMPLES / "kodak_02_red_door.jpg", image)
    return {
        "corrupt": (truncated, "corrupt"),
        "not a video": (text, "not a video file"),
        "zero length": (_zero_length(tmp_path / "zero.mp4"), "no video frames"),
        "empty file": (tmp_path / "empty.mp4", "empty"),
        "audio only": (write_audio_only(tmp_path / "song.m4a"), "only audio"),
        "unsupported container": (write_clip(tmp_path / "old.flv", pan(photo(), 4, (64, 48)), 24), "not supported"),
        "still image": (image, "still image"),
    }


def test_bad_inputs_get_clear_errors(library, tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    for case, (path, message) in _bad_files(tmp_path).items():
        with pytest.raises(VideoError, match=message):
            stylize_video(library, path, tmp_path / "out.mp4", VideoSettings(STARRY))
        assert not (tmp_path / "out.mp4").exists(), case


def test_progress_preview_and_cancel(library, pan_clip, tmp_path):
    steps = []
    stylize_video(library, pan_clip, tmp_path / "o.mp4", VideoSettings(STARRY), progress=steps.append)
    assert [s.done for s in steps] == list(range(1, 17)) and steps[-1].total == 16
    assert steps[0].frame.shape == (96, 160, 3)  # the first frame is ready to preview
    out = tmp_path / "cancelled.mp4"
    with pytest.raises(VideoCancelled, match="after 3 of 16"):
        stylize_video(
            library, pan_clip, out, VideoSettings(STARRY), cancel=lambda: len(steps) >= 19, progress=steps.append
        )
    assert not out.exists()  # no half-written file left behind


def _stylized(library, frames):
    painter = FramePainter(library, VideoSettings(STARRY), frames[0].shape[1], frames[0].shape[0])
    return [painter([f])[0] for f in frames]


@pytest.mark.parametrize("flow_side", [320, 96])  # flow at the frame's size, and at half of it (as Live does)
def test_stabilised_flicker_is_below_per_frame_flicker(library, flow_side):
    frames = pan(photo(), 12, (192, 128), step=1.5)
    painted = _stylized(library, frames)
    stabilizer = Stabilizer(0.9, flow_side)
    steady = [stabilizer(f, p) for f, p in zip(frames, painted, strict=True)]
    per_frame, stabilised = warping_error(frames, painted), warping_error(frames, steady)
    assert stabilised < 0.6 * per_frame, (stabilised, per_frame)
    # still the painting, not a smear: each steady frame stays close to its own stylization
    assert np.mean([np.abs(s.astype(float) - p).mean() for s, p in zip(steady, painted, strict=True)]) < 12


def test_scene_cut_and_moving_object_fall_back_to_the_fresh_frame(library):
    a, b = pan(photo(), 5, (160, 96)), pan(photo("glacier_lagoon_icebergs.jpg"), 5, (160, 96))
    frames = a + b
    painted = _stylized(library, frames)
    stabilizer = Stabilizer(1.0)
    steady = [stabilizer(f, p) for f, p in zip(frames, painted, strict=True)]
    assert stabilizer.cuts == 1
    assert np.array_equal(steady[5], painted[5])  # nothing of the previous scene ghosts in
    disc = moving_disc(photo(), 8, (160, 96))
    painted = _stylized(library, disc)
    stabilizer = Stabilizer(1.0)
    steady = [stabilizer(f, p) for f, p in zip(disc, painted, strict=True)]
    x = int(12 + 7 * (160 - 24) / 7)  # the disc's centre in the last frame: it arrived there just now
    patch = np.s_[48 - 6 : 48 + 6, x - 6 : x + 6]
    assert np.abs(steady[-1][patch].astype(float) - painted[-1][patch]).mean() < 8  # the disc, not the old wall


def test_cli_video(pan_clip, tmp_path):
    out = tmp_path / "new_folder" / "cli.mp4"
    code = (
        "import sys\n"
        "from artgan.cli import main\n"
        f"rc = main(['video', {str(pan_clip)!r}, '-s', 'starry_night:0.7,udnie:0.3', '-o', {str(out)!r}, "
        "'--strength', '0.9', '--stabilize', '0.7', '--keep-colors', '--max-side', '128', '--max-seconds', '0.4'])\n"
        "assert rc == 0\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    back = read_back(out)
    assert back["frames"][0].shape == (76, 128, 3) and len(back["frames"]) == 12 and back["audio"] == ["aac"]
    assert "cut to the first 0.4 s" in r.stdout and "downscaled" in r.stdout
    audio_only = write_audio_only(tmp_path / "song.m4a")
    r = subprocess.run(
        [sys.executable, "-m", "artgan", "video", str(audio_only), "-s", "udnie", "-o", str(tmp_path / "x.mp4")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 1 and r.stderr.strip().count("\n") == 0 and "only audio" in r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "artgan", "video", str(pan_clip), "-s", "udnie", "-o", str(tmp_path / "x.mov")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 1 and "name it x.mp4" in r.stderr and "Traceback" not in r.stderr


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    """One second, 12 frames of 160×96 at 12 fps, with sound: enough for the app, quick to paint."""
    path = tmp_path_factory.mktemp("app_clips") / "tiny.mp4"
    return write_clip(path, pan(photo(), 12, (160, 96), step=3.0), 12, audio=True)


def test_video_endpoint_returns_the_clip_and_clear_errors(app_url, tiny_clip, tmp_path):
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    client = Client(app_url, verbose=False)
    args = ("starry_night", ["udnie"], 0.3, 1.0, 0.8, 1.0, False)
    preview, video, download, notes = client.predict(handle_file(str(tiny_clip)), *args, api_name="/video")
    back = read_back(video["video"] if isinstance(video, dict) else video)
    assert len(back["frames"]) == 12 and back["fps"] == 12 and back["audio"] == ["aac"]
    assert "160×96" in notes and "Done: 12 frames" in notes
    with pytest.raises(AppError, match="only audio"):
        client.predict(handle_file(str(write_audio_only(tmp_path / "a.m4a"))), *args, api_name="/video")


@pytest.mark.browser
def test_browser_preview_comes_first_and_cancel_stops(app_url, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.browser import launch

    # long enough that an idle machine is still painting it when Cancel lands (240 small frames took < 3 s)
    long_clip = write_clip(tmp_path / "long.mp4", pan(photo(), 960, (320, 192), step=0.25), 24, audio=False)
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.goto(app_url)
        page.get_by_role("tab", name="Video").click()
        page.locator("#video-input input[type=file]").set_input_files(str(long_clip))
        page.locator("#video-input video").wait_for(timeout=30_000)
        page.get_by_role("button", name="Stylize video").click()
        page.locator("#video-preview img").wait_for(timeout=60_000)
        assert page.locator("#video-result video").count() == 0  # the preview arrives before the clip is done
        page.get_by_text(re.compile(r"\d+/960 frames")).first.wait_for(timeout=10_000)  # progress counts frames
        page.get_by_role("button", name="Cancel").click()
        page.wait_for_timeout(3000)
        assert page.locator("#video-result video").count() == 0
        assert "Done" not in page.locator("#video-notes").inner_text()
        browser.close()


def test_a_frame_is_painted_at_the_networks_work_side_like_a_still(library):
    frame = pan(photo(), 1, (854, 480))[0]
    painter = FramePainter(library, VideoSettings(STARRY), 854, 480)
    side = library.work_side
    assert max(painter.work) == side < 854  # strokes at the scale the network was trained for, and faster
    painted = painter([frame])[0]
    still = stylize(library, frame, STARRY)
    assert painted.shape == still.shape == frame.shape
    assert np.abs(painted.astype(float) - still).mean() < 3  # the Video tab's frame is the Stylize tab's picture
