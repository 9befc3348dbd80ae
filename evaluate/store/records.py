"""What the store holds, as typed records: a run, one of its images, one (image, check) row."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field, fields
from typing import Any


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
