"""Long jobs started from the app run as `python -m artgan …` child processes.

The serving process stays small and torch-free: learning a style loads torch, the feature
network and the trainer, and all of that memory goes back to the system when the child
exits. Progress is read from the JSON lines the child prints; closing the iterator (Gradio
closes a handler's generator on Cancel) kills the child.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator

from artgan.errors import ArtganError
from artgan.shipped import PACKAGE

log = logging.getLogger(__name__)
ERROR_PREFIX = "artgan: error: "


def child_env() -> dict[str, str]:
    """The app's environment, with this artgan importable and the child's output unbuffered."""
    paths = [str(PACKAGE.parent), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "PYTHONUNBUFFERED": "1"}


def run_artgan(argv: list[str]) -> Iterator[dict]:
    """Run `python -m artgan ARGV` and yield each JSON line it prints; its error becomes an ArtganError."""
    with tempfile.TemporaryFile("w+") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "artgan", *argv],
            stdout=subprocess.PIPE,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            text=True,
            env=child_env(),
        )
        try:
            for line in proc.stdout:
                if line.startswith("{"):
                    yield json.loads(line)
            if proc.wait() != 0:
                stderr.seek(0)
                raise ArtganError(failure(stderr.read(), proc.returncode))
        finally:
            stop(proc)


def failure(stderr: str, code: int) -> str:
    """The child's own one-line error, else a neutral line (its traceback goes to the server log)."""
    lines = stderr.strip().splitlines()
    if lines and lines[-1].startswith(ERROR_PREFIX):
        return lines[-1].removeprefix(ERROR_PREFIX)
    log.error("artgan child process failed (exit code %s):\n%s", code, stderr)
    return f"the job failed (exit code {code}); the server log has the details"


def stop(proc: subprocess.Popen) -> None:
    """Kill the child if it still runs (a cancelled job) and reap it."""
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    proc.stdout.close()
