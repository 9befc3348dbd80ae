"""The result store: one SQLite file (WAL mode) plus image files named by content hash.

Layout of a store folder::

    t2iqa.sqlite          runs, their prompts, image records, check results, set results
    images/ab/abcdef....png

Every write is atomic: an image file is written to a temporary name and renamed into place
before its row is committed, so a run killed at any moment leaves either a complete record or
none (at worst an unreferenced file, which the next run rewrites with the same bytes).
Check results are keyed by (image hash, context hash, check name, config hash) and shared
across runs: re-scoring an unchanged image is a lookup.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from t2iqa.core.errors import StoreError
from t2iqa.core.prompts import PromptSpec
from t2iqa.core.results import CheckResult, SetResult
from t2iqa.store.faults import store_fault
from t2iqa.store.owners import process_alive
from t2iqa.store.votes import VOTES_SCHEMA

SCHEMA_VERSION = 2
DB_NAME = "t2iqa.sqlite"

SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    suite_name TEXT NOT NULL,
    suite_version TEXT NOT NULL,
    suite_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    planned_images INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    config_json TEXT NOT NULL,
    provenance_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run_prompts (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    prompt_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    category TEXT NOT NULL,
    spec_json TEXT NOT NULL,
    PRIMARY KEY (run_id, prompt_id)
);
CREATE TABLE IF NOT EXISTS run_checks (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    check_name TEXT NOT NULL,
    check_version TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    config_json TEXT NOT NULL,
    PRIMARY KEY (run_id, check_name)
);
CREATE TABLE IF NOT EXISTS images (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    prompt_id TEXT NOT NULL,
    seed INTEGER NOT NULL,
    image_hash TEXT NOT NULL,
    context_hash TEXT NOT NULL,
    file TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    generation_seconds REAL,
    generation_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (run_id, prompt_id, seed)
);
CREATE TABLE IF NOT EXISTS check_results (
    image_hash TEXT NOT NULL,
    context_hash TEXT NOT NULL,
    check_name TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    verdict TEXT NOT NULL,
    passed INTEGER,
    score REAL,
    reason TEXT NOT NULL,
    details_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (image_hash, context_hash, check_name, config_hash)
);
CREATE TABLE IF NOT EXISTS set_results (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    metric TEXT NOT NULL,
    value REAL NOT NULL,
    n INTEGER NOT NULL,
    ci_low REAL,
    ci_high REAL,
    details_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (run_id, metric)
);
"""
    + VOTES_SCHEMA
)
# What each older schema version needs to become the next one; applied in order when a
# store is opened for writing. Opened read-only, an old store is read as it is.
MIGRATIONS = {1: VOTES_SCHEMA}  # 1 -> 2: people's votes (the arena)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    model: str
    suite_name: str
    suite_version: str
    suite_hash: str
    status: str
    planned_images: int
    created_at: str
    updated_at: str
    config: dict[str, Any]
    provenance: dict[str, Any]


@dataclass(frozen=True)
class ResultRow:
    """One (image, check) of a run as the store holds it; ``verdict`` is None while the
    check has not judged the image yet. ``details`` is parsed from the stored JSON on first
    use: most readers (tables of verdicts and scores) never need it, and parsing it is most
    of the cost of reading a large run."""

    run_id: str
    prompt_id: str
    category: str
    prompt: str
    seed: int
    check: str
    verdict: str | None
    passed: bool | None
    score: float | None
    reason: str | None
    image_hash: str
    file: str  # relative to the store folder
    width: int
    height: int
    generation_seconds: float | None
    details_json: str = field(default="{}", repr=False)

    @functools.cached_property
    def details(self) -> dict[str, Any]:
        return json.loads(self.details_json)

    def record(self, parse_details: bool = True) -> dict[str, Any]:
        """The row as a flat dict (a DataFrame row); ``details`` parsed, or its JSON text."""
        out = {name: getattr(self, name) for name in _ROW_COLUMNS}
        out["details"] = self.details if parse_details else self.details_json
        return out


_ROW_COLUMNS = tuple(f.name for f in fields(ResultRow) if f.name != "details_json")


@dataclass(frozen=True)
class ImageRecord:
    run_id: str
    prompt_id: str
    seed: int
    image_hash: str
    context_hash: str
    file: str  # relative to the store folder
    width: int
    height: int
    generation_seconds: float | None
    generation: dict[str, Any]


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class Store:
    """A store folder. Open with ``Store(path)``; ``read_only=True`` never writes (dashboard).

    Use it as a context manager: a database or disk fault inside the block comes out as a
    ``StoreError`` naming the file and what to do (``store_fault``)."""

    def __init__(self, root: str | Path, read_only: bool = False) -> None:
        self.root = Path(root).expanduser()
        self.read_only = read_only
        self.db_path = self.root / DB_NAME
        if self.db_path.exists() and not self.db_path.is_file():
            raise StoreError(
                f"{self.db_path} is a folder, not a database file; pass --store with a "
                "t2iqa store (or a new folder)"
            )
        if read_only:
            if not self.db_path.is_file():
                raise StoreError(
                    f"no t2iqa store at {self.root} (no {DB_NAME}); run `t2iqa run` first"
                )
            self.conn = self._connect_read_only()
        else:
            self._ensure_writable()
            try:
                self.conn = sqlite3.connect(self.db_path, timeout=30)
            except sqlite3.Error as exc:
                raise store_fault(self.db_path, exc) from None
        self.conn.row_factory = sqlite3.Row
        try:
            if not read_only:
                # WAL: readers (the dashboard) never block the writer, nor it them.
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute("PRAGMA synchronous=NORMAL")
            self._check_schema()
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise store_fault(self.db_path, exc) from None

    def _connect_read_only(self) -> sqlite3.Connection:
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=30)
        try:
            conn.execute("PRAGMA user_version").fetchone()
            return conn
        except sqlite3.OperationalError as exc:
            if os.access(self.root, os.W_OK):
                conn.close()
                raise store_fault(self.db_path, exc) from None
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise store_fault(self.db_path, exc) from None
        # On a read-only file system SQLite cannot make the WAL index it reads through;
        # nothing can write there, so the file may be read as immutable.
        conn.close()
        return sqlite3.connect(f"file:{self.db_path}?mode=ro&immutable=1", uri=True, timeout=30)

    def _ensure_writable(self) -> None:
        if self.db_path.is_file() and not os.access(self.db_path, os.W_OK):
            raise store_fault(self.db_path, PermissionError(errno.EACCES, "read-only"))
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / f".write-probe-{os.getpid()}"  # one per process: no race
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise store_fault(self.db_path, exc) from None
            reason = exc.strerror or str(exc)
            raise StoreError(
                f"cannot write to the store folder {self.root}: {reason}; pass --store with a "
                "writable folder"
            ) from None

    def _check_schema(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            self.conn.close()
            raise StoreError(
                f"the store at {self.root} was written by a newer t2iqa (schema {version}, "
                f"this one reads {SCHEMA_VERSION}); upgrade t2iqa or use another --store"
            )
        if version == 0 and self.read_only:
            self.conn.close()
            raise StoreError(
                f"the store at {self.root} is empty (no t2iqa tables yet); start a run into it "
                f"with `t2iqa run ... --store {self.root}` or pick another --store"
            )
        if 0 < version < SCHEMA_VERSION and not self.read_only:
            with self.conn:
                for old in range(version, SCHEMA_VERSION):
                    self.conn.executescript(MIGRATIONS[old])
                self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        if version == 0 and not self.read_only:
            with self.conn:
                self.conn.executescript(SCHEMA)
                self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        self.close()
        if isinstance(exc, sqlite3.Error) or (
            isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EROFS)
        ):
            raise store_fault(self.db_path, exc) from exc

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
        with self.conn:
            row = self.conn.execute("SELECT config_json FROM runs WHERE run_id=?", (run_id,))
            existing = row.fetchone()
            if existing is not None:
                if json.loads(existing["config_json"]).get("identity") != config.get("identity"):
                    raise StoreError(
                        f"run {run_id!r} already exists in {self.root} with different images "
                        "(model, suite, seeds or settings); choose another --run-id"
                    )
                self.conn.execute(
                    "UPDATE runs SET status='running', updated_at=?, config_json=?, "
                    "provenance_json=? WHERE run_id=?",
                    (ts, json.dumps(config), json.dumps(provenance), run_id),
                )
                return True
            self.conn.execute(
                "INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    run_id, model, suite_name, suite_version, suite_hash, "running",
                    planned_images, ts, ts, json.dumps(config), json.dumps(provenance),
                ),
            )  # fmt: skip
            self.conn.executemany(
                "INSERT INTO run_prompts VALUES (?,?,?,?,?)",
                [
                    (run_id, p.id, i, p.category, json.dumps(p.to_dict(), ensure_ascii=False))
                    for i, p in enumerate(prompts)
                ],
            )
        return False

    def set_run_status(self, run_id: str, status: str) -> None:
        with self.conn:
            self.conn.execute(
                "UPDATE runs SET status=?, updated_at=? WHERE run_id=?", (status, now_iso(), run_id)
            )

    def set_run_provenance(self, run_id: str, provenance: dict[str, Any]) -> None:
        with self.conn:
            self.conn.execute(
                "UPDATE runs SET provenance_json=? WHERE run_id=?", (json.dumps(provenance), run_id)
            )

    def set_run_checks(self, run_id: str, checks: Sequence[Any]) -> None:
        """Record which checks (with which config) score this run; replaces earlier choices."""
        with self.conn:
            self.conn.execute("DELETE FROM run_checks WHERE run_id=?", (run_id,))
            self.conn.executemany(
                "INSERT INTO run_checks VALUES (?,?,?,?,?)",
                [
                    (run_id, c.name, c.version, c.config_hash(), json.dumps(c.config_dict()))
                    for c in checks
                ],
            )

    def run_checks(self, run_id: str) -> dict[str, dict[str, Any]]:
        """The checks that score a run: name -> version, config hash and config."""
        rows = self.conn.execute(
            "SELECT * FROM run_checks WHERE run_id=? ORDER BY check_name", (run_id,)
        ).fetchall()
        return {
            r["check_name"]: {"version": r["check_version"], "config_hash": r["config_hash"],
                              "config": json.loads(r["config_json"])}
            for r in rows
        }  # fmt: skip

    def _run_from_row(self, row: sqlite3.Row) -> RunRecord:
        d = dict(row)
        provenance = json.loads(d.pop("provenance_json"))
        # Killed outright, a process cannot mark its run interrupted: readers see it is gone.
        if d["status"] == "running" and process_alive(provenance.get("process")) is False:
            d["status"] = "interrupted"
        return RunRecord(config=json.loads(d.pop("config_json")), provenance=provenance, **d)

    def get_run(self, run_id: str) -> RunRecord:
        row = self.conn.execute("SELECT * FROM runs WHERE run_id=?", (run_id,)).fetchone()
        if row is None:
            known = [r.run_id for r in self.list_runs()]
            hint = f"runs in this store: {', '.join(known)}" if known else "this store has no runs"
            raise StoreError(f"no run {run_id!r} in {self.root}; {hint}")
        return self._run_from_row(row)

    def list_runs(self) -> list[RunRecord]:
        rows = self.conn.execute("SELECT * FROM runs ORDER BY created_at, run_id").fetchall()
        return [self._run_from_row(r) for r in rows]

    def run_prompts(self, run_id: str) -> list[PromptSpec]:
        from t2iqa.suites.files import parse_prompt_entry

        rows = self.conn.execute(
            "SELECT spec_json FROM run_prompts WHERE run_id=? ORDER BY position", (run_id,)
        ).fetchall()
        specs = []
        for r in rows:
            problems: list[str] = []
            spec = parse_prompt_entry(json.loads(r["spec_json"]), "stored prompt", problems)
            if spec is None:
                raise StoreError(f"run {run_id!r} holds an unreadable prompt: {problems}")
            specs.append(spec)
        return specs

    # ---------------------------------------------------------------------------- images

    def image_path(self, image_hash: str, suffix: str = ".png") -> Path:
        return self.root / "images" / image_hash[:2] / f"{image_hash}{suffix}"

    def put_image_file(self, data: bytes, suffix: str = ".png") -> tuple[str, str]:
        """Write image bytes by content hash; returns (hash, path relative to the store)."""
        digest = content_hash(data)
        path = self.image_path(digest, suffix)
        if not path.is_file():
            _atomic_write(path, data)
        return digest, str(path.relative_to(self.root))

    def add_image(self, record: ImageRecord) -> None:
        with self.conn:
            self.conn.execute(
                "INSERT OR REPLACE INTO images VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    record.run_id, record.prompt_id, record.seed, record.image_hash,
                    record.context_hash, record.file, record.width, record.height,
                    record.generation_seconds, json.dumps(record.generation), now_iso(),
                ),
            )  # fmt: skip

    def done_keys(self, run_id: str) -> set[tuple[str, int]]:
        rows = self.conn.execute("SELECT prompt_id, seed FROM images WHERE run_id=?", (run_id,))
        return {(r["prompt_id"], r["seed"]) for r in rows}

    def images(self, run_id: str) -> list[ImageRecord]:
        rows = self.conn.execute(
            "SELECT i.* FROM images i JOIN run_prompts p "
            "ON p.run_id=i.run_id AND p.prompt_id=i.prompt_id "
            "WHERE i.run_id=? ORDER BY p.position, i.seed",
            (run_id,),
        ).fetchall()
        out = []
        for r in rows:
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
        found = set()
        for start in range(0, len(hashes), 500):
            part = hashes[start : start + 500]
            rows = self.conn.execute(
                "SELECT image_hash, context_hash, check_name, config_hash FROM check_results "
                f"WHERE image_hash IN ({','.join('?' * len(part))})",
                part,
            ).fetchall()
            found.update(
                tuple(r) for r in rows
                if (r[0], r[1]) in wanted_images and (r[2], r[3]) in wanted_checks
            )  # fmt: skip
        return found  # type: ignore[return-value]

    def get_check_result(
        self, image_hash: str, context_hash: str, check_name: str, config_hash: str
    ) -> CheckResult | None:
        row = self.conn.execute(
            "SELECT * FROM check_results WHERE image_hash=? AND context_hash=? AND check_name=? "
            "AND config_hash=?",
            (image_hash, context_hash, check_name, config_hash),
        ).fetchone()
        if row is None:
            return None
        passed = None if row["passed"] is None else bool(row["passed"])
        return CheckResult(
            row["check_name"], row["verdict"], passed, row["score"], row["reason"],
            json.loads(row["details_json"]),
        )  # fmt: skip

    def put_check_results(self, rows: Sequence[tuple[str, str, str, CheckResult]]) -> None:
        """Store (image hash, context hash, config hash, result) rows in one transaction."""
        ts = now_iso()
        with self.conn:
            self.conn.executemany(
                "INSERT OR REPLACE INTO check_results VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        image_hash, context_hash, r.check, config_hash, r.verdict,
                        None if r.passed is None else int(r.passed), r.score, r.reason,
                        json.dumps(r.details, default=str), ts,
                    )
                    for image_hash, context_hash, config_hash, r in rows
                ],
            )  # fmt: skip

    def put_set_result(self, run_id: str, result: SetResult) -> None:
        with self.conn:
            self.conn.execute(
                "INSERT OR REPLACE INTO set_results VALUES (?,?,?,?,?,?,?,?)",
                (
                    run_id, result.metric, result.value, result.n, result.ci_low,
                    result.ci_high, json.dumps(result.details), now_iso(),
                ),
            )  # fmt: skip

    def set_results(self, run_id: str) -> list[SetResult]:
        rows = self.conn.execute(
            "SELECT * FROM set_results WHERE run_id=? ORDER BY metric", (run_id,)
        ).fetchall()
        return [
            SetResult(r["metric"], r["value"], r["n"], r["ci_low"], r["ci_high"],
                      json.loads(r["details_json"]))
            for r in rows
        ]  # fmt: skip

    def result_rows(self, run_id: str) -> list[ResultRow]:
        """The run's (image, check) rows, typed (``iter_result_rows``, as a list)."""
        return list(self.iter_result_rows(run_id))

    def image_totals(self) -> dict[str, tuple[int, int]]:
        """run id -> (images stored, their pixels in all)."""
        rows = self.conn.execute(
            "SELECT run_id, COUNT(*), COALESCE(SUM(width * height), 0) FROM images GROUP BY run_id"
        )
        return {run_id: (count, pixels) for run_id, count, pixels in rows}

    def iter_result_rows(self, run_id: str) -> Iterator[ResultRow]:
        """One row per (image, check of the run), in suite order: the table that summaries,
        comparisons and exports use. Images whose result for a check is not stored yet come
        with verdict ``None``."""
        self.get_run(run_id)
        rows = self.conn.execute(
            """
            SELECT i.run_id, i.prompt_id, p.category,
                   json_extract(p.spec_json, '$.prompt') AS prompt, i.seed, i.image_hash,
                   i.file, i.width, i.height, i.generation_seconds, rc.check_name,
                   r.verdict, r.passed, r.score, r.reason, r.details_json
            FROM images i
            JOIN run_prompts p ON p.run_id = i.run_id AND p.prompt_id = i.prompt_id
            JOIN run_checks rc ON rc.run_id = i.run_id
            LEFT JOIN check_results r
              ON r.image_hash = i.image_hash AND r.context_hash = i.context_hash
             AND r.check_name = rc.check_name AND r.config_hash = rc.config_hash
            WHERE i.run_id = ?
            ORDER BY p.position, i.seed, rc.check_name
            """,
            (run_id,),
        )
        for r in rows:
            d = dict(r)
            d["passed"] = None if d["passed"] is None else bool(d["passed"])
            d["details_json"] = d["details_json"] or "{}"
            d["check"] = d.pop("check_name")
            yield ResultRow(**d)
