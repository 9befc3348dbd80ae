from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError

from t2iqa.core.errors import StoreError
from t2iqa.dashboard import data
from t2iqa.reports.annotate import read_with_reasons, result_from_row
from t2iqa.store.db import Store
from tests.conftest import core_images


def test_runs_frame_and_progress(dashboard_store: Path) -> None:
    runs = data.runs_frame(dashboard_store)
    assert list(runs["run"]) == ["model-a", "model-b"]
    assert set(runs["progress"]) == {1.0}
    assert set(runs["images"]) == {core_images()}


def test_results_and_filters(dashboard_store: Path) -> None:
    frame = data.results_frame(dashboard_store, ["model-a"])
    assert len(frame) == core_images() * 5
    text = data.filter_results(frame, categories=["text"])
    assert set(text["category"]) == {"text"}
    failed = data.filter_results(frame, checks=["object_count"], verdicts=["failed"])
    assert set(failed["verdict"]) == {"failed"} and set(failed["check"]) == {"object_count"}
    clip = data.filter_results(frame, checks=["clip_alignment"], score_range=(20.0, 25.0))
    assert clip["score"].between(20, 25).all() and len(clip) < core_images()


def test_leaderboard_marks_the_better_run(dashboard_store: Path) -> None:
    board, warnings = data.leaderboard_frame(dashboard_store, ["model-a", "model-b"])
    assert not warnings
    cell = board[(board["check"] == "object_count") & (board["category"] == "all")]
    best = cell[cell["best"]]["run"].tolist()
    assert best == ["model-b"]
    assert (cell["ci_low"] <= cell["value"]).all() and (cell["value"] <= cell["ci_high"]).all()


def test_the_leaderboard_opens_on_the_check_that_tells_runs_apart(dashboard_store: Path) -> None:
    board, _ = data.leaderboard_frame(dashboard_store, ["model-a", "model-b"])
    assert data.most_telling_check(board) == "object_count"  # the only planted difference


def test_set_metrics_with_their_intervals_and_comparability(dashboard_store: Path) -> None:
    sets, warnings = data.set_metrics_frame(dashboard_store, ["model-a", "model-b"])
    fid = sets[sets["metric"] == "fid"].set_index("run")
    assert fid.loc["model-b", "value"] == 18.0 and fid.loc["model-a", "value"] == 24.0
    assert (fid["ci_low"] < fid["value"]).all() and (fid["value"] < fid["ci_high"]).all()
    assert set(sets["metric"]) == {"fid", "kid"} and not warnings  # kid: one run only
    # A run scored against another reference, at another N: said, metric by metric.
    with Store(dashboard_store) as store:
        [old] = [r for r in store.set_results("model-b") if r.metric == "fid"]
        details = {**old.details, "reference": "coco-val-5k"}
        store.put_set_result("model-b", replace(old, n=100, details=details))
    _, warnings = data.set_metrics_frame(dashboard_store, ["model-a", "model-b"])
    assert any(f"different image counts (100, {core_images()})" in w for w in warnings)
    # the other reference is named once, by the leaderboard's provenance check
    _, board_warnings = data.leaderboard_frame(dashboard_store, ["model-a", "model-b"])
    assert any(w.startswith("INCOMPARABLE fid") and "reference" in w for w in board_warnings)
    assert not any(w.startswith("INCOMPARABLE") for w in warnings)


def test_store_problems_are_sentences(tmp_path: Path, dashboard_store: Path) -> None:
    assert data.store_problem(dashboard_store) is None
    assert "no t2iqa store" in str(data.store_problem(tmp_path / "nowhere"))
    empty = tmp_path / "empty"
    empty.mkdir()
    sqlite3.connect(empty / "t2iqa.sqlite").close()
    assert "is empty" in str(data.store_problem(empty))
    newer = tmp_path / "newer"
    newer.mkdir()
    conn = sqlite3.connect(newer / "t2iqa.sqlite")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    assert "newer t2iqa" in str(data.store_problem(newer))


def test_missing_image_is_explained(dashboard_store: Path) -> None:
    frame = data.results_frame(dashboard_store, ["model-a"])
    row = frame.iloc[0]
    (dashboard_store / row.file).unlink()
    shown = read_with_reasons(dashboard_store / row.file, [result_from_row(row)], 320)
    assert isinstance(shown, str) and "missing" in shown


def test_upload_limits() -> None:
    assert data.validate_upload("a.png", b"x") is None
    assert "upload a png" in data.validate_upload("a.gif", b"x").message  # type: ignore[union-attr]
    big = b"0" * (data.MAX_UPLOAD_BYTES + 1)
    assert "limit" in data.validate_upload("a.jpg", big).message  # type: ignore[union-attr]
    assert "empty" in data.validate_upload("a.jpg", b"").message  # type: ignore[union-attr]


def test_store_token_changes_on_write(dashboard_store: Path) -> None:
    before = data.store_token(dashboard_store)
    conn = sqlite3.connect(dashboard_store / "t2iqa.sqlite")
    with conn:
        conn.execute("UPDATE runs SET status='running' WHERE run_id='model-a'")
    conn.close()
    assert data.store_token(dashboard_store) != before


def test_reading_never_waits_for_a_run_that_is_writing(dashboard_store: Path) -> None:
    import time

    writer = sqlite3.connect(dashboard_store / "t2iqa.sqlite", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a write transaction in progress (`t2iqa run`)
    writer.execute("UPDATE runs SET status='running' WHERE run_id='model-b'")
    try:
        start = time.perf_counter()
        runs = data.runs_frame(dashboard_store)
        frame = data.results_frame(dashboard_store, ["model-b"])
        assert time.perf_counter() - start < 5  # no lock wait (the busy timeout is 30 s)
        assert set(runs["status"]) == {"complete"}  # the uncommitted write is not seen
        assert len(frame) == core_images() * 5
    finally:
        writer.execute("COMMIT")
        writer.close()
    assert "running" in set(data.runs_frame(dashboard_store)["status"])


def test_the_dashboard_cannot_write(dashboard_store: Path) -> None:
    from t2iqa.store.db import Store

    store = Store(dashboard_store, read_only=True)
    with pytest.raises(StoreError, match="read-only"):
        store.set_run_status("model-a", "x")
    with store.engine.connect() as conn, pytest.raises(DBAPIError, match="readonly"):
        conn.exec_driver_sql("DELETE FROM runs")
    store.close()
