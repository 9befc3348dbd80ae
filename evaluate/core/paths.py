"""Where t2iqa keeps what it builds or caches locally (models built from configs, reference
statistics, MediaPipe bundles)."""

from __future__ import annotations

import os
from pathlib import Path


def default_cache_dir() -> Path:
    """Where t2iqa keeps what it builds locally (override with T2IQA_CACHE)."""
    env = os.environ.get("T2IQA_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "t2iqa"
