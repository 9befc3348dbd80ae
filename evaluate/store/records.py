"""What the store holds, as typed records: a run, one of its images, one (image, check) row;
and the conversions between the typed results and the tables' rows."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from typing import Any

from t2iqa.core.results import CheckResult, SetResult


def now_iso(timespec: str = "seconds") -> str:
    return datetime.now(timezone.utc).isoformat(timespec=timespec)


def plain_float(value: Any) -> float | None:
    """A number as a plain float: PostgreSQL's driver does not take numpy's float32."""
    return None if value is None else float(value)


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


def image_row(record: ImageRecord) -> dict[str, Any]:
    return dict(
        run_id=record.run_id, prompt_id=record.prompt_id, seed=record.seed,
        image_hash=record.image_hash, context_hash=record.context_hash, file=record.file,
        width=record.width, height=record.height,
        generation_seconds=plain_float(record.generation_seconds),
        generation_json=json.dumps(record.generation), created_at=now_iso(),
    )  # fmt: skip


def check_result_rows(results: Sequence[tuple[str, str, str, CheckResult]]) -> list[dict]:
    """Rows of (image hash, context hash, config hash, result), written at one time."""
    ts = now_iso()
    return [
        dict(
            image_hash=image_hash, context_hash=context_hash, check_name=r.check,
            config_hash=config_hash, verdict=r.verdict,
            passed=None if r.passed is None else int(r.passed), score=plain_float(r.score),
            reason=r.reason, details_json=json.dumps(r.details, default=str), created_at=ts,
        )
        for image_hash, context_hash, config_hash, r in results
    ]  # fmt: skip


def check_result_from(row: Mapping[str, Any]) -> CheckResult:
    passed = None if row["passed"] is None else bool(row["passed"])
    return CheckResult(row["check_name"], row["verdict"], passed, row["score"], row["reason"],
                       json.loads(row["details_json"]))  # fmt: skip


def set_result_row(run_id: str, result: SetResult) -> dict[str, Any]:
    return dict(
        run_id=run_id, metric=result.metric, value=float(result.value), n=int(result.n),
        ci_low=plain_float(result.ci_low), ci_high=plain_float(result.ci_high),
        details_json=json.dumps(result.details), created_at=now_iso(),
    )  # fmt: skip


def set_result_from(row: Mapping[str, Any]) -> SetResult:
    return SetResult(row["metric"], row["value"], row["n"], row["ci_low"], row["ci_high"],
                     json.loads(row["details_json"]))  # fmt: skip
