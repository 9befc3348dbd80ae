"""``t2iqa store copy SRC DST``: runs moved between stores (a CI runner's local store and the
team's PostgreSQL store, either way), with their images, results, set metrics and votes.

A copy is idempotent and safe to repeat or to interrupt: rows go in by upsert on the same keys
every writer uses, each run in one transaction after its image files are written, so a copy
stopped half-way leaves the destination as it was or with whole runs. A run already in the
destination with other images (its identity differs) is refused, never merged.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Table, select, tuple_

from t2iqa.core.errors import StoreError
from t2iqa.store import schema as t
from t2iqa.store.db import Store


@dataclass(frozen=True)
class Copied:
    run_id: str
    images: int  # image rows
    files: int  # image files written (the rest were there already, by content hash)
    results: int  # check results


def _rows(conn: Connection, table: Table, where: object) -> list[dict[str, object]]:
    return [dict(r) for r in conn.execute(select(table).where(where)).mappings()]  # type: ignore[arg-type]


def _identity(conn: Connection, run_id: str) -> object:
    found = conn.execute(select(t.runs.c.config_json).where(t.runs.c.run_id == run_id)).scalar()
    return None if found is None else json.loads(found).get("identity", {})


def copy_run(src: Store, dst: Store, run_id: str) -> Copied:
    """One run from ``src`` into ``dst``; see the module's note."""
    src.get_run(run_id)  # names the runs there when it is missing
    with src.engine.connect() as conn:
        run = _rows(conn, t.runs, t.runs.c.run_id == run_id)
        prompts = _rows(conn, t.run_prompts, t.run_prompts.c.run_id == run_id)
        checks = _rows(conn, t.run_checks, t.run_checks.c.run_id == run_id)
        images = _rows(conn, t.images, t.images.c.run_id == run_id)
        sets = _rows(conn, t.set_results, t.set_results.c.run_id == run_id)
        results = _results_of(conn, images)
    files = sum(_copy_file(src, dst, image["file"]) for image in images)  # type: ignore[arg-type]
    with dst.transaction() as conn:
        there = _identity(conn, run_id)
        if there is not None and there != json.loads(run[0]["config_json"]).get("identity", {}):  # type: ignore[arg-type]
            raise StoreError(
                f"run {run_id!r} is in {dst.label} already with other images (model, suite, "
                "seeds or settings); copy it under another name or remove it there first"
            )
        for table, rows in ((t.runs, run), (t.run_prompts, prompts), (t.run_checks, checks),
                            (t.images, images), (t.check_results, results),
                            (t.set_results, sets)):  # fmt: skip
            t.upsert(conn, table, rows)
    return Copied(run_id, len(images), files, len(results))


def _results_of(conn: Connection, images: Sequence[dict[str, object]]) -> list[dict[str, object]]:
    """Every stored check result of these images (in their contexts), 500 images a query."""
    r = t.check_results
    keys = sorted({(i["image_hash"], i["context_hash"]) for i in images})  # type: ignore[type-var]
    out: list[dict[str, object]] = []
    for start in range(0, len(keys), 500):
        part = keys[start : start + 500]
        out += _rows(conn, r, tuple_(r.c.image_hash, r.c.context_hash).in_(part))
    return out


def _copy_file(src: Store, dst: Store, file: str) -> int:
    if dst.files.exists(file):
        return 0
    data = src.files.read(file)
    suffix = "." + file.rsplit(".", 1)[-1]
    dst.files.put(data, suffix)
    return 1


def copy_votes(src: Store, dst: Store, run_ids: Sequence[str]) -> int:
    """The votes between two of ``run_ids``; how many were new in ``dst``."""
    from t2iqa.store.votes import add_votes, read_votes

    return add_votes(dst, read_votes(src, run_ids))


def copy_runs(
    src: Store,
    dst: Store,
    run_ids: Sequence[str] = (),
    progress: Callable[[Copied], None] | None = None,
) -> tuple[list[Copied], int]:
    """``run_ids`` (default: every run in ``src``) and the votes between them; returns what
    each run copied and how many votes were new."""
    chosen = list(run_ids) or [r.run_id for r in src.list_runs()]
    if not chosen:
        raise StoreError(f"the store at {src.label} has no runs to copy")
    copied = []
    for run_id in chosen:
        done = copy_run(src, dst, run_id)
        copied.append(done)
        if progress is not None:
            progress(done)
    return copied, copy_votes(src, dst, chosen)
