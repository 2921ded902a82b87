"""The launched app, through its API (gradio_client) and in a real browser (Playwright)."""

from __future__ import annotations

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.conftest import EXAMPLES


def test_stylize_endpoint(app_url, example_path):
    from gradio_client import Client, handle_file

    client = Client(app_url, verbose=False)
    out = client.predict(
        handle_file(str(example_path)),
        "the_scream",
        ["starry_night", "udnie"],
        0.3,
        0.8,
        False,
        1.0,
        384,
        api_name="/stylize",
    )
    with Image.open(out) as im:
        assert max(im.size) == 384
        img = np.asarray(im.convert("RGB"))
    photo = np.asarray(Image.open(example_path).convert("RGB").resize(im.size))
    assert np.abs(img.astype(int) - photo).mean() > 5  # stylized, not an echo of the input


def test_endpoint_errors_are_messages_not_crashes(app_url, tmp_path):
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    client = Client(app_url, verbose=False)
    with pytest.raises(AppError, match="upload a photo"):
        client.predict(None, "the_scream", [], 0.0, 1.0, False, 1.0, 256, api_name="/stylize")
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(AppError, match="not an image|corrupt"):
        client.predict(handle_file(str(fake)), "the_scream", [], 0.0, 1.0, False, 1.0, 256, api_name="/stylize")


def test_learn_style_endpoint_adds_a_style(app_url):
    from gradio_client import Client, handle_file

    from artgan.runtime.manifest import load_manifest
    from tests.conftest import WEIGHTS

    client = Client(app_url, verbose=False)
    result = client.predict(
        handle_file(str(WEIGHTS / "styles" / "udnie.jpg")), "test_udnie_like", 20, api_name="/learn_style"
    )
    preview, _, _, _, vector = result
    assert vector.endswith("test_udnie_like.npy")
    shipped = next(m for m in load_manifest(WEIGHTS)["models"] if m["id"] == "stylize")
    assert np.load(vector).shape == (shipped["style_dim"],)
    out = client.predict(
        handle_file(str(EXAMPLES / "kodak_02_red_door.jpg")),
        "test_udnie_like",
        [],
        0.0,
        1.0,
        False,
        1.0,
        256,
        api_name="/stylize",
    )
    assert max(Image.open(out).size) == 256


def test_one_tab_per_registered_capability(app_url):
    from artgan.registry import CAPABILITIES

    config = httpx.get(app_url + "config").json()
    tabs = [c["props"]["label"] for c in config["components"] if c["type"] == "tabitem"]
    assert tabs == [c.label for c in CAPABILITIES]
