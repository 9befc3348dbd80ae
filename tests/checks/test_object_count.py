"""Object counting: the rule on given boxes, and the real OWLv2 code path on a tiny
random-weight model built from a transformers config."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from t2iqa.checks.base import ImageUnderTest, run_check
from t2iqa.checks.detections import Detection, iou, nms
from t2iqa.checks.detectors.owl import clip_box
from t2iqa.checks.object_count import ObjectCountCheck, count_objects
from t2iqa.core.errors import T2IQAError
from t2iqa.core.expectations import parse_expectations
from t2iqa.core.prompts import PromptSpec
from t2iqa.core.results import NOT_APPLICABLE, UNAVAILABLE


def det(label: str, score: float, x: float) -> Detection:
    return Detection(label, score, (x, 0.0, x + 10.0, 10.0))


def test_boxes_are_clipped_to_the_image_and_padding_boxes_dropped() -> None:
    # A 200x100 image padded to 200x200 (OWLv2): units of the padded square.
    assert clip_box([0.5, 0.25, 0.5, 0.5], 200, 200, 200, 100) == (50.0, 0.0, 150.0, 100.0)
    assert clip_box([0.5, 0.5, 0.4, 0.4], 200, 200, 200, 100) == (60.0, 60.0, 140.0, 100.0)
    assert clip_box([0.5, 0.8, 0.4, 0.2], 200, 200, 200, 100) is None  # wholly in the padding
    assert clip_box([-0.2, 0.3, 0.2, 0.2], 200, 200, 200, 100) is None  # left of the image


def test_iou_and_nms() -> None:
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (20, 0, 30, 10)) == 0.0
    dets = [det("cat", 0.9, 0), det("cat", 0.8, 1), det("dog", 0.7, 0)]
    kept = nms(dets, 0.5)
    assert [(d.label, d.score) for d in kept] == [("cat", 0.9), ("dog", 0.7)]
    assert len(nms(dets, 1.0)) == 3


@pytest.mark.parametrize(
    ("scores", "expected", "found", "passed", "low"),
    [
        ([0.9, 0.8, 0.7], 3, 3, True, False),
        ([0.9, 0.8], 3, 2, False, False),  # too few
        ([0.9, 0.8, 0.7, 0.6], 3, 4, False, False),  # N+1: GenEval fails it
        ([0.9, 0.8, 0.32], 3, 3, True, True),  # the third is barely above the threshold
        ([0.9, 0.8, 0.28], 3, 2, False, True),  # ... or barely below
    ],
)
def test_geneval_counting_rule(
    scores: list[float], expected: int, found: int, passed: bool, low: bool
) -> None:
    dets = [det("apple", s, 20.0 * k) for k, s in enumerate(scores)]
    [c] = count_objects({"apple": expected}, dets, min_score=0.3, nms_iou=0.5, margin=0.05)
    assert (c.found, c.passed, c.low_confidence) == (found, passed, low)


def test_verdict_reason_and_overlay() -> None:
    check = ObjectCountCheck()
    dets = [det("cat", 0.9, 0), det("cat", 0.8, 20), det("dog", 0.7, 40)]
    ok = check.judge({"cat": 2, "dog": 1}, dets)
    assert ok.verdict == "ok" and ok.score == 1.0
    bad = check.judge({"cat": 3, "dog": 1}, dets)
    assert bad.verdict == "wrong_count" and "cat: expected 3, found 2 [wrong]" in bad.reason
    assert bad.score == 0.5 and len(bad.details["overlay"]) == 3
    assert bad.details["settings"]["min_score"] == 0.3


def test_counts_parsed_from_the_prompt_drive_the_check() -> None:
    expect = parse_expectations("2 cats and a dog")
    spec = PromptSpec("p", "2 cats and a dog", "counting", None, expect, "prompt")
    assert ObjectCountCheck().applies(spec)
    plain = PromptSpec("q", "a sunset", "x", None, parse_expectations("a sunset"), "prompt")
    image = Image.new("RGB", (64, 64))
    assert run_check(ObjectCountCheck(), [ImageUnderTest(image, "h", plain)])[0].verdict == (
        NOT_APPLICABLE
    )


def test_tiny_owlv2_runs_the_real_path() -> None:
    check = ObjectCountCheck(ObjectCountCheck.Config(model="embedded", min_score=0.0))
    expect = parse_expectations("three red apples")
    spec = PromptSpec("p", "three red apples", "counting", None, expect, "prompt")
    [r] = run_check(check, [ImageUnderTest(Image.effect_noise((96, 64), 50).convert("RGB"), "h",
                                            spec)])  # fmt: skip
    assert r.verdict in ("ok", "wrong_count"), r.reason
    assert r.details["nouns"][0]["noun"] == "apple"
    for d in r.details["detections"]:  # boxes inside the image, scores in [0, 1]
        x0, y0, x1, y1 = d["box"]
        assert 0 <= x0 <= x1 <= 96 and 0 <= y0 <= y1 <= 64 and 0 <= d["score"] <= 1


def test_unavailable_backends_say_why() -> None:
    spec = PromptSpec("p", "two cats", "c", None, parse_expectations("two cats"), "prompt")
    item = ImageUnderTest(Image.new("RGB", (64, 64)), "h", spec)
    [default] = run_check(ObjectCountCheck(), [item])  # OWLv2 not cached, hub off
    assert default.verdict == UNAVAILABLE and "object_count.model=DIR" in default.reason
    [yolo] = run_check(ObjectCountCheck(ObjectCountCheck.Config(backend="yolo")), [item])
    assert yolo.verdict == UNAVAILABLE and "ultralytics" in yolo.reason
    with pytest.raises(T2IQAError, match="backend"):
        ObjectCountCheck.from_options({"backend": "detr"})
    if not torch.cuda.is_available():
        on_cuda = ObjectCountCheck(ObjectCountCheck.Config(model="embedded", device="cuda"))
        [gpu] = run_check(on_cuda, [item])
        assert gpu.verdict == UNAVAILABLE and "object_count.device cuda" in gpu.reason
