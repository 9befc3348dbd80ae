"""The Streamlit dashboard (reads the result store, never writes scores)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

APP_PATH = Path(__file__).with_name("app.py")
# URL name (?page=...) -> the page's heading
PAGE_TITLES = {
    "runs": "Runs",
    "leaderboard": "Leaderboard",
    "gallery": "Gallery",
    "compare": "Compare two runs",
    "check": "Check an image",
    "arena": "Arena: which image is better?",
}


def streamlit_command(app: Path, host: str, port: int) -> list[str]:
    """The server command line: headless, no telemetry, no file watcher, bounded uploads."""
    return [
        sys.executable, "-m", "t2iqa.dashboard.server", "run", str(app),
        "--server.address", host, "--server.port", str(port), "--server.headless", "true",
        "--server.fileWatcherType", "none", "--server.maxUploadSize", "20",
        "--browser.gatherUsageStats", "false", "--global.developmentMode", "false",
        "--server.runOnSave", "false", "--client.toolbarMode", "minimal",
    ]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(store: Path, log: Path | None = None, timeout_s: float = 90) -> Iterator[str]:
    """Run `t2iqa dashboard` on a free loopback port until the block ends; yields its URL.

    Ready means the health endpoint answers. The server is stopped by its process id (the
    command exec's Streamlit, so there is one process).
    """
    port = free_port()
    t2iqa = Path(sys.executable).with_name("t2iqa")
    out = log.open("w") if log else subprocess.DEVNULL
    proc = subprocess.Popen(
        [str(t2iqa), "dashboard", "--store", str(store), "--port", str(port)],
        stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                detail = log.read_text() if log and log.is_file() else ""
                raise RuntimeError(f"the dashboard did not start on {url}\n{detail}")
            time.sleep(0.5)
        yield url
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        if log:
            out.close()  # type: ignore[union-attr]
