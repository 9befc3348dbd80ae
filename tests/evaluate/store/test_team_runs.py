"""Runs into a team store (PostgreSQL) through the API and the command line: the same images
and results as a folder store, and every reader (runs, compare, export) taking its URL."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from t2iqa import api
from t2iqa.cli import main
from t2iqa.generation.base import GenerationSettings
from t2iqa.store.db import Store

SETTINGS = GenerationSettings(steps=2)
CHECKS = ["image_sanity", "clip_alignment", "object_count"]


def _timeless(record: Any) -> Any:
    return replace(record, generation_seconds=None)


def _cli(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["t2iqa", *args])
    with pytest.raises(SystemExit) as info:
        main()
    return int(info.value.code or 0)


def test_folder_and_team_store_hold_the_same_run(
    team_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    local = tmp_path / "local"
    kwargs = dict(seeds=1, checks=CHECKS, scorers="embedded", settings=SETTINGS, limit=4)
    a = api.run("smoke", "embedded", store=local, **kwargs)  # type: ignore[arg-type]
    b = api.run("smoke", "embedded", store=team_store, images_at=str(tmp_path / "team"), **kwargs)  # type: ignore[arg-type]
    assert a.run_id == b.run_id
    with Store(local, read_only=True) as x, Store(team_store, read_only=True) as y:
        # The same bytes (by hash) and results; only the time each image took differs.
        assert [_timeless(i) for i in x.images(a.run_id)] == [
            _timeless(i) for i in y.images(b.run_id)
        ]
        assert [_timeless(r) for r in x.result_rows(a.run_id)] == [
            _timeless(r) for r in y.result_rows(b.run_id)
        ]
        assert x.run_checks(a.run_id) == y.run_checks(b.run_id)
    resumed = api.run("smoke", "embedded", store=team_store, **kwargs)  # type: ignore[arg-type]
    assert (resumed.outcome.generated, resumed.outcome.scored) == (0, 0)
    assert b.frame()["file"].str.startswith(str(tmp_path / "team")).all()

    assert _cli(monkeypatch, "runs", "--store", team_store) == 0
    assert a.run_id in capsys.readouterr().out
    # STORE:RUN with a URL (its port's colon is not the run's).
    code = _cli(monkeypatch, "compare", f"{local}:{a.run_id}", f"{team_store}:{b.run_id}")
    assert code == 0, capsys.readouterr()
    out = tmp_path / "team.csv"
    assert _cli(monkeypatch, "export", b.run_id, "--store", team_store, "--out", str(out)) == 0
    assert len(pd.read_csv(out)) == 4 * len(CHECKS)
