"""GenEval's own views of a run's ``composition`` results: the paper's table (overall and six
tasks; Ghosh et al. 2023, Table 2) and GenEval's ``results.jsonl``, which its
``evaluation/summary_scores.py`` reads.

The scores themselves are computed in ``t2iqa.comparison.geneval``.
"""

from __future__ import annotations

import importlib.resources
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from t2iqa.comparison.geneval import CHECK, GenEvalScores
from t2iqa.store.db import ResultRow
from t2iqa.suites.geneval import read_metadata

GENEVAL_TITLE = "GenEval (share of images correct; overall = mean of the six tasks)"
# The paper's column names, in its order.
TASK_LABELS = {
    "single_object": "single obj.", "two_object": "two obj.", "counting": "counting",
    "colors": "colors", "position": "position", "color_attr": "color attr.",
}  # fmt: skip


def geneval_table(scores: Sequence[GenEvalScores]) -> tuple[list[str], list[list[str]]]:
    """Header and rows in the paper's layout: run, overall, the six tasks (two decimals)."""

    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    header = ["run", "overall", *TASK_LABELS.values(), "images not judged"]
    rows = [
        [s.label, fmt(s.overall), *[fmt(s.score(t)) for t in TASK_LABELS], str(s.unjudged)]
        for s in scores
    ]
    return header, rows


# ------------------------------------------------------------------- results.jsonl


def bundled_metadata() -> dict[str, dict[str, Any]]:
    """GenEval's own metadata lines by the bundled suite's prompt ids (their line numbers)."""
    path = importlib.resources.files("t2iqa.benchmarks") / "geneval" / "evaluation_metadata.jsonl"
    with importlib.resources.as_file(path) as file:
        return {f"{k:05d}": entry for k, entry in enumerate(read_metadata(file))}


def results_records(
    rows: Iterable[ResultRow], image_url: Callable[[str], str], suite_name: str
) -> tuple[list[dict[str, Any]], int]:
    """GenEval's ``results.jsonl`` records (one per judged image) and how many images were
    left out unjudged. A run of the bundled ``geneval`` suite carries GenEval's own metadata
    lines; any other suite, the GenEval entry the check judged by."""
    original = bundled_metadata() if suite_name == "geneval" else {}
    out, skipped = [], 0
    for row in rows:
        if row.check != CHECK:
            continue
        if row.passed is None:
            skipped += 1
            continue
        details = row.details
        metadata = original.get(row.prompt_id) or {
            **details.get("geneval_entry", {}),
            "prompt": row.prompt,
        }
        boxes: dict[str, list[list[float]]] = {}
        for d in details.get("detections", []):
            boxes.setdefault(d["label"], []).append([*d["box"], d["score"]])
        out.append({
            "filename": image_url(row.file), "tag": row.category, "prompt": row.prompt,
            "correct": bool(row.passed), "reason": details.get("geneval_reason", row.reason),
            "metadata": json.dumps(metadata), "details": json.dumps(boxes),
        })  # fmt: skip
    return out, skipped
