"""The regression gate: which measure each check is judged on, and how much change is noise.

A gate file is YAML; every key is optional and the defaults below apply::

    confidence: 0.95          # of the bootstrap intervals
    resamples: 5000           # bootstrap resamples (of prompts)
    seed: 0                   # of the bootstrap: the same inputs give the same report
    min_prompts: 10           # fewer paired prompts than this: the cell says so
    on_incomparable: fail     # fail | warn: runs scored differently (scorer version, resize)
    allow_differences: []     # provenance keys that may differ without a warning
    checks:
      clip_alignment: {measure: score, tolerance: 0.5}
      unexpected_text: {gate: false}        # reported, never fails the gate
      ocr_text: {tolerance: 0.05, categories: [text]}
    set_metrics:
      fid: {tolerance: 2.0}

A cell regresses when the whole interval of (candidate − baseline) lies below −tolerance,
and improves when it lies above +tolerance. Tolerances are in the measure's units: pass
rates are fractions (0.02 = two percentage points), scores are the check's own score unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from t2iqa.checks import REGISTRY, SET_METRICS, Check
from t2iqa.comparison.stats import DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES
from t2iqa.core.errors import SuiteError
from t2iqa.suites.files import read_yaml

MEASURES = ("pass_rate", "score")
DEFAULT_PASS_RATE_TOLERANCE = Check.gate_tolerance
DEFAULT_SCORE_TOLERANCE = 0.02


@dataclass(frozen=True)
class CheckGate:
    measure: str = "pass_rate"
    tolerance: float = DEFAULT_PASS_RATE_TOLERANCE
    gate: bool = True  # False: reported, never fails the comparison
    categories: tuple[str, ...] | None = None  # None: every category and "all"


@dataclass(frozen=True)
class SetMetricGate:
    tolerance: float
    gate: bool = True


def default_check_gate(name: str) -> CheckGate:
    """What the check declares on its class (measure, tolerance, gated); a check that is
    not registered here (scored by another install) gets the plain pass-rate rule."""
    cls = REGISTRY.get(name)
    if cls is None:
        return CheckGate()
    return CheckGate(measure=cls.gate_measure, tolerance=cls.gate_tolerance, gate=cls.gated)


def default_set_metric_gate(name: str) -> SetMetricGate:
    cls = SET_METRICS.get(name)
    return SetMetricGate(0.0) if cls is None else SetMetricGate(cls.gate_tolerance, cls.gated)


GATE_KEYS = {
    "confidence", "resamples", "seed", "min_prompts", "on_incomparable", "allow_differences",
    "checks", "set_metrics",
}  # fmt: skip


@dataclass(frozen=True)
class Gate:
    confidence: float = DEFAULT_CONFIDENCE
    resamples: int = DEFAULT_RESAMPLES
    seed: int = 0
    min_prompts: int = 10
    on_incomparable: str = "fail"
    allow_differences: tuple[str, ...] = ()
    # What a gate file sets; everything else follows what each check or metric declares.
    checks: dict[str, CheckGate] = field(default_factory=dict)
    set_metrics: dict[str, SetMetricGate] = field(default_factory=dict)

    def for_check(self, name: str) -> CheckGate:
        return self.checks.get(name) or default_check_gate(name)

    def for_set_metric(self, name: str) -> SetMetricGate:
        return self.set_metrics.get(name) or default_set_metric_gate(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "confidence": self.confidence, "resamples": self.resamples, "seed": self.seed,
            "min_prompts": self.min_prompts, "on_incomparable": self.on_incomparable,
            "allow_differences": list(self.allow_differences),
            "checks": {
                k: {**vars(v), "categories": None if v.categories is None else list(v.categories)}
                for k, v in sorted(self.checks.items())
            },
            "set_metrics": {k: vars(v) for k, v in sorted(self.set_metrics.items())},
        }  # fmt: skip


def load_gate(path: Path | None) -> Gate:
    """The gate in ``path``, or the defaults. Every problem in the file is listed at once."""
    if path is None:
        return Gate()
    raw = read_yaml(path, "gate file")
    return gate_from_dict(raw if raw is not None else {}, str(path))


def _number(raw: Mapping[str, Any], key: str, problems: list[str], where: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        problems.append(f"{where}'{key}' must be a number >= 0, not {value!r}")
        return None
    return float(value)


def _flag(raw: Mapping[str, Any], key: str, problems: list[str], where: str) -> bool | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, bool):
        problems.append(f"{where}'{key}' must be true or false, not {value!r}")
        return None
    return value


def _check_gate(name: str, raw: Any, problems: list[str]) -> CheckGate | None:
    where = f"checks.{name}: "
    if name not in REGISTRY:
        problems.append(f"checks: unknown check {name!r}; known: {sorted(REGISTRY)}")
        return None
    if not isinstance(raw, Mapping):
        problems.append(f"{where}must be a mapping of measure, tolerance, gate, categories")
        return None
    if unknown := sorted(set(raw) - {"measure", "tolerance", "gate", "categories"}):
        problems.append(f"{where}unknown key(s) {unknown}")
    base = default_check_gate(name)
    measure = raw.get("measure", base.measure)
    if measure not in MEASURES:
        problems.append(f"{where}'measure' must be one of {list(MEASURES)}, not {measure!r}")
        measure = base.measure
    tolerance = _number(raw, "tolerance", problems, where)
    if tolerance is None:
        changed = measure != base.measure
        tolerance = (
            (DEFAULT_SCORE_TOLERANCE if measure == "score" else DEFAULT_PASS_RATE_TOLERANCE)
            if changed
            else base.tolerance
        )
    gate = _flag(raw, "gate", problems, where)
    categories = raw.get("categories")
    if categories is not None and (
        not isinstance(categories, list) or not all(isinstance(c, str) for c in categories)
    ):
        problems.append(f"{where}'categories' must be a list of category names")
        categories = None
    return CheckGate(
        measure, tolerance, base.gate if gate is None else gate,
        tuple(categories) if categories is not None else None,
    )  # fmt: skip


def gate_from_dict(raw: Any, source: str = "gate") -> Gate:
    if not isinstance(raw, Mapping):
        raise SuiteError(source, [f"a gate file is a mapping with keys {sorted(GATE_KEYS)}"])
    problems: list[str] = []
    if unknown := sorted(set(raw) - GATE_KEYS):
        problems.append(f"unknown key(s) {unknown}; allowed: {sorted(GATE_KEYS)}")
    gate = Gate()
    confidence = raw.get("confidence", gate.confidence)
    if isinstance(confidence, bool) or not isinstance(confidence, float | int):
        problems.append(f"'confidence' must be a number between 0.5 and 0.999, not {confidence!r}")
    elif not 0.5 <= confidence <= 0.999:
        problems.append(f"'confidence' must be between 0.5 and 0.999, not {confidence}")
    ints = {}
    for key, low in (("resamples", 100), ("seed", 0), ("min_prompts", 1)):
        value = raw.get(key, getattr(gate, key))
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            problems.append(f"'{key}' must be a whole number >= {low}, not {value!r}")
            value = getattr(gate, key)
        ints[key] = value
    on_incomparable = raw.get("on_incomparable", gate.on_incomparable)
    if on_incomparable not in ("fail", "warn"):
        problems.append(f"'on_incomparable' must be fail or warn, not {on_incomparable!r}")
    allow = raw.get("allow_differences") or []
    if not isinstance(allow, list) or not all(isinstance(a, str) for a in allow):
        problems.append("'allow_differences' must list provenance keys, e.g. packages.torch")
        allow = []
    checks: dict[str, CheckGate] = {}
    raw_checks = raw.get("checks") or {}
    if not isinstance(raw_checks, Mapping):
        problems.append("'checks' must map check names to their gate settings")
        raw_checks = {}
    for name, value in raw_checks.items():
        if (check_gate := _check_gate(str(name), value, problems)) is not None:
            checks[str(name)] = check_gate
    set_metrics: dict[str, SetMetricGate] = {}
    raw_sets = raw.get("set_metrics") or {}
    if not isinstance(raw_sets, Mapping):
        problems.append("'set_metrics' must map metric names to their gate settings")
        raw_sets = {}
    for name, value in raw_sets.items():
        where = f"set_metrics.{name}: "
        if name not in SET_METRICS:
            problems.append(f"set_metrics: unknown metric {name!r}; known: {sorted(SET_METRICS)}")
            continue
        if not isinstance(value, Mapping) or set(value) - {"tolerance", "gate"}:
            problems.append(f"{where}must be a mapping with 'tolerance' and/or 'gate'")
            continue
        base = default_set_metric_gate(name)
        tolerance = _number(value, "tolerance", problems, where)
        flag = _flag(value, "gate", problems, where)
        set_metrics[name] = replace(
            base,
            tolerance=base.tolerance if tolerance is None else tolerance,
            gate=base.gate if flag is None else flag,
        )
    if problems:
        raise SuiteError(source, problems)
    return Gate(
        float(confidence), ints["resamples"], ints["seed"], ints["min_prompts"],
        on_incomparable, tuple(allow), checks, set_metrics,
    )  # fmt: skip
