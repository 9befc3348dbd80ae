"""The store's tables, one definition for SQLite and PostgreSQL (SQLAlchemy Core).

Every column is a plain type both engines share (text, integer, double): JSON is kept as text
so that a run copied between a local store and a team store round-trips byte for byte. Keys
are the guarantees: a check result is unique by (image hash, context hash, check, config
hash), an image by (run, prompt, seed), a vote by its id; writers upsert on those keys, so
concurrent writers never duplicate a row.

The schema version lives in SQLite's ``PRAGMA user_version`` (as in every store written
before PostgreSQL was supported) and, on PostgreSQL, in a one-row ``t2iqa_schema`` table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Float,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    select,
    text,
)

SCHEMA_VERSION = 3
metadata = MetaData()


def _text(name: str) -> Column[str]:
    return Column(name, Text, nullable=False)


runs = Table(
    "runs", metadata,
    Column("run_id", Text, primary_key=True),
    _text("model"), _text("suite_name"), _text("suite_version"), _text("suite_hash"),
    _text("status"), Column("planned_images", Integer, nullable=False),
    _text("created_at"), _text("updated_at"), _text("config_json"), _text("provenance_json"),
)  # fmt: skip
run_prompts = Table(
    "run_prompts", metadata,
    _text("run_id"), _text("prompt_id"), Column("position", Integer, nullable=False),
    _text("category"), _text("spec_json"),
    PrimaryKeyConstraint("run_id", "prompt_id"),
)  # fmt: skip
run_checks = Table(
    "run_checks", metadata,
    _text("run_id"), _text("check_name"), _text("check_version"), _text("config_hash"),
    _text("config_json"),
    PrimaryKeyConstraint("run_id", "check_name"),
)  # fmt: skip
images = Table(
    "images", metadata,
    _text("run_id"), _text("prompt_id"), Column("seed", Integer, nullable=False),
    _text("image_hash"), _text("context_hash"), _text("file"),
    Column("width", Integer, nullable=False), Column("height", Integer, nullable=False),
    Column("generation_seconds", Float), _text("generation_json"), _text("created_at"),
    PrimaryKeyConstraint("run_id", "prompt_id", "seed"),
)  # fmt: skip
check_results = Table(
    "check_results", metadata,
    _text("image_hash"), _text("context_hash"), _text("check_name"), _text("config_hash"),
    _text("verdict"), Column("passed", Integer), Column("score", Float), _text("reason"),
    _text("details_json"), _text("created_at"),
    PrimaryKeyConstraint("image_hash", "context_hash", "check_name", "config_hash"),
)  # fmt: skip
set_results = Table(
    "set_results", metadata,
    _text("run_id"), _text("metric"), Column("value", Float, nullable=False),
    Column("n", Integer, nullable=False), Column("ci_low", Float), Column("ci_high", Float),
    _text("details_json"), _text("created_at"),
    PrimaryKeyConstraint("run_id", "metric"),
)  # fmt: skip
votes = Table(
    "votes", metadata,
    Column("vote_id", Text, primary_key=True),
    _text("prompt_id"), Column("seed", Integer, nullable=False), _text("run_left"),
    _text("run_right"), _text("image_left"), _text("image_right"), _text("winner"),
    _text("rater"), _text("kind"), Column("seconds", Float), _text("created_at"), _text("source"),
    Index("votes_by_runs", "run_left", "run_right"),
)  # fmt: skip
# Work claims of processes sharing a run (store.claims).
claims = Table(
    "claims", metadata,
    _text("run_id"), _text("stage"), _text("item"), _text("owner_json"),
    Column("claimed_at", Float, nullable=False),
    PrimaryKeyConstraint("run_id", "stage", "item"),
)  # fmt: skip
# The store's own settings: a team store records where its images live (key "images_at").
settings = Table("settings", metadata, Column("key", Text, primary_key=True), _text("value"))
# What each older schema version needs to become the next one (tables created, checkfirst):
# 1 -> 2: people's votes (the arena); 2 -> 3: settings (team stores).
MIGRATIONS: dict[int, tuple[Table, ...]] = {1: (votes,), 2: (settings,)}

_PG_VERSION_TABLE = "t2iqa_schema"


def read_version(conn: Connection) -> int:
    """The schema version of the database ``conn`` is on; 0 for an empty one."""
    if conn.dialect.name == "sqlite":
        return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())
    exists = conn.execute(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": _PG_VERSION_TABLE})
    if not exists.scalar_one():
        return 0
    return int(conn.execute(text(f"SELECT version FROM {_PG_VERSION_TABLE}")).scalar_one())


def write_version(conn: Connection, version: int) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA user_version = {int(version)}")
        return
    conn.execute(text(f"CREATE TABLE IF NOT EXISTS {_PG_VERSION_TABLE} (version INTEGER)"))
    conn.execute(text(f"DELETE FROM {_PG_VERSION_TABLE}"))
    conn.execute(text(f"INSERT INTO {_PG_VERSION_TABLE} VALUES (:v)"), {"v": int(version)})


def has_table(conn: Connection, name: str) -> bool:
    if conn.dialect.name == "sqlite":
        found = conn.execute(
            text("SELECT 1 FROM sqlite_master WHERE type='table' AND name=:n"), {"n": name}
        )
        return found.first() is not None
    return bool(conn.execute(text("SELECT to_regclass(:n) IS NOT NULL"), {"n": name}).scalar())


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    replace: bool = True,
) -> None:
    """Insert ``rows``; a row whose primary key is stored already replaces it (``replace``)
    or is left as it is. One statement per batch, atomic with the caller's transaction.

    Rows go in primary-key order: two writers upserting overlapping rows then lock them in
    the same order, so PostgreSQL never finds them deadlocked (SQLite has one writer)."""
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # imported only for a team store (about 0.07 s)
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    insert = dialect_insert(table)
    keys = [c.name for c in table.primary_key.columns]
    rows = sorted(rows, key=lambda row: tuple(str(row[k]) for k in keys))
    if replace:
        others = {c.name: insert.excluded[c.name] for c in table.columns if c.name not in keys}
        statement = insert.on_conflict_do_update(index_elements=keys, set_=others)
    else:
        statement = insert.on_conflict_do_nothing(index_elements=keys)
    conn.execute(statement, list(rows))


def existing_keys(conn: Connection, table: Table, key: str, values: Sequence[str]) -> set[str]:
    """Which of ``values`` are stored in ``table``'s ``key`` column (500 per query)."""
    column = table.c[key]
    found: set[str] = set()
    for start in range(0, len(values), 500):
        part = list(values[start : start + 500])
        found.update(conn.execute(select(column).where(column.in_(part))).scalars())
    return found
