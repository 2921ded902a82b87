"""Weights manifest and ONNX Runtime sessions."""

from __future__ import annotations

import json
import shutil

import onnxruntime as ort
import pytest

from artgan.errors import ArtganError, WeightsError
from artgan.runtime import sessions
from artgan.runtime.manifest import load_manifest, model_entry, sha256_of
from artgan.stylize.pipeline import StyleLibrary
from tests.conftest import WEIGHTS


def test_manifest_lists_every_onnx_file_with_its_hash_and_size_limit():
    manifest = load_manifest(WEIGHTS)
    listed = {m["file"] for m in manifest["models"]}
    assert {p.name for p in WEIGHTS.glob("*.onnx")} == listed
    for entry in manifest["models"]:
        path = WEIGHTS / entry["file"]
        assert sha256_of(path) == entry["sha256"]
        assert path.stat().st_size < 10 * 1024 * 1024
        for key in ("task", "inputs", "outputs", "training", "licence"):
            assert entry[key]


@pytest.fixture
def weights_copy(tmp_path):
    dst = tmp_path / "weights"
    shutil.copytree(WEIGHTS, dst)
    return dst


def test_corrupted_model_is_refused_with_a_clear_message(weights_copy):
    path = weights_copy / "stylize.onnx"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="corrupted"):
        StyleLibrary(weights_copy)


def test_missing_model_is_a_clear_message(weights_copy):
    (weights_copy / "stylize.onnx").unlink()
    with pytest.raises(WeightsError, match="missing"):
        StyleLibrary(weights_copy)


def test_unknown_model_id_lists_known_ones():
    with pytest.raises(WeightsError, match="known: .*stylize"):
        model_entry("no-such-model", WEIGHTS)


def test_missing_manifest_is_a_clear_message(tmp_path):
    with pytest.raises(WeightsError, match="manifest.json"):
        StyleLibrary(tmp_path)


def test_broken_manifest_json(weights_copy):
    (weights_copy / "manifest.json").write_text("{not json")
    with pytest.raises(WeightsError, match="not valid JSON"):
        StyleLibrary(weights_copy)


def test_sessions_are_cached_and_report_their_provider(library):
    assert library.session() is library.session()
    provider = sessions.active_provider(library.session())
    assert provider in ort.get_available_providers()
    assert provider.replace("ExecutionProvider", "") in sessions.describe_device()


@pytest.mark.skipif(sessions.nvidia_driver_present(), reason="this machine has an NVIDIA driver")
def test_cpu_machine_never_asks_for_cuda(monkeypatch):
    monkeypatch.setenv("ARTGAN_DEVICE", "auto")
    assert sessions.providers() == [sessions.CPU]
    monkeypatch.setenv("ARTGAN_DEVICE", "cuda")
    with pytest.raises(ArtganError, match="no CUDA"):
        sessions.providers()


def test_bad_device_setting(monkeypatch):
    monkeypatch.setenv("ARTGAN_DEVICE", "tpu")
    with pytest.raises(ArtganError, match="auto, cuda or cpu"):
        sessions.requested_device()


def test_manifest_records_training_and_export_facts():
    models = json.loads((WEIGHTS / "manifest.json").read_text())["models"]
    assert {m["id"] for m in models} >= {"stylize", "stylize_fast", "inpaint", "texture"}
    for entry in models:
        assert entry["export"]["parity_max_abs_error"] <= 1e-3
        assert entry["training"]["steps"] > 0
        assert entry["size_bytes"] < 10_000_000  # Spaces refuse larger files without LFS
        if "checkpoint" in entry:
            assert sha256_of(WEIGHTS / entry["checkpoint"]["file"]) == entry["checkpoint"]["sha256"]
        assert entry["export"]["command"].startswith(f"artgan export {entry['task']} --")
        for style in entry.get("styles", []):
            assert sha256_of(WEIGHTS / style["params"]) == style["params_sha256"]
            assert (WEIGHTS / style["thumbnail"]).exists()


@pytest.mark.parametrize(("setting", "spins"), [(None, True), ("1", True), ("0", False)])
def test_ort_spinning_is_switched_off_only_on_request(monkeypatch, setting, spins):
    """ARTGAN_ORT_SPIN=0 stops idle ONNX Runtime threads spinning (for a CPU shared with other work)."""
    if setting is None:
        monkeypatch.delenv("ARTGAN_ORT_SPIN", raising=False)
    else:
        monkeypatch.setenv("ARTGAN_ORT_SPIN", setting)
    opts = sessions.session_options()
    try:
        value = opts.get_session_config_entry("session.intra_op.allow_spinning")
    except RuntimeError:  # not set: ONNX Runtime's default, which spins
        value = "1"
    assert (value == "1") == spins
