"""What ``t2iqa check`` judges: entries of an image and what it should show, from image paths
with one prompt, or from a JSONL or CSV manifest. An entry that cannot be used (a bad prompt
or expectations) keeps the problem, so the rest of a folder is still judged."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from t2iqa.core.errors import SuiteError, T2IQAError
from t2iqa.core.images import images_in
from t2iqa.core.parsing import NestingError, json_value
from t2iqa.core.paths import path_in_folder
from t2iqa.core.prompts import PromptSpec
from t2iqa.suites.files import parse_prompt_entry


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


__all__ = [
    "MANIFEST_IMAGE_KEYS",
    "QAEntry",
    "entries_from_paths",
    "expectations_for",
    "make_entry",
    "read_manifest",
]
