from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from t2iqa.core.errors import StoreError
from t2iqa.core.results import CheckResult, SetResult
from t2iqa.store.db import ImageRecord, Store
from t2iqa.suites.files import load_suite


def make_run(store: Store, run_id: str = "r1", config: dict | None = None) -> bool:
    suite = load_suite("smoke")
    return store.create_or_resume_run(
        run_id, "embedded", suite.name, suite.version, suite.content_hash(), suite.prompts,
        len(suite.prompts), config or {"identity": {"a": 1}}, {"packages": {"torch": "x"}},
    )  # fmt: skip


def test_round_trip_of_runs_images_and_results(any_store: str) -> None:
    with Store(any_store) as store:
        assert make_run(store) is False  # created
        assert make_run(store) is True  # resumed, not duplicated
        assert [r.run_id for r in store.list_runs()] == ["r1"]
        digest, rel = store.put_image_file(b"png-bytes")
        assert store.files.read(rel) == b"png-bytes"
        pid = load_suite("smoke").prompts[0].id
        record = ImageRecord("r1", pid, 3, digest, "ctx", rel, 64, 64, 0.5, {"batch_size": 2})
        store.add_image(record)
        store.add_image(record)  # idempotent
        assert store.images("r1") == [record]
        assert store.done_keys("r1") == {(pid, 3)}
        result = CheckResult("image_sanity", "ok", True, 1.0, "fine", {"std": 3.5, "box": [1, 2]})
        store.put_check_results([(digest, "ctx", "cfg", result)])
        assert store.get_check_result(digest, "ctx", "image_sanity", "cfg") == result
        assert store.get_check_result(digest, "other-ctx", "image_sanity", "cfg") is None
        store.put_set_result("r1", SetResult("fid", 12.5, 100, 11.0, 14.0, {"resize": "clean"}))
        assert store.set_results("r1") == [
            SetResult("fid", 12.5, 100, 11.0, 14.0, {"resize": "clean"})
        ]
        run = store.get_run("r1")
        assert run.config == {"identity": {"a": 1}} and run.provenance["packages"] == {"torch": "x"}
        assert [p.id for p in store.run_prompts("r1")] == [
            p.id for p in load_suite("smoke").prompts
        ]
    with Store(any_store, read_only=True) as ro:  # what the dashboard opens
        assert ro.images("r1") == [record]
        with pytest.raises(StoreError, match="read-only"):
            ro.set_run_status("r1", "x")


def test_a_run_id_with_another_config_is_refused(any_store: str) -> None:
    with Store(any_store) as store:
        make_run(store)
        with pytest.raises(StoreError, match=r"already exists .* with different images"):
            make_run(store, config={"identity": {"a": 2}})
        assert make_run(store, config={"identity": {"a": 1}, "checks": "changed"}) is True
        assert store.get_run("r1").config["checks"] == "changed"


def test_unknown_run_names_the_runs_there(any_store: str) -> None:
    with Store(any_store) as store:
        with pytest.raises(StoreError, match="this store has no runs"):
            store.get_run("x")
        make_run(store)
        with pytest.raises(StoreError, match="runs in this store: r1"):
            store.get_run("x")


def test_store_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no t2iqa store at"):
        Store(tmp_path / "none", read_only=True)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot write to the store folder"):
        Store(blocker / "sub")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "t2iqa.sqlite").write_text("this is not sqlite" * 100)
    with pytest.raises(StoreError, match="is not a t2iqa store"):
        Store(tmp_path / "bad")


def test_newer_schema_is_refused(store_dir: Path) -> None:
    Store(store_dir).close()
    conn = sqlite3.connect(store_dir / "t2iqa.sqlite")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(StoreError, match="written by a newer t2iqa"):
        Store(store_dir)


def test_image_writes_leave_no_temporary_files(store_dir: Path) -> None:
    with Store(store_dir) as store:
        for i in range(5):
            store.put_image_file(f"image {i}".encode())
    leftovers = [p for p in (store_dir / "images").rglob("*") if p.name.startswith(".tmp-")]
    assert leftovers == []
