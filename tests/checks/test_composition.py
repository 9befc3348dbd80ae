"""The composition check: GenEval's rules over the expected objects, colours and relations,
"near", colours never passed unjudged, GenEval's own verdict on all 553 of its prompts, and
the real detector loading path on the embedded model."""

from __future__ import annotations

import importlib.resources
import random

from PIL import Image

from t2iqa.checks.base import ImageUnderTest, run_check
from t2iqa.checks.colors import LabColors
from t2iqa.checks.composition import CompositionCheck, geneval_entry, near
from t2iqa.checks.detections import Detection
from t2iqa.checks.geneval_rules import geneval_verdict
from t2iqa.core.expectations import COLORS, Expectations, Relation, parse_expectations
from t2iqa.core.prompts import PromptSpec
from t2iqa.core.results import NOT_APPLICABLE, OK, UNAVAILABLE
from t2iqa.suites.geneval import geneval_expectations, read_metadata

RED, BLUE = (200, 30, 30), (30, 60, 200)


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
    assert geneval_entry(expect)["include"] == [{"class": "car", "count": 1, "color": "red"}]
    assert CompositionCheck().judge(expect, []).verdict == "missing_object"


def two_squares(left: tuple[int, int, int], right: tuple[int, int, int]) -> Image.Image:
    image = Image.new("RGB", (120, 60), (200, 200, 200))
    image.paste(left, (10, 15, 40, 45))
    image.paste(right, (75, 15, 105, 45))
    return image


def test_each_colour_must_be_on_its_own_object() -> None:
    expect = parse_expectations("a photo of a red car and a blue bench")
    dets = [Detection("car", 0.8, (5, 10, 45, 50)), Detection("bench", 0.7, (70, 10, 110, 50))]
    check, namer = CompositionCheck(), LabColors()
    right = check.judge(expect, dets, colors=(two_squares(RED, BLUE), namer, ""))
    assert right.verdict == OK, right.reason
    assert [o["label"] for o in right.details["overlay"]] == ["red car 0.80", "blue bench 0.70"]
    assert right.details["settings"]["color_method"] == LabColors.key
    swapped = check.judge(expect, dets, colors=(two_squares(BLUE, RED), namer, "a note"))
    assert swapped.verdict == "wrong_color"
    assert "expected red car>=1, found 1 blue" in swapped.reason and "a note" in swapped.reason


def test_geneval_tasks_judge_counting_exactly_at_its_threshold() -> None:
    expect = Expectations(counts={"cat": 2}, objects=("cat",))
    dets = [box("cat", 0, score=0.95), box("cat", 40, score=0.95), box("cat", 80, score=0.5)]
    check = CompositionCheck(CompositionCheck.Config(geneval_tasks=True))
    counting = PromptSpec("p", "a photo of two cats", "counting", None, expect, "suite")
    mine = PromptSpec("p", "a photo of two cats", "counting", None, expect, "suite")
    assert check.tag(counting) == "counting" and CompositionCheck().tag(mine) == "composition"
    assert check.judge(expect, dets, tag="counting").passed  # the 0.5 cat is below 0.9
    too_many = [*dets, box("cat", 120, score=0.92)]
    result = check.judge(expect, too_many, tag="counting")
    assert result.verdict == "wrong_count" and "expected cat<3, found 3" in result.reason
    assert CompositionCheck().judge(expect, too_many).passed  # counts are minimums otherwise


def random_detections(rng: random.Random, classes: list[str]) -> list[Detection]:
    out = []
    for label in classes:
        for _ in range(rng.randint(0, 3)):
            x, y, size = rng.uniform(0, 400), rng.uniform(0, 400), rng.uniform(10, 120)
            out.append(Detection(label, rng.choice([0.2, 0.5, 0.95]), (x, y, x + size, y + size),
                                 color=rng.choice(COLORS[:3])))  # fmt: skip
    return out


def test_every_geneval_prompt_gets_genevals_own_verdict() -> None:
    path = importlib.resources.files("t2iqa.benchmarks") / "geneval" / "evaluation_metadata.jsonl"
    with importlib.resources.as_file(path) as file:
        metadata = read_metadata(file)
    rng, check = random.Random(0), CompositionCheck(CompositionCheck.Config(geneval_tasks=True))
    # Every detection carries its colour already, so the namer is never asked.
    colors = (Image.new("RGB", (8, 8)), LabColors(), "")
    outcomes = set()
    for entry in metadata:
        spec = PromptSpec("p", entry["prompt"], entry["tag"], None, geneval_expectations(entry))
        classes = sorted({c["class"] for c in entry["include"]})
        for _ in range(4):
            dets = random_detections(rng, classes)
            want, reason = geneval_verdict(dets, entry)
            got = check.judge(spec.expect, dets, tag=check.tag(spec), colors=colors)
            assert got.passed == want, (entry, reason, got.reason)
            outcomes.add(want)
    assert outcomes == {True, False}
