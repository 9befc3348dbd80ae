"""Export a run's results: one row per (image, check) as CSV or Parquet, or GenEval's
``results.jsonl`` (one line per image the composition check judged) for its
``summary_scores.py``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from t2iqa.core.errors import T2IQAError
from t2iqa.store.db import Store

COLUMNS = [
    "run_id", "prompt_id", "category", "prompt", "seed", "check", "verdict", "passed", "score",
    "reason", "details", "image_hash", "file", "width", "height", "generation_seconds",
]  # fmt: skip


def run_frame(store: Store, run_id: str) -> pd.DataFrame:
    rows = [r.record() for r in store.iter_result_rows(run_id)]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["details"] = frame["details"].map(lambda d: json.dumps(d, ensure_ascii=False))
    frame["file"] = frame["file"].map(store.files.url)
    frame["passed"] = frame["passed"].astype("boolean")
    return frame


FORMATS = {"csv": ".csv", "parquet": ".parquet", "geneval": ".results.jsonl"}


def export_run(
    store_path: str | Path, run_id: str, fmt: str, out: Path | None = None
) -> tuple[Path, str]:
    """Write the export; returns where, and a note for the user ("" when none)."""
    # A run id from an older or foreign store may hold any character: the default file name
    # keeps only safe ones, so it stays in the current folder.
    out = out or Path(re.sub(r"[^A-Za-z0-9._-]+", "_", run_id).lstrip(".") + FORMATS[fmt])
    note = ""
    with Store(store_path, read_only=True) as store:
        if fmt == "geneval":
            records, skipped = geneval_records(store, run_id)
            note = f"{len(records)} images judged" + (
                f"; {skipped} left out: the composition check could not judge them"
                if skipped else ""
            )  # fmt: skip
        else:
            frame = run_frame(store, run_id)
    try:
        if fmt == "csv":
            frame.to_csv(out, index=False)
        elif fmt == "parquet":
            frame.to_parquet(out, index=False)
        else:
            with out.open("w", encoding="utf-8") as fh:
                fh.writelines(json.dumps(r) + "\n" for r in records)
    except OSError as exc:
        raise T2IQAError(f"cannot write {out}: {exc.strerror or exc}") from None
    return out, note


def geneval_records(store: Store, run_id: str) -> tuple[list[dict[str, object]], int]:
    from t2iqa.reports.geneval import results_records

    records, skipped = results_records(
        store.iter_result_rows(run_id), store.files.url, store.get_run(run_id).suite_name
    )
    if not records and not skipped:
        raise T2IQAError(
            f"run {run_id!r} has no composition results to export for GenEval; score it with "
            "the composition check (e.g. t2iqa run --suite geneval)"
        )
    return records, skipped
