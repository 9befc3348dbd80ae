"""GenEval end to end on the embedded scorers: images in GenEval's layout imported as a run
of the bundled suite (its scoring: Mask2Former, GenEval's task rules), the paper's table in
the summary and the leaderboard, and GenEval's results.jsonl."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from t2iqa import api
from t2iqa.comparison.geneval import GenEvalScores, geneval_scores
from t2iqa.dashboard.data import geneval_frame
from t2iqa.reports import render
from t2iqa.reports.geneval import bundled_metadata, geneval_table
from t2iqa.store.export import export_run
from t2iqa.suites.geneval import TASKS
from tests.evaluate.generation.test_geneval_layout import geneval_folder


def one_prompt_per_task() -> dict[str, str]:
    chosen: dict[str, tuple[str, str]] = {}
    for pid, entry in bundled_metadata().items():
        chosen.setdefault(entry["tag"], (pid, entry["prompt"]))
    return dict(chosen.values())


def test_the_table_is_the_papers_layout() -> None:
    scores = GenEvalScores("sd", {t: (k, 4) for k, t in enumerate(TASKS)}, unjudged=1)
    header, [row] = geneval_table([scores])
    assert header[:3] == ["run", "overall", "single obj."] and header[-2] == "color attr."
    assert row[1] == "0.62" and row[2:8] == ["0.00", "0.25", "0.50", "0.75", "1.00", "1.25"]
    assert GenEvalScores("x", {"counting": (1, 2)}, 0).overall is None  # not all six


def test_runs_of_other_suites_have_no_geneval_table() -> None:
    from t2iqa.store.db import ResultRow

    def row(category: str, verdict: str, passed: bool | None) -> ResultRow:
        return ResultRow("r", "p", category, "x", 0, "composition", verdict, passed, None, "",
                         "h", "f", 1, 1, None)  # fmt: skip

    assert geneval_scores("r", [row("counting", "not_applicable", None)]) is None
    scores = geneval_scores("r", [row("counting", "ok", True), row("colors", "unavailable", None)])
    assert scores is not None and scores.tasks == {"counting": (1, 1)} and scores.unjudged == 1


def test_geneval_imported_scored_tabled_and_exported(tmp_path: Path) -> None:
    prompts = one_prompt_per_task()
    folder = geneval_folder(tmp_path / "images", prompts)
    store = tmp_path / "store"
    runs = [
        api.run("geneval", images=folder, scorers="embedded", store=store,
                checks=["composition"], run_id=name)
        for name in ("model-a", "model-b")
    ]  # fmt: skip
    scores = runs[0].geneval()
    assert scores is not None and set(scores.tasks) == set(TASKS) and scores.unjudged == 0
    assert sum(n for _, n in scores.tasks.values()) == 2 * len(prompts)
    assert scores.overall is not None

    frame = runs[0].frame()
    settings = frame["details"].map(lambda d: json.loads(d)["settings"]["backend"])
    assert set(settings) == {"mask2former"}  # the suite's scoring
    counting = frame[frame["category"] == "counting"]["details"].iloc[0]
    assert "exclude" in json.loads(counting)["geneval_entry"]  # GenEval's counting rule

    out, note = export_run(store, "model-a", "geneval", tmp_path / "results.jsonl")
    lines = pd.read_json(out, orient="records", lines=True)  # as summary_scores.py reads it
    assert len(lines) == 2 * len(prompts) and "12 images judged" in note
    assert set(lines["tag"]) == set(TASKS)
    original = {pid: bundled_metadata()[pid] for pid in prompts}
    for _, line in lines.iterrows():
        metadata = json.loads(line["metadata"])  # GenEval's own line for the prompt
        assert metadata in original.values() and metadata["prompt"] == line["prompt"]
        assert Path(line["filename"]).is_file() and isinstance(line["reason"], str)
    assert len(lines.groupby("metadata")) == len(prompts)

    board = api.compare("model-a", "model-b", store=store, rank=True)
    assert [g.label for g in board.geneval] == ["model-a", "model-b"]
    markdown = render("markdown", board)
    assert "GenEval (share of images correct" in markdown and "color attr." in markdown
    table = geneval_frame(store, ["model-a", "model-b"])  # the dashboard's leaderboard page
    assert list(table["run"]) == ["model-a", "model-b"] and "overall" in table.columns
