"""Once people have voted, ``t2iqa compare`` and the leaderboard show their ratings and how
far each check agrees with them; without votes, nothing changes."""

from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

from t2iqa import api
from t2iqa.arena import paired_images, record_vote
from t2iqa.arena.pairs import next_pair
from t2iqa.cli import main
from t2iqa.reports import render
from t2iqa.reports.arena import AGREEMENT_TITLE, RATINGS_TITLE
from t2iqa.store.db import Store
from t2iqa.store.votes import read_votes


@pytest.fixture
def voted(dashboard_store: Path) -> Path:
    """The dashboard's two synthetic runs, with votes mostly for model-b."""
    runs = ["model-a", "model-b"]
    with Store(dashboard_store) as st:
        images = paired_images(st, runs)
        for k in range(30):
            shown = next_pair(images, runs, read_votes(st), rater=f"r{k % 3}")
            assert shown is not None
            winner = "tie" if k % 5 == 0 else ("left" if shown.run_left == "model-b" else "right")
            if shown.kind == "same":
                winner = "tie"
            assert record_vote(st, shown, winner, f"r{k % 3}", 2.0)
    return dashboard_store


def test_compare_and_the_leaderboard_show_peoples_ratings(voted: Path, tmp_path: Path) -> None:
    cmp = api.compare("model-a", "model-b", store=voted)
    assert cmp.people is not None
    best = cmp.people.ratings.runs[0]
    assert best.run == "model-b" and best.votes > 0
    assert {c.check for c in cmp.people.checks} >= {"clip_alignment"}
    text = render("markdown", cmp)
    assert RATINGS_TITLE in text and AGREEMENT_TITLE in text
    board = api.compare("model-a", "model-b", store=voted, rank=True)
    assert board.people is not None and RATINGS_TITLE in render("markdown", board)


def test_votes_ratings_command_and_no_votes(voted: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(sys, "argv", ["t2iqa", "votes", "ratings", "model-a", "model-b",
                                      "--store", str(voted)])  # fmt: skip
    with pytest.raises(SystemExit) as info:
        main()
    out = capsys.readouterr().out
    assert info.value.code == 0 and RATINGS_TITLE in out and "Krippendorff" in out
    bare = tmp_path / "bare"
    shutil.copytree(voted, bare)
    with sqlite3.connect(bare / "t2iqa.sqlite") as conn:
        conn.execute("DELETE FROM votes")
    assert api.compare("model-a", "model-b", store=bare).people is None
    monkeypatch.setattr(sys, "argv", ["t2iqa", "votes", "ratings", "model-a", "model-b",
                                      "--store", str(bare)])  # fmt: skip
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 1 and "no votes between these runs yet" in capsys.readouterr().err
