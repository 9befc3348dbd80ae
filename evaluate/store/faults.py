"""Faults of the machine under a store (a damaged database, a full or read-only disk, a lock
held too long), each as a sentence that names the file and what to do."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

from t2iqa.core.errors import StoreError

# SQLite reports a write that found no room in its shared-memory or WAL file as a plain
# "disk I/O error"; with less than this free, that is the likely cause.
LOW_DISK_BYTES = 1 << 20


def _free_bytes(folder: Path) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return LOW_DISK_BYTES


def store_fault(db_path: Path, exc: BaseException) -> StoreError:
    """A database or disk fault met while using a store, as a sentence naming the file and
    what to do. Whatever was committed before it is kept (every write is a transaction)."""
    text = str(exc)
    if (
        (isinstance(exc, OSError) and exc.errno == errno.ENOSPC)
        or "disk is full" in text
        or ("disk I/O error" in text and _free_bytes(db_path.parent) < LOW_DISK_BYTES)
    ):
        return StoreError(
            f"the disk holding {db_path.parent} is full; free space (or pass --store on "
            "another disk) and run the same command again: what was stored so far is kept"
        )
    if "readonly" in text or isinstance(exc, PermissionError):
        return StoreError(
            f"{db_path} is read-only (its permissions, or a read-only file system); make it "
            "writable or pass another --store"
        )
    if "file is not a database" in text:  # no SQLite header: some other file
        return StoreError(f"{db_path} is not a t2iqa store ({text})")
    if "malformed" in text:
        return StoreError(
            f"{db_path} is damaged ({text}); restore it from a backup, or recover what is "
            f"readable with `sqlite3 {db_path} .recover | sqlite3 recovered.sqlite`"
        )
    if "locked" in text:
        return StoreError(f"{db_path} is locked by another process for too long ({text})")
    if isinstance(exc, OSError):
        return StoreError(f"cannot write to the store {db_path.parent}: {exc.strerror or exc}")
    return StoreError(f"{db_path}: {type(exc).__name__}: {text}")
