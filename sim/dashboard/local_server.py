"""Start ``python -m sim.dashboard`` as a local subprocess and wait until its page answers: for
scripts that drive the dashboard in a browser (the latency benchmark, the browser tests)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(state_dir: str | Path, *, timeout: float = 90.0, env: dict | None = None,
          cwd: str | Path | None = None) -> Iterator[int]:
    """The dashboard on a free local port, saving its exercise in ``state_dir``; yields the
    port once ``/`` answers 200 and stops the server afterwards. ``env`` adds environment
    variables, ``cwd`` is the server's folder. Raises RuntimeError (with the server's output)
    if it exits or does not answer within ``timeout`` seconds."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sim.dashboard", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, **(env or {}),
                                 "SIM_DASHBOARD_STATE_DIR": str(state_dir)},
                            cwd=str(cwd) if cwd else None)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(f"dashboard exited: {proc.stdout.read()}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"dashboard did not start within {timeout:.0f} s"
                                       ) from None
                time.sleep(0.5)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
