"""A walk through every tab in a real browser (Debian's Chromium driven by Playwright).

One test per tab does the tab's main action with real files and checks what a person would
see; screenshots go to tests/artifacts/walk/ so a person can look at them afterwards.
"""

from __future__ import annotations

import re

import httpx
import numpy as np
import pytest
from PIL import Image

from artgan.runtime.images import read_image
from tests.browser import launch
from tests.conftest import EXAMPLES, ROOT
from tests.video_clips import pan, photo, write_clip

pytestmark = pytest.mark.browser
SHOTS = ROOT / "tests" / "artifacts" / "walk"
BRUSH_PX = 24  # the editor's default brush diameter, in screen pixels


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, app_url):
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(app_url)
    page.get_by_role("tab", name="Stylize").wait_for()
    yield page
    page.close()


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    page.wait_for_timeout(800)  # let the tab lay out: the editor sizes its canvas from it


def shown_pixels(page, img_locator) -> np.ndarray:
    """The picture an <img> shows, fetched from its own URL (as the browser did)."""
    src = img_locator.get_attribute("src")
    return read_image(httpx.get(src if src.startswith("http") else page.url.rstrip("/") + src).content)


def test_stylize_tab_paints_and_refuses_a_bad_file(page, tmp_path):
    page.locator("#stylize-photo input[type=file]").set_input_files(str(EXAMPLES / "kodak_02_red_door.jpg"))
    page.get_by_role("button", name="Stylize", exact=True).click()
    result = page.locator("#stylize-result img")
    result.wait_for(timeout=90_000)
    painted = shown_pixels(page, result)
    assert painted.shape == (512, 768, 3) and painted.std() > 10  # the photo's size (never upscaled), not a blank
    photo_u8 = read_image(EXAMPLES / "kodak_02_red_door.jpg")
    assert np.abs(painted.astype(int) - photo_u8).mean() > 10  # painted, not the photo echoed
    assert "CPU" in page.locator("#footer").inner_text()  # no GPU here: the footer says so
    page.screenshot(path=str(SHOTS / "1_stylize.png"))

    # an example row fills photo and style and shows its painting (made on first click, then cached)
    before = result.get_attribute("src")
    page.get_by_text("Example photos").scroll_into_view_if_needed()
    page.locator("table img").first.click()
    page.wait_for_function(
        "src => { const i = document.querySelector('#stylize-result img'); return i && i.src !== src; }",
        arg=before,
        timeout=90_000,
    )
    example = shown_pixels(page, result)
    assert example.std() > 10 and example.shape[:2] != painted.shape[:2]  # another photo, painted
    page.screenshot(path=str(SHOTS / "1_stylize_example.png"))

    fake = tmp_path / "holiday.png"
    fake.write_text("not a picture at all")
    page.locator("#stylize-photo").get_by_role("button", name=re.compile("Clear|Remove", re.I)).first.click()
    page.locator("#stylize-photo input[type=file]").set_input_files(str(fake))
    page.get_by_role("button", name="Stylize", exact=True).click()
    toast = page.get_by_test_id("toast-text").filter(has_text="holiday.png is not an image file")
    toast.wait_for(timeout=30_000)  # the error toast, with our sentence
    page.wait_for_timeout(800)  # its fade-in, for the screenshot
    page.screenshot(path=str(SHOTS / "1_stylize_bad_file.png"))


def test_inpaint_tab_restores_only_where_painted(page, tmp_path):
    picture = tmp_path / "glacier.png"  # PNG: the browser decodes it exactly as we do, so pixels compare
    Image.open(EXAMPLES / "inpaint" / "glacier_scratched.jpg").save(picture)
    original = read_image(picture)
    h, w = original.shape[:2]
    open_tab(page, "Inpaint")
    editor = page.locator("#inpaint-editor")
    # the canvas takes its size from the laid-out tab; an upload before that lands off-centre
    page.wait_for_function(
        """() => { const c = document.querySelector('#inpaint-editor canvas');
                   const e = document.querySelector('#inpaint-editor');
                   return c && c.getBoundingClientRect().width <= e.getBoundingClientRect().width; }""",
        timeout=90_000,  # a loaded CI machine once took over 30 s to lay the tab out
    )
    editor.locator("input[type=file]").set_input_files(str(picture))
    page.wait_for_timeout(2500)
    editor.get_by_role("button", name="Brush", exact=True).click()
    zoom = float(editor.get_by_role("button", name=re.compile(r"^\d+%$")).inner_text().rstrip("%")) / 100
    box = editor.locator("canvas").first.bounding_box()
    x0, y0, length = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, 100  # from the centre, rightwards
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(x0 + length * i / 10, y0, steps=2)
    page.mouse.up()
    page.wait_for_timeout(2500)  # the editor uploads its layers before the value is complete
    page.screenshot(path=str(SHOTS / "2_inpaint_stroke.png"))
    page.get_by_role("button", name="Restore").click()
    result = page.locator("#inpaint-result img")
    result.wait_for(timeout=90_000)
    restored = shown_pixels(page, result)
    assert restored.shape == original.shape
    changed = np.abs(restored.astype(int) - original).max(-1) > 0
    ys, xs = np.nonzero(changed)
    assert changed.sum() > 500  # the stroke was restored …
    # … and nothing else: every changed pixel is near the stroke (centre → right by `length` screen px)
    margin = BRUSH_PX / zoom / 2 + 4 + 8  # brush radius (screen px) + the tab's default 4 px grow + feathering
    assert ys.min() >= h / 2 - margin and ys.max() <= h / 2 + margin, (ys.min(), ys.max())
    assert xs.min() >= w / 2 - margin and xs.max() <= w / 2 + length / zoom + margin, (xs.min(), xs.max())
    page.screenshot(path=str(SHOTS / "2_inpaint_restored.png"), full_page=True)


def test_texture_tab_generates_a_tileable_texture(page):
    open_tab(page, "Texture")
    page.locator("#texture-gallery img").first.wait_for()
    page.get_by_label("Tileable (repeats seamlessly)").check()
    page.get_by_role("button", name="Generate", exact=True).click()
    single, tiled = page.locator("#texture-result img"), page.locator("#texture-tiled img")
    tiled.wait_for(timeout=90_000)
    texture, preview = shown_pixels(page, single), shown_pixels(page, tiled)
    assert texture.shape == (512, 512, 3) and texture.std() > 5
    assert preview.shape == (1024, 1024, 3)  # 2×2 copies (shown as lossy WebP, so compared loosely):
    assert np.abs(preview[:512, :512].astype(int) - preview[512:, 512:]).mean() < 3
    page.screenshot(path=str(SHOTS / "3_texture.png"), full_page=True)


def test_video_tab_shows_progress_and_plays_the_clip(page, tmp_path):
    clip = write_clip(tmp_path / "walk.mp4", pan(photo(), 36, (320, 192), step=2.0), 12, audio=True)  # 3 s
    open_tab(page, "Video")
    page.locator("#video-input input[type=file]").set_input_files(str(clip))
    page.locator("#video-input video").wait_for(timeout=30_000)
    page.get_by_role("button", name="Stylize video").click()
    page.get_by_text(re.compile(r"\d+/36 frames")).first.wait_for(timeout=60_000)  # the progress bar counts frames
    page.screenshot(path=str(SHOTS / "4_video_progress.png"))
    video = page.locator("#video-result video")
    video.wait_for(timeout=120_000)
    duration, size, playing = video.evaluate(
        """async (v) => {
            v.muted = true;
            if (v.readyState < 2) await new Promise(r => v.addEventListener('loadeddata', r, {once: true}));
            await v.play();
            await new Promise(r => setTimeout(r, 700));
            const t = v.currentTime;
            v.pause();
            return [v.duration, [v.videoWidth, v.videoHeight], t];
        }"""
    )
    assert duration == pytest.approx(3.0, abs=0.1) and size == [320, 192]
    assert playing > 0.2  # it really plays
    assert "Done: 36 frames" in page.locator("#video-notes").inner_text()
    page.screenshot(path=str(SHOTS / "4_video_done.png"), full_page=True)
