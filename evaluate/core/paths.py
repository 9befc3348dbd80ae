"""Where t2iqa keeps what it builds or caches locally (models built from configs, reference
statistics, MediaPipe bundles)."""

from __future__ import annotations

import functools
import os
import stat
from pathlib import Path

from t2iqa.core.errors import T2IQAError


def default_cache_dir() -> Path:
    """Where t2iqa keeps what it builds locally (override with T2IQA_CACHE)."""
    env = os.environ.get("T2IQA_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "t2iqa"


@functools.lru_cache(maxsize=64)
def resolved(folder: Path) -> Path:
    """A folder's real path, once per import of thousands of files from it."""
    return folder.resolve()


def path_in_folder(folder: Path, name: str, where: str, allow_outside: bool = False) -> Path:
    """A file a manifest names, relative to the manifest's folder. One that leads outside the
    folder (``..``, an absolute path, a symlink out) is refused unless ``allow_outside``:
    a manifest from someone else must not make t2iqa read, or copy into a store, any file
    the user did not hand over."""
    path = Path(name) if Path(name).is_absolute() else folder / name
    if allow_outside:
        return path
    parts = Path(name).parts
    if len(parts) == 1 and parts[0] not in (".", "..") and not Path(name).is_absolute():
        # A file name alone (what a folder listing gives): inside unless it is a symlink, so
        # one lstat decides instead of resolving every component (an import of thousands).
        try:
            if not stat.S_ISLNK(os.lstat(path).st_mode):
                return path
        except OSError:
            return path  # not there: the caller says "no such file"
    try:
        inside = path.resolve().is_relative_to(resolved(folder))
    except (OSError, RuntimeError):  # a symlink loop: nothing to read there either
        inside = False
    if not inside:
        raise T2IQAError(
            f"{where}: {name!r} is outside {folder}; manifest paths must stay inside the "
            "manifest's folder (--allow-outside-paths allows others)"
        )
    return path
