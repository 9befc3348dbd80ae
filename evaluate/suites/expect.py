"""Validating a suite's or manifest's ``expect`` mapping into typed Expectations: every
problem named with where it is, so a whole file's mistakes are reported at once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from t2iqa.core.expectations import COLORS, RELATIONS, Expectations, Relation

EXPECT_KEYS = {"text", "counts", "hands", "objects", "colors", "relations", "people",
               "people_at_least"}  # fmt: skip
MAX_EXPECTED_COUNT = 100
MAX_EXPECTED_HANDS = 20


def parse_expect(raw: Any, where: str, problems: list[str]) -> Expectations | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: 'expect' must be a mapping of {', '.join(sorted(EXPECT_KEYS))}")
        return None
    unknown = set(raw) - EXPECT_KEYS
    if unknown:
        problems.append(
            f"{where}: unknown expectation(s) {sorted(unknown)}; allowed: {sorted(EXPECT_KEYS)}"
        )
    text = raw.get("text")
    if text is not None and (not isinstance(text, str) or not text.strip()):
        problems.append(f"{where}: expect.text must be a non-empty string")
        text = None
    counts: dict[str, int] = {}
    raw_counts = raw.get("counts") or {}
    if not isinstance(raw_counts, Mapping):
        problems.append(f"{where}: expect.counts must map a noun to a number, e.g. {{apple: 3}}")
    else:
        for noun, n in raw_counts.items():
            if not isinstance(noun, str) or not noun.strip():
                problems.append(f"{where}: expect.counts has an empty noun")
            elif isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_EXPECTED_COUNT:
                problems.append(
                    f"{where}: expect.counts.{noun} must be a whole number from 0 to "
                    f"{MAX_EXPECTED_COUNT}, got {n!r}"
                )
            else:
                counts[noun.strip().lower()] = n
    hands = _whole_number(raw, "hands", MAX_EXPECTED_HANDS, where, problems)
    objects, colors, relations = _parse_composition(raw, where, problems)
    people = _whole_number(raw, "people", MAX_EXPECTED_COUNT, where, problems)
    at_least = raw.get("people_at_least", False)
    if not isinstance(at_least, bool):
        problems.append(f"{where}: expect.people_at_least must be true or false")
        at_least = False
    return Expectations(text=text, counts=counts, hands=hands, objects=objects, colors=colors,
                        relations=relations, people=people, people_at_least=at_least)  # fmt: skip


def _whole_number(raw: Mapping[str, Any], key: str, most: int, where: str,
                  problems: list[str]) -> int | None:  # fmt: skip
    """``raw[key]`` when it is a whole number from 0 to ``most``; else the problem is named."""
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most:
        problems.append(f"{where}: expect.{key} must be a whole number from 0 to {most}, "
                        f"got {value!r}")  # fmt: skip
        return None
    return value


def _nouns(raw: Any) -> list[str] | None:
    if not isinstance(raw, list) or not all(isinstance(n, str) and n.strip() for n in raw):
        return None
    return [n.strip().lower() for n in raw]


def _parse_composition(
    raw: Mapping[str, Any], where: str, problems: list[str]
) -> tuple[tuple[str, ...], dict[str, str], tuple[Relation, ...]]:
    """objects: [noun, ...]; colors: {noun: colour}; relations: [{subject, relation, object}]."""
    objects = _nouns(raw.get("objects") or [])
    if objects is None:
        problems.append(f"{where}: expect.objects must be a list of nouns, e.g. [bench, dog]")
        objects = []
    colors: dict[str, str] = {}
    raw_colors = raw.get("colors") or {}
    if not isinstance(raw_colors, Mapping):
        problems.append(f"{where}: expect.colors must map a noun to a colour, e.g. {{car: red}}")
    else:
        for noun, color in raw_colors.items():
            if not isinstance(noun, str) or color not in COLORS:
                problems.append(f"{where}: expect.colors.{noun}: {color!r} is not one of "
                                f"{', '.join(COLORS)}")  # fmt: skip
            else:
                colors[noun.strip().lower()] = color
    relations = []
    raw_relations = raw.get("relations") or []
    for k, r in enumerate(raw_relations if isinstance(raw_relations, list) else [None]):
        if (
            not isinstance(r, Mapping)
            or set(r) != {"subject", "relation", "object"}
            or not (_nouns([r["subject"], r["object"]]) and r["relation"] in RELATIONS)
        ):
            problems.append(f"{where}: expect.relations[{k}] must be {{subject: NOUN, relation: "
                            f"{' | '.join(RELATIONS)}, object: NOUN}}")  # fmt: skip
            continue
        relations.append(Relation(r["subject"].strip().lower(), r["relation"],
                                  r["object"].strip().lower()))  # fmt: skip
    return tuple(objects), colors, tuple(relations)
