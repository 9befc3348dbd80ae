"""Opening a store's database: the folder checks that come before SQLite opens a file, and
the schema a database must have (created in a new one, migrated in an older one, refused
from a newer t2iqa). Each problem is a ``StoreError`` naming the store and what to do."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from t2iqa.core.errors import StoreError
from t2iqa.store import schema as t
from t2iqa.store.faults import store_fault
from t2iqa.store.location import DB_NAME, sqlite_engine


def open_folder(root: Path, db_path: Path, read_only: bool) -> Engine:
    """The engine of a folder store's SQLite file, once the folder can hold it."""
    if db_path.exists() and not db_path.is_file():
        raise StoreError(
            f"{db_path} is a folder, not a database file; pass --store with a t2iqa store (or "
            "a new folder)"
        )
    if read_only and not db_path.is_file():
        raise StoreError(f"no t2iqa store at {root} (no {DB_NAME}); run `t2iqa run` first")
    if not read_only:
        ensure_writable(root, db_path)
    return sqlite_engine(db_path, read_only)


def ensure_writable(root: Path, db_path: Path) -> None:
    """Create the folder and write a probe file in it: a read-only or full disk is said
    now, before any work is done for a run it could not keep."""
    if db_path.is_file() and not os.access(db_path, os.W_OK):
        raise store_fault(db_path, PermissionError(errno.EACCES, "read-only"))
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = root / f".write-probe-{os.getpid()}"  # one per process: no race
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise store_fault(db_path, exc) from None
        reason = exc.strerror or str(exc)
        raise StoreError(
            f"cannot write to the store folder {root}: {reason}; pass --store with a writable "
            "folder"
        ) from None


def prepare_schema(conn: Connection, label: str, read_only: bool) -> None:
    """Check the database's schema version in ``conn``'s transaction; create or migrate the
    tables when writing."""
    if conn.dialect.name == "postgresql" and not read_only:
        # Two writers opening a new team store at once: one creates, the other waits.
        conn.execute(text("SELECT pg_advisory_xact_lock(729001)"))
    version = t.read_version(conn)
    if version > t.SCHEMA_VERSION:
        raise StoreError(
            f"the store at {label} was written by a newer t2iqa (schema {version}, this one "
            f"reads {t.SCHEMA_VERSION}); upgrade t2iqa or use another --store"
        )
    if version == 0 and read_only:
        raise StoreError(
            f"the store at {label} is empty (no t2iqa tables yet); start a run into it with "
            f"`t2iqa run ... --store {label}` or pick another --store"
        )
    if read_only or version == t.SCHEMA_VERSION:
        return
    if version == 0:
        t.metadata.create_all(conn)
    else:
        for old in range(version, t.SCHEMA_VERSION):
            t.metadata.create_all(conn, tables=list(t.MIGRATIONS[old]))
    t.write_version(conn, t.SCHEMA_VERSION)
