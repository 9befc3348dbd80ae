"""Suites: versioned data files of prompts with typed expectations.

A suite file is YAML (``name``, ``version``, ``description``, ``prompts``) or JSONL (one prompt
object a line, with an optional first header line holding ``name``/``version``). A user's plain
prompt list (txt, CSV/TSV or JSONL with a prompt column, e.g. a PartiPrompts or DrawBench file)
is imported with :func:`import_prompt_list`.

Validation collects every problem in a file and reports them together, each naming the prompt.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import importlib.resources
import io
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from t2iqa.core.errors import SuiteError
from t2iqa.core.expectations import Expectations, parse_expectations
from t2iqa.core.fast_yaml import NotPlain, load_plain
from t2iqa.core.parsing import MAX_NESTING, NestingError, checked_nesting, json_value
from t2iqa.core.prompts import PromptSpec
from t2iqa.suites.expect import parse_expect

if TYPE_CHECKING:  # importlib.resources.abc is new in Python 3.11
    from importlib.resources.abc import Traversable

# The bundled suites ship inside the installed package (t2iqa.benchmarks): found through
# importlib.resources, so they load from a wheel as from a checkout.
BUNDLED_PACKAGE = "t2iqa.benchmarks"
PROMPT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
SUITE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SUITE_KEYS = {"name", "version", "description", "scoring", "prompts"}
PROMPT_KEYS = {"id", "prompt", "category", "negative_prompt", "expect"}
MAX_PROMPT_CHARS = 2000
# Terminal escapes and NULs: never meant, and they would drive the terminal that shows them.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Column names accepted for the prompt in a user's CSV/TSV/JSONL (PartiPrompts: "Prompt",
# DrawBench: "Prompts").
PROMPT_COLUMNS = ("prompt", "prompts", "text", "caption")
CATEGORY_COLUMNS = ("category", "categories", "challenge")


@dataclass(frozen=True)
class Suite:
    name: str
    version: str
    prompts: tuple[PromptSpec, ...]
    description: str = ""
    source: str = ""
    # Check options the suite's scores are defined under (GenEval: its thresholds), as
    # {check: {option: value}}; a user's own options for a check win over them.
    scoring: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def categories(self) -> list[str]:
        return sorted({p.category for p in self.prompts})

    def by_id(self) -> dict[str, PromptSpec]:
        return {p.id: p for p in self.prompts}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "description": self.description,
        }
        if self.scoring:  # absent when empty: older suites keep their content hash
            out["scoring"] = {k: dict(v) for k, v in self.scoring.items()}
        out["prompts"] = [p.to_dict() for p in self.prompts]
        return out

    def check_options(self, user: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
        """The options each check runs under: the suite's scoring, then the user's over it."""
        names = dict.fromkeys([*self.scoring, *user])
        return {n: {**self.scoring.get(n, {}), **user.get(n, {})} for n in names}

    def content_hash(self) -> str:
        """Hash of what the suite asks for (not of its file's formatting)."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def limited(self, limit: int | None) -> Suite:
        """The first ``limit`` prompts, keeping the file order (used by ``--limit``)."""
        if limit is None or limit >= len(self.prompts):
            return self
        return dataclasses.replace(self, prompts=self.prompts[:limit])


# ---------------------------------------------------------------------------- validation


def parse_prompt_entry(
    raw: Any, where: str, problems: list[str], default_id: str | None = None
) -> PromptSpec | None:
    """One prompt object from a suite file, or ``None`` with its problems appended."""
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: each prompt must be a mapping with at least 'id' and 'prompt'")
        return None
    before = len(problems)
    unknown = set(raw) - PROMPT_KEYS
    pid = raw.get("id", default_id)
    label = f"{where} (id {pid!r})" if pid is not None else where
    if unknown:
        problems.append(
            f"{label}: unknown field(s) {sorted(unknown)}; allowed: {sorted(PROMPT_KEYS)}"
        )
    if pid is None:
        problems.append(f"{where}: missing 'id'")
    elif not isinstance(pid, str) or not PROMPT_ID.match(pid):
        problems.append(
            f"{label}: id must be 1-128 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit"
        )
    prompt = raw.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        problems.append(f"{label}: 'prompt' must be a non-empty string")
    elif found := CONTROL_CHARS.search(prompt):
        problems.append(
            f"{label}: the prompt holds a control character ({found.group()!r}); prompts are "
            "plain text (tabs and line breaks are fine)"
        )
    elif len(prompt) > MAX_PROMPT_CHARS:
        problems.append(
            f"{label}: the prompt is {len(prompt)} characters; at most {MAX_PROMPT_CHARS} "
            "(text encoders read about 77 tokens; a longer text is probably a pasting mistake)"
        )
    category = raw.get("category", "general")
    if not isinstance(category, str) or not category.strip():
        problems.append(f"{label}: 'category' must be a non-empty string")
    negative = raw.get("negative_prompt")
    if negative is not None and not isinstance(negative, str):
        problems.append(f"{label}: 'negative_prompt' must be a string")
    expect: Expectations | None = None
    source = "suite"
    if "expect" in raw:
        expect = parse_expect(raw["expect"], label, problems)
    elif isinstance(prompt, str):
        expect, source = parse_expectations(prompt), "prompt"
    if len(problems) > before:
        return None
    assert isinstance(pid, str) and isinstance(prompt, str) and expect is not None
    return PromptSpec(
        id=pid,
        prompt=prompt.strip(),
        category=category.strip(),
        negative_prompt=negative,
        expect=expect,
        expect_source=source,
    )


def build_suite(
    header: Mapping[str, Any],
    entries: Iterable[tuple[str, Any]],
    source: str,
    problems: list[str] | None = None,
) -> Suite:
    """Validate a header and (location, raw prompt) pairs into a Suite, or raise SuiteError
    listing every problem (``problems``: those found before, e.g. while reading lines)."""
    problems = problems if problems is not None else []
    unknown = set(header) - SUITE_KEYS
    if unknown:
        problems.append(
            f"unknown top-level field(s) {sorted(unknown)}; allowed: {sorted(SUITE_KEYS)}"
        )
    name = header.get("name")
    if not isinstance(name, str) or not SUITE_NAME.match(name):
        problems.append("'name' must be 1-64 letters, digits, '.', '_' or '-'")
    version = header.get("version")
    if isinstance(version, int | float) and not isinstance(version, bool):
        version = str(version)
    if not isinstance(version, str) or not version.strip():
        problems.append("'version' must be given, e.g. version: 1.0.0")
    description = header.get("description", "") or ""
    scoring = header.get("scoring", {})
    if not isinstance(scoring, Mapping) or not all(
        isinstance(k, str) and isinstance(v, Mapping) for k, v in scoring.items()
    ):
        problems.append(
            "'scoring' must map check names to their options, e.g. "
            "scoring: {composition: {geneval_tasks: true}}"
        )
        scoring = {}
    prompts: list[PromptSpec] = []
    seen: dict[str, str] = {}
    for where, raw in entries:
        spec = parse_prompt_entry(raw, where, problems)
        if spec is None:
            continue
        if spec.id in seen:
            problems.append(f"{where}: duplicate id {spec.id!r} (first at {seen[spec.id]})")
            continue
        seen[spec.id] = where
        prompts.append(spec)
    if not prompts and not problems:
        problems.append("the suite has no prompts")
    if problems:
        raise SuiteError(source, problems)
    assert isinstance(name, str) and isinstance(version, str)
    return Suite(name, version.strip(), tuple(prompts), str(description), source,
                 {k: dict(v) for k, v in scoring.items()})  # fmt: skip


# ------------------------------------------------------------------------------ loading


def _read_text(path: Path, what: str = "file") -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SuiteError(str(path), [f"{what} does not exist"]) from None
    except UnicodeDecodeError as exc:
        raise SuiteError(
            str(path), [f"not UTF-8 text ({exc.reason} at byte {exc.start})"]
        ) from None
    except OSError as exc:
        raise SuiteError(str(path), [f"cannot read the file: {exc.strerror}"]) from None


# libyaml's safe loader where PyYAML was built with it (the same documents, faster), for what
# the event-stream builder (t2iqa.core.fast_yaml) leaves to it.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path, what: str = "file") -> Any:
    """A YAML file's content; a missing, unreadable or malformed file is a SuiteError."""
    try:
        text = _read_text(path, what)
        try:
            data = load_plain(text)
        except NotPlain:  # tags, merge keys: the standard safe loader accepts or refuses them
            data = yaml.load(text, Loader=SAFE_LOADER)
        return checked_nesting(data, what)
    except (RecursionError, NestingError):
        raise SuiteError(str(path), [f"nested more than {MAX_NESTING} levels deep"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SuiteError(str(path), [f"invalid YAML{at}: {getattr(exc, 'problem', exc)}"]) from None


def load_yaml_suite(path: Path) -> Suite:
    data = read_yaml(path, "suite file")
    if not isinstance(data, Mapping):
        raise SuiteError(str(path), ["expected a mapping with name, version and prompts"])
    raw_prompts = data.get("prompts")
    if not isinstance(raw_prompts, list):
        raise SuiteError(str(path), ["'prompts' must be a list of prompt mappings"])
    header = {k: v for k, v in data.items() if k != "prompts"}
    entries = ((f"prompts[{i}]", raw) for i, raw in enumerate(raw_prompts))
    return build_suite(header, entries, str(path))


def _jsonl_entries(text: str, problems: list[str]) -> Iterator[tuple[str, Any]]:
    """(location, value) per non-empty line, parsed one at a time so a large file is never
    held twice; malformed lines are appended to ``problems``."""
    for lineno, line in enumerate(io.StringIO(text), start=1):
        if not line.strip():
            continue
        try:
            yield f"line {lineno}", json_value(line, f"line {lineno}")
        except NestingError as exc:
            problems.append(str(exc))
        except json.JSONDecodeError as exc:
            problems.append(f"line {lineno}: invalid JSON ({exc.msg} at column {exc.colno})")


def load_jsonl_suite(path: Path) -> Suite:
    problems: list[str] = []
    entries = _jsonl_entries(_read_text(path), problems)
    first = next(entries, None)
    header: dict[str, Any] = {"name": _name_from_path(path), "version": "1"}
    if first is not None and isinstance(first[1], Mapping) and "prompt" not in first[1]:
        header = dict(first[1])  # a header line: name, version, description
    elif first is not None:
        entries = itertools.chain([first], entries)
    return build_suite(header, entries, str(path), problems)


def _name_from_path(path: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem).strip("-.") or "prompts"
    return name[:64]


def bundled_suites() -> dict[str, Traversable]:
    """Name -> resource of each suite shipped with t2iqa."""
    root = importlib.resources.files(BUNDLED_PACKAGE)
    found = (r for r in root.iterdir() if r.is_file() and r.name.endswith(".yaml"))
    return {r.name.removesuffix(".yaml"): r for r in sorted(found, key=lambda r: r.name)}


def load_suite(name_or_path: str | Path) -> Suite:
    """A bundled suite by name, or a suite / prompt-list file by path."""
    bundled = bundled_suites()
    if str(name_or_path) in bundled:
        with importlib.resources.as_file(bundled[str(name_or_path)]) as path:
            return load_yaml_suite(path)
    path = Path(name_or_path).expanduser()
    if not path.exists():
        names = ", ".join(bundled) or "(none found)"
        raise SuiteError(
            str(name_or_path),
            [
                f"no bundled suite of that name and no such file; bundled suites: {names}; "
                "or pass a path to a .yaml, .jsonl, .csv, .tsv or .txt file"
            ],
        )
    if path.is_dir():
        raise SuiteError(str(path), ["is a folder; pass a suite or prompt-list file"])
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return load_yaml_suite(path)
    if suffix == ".jsonl":
        return load_jsonl_suite(path)
    if suffix in (".csv", ".tsv", ".txt"):
        return import_prompt_list(path)
    raise SuiteError(
        str(path), [f"unknown file type {suffix!r}; use .yaml, .jsonl, .csv, .tsv or .txt"]
    )


# -------------------------------------------------------------------- prompt-list import


def _pick_column(columns: Iterable[str], wanted: tuple[str, ...]) -> str | None:
    by_lower = {c.strip().lower(): c for c in columns if c}
    return next((by_lower[w] for w in wanted if w in by_lower), None)


def import_prompt_list(path: Path, name: str | None = None, version: str = "1") -> Suite:
    """A user's prompt list as a suite: ids are ``<name>-0001``..., expectations parsed."""
    name = name or _name_from_path(path)
    suffix = path.suffix.lower()
    raw_rows: list[tuple[str, str, str | None]] = []  # (where, prompt, category)
    if suffix == ".txt":
        for lineno, line in enumerate(_read_text(path).splitlines(), start=1):
            if line.strip() and not line.lstrip().startswith("#"):
                raw_rows.append((f"line {lineno}", line.strip(), None))
    elif suffix in (".csv", ".tsv"):
        text = _read_text(path)
        delimiter = "\t" if suffix == ".tsv" else ","
        reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
        prompt_col = _pick_column(reader.fieldnames or [], PROMPT_COLUMNS)
        if prompt_col is None:
            raise SuiteError(
                str(path),
                [
                    f"no prompt column; found columns {reader.fieldnames}; name one of "
                    f"{list(PROMPT_COLUMNS)} (any case)"
                ],
            )
        cat_col = _pick_column(reader.fieldnames or [], CATEGORY_COLUMNS)
        for rowno, row in enumerate(reader, start=2):
            raw_rows.append((f"row {rowno}", row.get(prompt_col) or "", row.get(cat_col or "")))
    elif suffix == ".jsonl":
        problems: list[str] = []
        rows = list(_jsonl_entries(_read_text(path), problems))
        if problems:
            raise SuiteError(str(path), problems)
        for where, row in rows:
            if not isinstance(row, Mapping):
                raise SuiteError(str(path), [f"{where}: expected a JSON object"])
            prompt_col = _pick_column(row.keys(), PROMPT_COLUMNS)
            cat_col = _pick_column(row.keys(), CATEGORY_COLUMNS)
            prompt = row.get(prompt_col) if prompt_col else None
            raw_rows.append(
                (
                    where,
                    prompt if isinstance(prompt, str) else "",
                    row.get(cat_col) if cat_col else None,
                )
            )
    else:
        raise SuiteError(str(path), [f"cannot import {suffix!r}; use .txt, .csv, .tsv or .jsonl"])
    entries = []
    for i, (where, prompt, category) in enumerate(raw_rows, start=1):
        raw: dict[str, Any] = {"id": f"{name}-{i:04d}", "prompt": prompt}
        if isinstance(category, str) and category.strip():
            raw["category"] = category.strip()
        entries.append((where, raw))
    return build_suite({"name": name, "version": version}, entries, str(path))


def dump_suite_yaml(suite: Suite) -> str:
    """The suite as a YAML suite file (what ``t2iqa suites import`` and the builder write)."""
    return yaml.safe_dump(suite.to_dict(), sort_keys=False, allow_unicode=True, width=100)
