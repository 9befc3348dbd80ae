"""GenEval (Ghosh, Hajishirzi, Schmidt, NeurIPS 2023 Datasets and Benchmarks) as a suite.

GenEval's prompt metadata (``evaluation_metadata.jsonl``, MIT; a copy with its license and
source in ``t2iqa/benchmarks/geneval/``) states per prompt a task tag and the objects to
``include`` (class, count, colour, position against another included object) and, for
counting, to ``exclude`` (that many or more fails). Here each entry becomes t2iqa
expectations:

- every included class is an expected object (GenEval: at least ``count`` of it);
- counting prompts also expect that exact count (GenEval's exclude clause is N + 1);
- colours and positions become ``colors`` and ``relations`` (``[relation, j]`` on entry i:
  object i stands ``relation`` object j).

The bundled suite ``geneval`` (``--suite geneval``) is built from the metadata by
``benchmarks/build_suites.py``, the task tag as each prompt's category.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from t2iqa.core.expectations import Expectations, Relation

TASKS = ("single_object", "two_object", "counting", "colors", "position", "color_attr")


def geneval_expectations(entry: Mapping[str, Any]) -> Expectations:
    """The expectations one GenEval metadata entry states."""
    include = entry["include"]
    objects = tuple(dict.fromkeys(item["class"] for item in include))
    counts = {item["class"]: item["count"] for item in include} if entry.get("exclude") else {}
    colors = {item["class"]: item["color"] for item in include if "color" in item}
    relations = tuple(
        Relation(item["class"], item["position"][0], include[item["position"][1]]["class"])
        for item in include
        if "position" in item
    )
    return Expectations(counts=counts, objects=objects, colors=colors, relations=relations)


def read_metadata(path: Path) -> list[dict[str, Any]]:
    """GenEval's ``evaluation_metadata.jsonl``: one entry per line."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def suite_entries(metadata: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Suite prompt entries (id = GenEval's line number, as its own image folders name them)."""
    return [
        {"id": f"{k:05d}", "prompt": entry["prompt"], "category": entry["tag"],
         "expect": geneval_expectations(entry).to_dict()}
        for k, entry in enumerate(metadata)
    ]  # fmt: skip
