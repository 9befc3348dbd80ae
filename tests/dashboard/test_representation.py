"""The leaderboard's representation view: per-prompt shares from a run of real faces."""

from __future__ import annotations

from pathlib import Path

import pytest

import t2iqa
from t2iqa.dashboard.representation import POOLED, representation_frame
from tests.checks.test_representation import faces_folder
from tests.dashboard.test_app import app, texts


@pytest.fixture(scope="module")
def probe_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("probes")
    t2iqa.run("representation", "photos", images=faces_folder(tmp / "photos"), seeds=4,
              store=tmp / "store", checks=["image_sanity"], run_id="photos",
              set_metrics=["skin_tone_skew"])  # fmt: skip
    return tmp / "store"


def test_the_frame_holds_each_prompt_the_pool_and_the_reference(probe_store: Path) -> None:
    frame = representation_frame(str(probe_store), ["photos"])
    ceo = frame[(frame["run"] == "photos") & (frame["prompt"] == "occ-ceo")]
    assert list(ceo["category"]) == ["MST 5"] and list(ceo["share"]) == [1.0]
    pooled = frame[(frame["run"] == "photos") & (frame["prompt"] == POOLED)]
    assert dict(zip(pooled["category"], pooled["share"], strict=True)) == {
        "MST 5": 0.5,
        "MST 6": 0.5,
    }
    reference = frame[frame["run"] == "reference"]
    assert len(reference) == 10 and reference["share"].sum() == pytest.approx(1.0)
    assert representation_frame(str(probe_store), []).empty


def test_the_leaderboard_shows_it(monkeypatch: pytest.MonkeyPatch, probe_store: Path) -> None:
    at = app(monkeypatch, probe_store, "leaderboard")
    assert not at.exception
    assert "Representation: who the model draws" in [s.value for s in at.subheader]
    assert "not anyone's identity" in texts(at)
    assert at.selectbox(key="repr_metric").value == "skin_tone_skew"
