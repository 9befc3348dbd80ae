"""Which process is working on a run, and whether it still is.

A run's status is "running" while a process works on it. A process killed outright (kill -9,
a power cut, the OOM killer) cannot say it stopped, so the store records who is working (pid,
host, process start time) and readers check: a "running" run whose process is gone on this
host is shown as "interrupted". On another host there is no way to check; it stays "running".
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), which tells a live
    process from a new one that reuses a dead one's pid; None where /proc is missing."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22; the command name (field 2) is in parentheses and may contain spaces.
    return int(stat.rsplit(")", 1)[1].split()[19])


def this_process() -> dict[str, Any]:
    pid = os.getpid()
    return {"pid": pid, "host": socket.gethostname(), "started": _start_ticks(pid)}


def process_alive(owner: Mapping[str, Any] | None) -> bool | None:
    """Whether the recorded process still runs: True, False, or None when this host cannot
    tell (no record, or another host)."""
    if not owner or owner.get("host") != socket.gethostname():
        return None
    pid = owner.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    started = owner.get("started")
    return started is None or _start_ticks(pid) in (None, started)
