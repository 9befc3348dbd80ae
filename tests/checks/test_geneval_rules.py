"""GenEval's rules on hand-made detection sets: every clause kind, the thresholds, the
16-object cap, the boundaries of the position margin and the counting exclude."""

from __future__ import annotations

import pytest

from t2iqa.checks.detections import Detection
from t2iqa.checks.geneval_rules import (
    GenEvalRules,
    geneval_verdict,
    kept_objects,
    relations,
)


def det(label: str, x: float = 0, y: float = 0, score: float = 0.95, size: float = 10,
        color: str | None = None) -> Detection:  # fmt: skip
    return Detection(label, score, (x, y, x + size, y + size), color)


SINGLE = {"tag": "single_object", "include": [{"class": "bench", "count": 1}]}
COUNTING = {"tag": "counting", "include": [{"class": "clock", "count": 2}],
            "exclude": [{"class": "clock", "count": 3}]}  # fmt: skip
COLOR = {"tag": "colors", "include": [{"class": "car", "count": 1, "color": "pink"}]}
POSITION = {"tag": "position", "include": [
    {"class": "teddy bear", "count": 1},
    {"class": "dog", "count": 1, "position": ["right of", 0]},
]}  # fmt: skip


def test_include_needs_the_class_above_the_threshold() -> None:
    assert geneval_verdict([det("bench")], SINGLE) == (True, "")
    assert geneval_verdict([det("bench", score=0.3)], SINGLE) == (
        False,
        "expected bench>=1, found 0",
    )  # fmt: skip  (strictly above 0.3)
    assert geneval_verdict([det("bench", score=0.31), det("cat")], SINGLE)[0]


def test_counting_uses_the_higher_threshold_and_the_exclude_clause() -> None:
    two = [det("clock", 0), det("clock", 20)]
    assert geneval_verdict(two, COUNTING) == (True, "")
    # 0.9 for counting: a clock at 0.85 does not count, so 2 are not found
    assert geneval_verdict([det("clock", 0), det("clock", 20, score=0.85)], COUNTING)[0] is False
    # three clocks: "at least 2" holds, the exclude clause (3 or more) fails it
    ok, reason = geneval_verdict([*two, det("clock", 40)], COUNTING)
    assert not ok and reason == "expected clock<3, found 3"
    # a weak third clock is below the counting threshold: still correct
    assert geneval_verdict([*two, det("clock", 40, score=0.5)], COUNTING)[0]


def test_at_most_16_objects_per_class_and_optional_overlap_thinning() -> None:
    many = [det("cup", 12 * k, score=0.9 - k / 100) for k in range(20)]
    assert len(kept_objects(many, "single_object")["cup"]) == 16
    stacked = [det("cup", 0), det("cup", 1, score=0.9)]  # IoU about 0.83
    assert len(kept_objects(stacked, "single_object")["cup"]) == 2  # GenEval: no NMS
    assert len(kept_objects(stacked, "single_object", GenEvalRules(max_overlap=0.5))["cup"]) == 1


def test_colour_is_read_on_the_most_confident_objects() -> None:
    assert geneval_verdict([det("car", color="pink")], COLOR) == (True, "")
    ok, reason = geneval_verdict([det("car", color="red"), det("car", 30, 0.5, color="pink")],
                                 COLOR)  # fmt: skip
    assert not ok and reason == "expected pink car>=1, found 1 red"
    with pytest.raises(ValueError, match="classify them first"):
        geneval_verdict([det("car")], COLOR)


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(3.9, set()), (4.1, {"right of"}), (-4.1, {"left of"}), (0.0, set())],
)
def test_position_margin_boundary(offset: float, expected: set[str]) -> None:
    # Two 10 px boxes side by side: the margin is 0.1 x (10 + 10) = 2 px per axis, and a
    # relation needs the shrunk offset to be over half the offset: centres over 4 px apart.
    assert relations(det("dog", offset).box, det("teddy bear").box) == expected


def test_relations_on_both_axes_and_image_y_downwards() -> None:
    assert relations((0, 0, 10, 10), (0, 50, 10, 60)) == {"above"}
    assert relations((0, 50, 10, 60), (0, 0, 10, 10)) == {"below"}
    assert relations((50, 50, 60, 60), (0, 0, 10, 10)) == {"right of", "below"}


def test_position_clause_against_its_target_clause() -> None:
    bear, dog_right, dog_left = det("teddy bear", 0), det("dog", 40), det("dog", -40)
    assert geneval_verdict([bear, dog_right], POSITION) == (True, "")
    ok, reason = geneval_verdict([bear, dog_left], POSITION)
    assert not ok and reason == "expected dog right of target, found left of target"
    ok, reason = geneval_verdict([dog_right], POSITION)  # no teddy bear: no target
    assert not ok and reason == "expected teddy bear>=1, found 0\nno target for dog to be right of"
