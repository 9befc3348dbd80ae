"""Export a run's results as one row per (image, check): CSV or Parquet."""

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
    frame["file"] = frame["file"].map(lambda f: str(store.root / f))
    frame["passed"] = frame["passed"].astype("boolean")
    return frame


def export_run(store_path: Path, run_id: str, fmt: str, out: Path | None = None) -> Path:
    with Store(store_path, read_only=True) as store:
        frame = run_frame(store, run_id)
    # A run id from an older or foreign store may hold any character: the default file name
    # keeps only safe ones, so it stays in the current folder.
    out = out or Path(re.sub(r"[^A-Za-z0-9._-]+", "_", run_id).lstrip(".") + f".{fmt}")
    try:
        if fmt == "csv":
            frame.to_csv(out, index=False)
        else:
            frame.to_parquet(out, index=False)
    except OSError as exc:
        raise T2IQAError(f"cannot write {out}: {exc.strerror or exc}") from None
    return out
