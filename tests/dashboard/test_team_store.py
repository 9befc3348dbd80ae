"""The dashboard over a team store (PostgreSQL): its pages, images and change token."""

from __future__ import annotations

from pathlib import Path

import pytest

from t2iqa import api
from t2iqa.generation.base import GenerationSettings

SETTINGS = GenerationSettings(steps=2)


def test_the_dashboard_reads_a_team_store(
    team_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from t2iqa.dashboard import APP_PATH, data

    kwargs = dict(seeds=1, checks=["image_sanity"], scorers="embedded", settings=SETTINGS)
    run = api.run("smoke", "embedded", store=team_store, images_at=str(tmp_path), limit=2,
                  **kwargs)  # type: ignore[arg-type]  # fmt: skip
    token = data.store_token(team_store)
    assert list(data.runs_frame(team_store)["run"]) == [run.run_id]
    frame = data.results_frame(team_store, [run.run_id])
    assert data.image_files(team_store).read(frame["file"].iloc[0])[:4] == b"\x89PNG"
    api.run("smoke", "embedded", store=team_store, limit=3, **kwargs)  # type: ignore[arg-type]
    assert data.store_token(team_store) != token  # the pages see the new run
    monkeypatch.setenv("T2IQA_STORE", team_store)
    for page in ("runs", "gallery"):
        at = AppTest.from_file(str(APP_PATH), default_timeout=180)
        at.query_params["page"] = page
        at.run()
        assert not at.exception and not at.warning, page
