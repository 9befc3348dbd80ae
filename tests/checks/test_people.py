"""people_count on a real photograph (scikit-image's astronaut) and a pair made from it,
and how many people prompts ask for."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from t2iqa.checks.base import ImageUnderTest
from t2iqa.checks.people_count import PeopleCountCheck
from t2iqa.core.expectations import Expectations, parse_expectations
from t2iqa.core.prompts import PromptSpec


@pytest.fixture(scope="module")
def astronaut() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.astronaut())


def item(image: Image.Image, expect: Expectations) -> ImageUnderTest:
    return ImageUnderTest(image, "-", PromptSpec("p", "people", "people", None, expect, "t"))


@pytest.mark.parametrize(("prompt", "people", "at_least"), [
    ("two women shaking hands", 2, False), ("a family of four at dinner", 4, False),
    ("a man and a woman dancing", 2, False), ("three children playing", 3, False),
    ("a crowd at a concert", 5, True), ("a woman reading in a cafe", 1, True),
    ("a red apple on a table", None, False), ('a sign that says "two men"', None, False),
])  # fmt: skip
def test_the_prompt_says_how_many_people(prompt: str, people: int | None, at_least: bool) -> None:
    e = parse_expectations(prompt)
    assert (e.people, e.people_at_least) == (people, at_least)


def test_people_are_counted_against_the_prompt(astronaut: Image.Image) -> None:
    check = PeopleCountCheck.from_options({})
    one = check.check(item(astronaut, Expectations(people=1)))
    assert one.verdict == "ok" and one.details["people_found"] == 1
    assert one.details["overlay"][0]["kind"] == "box"
    two = Image.new("RGB", (1024, 512))
    two.paste(astronaut, (0, 0))
    two.paste(astronaut.transpose(Image.FLIP_LEFT_RIGHT), (512, 0))
    assert check.check(item(two, Expectations(people=2))).verdict == "ok"
    wrong = check.check(item(two, Expectations(people=3)))
    assert wrong.verdict == "wrong_count" and "2 people seen" in wrong.reason
    assert "drawn-looking" in wrong.reason  # fewer than asked: what the count can miss
    one = check.check(item(two, Expectations(people=1)))
    assert one.verdict == "wrong_count" and "drawn-looking" not in one.reason  # more: no hint
    assert check.check(item(two, Expectations(people=1, people_at_least=True))).passed
    assert not check.applies(PromptSpec("p", "an apple", "x", None, Expectations(), "t"))


def test_tiny_and_thin_images_have_no_faces_and_raise_nothing() -> None:
    from t2iqa.checks.face_detection import faces_in_tiles

    for shape in ((1, 1, 3), (2, 3000, 3), (20, 20, 3)):
        assert faces_in_tiles(np.zeros(shape, np.uint8), 0.5) == []
