"""Runs as a comparison reads them: loaded from their stores (``STORE:RUN_ID`` or a run id),
checked for completeness, and their per-image values grouped by check, category and prompt."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from t2iqa.core.errors import T2IQAError
from t2iqa.core.results import ERROR, SetResult
from t2iqa.store.db import DB_NAME, ResultRow, RunRecord, Store
from t2iqa.store.files import ImageFiles
from t2iqa.store.location import StoreLocation, is_store_url, parse_store

ALL = "all"  # the category that pools every prompt


@dataclass
class RunData:
    """Everything a comparison reads about one run, loaded once from its store."""

    label: str
    location: StoreLocation
    files: ImageFiles
    run: RunRecord
    rows: list[ResultRow]
    checks: dict[str, dict[str, Any]]
    set_results: dict[str, SetResult]

    def image_path(self, row: ResultRow) -> str:
        """The image file of a row: a local path, or a team store's fsspec URL."""
        return self.files.url(row.file)


def parse_run_reference(spec: str, default_store: str | Path) -> tuple[StoreLocation, str | None]:
    """``RUN_ID`` (in the default store), ``STORE`` (its only run) or ``STORE:RUN_ID``, where
    STORE is a folder or a ``postgresql://user@host:port/db`` URL."""
    if is_store_url(spec):
        scheme, _, rest = spec.partition("://")
        netloc, slash, path = rest.partition("/")  # a port's colon is in the netloc
        database, sep, run = path.partition(":")
        return parse_store(f"{scheme}://{netloc}{slash}{database}"), (run if sep else None)
    if (Path(spec) / DB_NAME).is_file():
        return parse_store(spec), None
    store_part, sep, run_part = spec.rpartition(":")
    if sep and store_part and (Path(store_part) / DB_NAME).is_file():
        return parse_store(store_part), run_part
    return parse_store(default_store), spec


def load_run(spec: str, default_store: str | Path) -> RunData:
    store_root, run_id = parse_run_reference(spec, default_store)
    with Store(store_root, read_only=True) as store:
        if run_id is None:
            runs = store.list_runs()
            if len(runs) != 1:
                names = ", ".join(r.run_id for r in runs) or "none"
                raise T2IQAError(
                    f"{store_root} holds {len(runs)} runs ({names}); name one as "
                    f"{store_root}:RUN_ID"
                )
            run_id = runs[0].run_id
        data = run_data(store, run_id)
        if not data.rows:
            raise T2IQAError(
                f"run {run_id!r} in {store_root} has no scored images yet; "
                f"finish it with `t2iqa run ... --run-id {run_id} --store {store_root}`"
            )
        return data


def run_data(store: Store, run_id: str, with_rows: bool = True) -> RunData:
    """One run as comparisons read it. ``with_rows=False`` skips its result rows, most of the
    cost of a large run, for what needs only its record, checks and set metrics (provenance)."""
    run = store.get_run(run_id)
    sets = {r.metric: r for r in store.set_results(run_id)}
    rows = store.result_rows(run_id) if with_rows else []
    return RunData(run_id, store.location, store.files, run, rows, store.run_checks(run_id), sets)


RUN_STATES = {
    "running": "is still running",
    "interrupted": "was interrupted",
    "incomplete": "finished incomplete (some images could not be made or scored)",
}


def completeness_warnings(runs: Sequence[RunData]) -> list[str]:
    """A sentence for each run that is not complete: its numbers cover only what it made."""
    out = []
    for run in runs:
        images = len({(r.prompt_id, r.seed) for r in run.rows})
        state = RUN_STATES.get(run.run.status)
        if state is None and images >= run.run.planned_images:
            continue
        out.append(
            f"{run.label} {state or 'is missing images'}: {images} of its "
            f"{run.run.planned_images} planned images; its numbers cover only those (the same "
            "`t2iqa run` command resumes it)"
        )
    return out


def load_runs(specs: Sequence[str], default_store: str | Path) -> list[RunData]:
    runs = [load_run(s, default_store) for s in specs]
    labels = [r.label for r in runs]
    for r in runs:  # the same run id in two stores: say which store
        if labels.count(r.label) > 1:
            r.label = f"{Path(r.location.label).name}:{r.label}"
    if len({r.label for r in runs}) < len(runs):
        raise T2IQAError(f"the same run is named twice: {', '.join(specs)}")
    return runs


# ---------------------------------------------------------------------------- values


def image_value(row: ResultRow, measure: str) -> float | None:
    """The number one image contributes to a measure, or None when it has none."""
    if row.verdict is None or row.verdict == ERROR:
        return None
    if measure == "pass_rate":
        return None if row.passed is None else float(row.passed)
    return None if row.score is None else float(row.score)


def values_by_image(
    rows: Iterable[ResultRow], check: str, measure: str, category: str
) -> dict[tuple[str, int], float]:
    out = {}
    for row in rows:
        if row.check != check or (category != ALL and row.category != category):
            continue
        if (value := image_value(row, measure)) is not None:
            out[(row.prompt_id, row.seed)] = value
    return out


def by_prompt(values: dict[tuple[str, int], float]) -> list[list[float]]:
    groups: dict[str, list[float]] = defaultdict(list)
    for (prompt_id, _seed), value in sorted(values.items()):
        groups[prompt_id].append(value)
    return list(groups.values())


def categories_of(runs: Sequence[RunData], check: str) -> list[str]:
    found = {r.category for run in runs for r in run.rows if r.check == check}
    return [ALL, *sorted(found)]


def checks_of(runs: Sequence[RunData]) -> list[str]:
    """Checks scored in every run, in the order of the first run."""
    names = [c for c in runs[0].checks if all(c in r.checks for r in runs[1:])]
    return names
