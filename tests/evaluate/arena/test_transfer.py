"""Votes in and out of a store: export, import with every bad row named, no doubles."""

from __future__ import annotations

import multiprocessing
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from t2iqa.arena import paired_images, record_vote
from t2iqa.arena.pairs import next_pair
from t2iqa.arena.transfer import export_votes, import_votes
from t2iqa.benchmarks.synthetic_store import write_synthetic_run
from t2iqa.core.errors import StoreError, T2IQAError
from t2iqa.store.db import Store
from t2iqa.store.votes import read_votes
from t2iqa.suites.files import load_suite


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("votes") / "store"
    smoke = load_suite("smoke")
    with Store(root) as st:
        for run in ("run-a", "run-b"):
            write_synthetic_run(st, run, smoke, model=run, seeds=(0, 1), side=32)
    return root


@pytest.fixture
def store(two_runs: Path, tmp_path: Path) -> Path:
    shutil.copytree(two_runs, tmp_path / "store")
    return tmp_path / "store"


def test_import_keeps_good_rows_names_bad_ones_and_adds_nothing_twice(
    store: Path, tmp_path: Path
) -> None:
    with Store(store) as st:
        prompt = st.run_prompts("run-a")[0].id
    rows = [
        {"prompt_id": prompt, "seed": 0, "run_a": "run-a", "run_b": "run-b", "winner": "a"},
        {"prompt_id": prompt, "seed": 1, "run_a": "run-a", "run_b": "run-b", "winner": "tie"},
        {"prompt_id": prompt, "seed": 0, "run_a": "run-a", "run_b": "run-b", "winner": "a"},
        {"prompt_id": prompt, "seed": 0, "run_a": "run-a", "run_b": "nope", "winner": "b"},
        {"prompt_id": prompt, "seed": 9, "run_a": "run-a", "run_b": "run-b", "winner": "b"},
        {"prompt_id": prompt, "seed": "x", "run_a": "run-a", "run_b": "run-b", "winner": "b"},
        {"prompt_id": prompt, "seed": 0, "run_a": "run-a", "run_b": "run-b", "winner": "meh"},
    ]
    path = tmp_path / "votes.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    with Store(store) as st:
        new, known, problems = import_votes(st, path)
        assert (new, known) == (3, 0)  # the repeated row is a second vote, not a double
        assert [p.split(":", 1)[0] for p in problems] == [
            f"votes.csv line {k}" for k in (5, 6, 7, 8)
        ]
        assert "no run 'nope'" in problems[0] and "no image for prompt" in problems[1]
        assert "not a whole number" in problems[2] and "use a, b, tie or both_bad" in problems[3]
        assert import_votes(st, path)[:2] == (0, 3)  # imported again: nothing new
        votes = read_votes(st, ["run-a", "run-b"])
    assert [v.winner for v in votes] == ["left", "tie", "left"]
    assert all(v.source == "import:votes.csv" and v.image_left != v.image_right for v in votes)


def test_export_round_trips_through_import(store: Path, tmp_path: Path) -> None:
    with Store(store) as st:
        images = paired_images(st, ["run-a", "run-b"])
        for winner in ("left", "right", "both_bad"):
            shown = next_pair(images, ["run-a", "run-b"], read_votes(st))
            assert shown is not None and record_vote(st, shown, winner, "ana", 1.5)
        for fmt in ("csv", "parquet"):
            out = tmp_path / f"votes.{fmt}"
            assert export_votes(st, ["run-a"], out) == 0  # no votes between run-a and itself
            assert export_votes(st, ["run-a", "run-b"], out) == 3
            frame = pd.read_csv(out) if fmt == "csv" else pd.read_parquet(out)
            assert list(frame["rater"]) == ["ana"] * 3 and set(frame["winner"]) == {
                "left", "right", "both_bad"}  # fmt: skip
        with pytest.raises(T2IQAError, match=r"name a \.csv or \.parquet file"):
            export_votes(st, [], tmp_path / "votes.txt")
    other = tmp_path / "other"
    shutil.copytree(store, other)
    with sqlite3.connect(other / "t2iqa.sqlite") as conn:
        conn.execute("DELETE FROM votes")
    with Store(other) as st:
        assert import_votes(st, tmp_path / "votes.csv")[:2] == (3, 0)


def test_a_vote_sent_twice_is_stored_once_and_a_read_only_store_refuses(store: Path) -> None:
    with Store(store) as st:
        images = paired_images(st, ["run-a", "run-b"])
        shown = next_pair(images, ["run-a", "run-b"], [])
        assert shown is not None
        assert record_vote(st, shown, "left") and not record_vote(st, shown, "right")
        assert [v.winner for v in read_votes(st)] == ["left"]
    with Store(store, read_only=True) as st, pytest.raises(StoreError, match="read-only"):
        record_vote(st, shown, "left")


def _vote_many(root: str, rater: str, n: int) -> None:
    with Store(root) as st:
        images = paired_images(st, ["run-a", "run-b"])
        for _ in range(n):
            shown = next_pair(images, ["run-a", "run-b"], [], rater=rater)
            assert shown is not None
            record_vote(st, shown, "left", rater)


def test_two_raters_voting_at_once_lose_nothing(store: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_vote_many, args=(str(store), r, 40)) for r in ("ana", "ben")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with Store(store, read_only=True) as st:
        votes = read_votes(st)
    assert len(votes) == 80 and {v.rater for v in votes} == {"ana", "ben"}
