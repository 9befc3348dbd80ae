"""The composition read from plain prompts: objects, colours, relations; and GenEval's 553
prompts read, from their text alone, to exactly the expectations their metadata states."""

from __future__ import annotations

import importlib.resources

import pytest

from t2iqa.core.expectations import Relation, parse_expectations
from t2iqa.core.nouns import is_plural, plural
from t2iqa.suites.geneval import TASKS, geneval_expectations, read_metadata


def composition(prompt: str) -> tuple[set[str], dict[str, str], set[Relation]]:
    e = parse_expectations(prompt)
    return set(e.objects), e.colors, set(e.relations)


@pytest.mark.parametrize(
    ("prompt", "objects", "colors", "relations"),
    [
        ("a photo of a dog right of a teddy bear", {"dog", "teddy bear"}, {},
         {Relation("dog", "right of", "teddy bear")}),
        ("a green bench and a blue bowl", {"bench", "bowl"}, {"bench": "green", "bowl": "blue"},
         set()),
        ("a cat on the top of a sofa", {"cat", "sofa"}, {}, {Relation("cat", "above", "sofa")}),
        ("three helicopters buzzed over two pillows", {"helicopter", "pillow"}, {},
         {Relation("helicopter", "above", "pillow")}),
        ("a red car to the left of a white horse", {"car", "horse"},
         {"car": "red", "horse": "white"}, {Relation("car", "left of", "horse")}),
        ("a cup under a lamp", {"cup", "lamp"}, {}, {Relation("cup", "below", "lamp")}),
        ("a dog next to a cat", {"dog", "cat"}, {}, {Relation("dog", "near", "cat")}),
        ("an orange on a plate", {"orange"}, {}, set()),  # the fruit, not a colour
        ("a photo of a woman at the beach", set(), {}, set()),  # not COCO, no structure
        ("a red car and a blue bench", {"car", "bench"}, {"car": "red", "bench": "blue"}, set()),
    ],
)  # fmt: skip
def test_composition_of_plain_prompts(
    prompt: str, objects: set[str], colors: dict[str, str], relations: set[Relation]
) -> None:
    assert composition(prompt) == (objects, colors, relations)


@pytest.mark.parametrize(
    ("prompt", "counts"),
    [
        ("three buses", {"bus": 3}),
        ("three sports balls", {"sports ball": 3}),
        ("two computer keyboards", {"computer keyboard": 2}),
        ("two parking meters", {"parking meter": 2}),
        ("four sheep", {"sheep": 4}),
        ("three shrimp on a plate", {"shrimp": 3}),  # a zero plural inflect does not know
        ("two goldfish", {"goldfish": 2}),
        ("five skis", {"skis": 5}),
    ],
)
def test_counts_of_plurals_inflect_reads(prompt: str, counts: dict[str, int]) -> None:
    assert parse_expectations(prompt).counts == counts


def test_plural_forms() -> None:
    assert [plural(n) for n in ("bus", "sheep", "wine glass", "knife", "skis")] == [
        "buses", "sheep", "wine glasses", "knives", "skis",
    ]  # fmt: skip
    assert is_plural("fish") and is_plural("buses") and not is_plural("bus")


def test_every_geneval_prompt_parses_to_its_metadata() -> None:
    path = importlib.resources.files("t2iqa.benchmarks") / "geneval" / "evaluation_metadata.jsonl"
    with importlib.resources.as_file(path) as file:
        metadata = read_metadata(file)
    assert len(metadata) == 553
    assert {e["tag"] for e in metadata} == set(TASKS)
    wrong = []
    for entry in metadata:
        want, got = geneval_expectations(entry), parse_expectations(entry["prompt"])
        if (set(got.objects), got.counts, got.colors, set(got.relations), got.text, got.hands) != (
            set(want.objects),
            want.counts,
            want.colors,
            set(want.relations),
            None,
            None,
        ):
            wrong.append((entry["prompt"], want.to_dict(), got.to_dict()))
    assert wrong == []
    counting = [e for e in metadata if e["tag"] == "counting"]
    assert len(counting) == 80 and all(geneval_expectations(e).counts for e in counting)
