"""The team store on a real PostgreSQL server (started by the ``postgres`` fixture), images in
a shared folder or on a real S3-compatible server (moto's server mode)."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest

from t2iqa.benchmarks.services import free_port, s3_server
from t2iqa.core.errors import StoreError
from t2iqa.core.results import CheckResult
from t2iqa.store.copy import copy_runs
from t2iqa.store.db import ImageRecord, Store
from t2iqa.store.location import parse_store
from t2iqa.store.votes import Vote, add_votes, read_votes
from tests.evaluate.store.test_store import make_run


def test_wrong_urls_say_what_is_wrong(team_store: str, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"a folder or a postgresql://"):
        parse_store("mysql://u@h/db")
    with pytest.raises(StoreError, match="names no database"):
        parse_store("postgresql://u@127.0.0.1:5432")
    with pytest.raises(StoreError, match=r"cannot reach the team store .* is PostgreSQL running"):
        Store(f"postgresql://u@127.0.0.1:{free_port()}/db")
    host = team_store.rsplit("/", 1)[0]
    with pytest.raises(StoreError, match="does not exist; create it"):
        Store(f"{host}/no_such_database")
    nobody = host.replace("t2iqa@", "nobody@")
    with pytest.raises(StoreError, match="refused the login"):
        Store(f"{nobody}/postgres")
    with pytest.raises(StoreError, match="is empty"):
        Store(team_store, read_only=True)


def test_a_newer_schema_is_refused_and_the_password_never_shown(team_store: str) -> None:
    Store(team_store, images_at="/tmp/x").close()
    with psycopg.connect(team_store, autocommit=True) as conn:
        conn.execute("UPDATE t2iqa_schema SET version = 99")
    with pytest.raises(StoreError, match="written by a newer t2iqa"):
        Store(team_store)
    secret = team_store.replace("t2iqa@", "t2iqa:hunter2@")
    assert "hunter2" not in parse_store(secret).label and "***" in parse_store(secret).label
    from t2iqa.dashboard.data import store_label

    assert "hunter2" not in store_label(secret)  # the dashboard's sidebar and hints


def test_the_first_writer_records_where_images_live(team_store: str, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    with Store(team_store, images_at=str(shared)) as first:
        _, rel = first.put_image_file(b"bytes")
    with Store(team_store, read_only=True) as teammate:  # only the URL
        assert teammate.files.read(rel) == b"bytes"
        assert teammate.files.url(rel) == str(shared / rel)


def test_concurrent_writers_never_duplicate_nor_lose(team_store: str, tmp_path: Path) -> None:
    with Store(team_store, images_at=str(tmp_path)) as store:
        make_run(store)
        prompt = store.run_prompts("r1")[0].id
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            with Store(team_store) as st:
                make_run(st)  # the same run, resumed by every writer at once
                for k in range(20):
                    digest, rel = st.put_image_file(f"image {k}".encode())
                    st.add_image(ImageRecord("r1", prompt, k, digest, "c", rel, 8, 8, None, {}))
                    result = CheckResult("image_sanity", "ok", True, float(k), f"by {worker}", {})
                    st.put_check_results([(digest, "c", "cfg", result)])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    with psycopg.connect(team_store) as conn:
        assert conn.execute("SELECT COUNT(*) FROM images").fetchone() == (20,)
        assert conn.execute("SELECT COUNT(*) FROM check_results").fetchone() == (20,)
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone() == (1,)


def test_writers_creating_one_run_at_once_all_succeed(team_store: str, tmp_path: Path) -> None:
    """Each finds the run missing; one creates it, the others resume it (no unique-key
    error from two inserts of the same run)."""
    Store(team_store, images_at=str(tmp_path)).close()
    barrier, outcomes = threading.Barrier(6), []

    def create(name: str) -> None:
        with Store(team_store) as st:
            barrier.wait()
            outcomes.append(make_run(st, name))

    threads = [threading.Thread(target=create, args=(f"r{k % 2}",)) for k in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(outcomes) == [False, False, True, True, True, True]


def test_images_on_s3_round_trip(team_store: str) -> None:
    import s3fs

    with s3_server():
        s3fs.S3FileSystem().mkdir("team-bucket")
        with Store(team_store, images_at="s3://team-bucket/t2iqa") as store:
            digest, rel = store.put_image_file(b"on s3")
            assert store.files.url(rel) == f"s3://team-bucket/t2iqa/{rel}"
            assert store.files.read(rel) == b"on s3" and store.files.exists(rel)
            assert store.put_image_file(b"on s3") == (digest, rel)  # by hash, once
        with pytest.raises(StoreError, match="is missing"):
            Store(team_store, read_only=True).files.read("images/00/none.png")


def _vote(run_left: str, run_right: str) -> Vote:
    return Vote(f"v-{run_left}", "p", 0, run_left, run_right, "a", "b", "left", "", "pair",
                1.0, "2026-01-01T00:00:00+00:00", "arena")  # fmt: skip


def test_store_copy_moves_runs_both_ways(team_store: str, tmp_path: Path) -> None:
    local = tmp_path / "local"
    with Store(local) as st:
        make_run(st)
        make_run(st, "r2")
        digest, rel = st.put_image_file(b"picture")
        pid = st.run_prompts("r1")[0].id
        st.add_image(ImageRecord("r1", pid, 0, digest, "c", rel, 8, 8, 0.1, {"a": 1}))
        st.put_check_results([(digest, "c", "cfg", CheckResult("x", "ok", True, 1.0, "r", {}))])
        add_votes(st, [_vote("r1", "r2")])
    with (
        Store(local, read_only=True) as src,
        Store(team_store, images_at=str(tmp_path / "t")) as dst,
    ):
        copied, votes = copy_runs(src, dst)
        assert [(c.run_id, c.images, c.files, c.results) for c in copied] == [
            ("r1", 1, 1, 1), ("r2", 0, 0, 0)
        ]  # fmt: skip
        assert votes == 1
        again, votes = copy_runs(src, dst)  # repeating adds nothing
        assert again[0].files == 0 and votes == 0
        assert dst.images("r1") == src.images("r1") and read_votes(dst) == read_votes(src)
        assert dst.get_check_result(digest, "c", "x", "cfg") is not None
    back = tmp_path / "back"
    with Store(team_store, read_only=True) as src, Store(back) as dst:
        copy_runs(src, dst, ["r1"])
        assert dst.files.read(rel) == b"picture" and [r.run_id for r in dst.list_runs()] == ["r1"]
    with Store(back) as st:
        st.create_or_resume_run("r2", "m", "s", "1", "h", [], 0, {"identity": {"b": 2}}, {})
    with (
        Store(local, read_only=True) as src,
        Store(back) as dst,
        pytest.raises(StoreError, match="already with other images"),
    ):
        copy_runs(src, dst, ["r2"])
