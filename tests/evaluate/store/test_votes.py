"""The votes table: an old store gains it when opened for writing, and reads without it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from t2iqa.store.db import SCHEMA_VERSION, Store
from t2iqa.store.votes import has_votes, read_votes


def test_a_schema_1_store_is_migrated_when_opened_for_writing(tmp_path: Path) -> None:
    root = tmp_path / "store"
    with Store(root):
        pass
    conn = sqlite3.connect(root / "t2iqa.sqlite")
    conn.execute("DROP TABLE votes")
    conn.execute("PRAGMA user_version = 1")  # as the t2iqa before the arena left it
    conn.commit()
    conn.close()
    with Store(root, read_only=True) as st:
        assert not has_votes(st) and read_votes(st) == []
    with Store(root) as st:
        assert has_votes(st)
        assert st.engine.connect().exec_driver_sql("PRAGMA user_version").scalar() == 3
        assert SCHEMA_VERSION == 3
