"""The Arena page through AppTest: how to start, a vote by button, names after the vote."""

from __future__ import annotations

from pathlib import Path

import pytest

from t2iqa.store.db import Store
from t2iqa.store.votes import read_votes
from tests.dashboard.test_app import app, texts


def test_an_arena_with_no_votes_says_how_to_start(
    monkeypatch: pytest.MonkeyPatch, dashboard_store: Path
) -> None:
    at = app(monkeypatch, dashboard_store, "arena")
    assert not at.exception
    shown = texts(at)
    assert "No votes between these runs yet" in shown
    assert "model-a" not in shown and "model-b" not in shown  # names hidden before a vote


def test_a_vote_is_stored_and_reveals_the_names(
    monkeypatch: pytest.MonkeyPatch, dashboard_store: Path
) -> None:
    at = app(monkeypatch, dashboard_store, "arena")
    at.text_input(key="arena_rater").input("ana").run()
    at.session_state["arena_shown_at"] = 0.0  # the pair has been on screen a while
    at.button(key="arena_left").click().run()
    assert not at.exception
    with Store(dashboard_store, read_only=True) as st:
        votes = read_votes(st)
    assert len(votes) == 1 and votes[0].winner == "left" and votes[0].rater == "ana"
    shown = texts(at)
    assert f"Left was **{votes[0].run_left}**, right was **{votes[0].run_right}**" in shown
    assert "No votes between these runs yet" not in shown
    assert any(len(df.value) == 2 for df in at.dataframe)  # both runs rated


def test_one_run_picked_asks_for_two(
    monkeypatch: pytest.MonkeyPatch, dashboard_store: Path
) -> None:
    at = app(monkeypatch, dashboard_store, "arena")
    at.multiselect(key="arena_runs").set_value(["model-a"]).run()
    assert "Pick two or more runs" in texts(at)
