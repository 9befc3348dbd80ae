"""The composition check: GenEval's rules over the expected objects and relations, "near",
colours never passed unjudged, and the real detector loading path on the embedded model."""

from __future__ import annotations

from PIL import Image

from t2iqa.checks.base import ImageUnderTest, run_check
from t2iqa.checks.composition import CompositionCheck, geneval_entry, near
from t2iqa.checks.detections import Detection
from t2iqa.core.expectations import Expectations, Relation, parse_expectations
from t2iqa.core.prompts import PromptSpec
from t2iqa.core.results import NOT_APPLICABLE, OK, UNAVAILABLE


def box(label: str, x: float, y: float = 0, size: float = 20, score: float = 0.8) -> Detection:
    return Detection(label, score, (x, y, x + size, y + size))


DOG_RIGHT_OF_BEAR = parse_expectations("a photo of a dog right of a teddy bear")


def test_entry_is_geneval_metadata() -> None:
    assert geneval_entry(DOG_RIGHT_OF_BEAR) == {"tag": "composition", "include": [
        {"class": "dog", "count": 1}, {"class": "teddy bear", "count": 1},
        {"class": "dog", "count": 1, "position": ["right of", 1]},
    ]}  # fmt: skip


def test_objects_and_positions() -> None:
    check = CompositionCheck()
    ok = check.judge(DOG_RIGHT_OF_BEAR, [box("teddy bear", 0), box("dog", 60)])
    assert ok.verdict == OK and ok.passed
    wrong = check.judge(DOG_RIGHT_OF_BEAR, [box("teddy bear", 60), box("dog", 0)])
    assert wrong.verdict == "wrong_position" and "found left of target" in wrong.reason
    missing = check.judge(DOG_RIGHT_OF_BEAR, [box("dog", 0), box("dog", 60, score=0.2)])
    assert missing.verdict == "missing_object" and "teddy bear>=1, found 0" in missing.reason
    assert [o["label"] for o in missing.details["overlay"]] == ["dog 0.80"]  # 0.2 is below 0.3


def test_near_is_judged_on_the_gap_between_boxes() -> None:
    expect = Expectations(objects=("cup", "laptop"),
                          relations=(Relation("cup", "near", "laptop"),))  # fmt: skip
    assert near((0, 0, 20, 20), (25, 0, 45, 20), 0.5) and not near(
        (0, 0, 20, 20), (40, 0, 60, 20), 0.5
    )
    assert CompositionCheck().judge(expect, [box("cup", 0), box("laptop", 25)]).passed
    far = CompositionCheck().judge(expect, [box("cup", 0), box("laptop", 200)])
    assert not far.passed and "expected cup near laptop" in far.reason


def test_colours_are_never_passed_unjudged() -> None:
    expect = parse_expectations("a photo of a red car and a blue bench")
    result = CompositionCheck().judge(expect, [box("car", 0), box("bench", 60)])
    assert result.verdict == UNAVAILABLE and result.passed is None
    assert "colours (red car, blue bench) not judged" in result.reason
    # a missing object is still a failure: what could be judged was judged
    assert CompositionCheck().judge(expect, [box("car", 0)]).passed is False


def test_applies_only_to_compositions_and_runs_the_embedded_detector() -> None:
    check = CompositionCheck.from_options({"model": "embedded"})
    plain = PromptSpec("p", "a lighthouse", "c", None, Expectations(), "suite")
    spec = PromptSpec("p", "a dog right of a teddy bear", "c", None, DOG_RIGHT_OF_BEAR, "prompt")
    image = Image.new("RGB", (96, 96), (120, 130, 140))
    skipped, judged = run_check(check, [ImageUnderTest(image, "h1", plain),
                                        ImageUnderTest(image, "h2", spec)])  # fmt: skip
    assert skipped.verdict == NOT_APPLICABLE
    # random tiny weights: any verdict but a crash or a silent pass without detections
    assert judged.verdict in (OK, "missing_object", "wrong_position")
    assert judged.details["settings"]["model"] == "embedded"


def test_a_coloured_object_must_be_there_even_when_only_its_colour_is_stated() -> None:
    expect = Expectations(colors={"car": "red"})
    assert geneval_entry(expect)["include"] == [{"class": "car", "count": 1}]
    assert CompositionCheck().judge(expect, []).verdict == "missing_object"
