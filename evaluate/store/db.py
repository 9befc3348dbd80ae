"""The result store: a database (SQLite in a folder, or a team's PostgreSQL) plus image files
named by content hash.

Layout of a local store folder::

    t2iqa.sqlite          runs, their prompts, image records, check results, set results
    images/ab/abcdef....png

A team store (``postgresql://user@host/db``) has the same tables; its images live at
``--images-at`` (any fsspec location). Every write is atomic: an image file is written whole
before its row is committed, so a run killed at any moment leaves either a complete record or
none (at worst an unreferenced file, which the next run rewrites with the same bytes). Check
results are keyed by (image hash, context hash, check name, config hash) and shared across
runs: re-scoring an unchanged image is a lookup.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from t2iqa.core.errors import StoreError
from t2iqa.core.prompts import PromptSpec
from t2iqa.core.results import CheckResult, SetResult
from t2iqa.store import schema as t
from t2iqa.store.faults import store_fault
from t2iqa.store.files import ImageFiles
from t2iqa.store.location import (
    DB_NAME,
    DEFAULT_TEAM_IMAGES,
    StoreLocation,
    parse_store,
    team_engine,
    team_fault,
)
from t2iqa.store.opening import open_folder, prepare_schema
from t2iqa.store.owners import process_alive
from t2iqa.store.records import (
    ImageRecord,
    ResultRow,
    RunRecord,
    check_result_from,
    check_result_rows,
    image_row,
    now_iso,
    set_result_from,
    set_result_row,
)

SCHEMA_VERSION = t.SCHEMA_VERSION
__all__ = ["DB_NAME", "SCHEMA_VERSION", "ImageRecord", "ResultRow", "RunRecord", "Store"]


class Store:
    """A store: ``Store("t2iqa-store")`` (a folder) or ``Store("postgresql://...")``;
    ``read_only=True`` never writes (dashboard). ``images_at`` puts a team store's images
    somewhere other than where the database says (a folder store ignores it).

    Use it as a context manager: a database or disk fault inside the block comes out as a
    ``StoreError`` naming the store and what to do."""

    def __init__(
        self,
        location: str | Path | StoreLocation,
        read_only: bool = False,
        images_at: str | None = None,
    ) -> None:
        self.location = parse_store(location)
        self.label = self.location.label
        self.read_only = read_only
        if self.location.folder is not None:
            self.root = self.location.folder
            self.db_path = self.root / DB_NAME
            self.engine = open_folder(self.root, self.db_path, read_only)
            self._prepare()
            # A folder keeps its images inside it, where every reader looks; --images-at
            # (often set for a team in T2IQA_IMAGES_AT) is for team stores.
            self.files = ImageFiles(self.root)
        else:
            self.root = Path(self.label)  # for messages only: a team store has no folder
            self.db_path = self.root
            self.engine = team_engine(self.location.url or "")
            self._prepare()
            self.files = ImageFiles(self._team_images(images_at))

    # --------------------------------------------------------------------- opening

    def _prepare(self) -> None:
        try:
            with self.transaction(write=not self.read_only) as conn:
                prepare_schema(conn, self.label, self.read_only)
        except DBAPIError as exc:
            self.engine.dispose()
            raise self._fault(exc) from None
        except StoreError:
            self.engine.dispose()
            raise

    def _team_images(self, given: str | None) -> str:
        """Where a team store's images are: ``--images-at`` (or ``T2IQA_IMAGES_AT``) when
        given, else where its first writer recorded them, else ``./t2iqa-images``. The first
        writer records its location, so teammates need only the database URL."""
        given = given or os.environ.get("T2IQA_IMAGES_AT") or None
        s = t.settings
        recorded = self._rows(select(s.c.value).where(s.c.key == "images_at"))
        if recorded and not given:
            return str(recorded[0]["value"])
        chosen = given or str(Path(DEFAULT_TEAM_IMAGES).absolute())
        if not recorded and not self.read_only:
            with self.transaction() as conn:
                t.upsert(conn, s, [{"key": "images_at", "value": chosen}], replace=False)
        return chosen

    def _fault(self, exc: BaseException) -> StoreError:
        if self.location.is_team:
            return team_fault(self.label, exc)
        return store_fault(self.db_path, getattr(exc, "orig", None) or exc)

    @contextlib.contextmanager
    def transaction(self, write: bool = True, serialize: str | None = None) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back on an error.

        ``serialize`` names what the block reads before it writes (a run id): two writers
        with the same name run one after the other. SQLite's write transactions are
        serialised already (BEGIN IMMEDIATE); PostgreSQL takes an advisory lock on the name,
        so two processes creating one run cannot both find it missing and both insert it."""
        if write and self.read_only:
            raise StoreError(f"the store at {self.label} is open read-only")
        with self.engine.connect() as conn:
            if write:
                conn.execution_options(sqlite_begin="BEGIN IMMEDIATE")
            with conn.begin():
                if serialize is not None and conn.dialect.name == "postgresql":
                    lock = text("SELECT pg_advisory_xact_lock(hashtext(:name))")
                    conn.execute(lock, {"name": f"t2iqa:{serialize}"})
                yield conn

    def _rows(self, statement: Any, params: dict[str, Any] | None = None) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(statement, params or {}).mappings())

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        self.close()
        if isinstance(exc, (DBAPIError, sqlite3.Error)) or (
            isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EROFS)
        ):
            raise self._fault(exc) from exc

    # ------------------------------------------------------------------------------ runs

    def create_or_resume_run(
        self,
        run_id: str,
        model: str,
        suite_name: str,
        suite_version: str,
        suite_hash: str,
        prompts: Sequence[PromptSpec],
        planned_images: int,
        config: dict[str, Any],
        provenance: dict[str, Any],
    ) -> bool:
        """Create a run, or mark an existing one running again. True when it already existed.

        ``config["identity"]`` (what decides the images) must match an existing run's; the rest
        (how they are scored) may change and is updated.
        """
        ts = now_iso()
        with self.transaction(serialize=run_id) as conn:
            found = conn.execute(select(t.runs.c.config_json).where(t.runs.c.run_id == run_id))
            existing = found.scalar()
            if existing is not None:
                if json.loads(existing).get("identity") != config.get("identity"):
                    raise StoreError(
                        f"run {run_id!r} already exists in {self.label} with different images "
                        "(model, suite, seeds or settings); choose another --run-id"
                    )
                conn.execute(
                    update(t.runs).where(t.runs.c.run_id == run_id).values(
                        status="running", updated_at=ts, config_json=json.dumps(config),
                        provenance_json=json.dumps(provenance),
                    )
                )  # fmt: skip
                return True
            conn.execute(
                t.runs.insert(),
                dict(
                    run_id=run_id, model=model, suite_name=suite_name,
                    suite_version=suite_version, suite_hash=suite_hash, status="running",
                    planned_images=planned_images, created_at=ts, updated_at=ts,
                    config_json=json.dumps(config), provenance_json=json.dumps(provenance),
                ),
            )  # fmt: skip
            t.upsert(conn, t.run_prompts, [
                dict(run_id=run_id, prompt_id=p.id, position=i, category=p.category,
                     spec_json=json.dumps(p.to_dict(), ensure_ascii=False))
                for i, p in enumerate(prompts)
            ])  # fmt: skip
        return False

    def set_run_status(self, run_id: str, status: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                update(t.runs).where(t.runs.c.run_id == run_id)
                .values(status=status, updated_at=now_iso())
            )  # fmt: skip

    def set_run_provenance(self, run_id: str, provenance: dict[str, Any]) -> None:
        with self.transaction() as conn:
            conn.execute(
                update(t.runs).where(t.runs.c.run_id == run_id)
                .values(provenance_json=json.dumps(provenance))
            )  # fmt: skip

    def set_run_checks(self, run_id: str, checks: Sequence[Any]) -> None:
        """Record which checks (with which config) score this run; replaces earlier choices."""
        with self.transaction(serialize=run_id) as conn:
            conn.execute(delete(t.run_checks).where(t.run_checks.c.run_id == run_id))
            t.upsert(conn, t.run_checks, [
                dict(run_id=run_id, check_name=c.name, check_version=c.version,
                     config_hash=c.config_hash(), config_json=json.dumps(c.config_dict()))
                for c in checks
            ])  # fmt: skip

    def run_checks(self, run_id: str) -> dict[str, dict[str, Any]]:
        """The checks that score a run: name -> version, config hash and config."""
        rc = t.run_checks
        rows = self._rows(select(rc).where(rc.c.run_id == run_id).order_by(rc.c.check_name))
        return {
            r["check_name"]: {"version": r["check_version"], "config_hash": r["config_hash"],
                              "config": json.loads(r["config_json"])}
            for r in rows
        }  # fmt: skip

    def _run_from_row(self, row: Any) -> RunRecord:
        d = dict(row)
        provenance = json.loads(d.pop("provenance_json"))
        # Killed outright, a process cannot mark its run interrupted: readers see it is gone.
        if d["status"] == "running" and process_alive(provenance.get("process")) is False:
            d["status"] = "interrupted"
        return RunRecord(config=json.loads(d.pop("config_json")), provenance=provenance, **d)

    def get_run(self, run_id: str) -> RunRecord:
        rows = self._rows(select(t.runs).where(t.runs.c.run_id == run_id))
        if not rows:
            known = [r.run_id for r in self.list_runs()]
            hint = f"runs in this store: {', '.join(known)}" if known else "this store has no runs"
            raise StoreError(f"no run {run_id!r} in {self.label}; {hint}")
        return self._run_from_row(rows[0])

    def list_runs(self) -> list[RunRecord]:
        rows = self._rows(select(t.runs).order_by(t.runs.c.created_at, t.runs.c.run_id))
        return [self._run_from_row(r) for r in rows]

    def _prompt_specs(self, run_id: str) -> list[str]:
        p = t.run_prompts
        query = select(p.c.spec_json).where(p.c.run_id == run_id).order_by(p.c.position)
        return [r["spec_json"] for r in self._rows(query)]

    def run_prompts(self, run_id: str) -> list[PromptSpec]:
        from t2iqa.suites.files import parse_prompt_entry

        specs = []
        for spec_json in self._prompt_specs(run_id):
            problems: list[str] = []
            spec = parse_prompt_entry(json.loads(spec_json), "stored prompt", problems)
            if spec is None:
                raise StoreError(f"run {run_id!r} holds an unreadable prompt: {problems}")
            specs.append(spec)
        return specs

    # ---------------------------------------------------------------------------- images

    def put_image_file(self, data: bytes, suffix: str = ".png") -> tuple[str, str]:
        """Write image bytes by content hash; returns (hash, path relative to the store)."""
        return self.files.put(data, suffix)

    def add_image(self, record: ImageRecord) -> None:
        with self.transaction() as conn:
            t.upsert(conn, t.images, [image_row(record)])

    def done_keys(self, run_id: str) -> set[tuple[str, int]]:
        i = t.images
        rows = self._rows(select(i.c.prompt_id, i.c.seed).where(i.c.run_id == run_id))
        return {(r["prompt_id"], r["seed"]) for r in rows}

    def images(self, run_id: str) -> list[ImageRecord]:
        i, p = t.images, t.run_prompts
        query = (
            select(i)
            .join(p, (p.c.run_id == i.c.run_id) & (p.c.prompt_id == i.c.prompt_id))
            .where(i.c.run_id == run_id)
            .order_by(p.c.position, i.c.seed)
        )
        out = []
        for r in self._rows(query):
            d = dict(r)
            d.pop("created_at")
            d["generation"] = json.loads(d.pop("generation_json"))
            out.append(ImageRecord(**d))
        return out

    # ---------------------------------------------------------------------------- checks

    def existing_results(
        self, images: Sequence[tuple[str, str]], checks: Sequence[tuple[str, str]]
    ) -> set[tuple[str, str, str, str]]:
        """Which (image hash, context hash, check, config hash) results exist, for these
        (image hash, context hash) pairs and (check, config hash) pairs: one query per 500
        images, reading keys only (no details)."""
        wanted_images, wanted_checks = set(images), set(checks)
        hashes = sorted({h for h, _ in wanted_images})
        r = t.check_results
        found = set()
        with self.engine.connect() as conn:
            for start in range(0, len(hashes), 500):
                query = select(r.c.image_hash, r.c.context_hash, r.c.check_name, r.c.config_hash)
                rows = conn.execute(query.where(r.c.image_hash.in_(hashes[start : start + 500])))
                found.update(
                    tuple(row) for row in rows
                    if (row[0], row[1]) in wanted_images and (row[2], row[3]) in wanted_checks
                )  # fmt: skip
        return found  # type: ignore[return-value]

    def get_check_result(
        self, image_hash: str, context_hash: str, check_name: str, config_hash: str
    ) -> CheckResult | None:
        r = t.check_results
        rows = self._rows(
            select(r).where(
                (r.c.image_hash == image_hash) & (r.c.context_hash == context_hash)
                & (r.c.check_name == check_name) & (r.c.config_hash == config_hash)
            )
        )  # fmt: skip
        return check_result_from(rows[0]) if rows else None

    def put_check_results(self, rows: Sequence[tuple[str, str, str, CheckResult]]) -> None:
        """Store (image hash, context hash, config hash, result) rows in one transaction."""
        with self.transaction() as conn:
            t.upsert(conn, t.check_results, check_result_rows(rows))

    def put_set_result(self, run_id: str, result: SetResult) -> None:
        with self.transaction() as conn:
            t.upsert(conn, t.set_results, [set_result_row(run_id, result)])

    def set_results(self, run_id: str) -> list[SetResult]:
        s = t.set_results
        rows = self._rows(select(s).where(s.c.run_id == run_id).order_by(s.c.metric))
        return [set_result_from(r) for r in rows]

    def result_rows(self, run_id: str) -> list[ResultRow]:
        """The run's (image, check) rows, typed (``iter_result_rows``, as a list)."""
        return list(self.iter_result_rows(run_id))

    def change_token(self) -> tuple[Any, ...]:
        """Changes whenever anything is written (row counts and the latest run update): what
        the dashboard keys its caches on for a team store, whose files it cannot watch."""
        counts = [select(func.count()).select_from(table) for table in
                  (t.images, t.check_results, t.set_results, t.votes)]  # fmt: skip
        latest = select(func.max(t.runs.c.updated_at), func.count()).select_from(t.runs)
        with self.engine.connect() as conn:
            return (*(conn.execute(q).scalar() for q in counts), *conn.execute(latest).one())

    def image_totals(self) -> dict[str, tuple[int, int]]:
        """run id -> (images stored, their pixels in all)."""
        i = t.images
        query = select(
            i.c.run_id, func.count(), func.coalesce(func.sum(i.c.width * i.c.height), 0)
        ).group_by(i.c.run_id)
        with self.engine.connect() as conn:
            return {run_id: (count, int(pixels)) for run_id, count, pixels in conn.execute(query)}

    def iter_result_rows(self, run_id: str) -> Iterator[ResultRow]:
        """One row per (image, check of the run), in suite order: the table that summaries,
        comparisons and exports use. Images whose result for a check is not stored yet come
        with verdict ``None``."""
        self.get_run(run_id)
        i, p, rc, r = t.images, t.run_prompts, t.run_checks, t.check_results
        prompts = {
            row["prompt_id"]: json.loads(row["spec_json"])["prompt"]
            for row in self._rows(select(p.c.prompt_id, p.c.spec_json).where(p.c.run_id == run_id))
        }
        query = (
            select(
                i.c.run_id, i.c.prompt_id, p.c.category, i.c.seed, i.c.image_hash, i.c.file,
                i.c.width, i.c.height, i.c.generation_seconds, rc.c.check_name.label("check"),
                r.c.verdict, r.c.passed, r.c.score, r.c.reason, r.c.details_json,
            )
            .join(p, (p.c.run_id == i.c.run_id) & (p.c.prompt_id == i.c.prompt_id))
            .join(rc, rc.c.run_id == i.c.run_id)
            .outerjoin(r, (r.c.image_hash == i.c.image_hash)
                       & (r.c.context_hash == i.c.context_hash)
                       & (r.c.check_name == rc.c.check_name)
                       & (r.c.config_hash == rc.c.config_hash))
            .where(i.c.run_id == run_id)
            .order_by(p.c.position, i.c.seed, rc.c.check_name)
        )  # fmt: skip
        with self.engine.connect() as conn:
            for row in conn.execute(query).mappings():
                d = dict(row)
                d["passed"] = None if d["passed"] is None else bool(d["passed"])
                d["details_json"] = d["details_json"] or "{}"
                yield ResultRow(prompt=prompts[d["prompt_id"]], **d)
