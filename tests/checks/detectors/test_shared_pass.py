"""One detector pass per image serves every detector-reading check, whatever order they
ask in and whatever threshold each uses."""

from __future__ import annotations

from PIL import Image

from t2iqa.checks import build_checks
from t2iqa.checks.base import ImageUnderTest, run_check
from t2iqa.checks.detections import Detection
from t2iqa.checks.detectors import SharedPass, detector_nouns
from t2iqa.core.expectations import Expectations, Relation, parse_expectations
from t2iqa.core.prompts import PromptSpec


class CountingDetector:
    key = "counting"

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], float]] = []

    def detect(self, image: Image.Image, nouns: list[str], floor: float) -> list[Detection]:
        self.calls.append((list(nouns), floor))
        scores = (0.95, 0.5, 0.2, 0.12)
        return [Detection(n, s, (0, 0, 10, 10)) for n in nouns for s in scores if s >= floor]


def item(prompt: str, image_hash: str = "h") -> ImageUnderTest:
    spec = PromptSpec("p", prompt, "c", None, parse_expectations(prompt), "prompt")
    return ImageUnderTest(Image.new("RGB", (32, 32)), image_hash, spec)


def test_every_noun_of_the_prompt_is_asked_once() -> None:
    expect = Expectations(counts={"cat": 2}, objects=("cat", "dog"), colors={"vase": "red"},
                          relations=(Relation("dog", "left of", "bench"),))  # fmt: skip
    assert detector_nouns(expect) == ["cat", "dog", "vase", "bench"]


def test_later_askers_filter_the_first_pass() -> None:
    shared, detector = SharedPass(), CountingDetector()
    it = item("two cats and a red dog")
    high = shared.detections(detector, it, ["cat"], 0.3)
    low = shared.detections(detector, it, ["dog"], 0.1)
    assert [d.score for d in high] == [0.95, 0.5]
    assert [d.score for d in low] == [0.95, 0.5, 0.2, 0.12]
    assert len(detector.calls) == 1 and set(detector.calls[0][0]) == {"cat", "dog"}
    shared.detections(detector, it, ["cat"], 0.05)  # below the pass's floor: asked again
    assert len(detector.calls) == 2 and detector.calls[1][1] == 0.05


def test_pictures_given_one_hash_stay_apart_and_old_entries_go() -> None:
    shared, detector = SharedPass(size=2), CountingDetector()
    a, b, c = item("a cat"), item("a cat"), item("a cat", "other")
    for it in (a, b, c, a):
        shared.detections(detector, it, ["cat"], 0.3)
    assert shared.passes == 4  # b is another picture; a was dropped by the time it came back
    shared.detections(detector, a, ["cat"], 0.3)
    assert shared.passes == 4


def test_counting_and_composition_share_one_pass_per_image() -> None:
    from t2iqa.checks.detectors import SHARED

    checks = build_checks(["object_count", "composition"],
                          {"object_count": {"model": "embedded"},
                           "composition": {"model": "embedded"}})  # fmt: skip
    items = [item(p, f"shared-{k}") for k, p in enumerate(
        ["two cats and a dog", "a cup left of a bowl", "three apples"])]  # fmt: skip
    before = SHARED.passes
    results = [run_check(check, items) for check in checks]
    assert SHARED.passes - before == len(items)
    assert all(r.verdict != "error" for rs in results for r in rs)
