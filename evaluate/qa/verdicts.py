"""Pre-publication QA: images plus their prompts in, one verdict per image out.

``t2iqa check`` and the dashboard's upload page both call ``check_entries``; scoring goes
through ``t2iqa.checks.base.run_check``, the same function ``t2iqa run`` uses, so a verdict here is
the verdict a run would store.

A policy (YAML) says which checks run, their options (thresholds are check options, e.g.
``ocr_text.max_ned``) and which checks block publication; the others only warn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from t2iqa.checks import QA_DEFAULT_CHECKS, REGISTRY, build_checks
from t2iqa.checks.base import Check, ImageUnderTest, run_check
from t2iqa.core.errors import SuiteError, T2IQAError
from t2iqa.core.images import ImageInputError, LoadedImage, read_image_file
from t2iqa.core.prompts import PromptSpec
from t2iqa.core.results import ERROR, UNAVAILABLE, CheckResult
from t2iqa.qa.entries import QAEntry
from t2iqa.suites.files import read_yaml

PASS, FAIL, INPUT_ERROR = "pass", "fail", "error"
# A check the prompt needs (its text, counts, hands) could not run: nothing says it is right.
UNVERIFIED = "unverified"
POLICY_KEYS = {"checks", "blocking", "options", "allow_unavailable"}


@dataclass(frozen=True)
class Policy:
    checks: tuple[str, ...] | None = None  # None: every registered check
    blocking: tuple[str, ...] | None = None  # None: every check run, but the warn-only ones
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    # A check the prompt needs that cannot run here (weights missing) makes the image
    # "unverified"; true lets it pass with a warning instead. Other checks that cannot run
    # (CLIP alignment) are a warning either way.
    allow_unavailable: bool = False

    def check_names(self) -> tuple[str, ...]:
        return self.checks if self.checks is not None else QA_DEFAULT_CHECKS

    def blocks(self, check: str) -> bool:
        if self.blocking is not None:
            return check in self.blocking
        # Unless the policy names them, each check says whether it blocks (a warn-only one
        # is worth a look, not an automatic rejection).
        cls = REGISTRY.get(check)
        return cls is None or cls.blocking

    def build(self) -> list[Check]:
        return build_checks(self.check_names(), self.options)

    def to_dict(self) -> dict[str, Any]:
        return {
            "checks": list(self.check_names()),
            "blocking": [c for c in self.check_names() if self.blocks(c)],
            "options": self.options,
            "allow_unavailable": self.allow_unavailable,
        }


def load_policy(path: Path) -> Policy:
    """Read a policy file, listing every problem in it at once."""
    raw = read_yaml(path, "policy file")
    return policy_from_dict(raw if raw is not None else {}, str(path))


def policy_from_dict(raw: Any, source: str = "policy") -> Policy:
    problems: list[str] = []
    if not isinstance(raw, Mapping):
        raise SuiteError(source, ["a policy is a mapping with keys " + ", ".join(POLICY_KEYS)])
    if unknown := sorted(set(raw) - POLICY_KEYS):
        problems.append(f"unknown key(s) {unknown}; allowed: {sorted(POLICY_KEYS)}")

    def names(key: str) -> tuple[str, ...] | None:
        value = raw.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(f"'{key}' must be a list of check names")
            return None
        if bad := [v for v in value if v not in REGISTRY]:
            problems.append(f"'{key}' names unknown check(s) {bad}; known: {list(REGISTRY)}")
        return tuple(value)

    checks, blocking = names("checks"), names("blocking")
    options = raw.get("options") or {}
    if not isinstance(options, Mapping) or not all(
        isinstance(v, Mapping) for v in options.values()
    ):
        problems.append("'options' must map check names to mappings of option values")
        options = {}
    allow = raw.get("allow_unavailable", False)
    if not isinstance(allow, bool):
        problems.append("'allow_unavailable' must be true or false")
    if problems:
        raise SuiteError(source, problems)
    policy = Policy(checks, blocking, {k: dict(v) for k, v in options.items()}, bool(allow))
    try:
        policy.build()  # unknown checks or options, bad option values: reported now, not later
    except (T2IQAError, TypeError) as exc:
        raise SuiteError(source, [str(exc)]) from None
    return policy


# ---------------------------------------------------------------- verdicts


@dataclass
class QAVerdict:
    """One image's verdict: pass, fail (a blocking check failed) or error (unusable input)."""

    image: str
    prompt: str | None
    verdict: str
    reasons: list[str]  # why it fails, blocking checks first
    warnings: list[str]  # non-blocking failures
    results: list[CheckResult]
    expect: dict[str, Any] = field(default_factory=dict)
    image_sha256: str | None = None
    note: str | None = None  # e.g. how a 16-bit image was converted

    def to_dict(self) -> dict[str, Any]:
        return {
            "image": self.image,
            "prompt": self.prompt,
            "expect": self.expect,
            "verdict": self.verdict,
            "reasons": self.reasons,
            "warnings": self.warnings,
            "image_sha256": self.image_sha256,
            "note": self.note,
            "checks": {r.check: r.to_dict() for r in self.results},
        }


def decide(policy: Policy, results: Iterable[CheckResult]) -> tuple[str, list[str], list[str]]:
    """(verdict, reasons, warnings) of one image from its check results under a policy:
    fail when a blocking check failed; else unverified when a blocking check the prompt
    needs could not run (unless the policy allows it); else pass."""
    reasons: list[str] = []
    unverified: list[str] = []
    warnings: list[str] = []
    for r in results:
        if r.passed is False:
            line = f"{r.check}: {r.reason}"
        elif r.verdict == ERROR:
            line = f"{r.check} could not judge: {r.reason}"
        elif r.verdict == UNAVAILABLE:
            line = f"{r.check} cannot run here: {r.reason}"
            cls = REGISTRY.get(r.check)
            needed = cls is not None and cls.verifies_expectations
            if needed and policy.blocks(r.check) and not policy.allow_unavailable:
                unverified.append(line)
            else:
                warnings.append(line)
            continue
        else:
            continue
        (reasons if policy.blocks(r.check) else warnings).append(line)
    if reasons:
        return FAIL, reasons, unverified + warnings
    return (UNVERIFIED, unverified, warnings) if unverified else (PASS, [], warnings)


def judge_images(
    checks: Sequence[Check], policy: Policy, items: Sequence[ImageUnderTest]
) -> list[tuple[str, list[str], list[str], list[CheckResult]]]:
    per_check = [run_check(check, items) for check in checks]
    out = []
    for k in range(len(items)):
        results = [rs[k] for rs in per_check]
        verdict, reasons, warnings = decide(policy, results)
        out.append((verdict, reasons, warnings, results))
    return out


def check_entry(checks: Sequence[Check], policy: Policy, entry: QAEntry) -> QAVerdict:
    """Judge one entry; an unusable entry or file becomes an error row, never an exception."""
    return check_batch(checks, policy, [entry])[0]


def check_batch(
    checks: Sequence[Check], policy: Policy, entries: Sequence[QAEntry]
) -> list[QAVerdict]:
    """Judge entries together, in order: each check sees the readable images in one call
    (CLIP embeds them as one batch). Unusable entries and files become error rows."""
    verdicts: list[QAVerdict | None] = [None] * len(entries)
    readable: list[tuple[int, PromptSpec, LoadedImage]] = []
    for k, entry in enumerate(entries):
        problem = entry.problem
        if entry.spec is not None and not problem:
            try:
                readable.append((k, entry.spec, read_image_file(entry.path)))
                continue
            except ImageInputError as exc:
                problem = str(exc)
        prompt = entry.spec.prompt if entry.spec else None
        reason = problem or "the entry has no usable prompt"
        verdicts[k] = QAVerdict(str(entry.path), prompt, INPUT_ERROR, [reason], [], [])
    items = [
        ImageUnderTest(loaded.image, loaded.sha256, spec, encoded=loaded.data)
        for _, spec, loaded in readable
    ]
    judged = judge_images(checks, policy, items)
    for (k, spec, loaded), (verdict, reasons, warnings, results) in zip(
        readable, judged, strict=True
    ):
        verdicts[k] = QAVerdict(
            str(entries[k].path), spec.prompt, verdict, reasons, warnings, results,
            spec.expect.to_dict(), loaded.sha256, loaded.note,
        )  # fmt: skip
    return [v for v in verdicts if v is not None]


# Images judged together: enough for batched CLIP on a GPU, few enough to keep memory small.
QA_BATCH_SIZE = 16


def build_bound(policy: Policy, specs: Sequence[PromptSpec]) -> list[Check]:
    """The policy's checks, told every prompt of the batch."""
    return [check.bind(specs) for check in policy.build()]


def check_entries(
    entries: Sequence[QAEntry],
    policy: Policy,
    workers: int = 1,
    on_result: Callable[[QAVerdict], None] = lambda v: None,
    batch_size: int = QA_BATCH_SIZE,
) -> list[QAVerdict]:
    """Judge every entry, in order, ``batch_size`` images at a time (batched model calls,
    bounded memory). ``workers`` > 1 spreads the batches over processes (each loads the
    models once), as many as have ``MIN_IMAGES_PER_WORKER`` images each: fewer would be
    slower than one process."""
    specs = [e.spec for e in entries if e.spec is not None]
    from t2iqa.qa import workers as pool

    checks = build_bound(policy, specs)  # fails fast on a bad policy, before workers start
    workers = max(1, min(workers, len(entries) // pool.MIN_IMAGES_PER_WORKER))
    parallel = workers > 1
    # Smaller batches for workers: every worker gets some of a modest folder, and the last
    # batch, which one process judges while the others have finished, is short (40 images
    # in batches of 10 left a helper idle for most of a batch, ~14 s on one core; in batches
    # of 3, about 2 s). A sixteenth of a process's share: single images below 32 a process.
    size = min(batch_size, max(1, len(entries) // (16 * workers))) if parallel else batch_size
    batches = [list(entries[i : i + size]) for i in range(0, len(entries), size)]

    def collect(judged: Iterable[list[QAVerdict]]) -> list[QAVerdict]:
        out = []
        for verdicts in judged:
            for verdict in verdicts:
                out.append(verdict)
                on_result(verdict)
        return out

    if not parallel:
        return collect(check_batch(checks, policy, batch) for batch in batches)
    return collect(pool.judge_alongside_helpers(checks, policy, batches, workers, specs))


__all__ = [
    "FAIL",
    "INPUT_ERROR",
    "PASS",
    "Policy",
    "QAVerdict",
    "check_batch",
    "check_entries",
    "check_entry",
    "decide",
    "load_policy",
    "policy_from_dict",
]
