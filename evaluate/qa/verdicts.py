"""Pre-publication QA: images plus their prompts in, one verdict per image out.

``t2iqa check`` and the dashboard's upload page both call ``check_entries``; scoring goes
through ``t2iqa.checks.base.run_check``, the same function ``t2iqa run`` uses, so a verdict here is
the verdict a run would store.

A policy (YAML) says which checks run, their options (thresholds are check options, e.g.
``ocr_text.max_ned``) and which checks block publication; the others only warn.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from t2iqa.checks import QA_DEFAULT_CHECKS, REGISTRY, build_checks
from t2iqa.checks.base import Check, ImageUnderTest, run_check
from t2iqa.core.errors import SuiteError, T2IQAError
from t2iqa.core.images import ImageInputError, LoadedImage, images_in, read_image_file
from t2iqa.core.parsing import NestingError, json_value
from t2iqa.core.paths import path_in_folder
from t2iqa.core.prompts import PromptSpec
from t2iqa.core.results import ERROR, UNAVAILABLE, CheckResult
from t2iqa.suites.files import parse_prompt_entry, read_yaml

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


# ---------------------------------------------------------------- entries: what to check


@dataclass(frozen=True)
class QAEntry:
    """One image to judge and what it should show. ``problem`` is set when the entry itself
    is unusable (bad prompt or expectations); the image is then not looked at."""

    path: Path
    spec: PromptSpec | None
    problem: str | None = None


def _entry_id(path: Path) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem).strip("-.")[:128] or "image"


def make_entry(path: Path, prompt: Any, expect: Any = None, where: str | None = None) -> QAEntry:
    raw: dict[str, Any] = {"id": _entry_id(path), "prompt": prompt, "category": "qa"}
    if expect is not None:
        raw["expect"] = expect
    problems: list[str] = []
    spec = parse_prompt_entry(raw, where or str(path), problems)
    if spec is None:
        return QAEntry(path, None, "; ".join(problems))
    return QAEntry(path, spec)


def entries_from_paths(
    paths: Sequence[Path], prompt: str, expect: Mapping[str, Any] | None = None
) -> list[QAEntry]:
    """Image files and folders (their images, sorted) judged against one prompt."""
    out: list[QAEntry] = []
    for path in paths:
        if path.is_dir():
            files = images_in(path)
            if not files:
                raise T2IQAError(f"{path}: the folder holds no image files")
            out.extend(make_entry(f, prompt, expect) for f in files)
        else:
            out.append(make_entry(path, prompt, expect))
    return out


MANIFEST_IMAGE_KEYS = ("image", "file", "path")


def expectations_for(
    prompt: str, text: str | None = None, hands: int | None = None
) -> dict[str, Any] | None:
    """What the prompt implies, overridden by explicit expectations; None = the prompt's."""
    if text is None and hands is None:
        return None
    from t2iqa.core.expectations import parse_expectations

    expect = parse_expectations(prompt).to_dict()
    if text is not None:
        expect["text"] = text
    if hands is not None:
        expect["hands"] = hands
    return expect


def read_manifest(path: Path, allow_outside: bool = False) -> list[QAEntry]:
    """A JSONL or CSV manifest: image path (relative to the manifest, inside its folder unless
    ``allow_outside``), prompt, optional expectations (JSONL: an ``expect`` object; CSV:
    ``text``, ``hands``, ``counts`` columns with counts as ``apple=3;dog=1``)."""
    if not path.is_file():
        raise T2IQAError(f"manifest {path} does not exist")
    rows: list[tuple[str, dict[str, Any]]] = []
    problems: list[str] = []
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".jsonl":
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json_value(line, f"line {n}")
            except NestingError as exc:
                problems.append(str(exc))
                continue
            except json.JSONDecodeError as exc:
                problems.append(f"line {n}: not JSON ({exc.msg})")
                continue
            if not isinstance(obj, dict):
                problems.append(f"line {n}: each line must be a JSON object")
                continue
            rows.append((f"line {n}", obj))
    elif path.suffix.lower() in (".csv", ".tsv"):
        reader = csv.DictReader(text.splitlines(), delimiter="\t" if path.suffix == ".tsv" else ",")
        for n, row in enumerate(reader, 2):
            rows.append((f"row {n}", _csv_entry(row, f"row {n}", problems)))
    else:
        raise T2IQAError(f"manifest {path}: use .jsonl or .csv (got {path.suffix or 'no suffix'})")
    entries = []
    for where, obj in rows:
        image = next((obj[k] for k in MANIFEST_IMAGE_KEYS if obj.get(k)), None)
        if not isinstance(image, str):
            problems.append(f"{where}: no image path (column 'image')")
            continue
        if "prompt" not in obj:
            problems.append(f"{where}: no 'prompt'")
            continue
        try:
            image_path = path_in_folder(path.parent, image, where, allow_outside)
        except T2IQAError as exc:
            problems.append(str(exc))
            continue
        entries.append(make_entry(image_path, obj["prompt"], obj.get("expect"), f"{path} {where}"))
    if problems:
        raise SuiteError(str(path), problems)
    if not entries:
        raise T2IQAError(f"manifest {path} lists no images")
    return entries


def _csv_entry(row: dict[str, Any], where: str, problems: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {k: v for k, v in row.items() if k in (*MANIFEST_IMAGE_KEYS, "prompt")}
    expect: dict[str, Any] = {}
    if row.get("text"):
        expect["text"] = row["text"]
    if row.get("hands"):
        try:
            expect["hands"] = int(row["hands"])
        except ValueError:
            problems.append(f"{where}: hands must be a whole number, got {row['hands']!r}")
    if row.get("counts"):
        for part in str(row["counts"]).split(";"):
            noun, _, n = part.partition("=")
            try:
                expect.setdefault("counts", {})[noun.strip()] = int(n)
            except ValueError:
                problems.append(f"{where}: counts must look like apple=3;dog=1, got {part!r}")
    if expect:
        out["expect"] = expect
    return out


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
    # of 3, about 2 s). A sixteenth of a process's share: single images up to 63 per process.
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
    "QAEntry",
    "QAVerdict",
    "check_batch",
    "check_entries",
    "check_entry",
    "decide",
    "entries_from_paths",
    "expectations_for",
    "load_policy",
    "make_entry",
    "policy_from_dict",
    "read_manifest",
]
