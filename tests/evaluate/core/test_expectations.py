from __future__ import annotations

import pytest

from t2iqa.core.expectations import Expectations, parse_expectations
from t2iqa.core.nouns import singular


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("three red apples on a table", Expectations(counts={"apple": 3})),
        ("2 cats and a dog", Expectations(counts={"cat": 2, "dog": 1})),
        ("a photo of a dog", Expectations()),
        ("one red apple on a table", Expectations(counts={"apple": 1})),
        ("five dogs sitting on a sofa", Expectations(counts={"dog": 5})),
        ("four boxes and two knives", Expectations(counts={"box": 4, "knife": 2})),
        ("seven people at a bus stop", Expectations(counts={"person": 7})),
        ("twenty birds", Expectations(counts={"bird": 20})),
        # two-word nouns: hot dogs are not dogs
        ("two hot dogs and a dog", Expectations(counts={"hot dog": 2, "dog": 1})),
        ("three yellow teddy bears", Expectations(counts={"teddy bear": 3})),
        ("one red fire hydrant on a street", Expectations(counts={"fire hydrant": 1})),
        ("4 wine glasses", Expectations(counts={"wine glass": 4})),
        ("two brown bears", Expectations(counts={"bear": 2})),
        ("21 birds", Expectations()),  # beyond the 1-20 the parser reads
        ('a neon sign that says "OPEN 24/7"', Expectations(text="OPEN 24/7")),
        (
            "a sign that says “Café” next to 3 bicycles",
            Expectations(text="Café", counts={"bicycle": 3}),
        ),
        ("a poster reading ‘Hi there’", Expectations(text="Hi there")),
        ("the dog's bowl", Expectations()),  # an apostrophe is not a quote
        ('"STOP" and "GO" signs', Expectations(text="STOP GO")),
        ('a sign that says "3 apples"', Expectations(text="3 apples")),  # quoted: not a count
        ("a close-up of a hand holding a cup", Expectations(hands=1)),
        ("two hands clapping", Expectations(hands=2)),
        ("a man waving", Expectations(hands=1)),
        ("hands on a piano", Expectations(hands=2)),
        ("a photo of one bicycle leaning against a wall", Expectations(counts={"bicycle": 1})),
    ],
)
def test_parse_text_counts_and_hands(prompt: str, expected: Expectations) -> None:
    got = parse_expectations(prompt)  # the composition (objects, colours) is test_composition's
    assert (got.text, got.counts, got.hands) == (expected.text, expected.counts, expected.hands)


@pytest.mark.parametrize(
    ("plural", "single"),
    [("apples", "apple"), ("cherries", "cherry"), ("boxes", "box"), ("glasses", "glass"),
     ("mice", "mouse"), ("tomatoes", "tomato"), ("bus", "bus"), ("sheep", "sheep"),
     ("buses", "bus"), ("goldfish", "goldfish"), ("people", "person"), ("skis", "skis"),
     ("knives", "knife"), ("cactus", "cactus")],
)  # fmt: skip
def test_singular(plural: str, single: str) -> None:
    assert singular(plural) == single
