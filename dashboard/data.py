"""What the dashboard shows, computed from the store without Streamlit (so it is testable).

Everything here opens the store read-only and closes it again: a ``t2iqa run`` writing at the
same time is never blocked (SQLite WAL lets readers and one writer work together).
"""

from __future__ import annotations

import functools
import io
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from PIL import Image

from t2iqa.checks import SET_METRICS
from t2iqa.comparison.gate import Gate
from t2iqa.comparison.geneval import geneval_scores
from t2iqa.comparison.leaderboard import leaderboard
from t2iqa.comparison.runs import ALL, RunData, run_data
from t2iqa.core.errors import StoreError
from t2iqa.core.images import read_image_file
from t2iqa.reports.annotate import annotate
from t2iqa.reports.geneval import geneval_table
from t2iqa.store.db import DB_NAME, Store
from t2iqa.store.files import ImageFiles
from t2iqa.store.location import is_store_url, parse_store

UPLOAD_TYPES = ("png", "jpg", "jpeg", "webp")
MAX_UPLOAD_BYTES = 20 * 2**20
LEADERBOARD_RESAMPLES = 1000  # enough for a display interval; `t2iqa compare` uses 5000


def store_token(root: str) -> tuple[Any, ...]:
    """Changes whenever the store is written: the cache key that keeps pages current. A
    folder's database files' times and sizes (no query); a team store's row counts."""
    if is_store_url(root):
        try:
            with Store(root, read_only=True) as store:
                return store.change_token()
        except StoreError:
            return ()
    parts: list[float | int] = []
    for name in (DB_NAME, f"{DB_NAME}-wal"):
        try:
            st = (Path(root) / name).stat()
            parts += [st.st_mtime, st.st_size]
        except FileNotFoundError:
            parts += [0.0, 0]
    return tuple(parts)  # type: ignore[return-value]


@functools.lru_cache(maxsize=8)
def image_files(root: str) -> ImageFiles:
    """Where a store's image files are (a team store records it; read once per server)."""
    if not is_store_url(root):
        return ImageFiles(root)
    with Store(root, read_only=True) as store:
        return store.files


def store_label(root: str) -> str:
    """How the pages name the store: a team store's URL without its password."""
    try:
        return parse_store(root).label
    except StoreError:
        return root


def store_problem(root: str) -> str | None:
    """A sentence saying why the store cannot be shown, or None when it can."""
    try:
        with Store(root, read_only=True) as store:
            if not store.list_runs():
                return (
                    f"The store at {store.label} has no runs yet. Start one with `t2iqa run "
                    f"--suite smoke --store {store.label}`; this page updates as it goes."
                )
    except StoreError as exc:
        return str(exc)
    return None


def runs_frame(root: str) -> pd.DataFrame:
    """One row per run: what it is, how far it got, how big it is."""
    with Store(root, read_only=True) as store:
        totals = store.image_totals()
        rows = []
        for r in store.list_runs():
            done, pixels = totals.get(r.run_id, (0, 0))
            rows.append(
                {
                    "run": r.run_id, "model": r.model,
                    "suite": f"{r.suite_name} {r.suite_version}", "status": r.status,
                    "images": done, "planned": r.planned_images,
                    "progress": done / r.planned_images if r.planned_images else 1.0,
                    "megapixels": round((pixels or 0) / 1e6, 2),
                    "created": r.created_at, "updated": r.updated_at,
                }
            )  # fmt: skip
    return pd.DataFrame(rows)


def run_details(root: str, run_id: str) -> pd.DataFrame:
    """Everything recorded about how a run was made and scored, one setting a row: the same
    provenance `t2iqa compare` puts side by side (kind: under test, suite, scorer, scorer
    setting, environment)."""
    from t2iqa.comparison.provenance import provenance_items

    with Store(root, read_only=True) as store:
        run = run_data(store, run_id, with_rows=False)  # provenance needs no result rows
    rows = [
        {"setting": key, "value": "-" if value is None else str(value), "kind": kind}
        for key, (value, kind, _) in provenance_items(run).items()
    ]
    return pd.DataFrame(rows)


def results_frame(root: str, run_ids: Sequence[str]) -> pd.DataFrame:
    """One row per (image, check) of the given runs, details kept as a JSON string."""
    frames = []
    with Store(root, read_only=True) as store:
        for run_id in run_ids:
            model = store.get_run(run_id).model
            records = (r.record(parse_details=False) for r in store.iter_result_rows(run_id))
            frame = pd.DataFrame(records)
            frames.append(frame.assign(model=model))
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def load_run_data(root: str, run_ids: Sequence[str]) -> list[RunData]:
    with Store(root, read_only=True) as store:
        return [run_data(store, run_id) for run_id in run_ids]


def leaderboard_frame(
    root: str, run_ids: Sequence[str], resamples: int = LEADERBOARD_RESAMPLES
) -> tuple[pd.DataFrame, list[str]]:
    """Long table: run × check × category with value, interval and whether it is best."""
    runs = [r for r in load_run_data(root, run_ids) if r.rows]
    if not runs:
        return pd.DataFrame(), []
    board = leaderboard(runs, Gate(resamples=resamples))
    rows = []
    for cell in board.cells:
        for label, est in cell.estimates.items():
            rows.append(
                {
                    "check": cell.check, "category": cell.category, "measure": cell.measure,
                    "run": label, "value": est.value, "ci_low": est.ci_low,
                    "ci_high": est.ci_high, "prompts": est.n_prompts, "images": est.n_images,
                    "best": label in cell.best and len(cell.estimates) > 1,
                }
            )  # fmt: skip
    return pd.DataFrame(rows), board.warnings


def set_metrics_frame(root: str, run_ids: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    """One row per (run, set metric): value, interval, N and the settings that decide whether
    two values can be compared; and a sentence per metric whose runs differ in N (it biases
    the values differently). Runs measured differently (reference, extractor, resize mode)
    are already named by the leaderboard's INCOMPARABLE warnings, from
    `t2iqa.comparison.leaderboard`."""
    rows = []
    with Store(root, read_only=True) as store:
        for run_id in run_ids:
            for result in store.set_results(run_id):
                d = result.details
                metric = SET_METRICS.get(result.metric)
                extractor = metric.extractor_detail if metric else "feature_extractor"
                rows.append(
                    {
                        "metric": result.metric, "run": run_id, "value": result.value,
                        "ci_low": result.ci_low, "ci_high": result.ci_high, "n": result.n,
                        "reference": d.get("reference"), "reference_n": d.get("reference_n"),
                        "extractor": d.get(extractor),
                        "resize_mode": d.get("resize_mode"), "warning": d.get("warning"),
                    }
                )  # fmt: skip
    frame = pd.DataFrame(rows)
    warnings = []
    for metric, group in frame.groupby("metric") if not frame.empty else ():
        if group["n"].nunique() > 1:
            warnings.append(
                f"{metric}: the runs have different image counts "
                f"({', '.join(map(str, sorted(group['n'].unique())))}); {metric} depends on N, "
                "so compare runs of equal N"
            )
    return frame, warnings


def geneval_frame(root: str, run_ids: Sequence[str]) -> pd.DataFrame:
    """GenEval's table (the paper's layout) for the runs scored on GenEval's tasks."""
    scores = [g for r in load_run_data(root, run_ids)
              if (g := geneval_scores(r.label, r.rows)) is not None]  # fmt: skip
    if not scores:
        return pd.DataFrame()
    header, rows = geneval_table(scores)
    return pd.DataFrame(rows, columns=header)


def most_telling_check(board: pd.DataFrame) -> str:
    """The check on which the runs differ most against their own uncertainty (category
    "all": spread of the values over the mean interval width); the page opens on it."""
    overall = board[board["category"] == ALL]
    if overall.empty:
        return str(board["check"].iloc[0])
    width = (overall["ci_high"] - overall["ci_low"]).groupby(overall["check"]).mean()
    spread = overall.groupby("check")["value"].agg(lambda v: v.max() - v.min())
    ratio = (spread / width.where(width > 0)).fillna(0.0)
    return str(ratio.idxmax())


def filter_results(
    frame: pd.DataFrame,
    categories: Sequence[str] = (),
    checks: Sequence[str] = (),
    verdicts: Sequence[str] = (),
    score_range: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """The rows a gallery shows. Empty selections mean "all"."""
    out = frame
    if categories:
        out = out[out["category"].isin(categories)]
    if checks:
        out = out[out["check"].isin(checks)]
    if verdicts:
        out = out[out["verdict"].isin(verdicts)]
    if score_range is not None:
        low, high = score_range
        out = out[out["score"].between(low, high)]
    return out


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


# ---------------------------------------------------------------------------- upload & check


@dataclass(frozen=True)
class UploadProblem:
    message: str


def validate_upload(name: str, data: bytes) -> UploadProblem | None:
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in UPLOAD_TYPES:
        return UploadProblem(f"{name}: upload a {', '.join(UPLOAD_TYPES)} image")
    if len(data) > MAX_UPLOAD_BYTES:
        return UploadProblem(
            f"{name} is {len(data) / 2**20:.1f} MB; the limit is {MAX_UPLOAD_BYTES // 2**20} MB"
        )
    if not data:
        return UploadProblem(f"{name} is empty")
    return None


def check_upload(
    checks: Sequence[Any],
    policy: Any,
    name: str,
    data: bytes,
    prompt: str,
    expect_text: str | None = None,
    expect_hands: int | None = None,
) -> tuple[Any, Image.Image | None]:
    """The verdict `t2iqa check NAME --prompt PROMPT` gives, through the same functions, and
    the image with the reasons drawn (None when the file could not be read)."""
    from t2iqa.qa.entries import entries_from_paths, expectations_for
    from t2iqa.qa.verdicts import check_entry

    expect = expectations_for(prompt, expect_text, expect_hands)
    with tempfile.TemporaryDirectory(prefix="t2iqa-upload-") as tmp:
        path = Path(tmp) / Path(name).name
        path.write_bytes(data)
        entries = entries_from_paths([path], prompt, expect)
        specs = [e.spec for e in entries if e.spec is not None]
        verdict = check_entry([c.bind(specs) for c in checks], policy, entries[0])
        if not verdict.results:
            return verdict, None
        image = read_image_file(path).image
        return verdict, annotate(image, verdict.results, prompt, verdict.verdict)


def categories_in(frame: pd.DataFrame) -> list[str]:
    return sorted(c for c in frame["category"].dropna().unique() if c != ALL)
