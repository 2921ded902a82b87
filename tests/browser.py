"""Find a Chromium for the browser tests the usual ways, or say in one line how to get one.

Order: Playwright's own download (`playwright install chromium`), then chromium / chrome /
chromium-browser / google-chrome on PATH, then Debian's /usr/bin/chromium. With none, the
browser tests skip, except under ARTGAN_REQUIRE_BROWSER=1 (CI sets it), where they fail.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ON_PATH = ("chromium", "chrome", "chromium-browser", "google-chrome")
HOW_TO_GET_ONE = (
    "no Chromium found: `python -m playwright install chromium` or `apt-get install chromium`"
    " (ARTGAN_REQUIRE_BROWSER=1 makes this a failure)"
)


def playwright_chromium(chromium) -> str | None:
    """The browser Playwright downloaded itself, if it did."""
    path = chromium.executable_path
    return path if path and Path(path).exists() else None


def find_chromium(chromium) -> str | None:
    """Path of a Chromium-family browser, or None; `chromium` is Playwright's BrowserType."""
    found = playwright_chromium(chromium) or next(filter(None, map(shutil.which, ON_PATH)), None)
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def launch(playwright, *flags: str):
    """A headless Chromium with extra command-line `flags`; skip (or fail, when CI requires one) if there is none."""
    path = find_chromium(playwright.chromium)
    if path is None:
        if os.environ.get("ARTGAN_REQUIRE_BROWSER") == "1":
            pytest.fail(HOW_TO_GET_ONE)
        pytest.skip(HOW_TO_GET_ONE)
    return playwright.chromium.launch(executable_path=path, args=ARGS + list(flags))
