"""Typed results, as every stage after the checks reads them: per image (CheckResult) and
per run (SetResult), with the verdict keywords every check shares."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

# Verdict keywords shared by all checks; a check may add its own failure kinds
# (e.g. "blank", "malformed"), but these four mean the same everywhere.
OK = "ok"
NOT_APPLICABLE = "not_applicable"  # the prompt asks nothing this check can judge
UNAVAILABLE = "unavailable"  # the check cannot run here (missing weights): no score invented
ERROR = "error"  # the check crashed on this input; the reason says why


def stable_hash(obj: Any) -> str:
    """Short hash of a JSON-able object, independent of key order."""
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass
class CheckResult:
    """One check's verdict on one image.

    ``passed`` is True / False, or None when the check does not apply or cannot run.
    ``score`` is in [0, 1] (higher is better) unless the check documents another unit.
    ``reason`` is a sentence for a person; ``details`` keeps what overlays need (boxes,
    landmarks, measurements).
    """

    check: str
    verdict: str
    passed: bool | None
    score: float | None
    reason: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class SetResult:
    """A set-level metric of one run (FID, KID, CMMD, ...) with its sample size and interval."""

    metric: str
    value: float
    n: int
    ci_low: float | None = None
    ci_high: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
