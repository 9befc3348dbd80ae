"""Where a store is: a local folder (SQLite + image files) or a team store (a PostgreSQL URL,
images in any fsspec location), and how to connect to each.

``--store`` (or ``T2IQA_STORE``) takes either: ``t2iqa-store`` or ``/data/store`` is a folder;
``postgresql://user@host/db`` is a team store. A team store's images live at ``--images-at``
(``s3://bucket/prefix``, a shared path); the first writer records that location in the
database, so teammates need only the URL.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, pool
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from t2iqa.core.errors import StoreError

DB_NAME = "t2iqa.sqlite"
TEAM_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
# A team store created without --images-at keeps images here, relative to where it was made.
DEFAULT_TEAM_IMAGES = "t2iqa-images"


def is_store_url(spec: str | Path) -> bool:
    return "://" in str(spec)


@dataclass(frozen=True)
class StoreLocation:
    """A parsed ``--store``: ``folder`` for a local store, ``url`` for a team store."""

    folder: Path | None = None
    url: str | None = None

    @property
    def label(self) -> str:
        """How messages name the store (a team store's password hidden)."""
        if self.url is None:
            return str(self.folder)
        shown = make_url(self.url).set(drivername="postgresql")
        return shown.render_as_string(hide_password=True)

    @property
    def is_team(self) -> bool:
        return self.url is not None

    def __str__(self) -> str:
        return self.label


def parse_store(spec: str | Path | StoreLocation) -> StoreLocation:
    """A folder path or a ``postgresql://`` URL; any other URL is refused with the choices."""
    if isinstance(spec, StoreLocation):
        return spec
    text = str(spec)
    if not is_store_url(text):
        return StoreLocation(folder=Path(text).expanduser())
    scheme = text.partition("://")[0].lower()
    if scheme not in TEAM_SCHEMES:
        raise StoreError(
            f"--store {text!r}: a store is a folder or a postgresql://user@host/database URL "
            f"({scheme}:// is not a database t2iqa can use; images go to --images-at)"
        )
    try:
        url = make_url(text).set(drivername="postgresql+psycopg")
    except ArgumentError as exc:
        raise StoreError(f"--store {text!r} is not a valid database URL: {exc}") from None
    if not url.database:
        raise StoreError(f"--store {text!r} names no database: postgresql://user@host/DATABASE")
    return StoreLocation(url=url.render_as_string(hide_password=False))


def _sqlite_read_only(db_path: Path) -> sqlite3.Connection:
    """A read-only connection; on a read-only file system (where SQLite cannot make the WAL
    index it reads through, and nothing can write) the file is read as immutable."""
    uri = f"file:{db_path}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
    try:
        conn.execute("PRAGMA user_version").fetchone()
        conn.isolation_level = None
        return conn
    except sqlite3.OperationalError:
        if os.access(db_path.parent, os.W_OK):
            conn.close()
            raise
    except sqlite3.DatabaseError:
        conn.close()
        raise
    conn.close()
    conn = sqlite3.connect(f"{uri}&immutable=1", uri=True, timeout=30, check_same_thread=False)
    conn.isolation_level = None
    return conn


def sqlite_engine(db_path: Path, read_only: bool) -> Engine:
    """One engine per store: a pool of connections to the file, WAL when writing.

    Python's sqlite3 would begin transactions on its own; it is switched off
    (``isolation_level=None``) and every transaction begins here: ``BEGIN IMMEDIATE`` for
    writes (the write lock taken up front, so two writers queue instead of one failing on
    upgrade), a plain ``BEGIN`` for reads."""

    def connect() -> sqlite3.Connection:
        if read_only:
            return _sqlite_read_only(db_path)
        conn = sqlite3.connect(db_path, timeout=30, check_same_thread=False)
        conn.isolation_level = None
        # WAL: readers (the dashboard) never block the writer, nor it them.
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    engine = create_engine("sqlite://", creator=connect, poolclass=pool.QueuePool)

    @event.listens_for(engine, "begin")
    def transaction(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))

    return engine


def team_engine(url: str) -> Engine:
    # pre_ping: a connection the server dropped (restart, idle timeout) is replaced, not used.
    return create_engine(url, pool_pre_ping=True, pool_size=2, connect_args={"connect_timeout": 10})


def team_fault(label: str, exc: BaseException) -> StoreError:
    """A PostgreSQL connection or query fault as a sentence saying what to do."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    lowered = text.lower()
    if "does not exist" in lowered and "database" in lowered:
        return StoreError(
            f"the team store {label}: {text}; create it (createdb, or CREATE DATABASE) or fix "
            "the database name in --store"
        )
    if "password authentication failed" in lowered or ("role" in lowered and "exist" in lowered):
        return StoreError(
            f"the team store {label} refused the login ({text}); check the user and password "
            "in --store (or PGPASSWORD / ~/.pgpass)"
        )
    if (
        "connection refused" in lowered
        or "could not translate host" in lowered
        or ("timeout" in lowered)
    ):
        return StoreError(
            f"cannot reach the team store {label} ({text}); is PostgreSQL running there, and "
            "are the host and port right?"
        )
    return StoreError(f"the team store {label}: {text}")
