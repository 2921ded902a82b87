"""The one place that creates ONNX Runtime sessions.

Provider order is CUDA then CPU, chosen by `ARTGAN_DEVICE=auto|cuda|cpu`. CUDA is only
requested when an NVIDIA driver is present, so CPU machines do not print ONNX Runtime's
library-load error; when CUDA libraries are missing anyway ORT silently falls back, so
the provider really in use is read back from the session and reported.
"""

from __future__ import annotations

import glob
import logging
import os
import threading
from pathlib import Path

import numpy as np
import onnxruntime as ort

from artgan.errors import ArtganError

log = logging.getLogger(__name__)

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"

_sessions: dict[tuple[str, str, int | None], ort.InferenceSession] = {}
_lock = threading.Lock()
_preloaded = False


def requested_device() -> str:
    device = os.environ.get("ARTGAN_DEVICE", "auto").lower()
    if device not in ("auto", "cuda", "cpu"):
        raise ArtganError(f"ARTGAN_DEVICE must be auto, cuda or cpu, not {device!r}")
    return device


def nvidia_driver_present() -> bool:
    return bool(glob.glob("/dev/nvidia[0-9]*")) or os.path.exists("/proc/driver/nvidia/version")


def _preload_cuda_libraries() -> None:
    """Let ORT find CUDA/cuDNN from pip's nvidia-* wheels (ORT ≥ 1.21), once."""
    global _preloaded
    if not _preloaded and hasattr(ort, "preload_dlls"):
        try:
            ort.preload_dlls()
        except Exception as exc:  # libraries may come from the system instead
            log.info("onnxruntime.preload_dlls failed: %s", exc)
    _preloaded = True


def providers(device: str | None = None) -> list[str]:
    """Providers to request for `device` (default: ARTGAN_DEVICE)."""
    device = device or requested_device()
    cuda_ok = CUDA in ort.get_available_providers() and nvidia_driver_present()
    if device == "cuda" and not cuda_ok:
        raise ArtganError("ARTGAN_DEVICE=cuda but no CUDA is usable (needs onnxruntime-gpu and an NVIDIA driver)")
    if device != "cpu" and cuda_ok:
        _preload_cuda_libraries()
        return [CUDA, CPU]
    return [CPU]


def default_spin() -> bool:
    """ARTGAN_ORT_SPIN (default on): whether idle ONNX Runtime threads spin."""
    return os.environ.get("ARTGAN_ORT_SPIN", "1") != "0"


def session_options(threads: int | None = None, spin: bool | None = None) -> ort.SessionOptions:
    """`threads` None: ARTGAN_THREADS, else 0 (ORT uses all cores). `spin` None: ARTGAN_ORT_SPIN
    (default on); off, idle ORT threads sleep: slower single runs, CPU left to other work."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = int(os.environ.get("ARTGAN_THREADS", "0")) if threads is None else threads
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3  # errors only: no warnings about unused initialisers
    if not (default_spin() if spin is None else spin):
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return opts


def get_session(
    path: Path, device: str | None = None, threads: int | None = None, spin: bool | None = None
) -> ort.InferenceSession:
    """A cached session per (model file, device, threads, spin); `run` is thread-safe, so it is shared."""
    device = device or requested_device()
    spin = default_spin() if spin is None else spin  # one session whether spinning was asked for or set
    key = (str(path), device, threads, spin)
    with _lock:
        if key not in _sessions:
            try:
                sess = ort.InferenceSession(str(path), session_options(threads, spin), providers=providers(device))
            except ort.capi.onnxruntime_pybind11_state.Fail as exc:
                raise ArtganError(f"ONNX Runtime cannot load {Path(path).name}: {exc}") from exc
            if device == "cuda" and sess.get_providers()[0] != CUDA:
                raise ArtganError("CUDA was requested but ONNX Runtime fell back to the CPU")
            _sessions[key] = sess
        return _sessions[key]


def session_with_weights(
    path: Path, weights: dict[str, np.ndarray], threads: int | None = None, spin: bool | None = None
) -> ort.InferenceSession:
    """A new (uncached) session of `path` with the named initialisers replaced: a learned item's adapter.

    ORT_ENABLE_ALL's layout transforms keep the model's own weights and silently drop the
    replacements (measured on texture.onnx, ORT 1.31); EXTENDED applies them and runs as fast here.
    """
    opts = session_options(threads, spin)
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    values = {
        name: ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(w, np.float32)) for name, w in weights.items()
    }
    for name, value in values.items():
        opts.add_initializer(name, value)
    try:
        sess = ort.InferenceSession(str(path), opts, providers=providers())
    except ort.capi.onnxruntime_pybind11_state.Fail as exc:
        raise ArtganError(f"ONNX Runtime cannot load {Path(path).name} with replaced weights: {exc}") from exc
    sess.replaced_weights = values  # ORT reads them for the session's whole life
    return sess


def parallel_workers(sess: ort.InferenceSession) -> int:
    """How many independent pieces (tiles, windows) to run at once on `sess`'s device.

    On the CPU, one single-threaded run per core beats one run spread over all cores for
    these small convolutional graphs (measured on 1024 px texture windows: ~1.3–1.8× on
    2 cores), because their many memory-bound layers scale poorly within one run. A GPU
    runs one piece at a time.
    """
    if active_provider(sess) != CPU:
        return 1
    threads = int(os.environ.get("ARTGAN_THREADS", "0"))
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return threads or usable or 1


def active_provider(sess: ort.InferenceSession) -> str:
    """The provider that really runs the graph (first in the session's list)."""
    return sess.get_providers()[0]


def describe_device() -> str:
    """One line for the app footer: ORT version and the providers in use."""
    used = sorted({active_provider(s) for s in _sessions.values()}) or providers()
    names = ", ".join(p.replace("ExecutionProvider", "") for p in used)
    return f"ONNX Runtime {ort.__version__} · {names}"


def warm_up(sess: ort.InferenceSession, feeds: dict[str, np.ndarray]) -> None:
    """Run once so the first user request does not pay for kernel selection / allocation."""
    sess.run(None, feeds)
