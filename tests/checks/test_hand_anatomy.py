"""Hand anatomy: the real photographs from Debian's opencv-doc pass; perturbed copies of their
landmarks (a joint bent backwards, a stretched bone, swapped and merged fingers) fail with the
test and finger named."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from t2iqa.benchmarks.qa_samples import HAND_PHOTO_DIR, HAND_PHOTOS
from t2iqa.checks.base import ImageUnderTest, run_check
from t2iqa.checks.hand_anatomy import (
    FINGERS,
    HandAnatomyCheck,
    assess_hand,
    palm_normal,
    signed_flexion,
)
from t2iqa.checks.hand_landmarks import (
    WHEEL_MODELS,
    DetectedHand,
    detect_hands,
    load_landmarker,
    wheel_bundle,
)
from t2iqa.core.errors import T2IQAError
from t2iqa.core.expectations import Expectations
from t2iqa.core.prompts import PromptSpec
from t2iqa.core.results import NOT_APPLICABLE, OK, UNAVAILABLE
from tests.conftest import require_system_files

PHOTOS = [HAND_PHOTO_DIR / name for name in HAND_PHOTOS]


def spec(hands: int | None) -> PromptSpec:
    return PromptSpec("p", "a hand", "hands", None, Expectations(hands=hands), "suite")


@pytest.fixture(scope="module")
def real_hands() -> dict[str, DetectedHand]:
    """The one hand MediaPipe finds on each photo."""
    require_system_files(PHOTOS, "opencv-doc")
    landmarker = load_landmarker(None, 6, 0.5)
    found = {}
    for path in PHOTOS:
        hands = detect_hands(landmarker, np.asarray(Image.open(path).convert("RGB")))
        assert len(hands) == 1, f"{path.name}: {len(hands)} hands"
        found[path.name] = hands[0]
    return found


def rotate(v: np.ndarray, axis: np.ndarray, degrees: float) -> np.ndarray:
    """Rodrigues rotation of v about a unit axis."""
    k = axis / np.linalg.norm(axis)
    t = np.radians(degrees)
    return v * np.cos(t) + np.cross(k, v) * np.sin(t) + k * np.dot(k, v) * (1 - np.cos(t))


def bend(points: np.ndarray, joint: int, distal: list[int], degrees: float, toward: np.ndarray):
    """Rotate the points distal to ``joint`` by ``degrees`` toward the direction ``toward``."""
    out = points.copy()
    d = points[distal[0]] - points[joint]
    axis = np.cross(d, toward)
    for j in distal:
        out[j] = points[joint] + rotate(points[j] - points[joint], axis, degrees)
    return out


def names(points: np.ndarray, right: bool) -> set[tuple[str, str | None]]:
    return {(f.test, f.finger) for f in assess_hand(points, right).findings}


@pytest.mark.parametrize("photo", HAND_PHOTOS)
def test_real_photos_pass(real_hands: dict[str, DetectedHand], photo: str) -> None:
    hand = real_hands[photo]
    assessment = assess_hand(hand.points, hand.right_hand)
    assert assessment.findings == []
    assert assessment.score == 1.0 and assessment.tests_run > 30


@pytest.mark.parametrize("photo", HAND_PHOTOS)
def test_real_photos_flex_toward_the_palm(real_hands: dict[str, DetectedHand], photo: str) -> None:
    # Open, relaxed hands: the middle joints are slightly flexed, never bent backwards, which
    # shows the palm side is found correctly from the handedness.
    hand = real_hands[photo]
    flex = assess_hand(hand.points, hand.right_hand).measurements["flexion_deg"]
    assert sum(flex[f]["pip"] for f in ("index", "middle", "ring", "little")) > 0


@pytest.mark.parametrize("photo", HAND_PHOTOS)
def test_joint_bent_backwards_is_caught(real_hands: dict[str, DetectedHand], photo: str) -> None:
    hand = real_hands[photo]
    back = -palm_normal(hand.points, hand.right_hand)
    pts = bend(hand.points, 10, [11, 12], 75, back)
    found = assess_hand(pts, hand.right_hand).findings
    assert ("joint_angle", "middle") in {(f.test, f.finger) for f in found}
    assert any("bent backwards" in f.message and f.landmarks == [10] for f in found)


@pytest.mark.parametrize("photo", HAND_PHOTOS)
def test_finger_curled_past_its_limit_is_caught(
    real_hands: dict[str, DetectedHand], photo: str
) -> None:
    hand = real_hands[photo]
    palm_side = palm_normal(hand.points, hand.right_hand)
    pts = bend(hand.points, 7, [8], 150, palm_side)
    assert ("joint_angle", "index") in names(pts, hand.right_hand)


@pytest.mark.parametrize("photo", HAND_PHOTOS)
def test_stretched_bone_is_caught(real_hands: dict[str, DetectedHand], photo: str) -> None:
    hand = real_hands[photo]
    pts = hand.points.copy()
    stretch = pts[7] - pts[6]  # index middle phalanx doubled
    pts[7:9] += stretch
    found = assess_hand(pts, hand.right_hand).findings
    assert any(f.test == "bone_length" and f.finger == "index" and "middle bone too long"
               in f.message for f in found)  # fmt: skip


@pytest.mark.parametrize("photo", HAND_PHOTOS)
def test_swapped_fingers_are_caught(real_hands: dict[str, DetectedHand], photo: str) -> None:
    hand = real_hands[photo]
    pts = hand.points.copy()
    pts[[6, 7, 8, 14, 15, 16]] = hand.points[[14, 15, 16, 6, 7, 8]]  # index <-> ring
    assert any(t == "finger_order" for t, _ in names(pts, hand.right_hand))


@pytest.mark.parametrize("photo", HAND_PHOTOS)
def test_merged_fingers_are_caught(real_hands: dict[str, DetectedHand], photo: str) -> None:
    hand = real_hands[photo]
    pts = hand.points.copy()
    palm = np.linalg.norm(pts[9] - pts[0])
    pts[[14, 15, 16]] = pts[[10, 11, 12]] + 0.02 * palm  # ring runs along the middle finger
    assert ("merged_fingers", "middle/ring") in names(pts, hand.right_hand)


def test_palm_shape_and_degenerate_hands() -> None:
    pts = np.zeros((21, 3))
    assert assess_hand(pts, True).findings[0].test == "palm_shape"
    with pytest.raises(ValueError, match="21x3"):
        assess_hand(np.zeros((20, 3)), True)


def test_signed_flexion_sign() -> None:
    a, b = np.array([0.0, 0, 0]), np.array([1.0, 0, 0])
    up = np.array([0.0, 1, 0])
    assert signed_flexion(a, b, np.array([2.0, 1, 0]), up) == pytest.approx(45)
    assert signed_flexion(a, b, np.array([2.0, -1, 0]), up) == pytest.approx(-45)


# ------------------------------------------------------------------ the check


def judge(image: Image.Image, hands: int | None, **options: object):
    check = HandAnatomyCheck(HandAnatomyCheck.Config(**options))
    return run_check(check, [ImageUnderTest(image, "h", spec(hands))])[0]


def test_photo_verdict_ok_with_overlay() -> None:
    require_system_files(PHOTOS, "opencv-doc")
    result = judge(Image.open(PHOTOS[2]).convert("RGB"), 1)
    assert result.verdict == OK and result.score == 1.0
    hand = result.details["hands"][0]
    assert len(hand["landmarks"]) == 21 and hand["handedness"] in ("Left", "Right")
    assert result.details["overlay"][0]["kind"] == "skeleton"


def test_hand_count_against_expectation() -> None:
    require_system_files(PHOTOS, "opencv-doc")
    photo = Image.open(PHOTOS[2]).convert("RGB")
    result = judge(photo, 2)
    assert (
        result.verdict == "wrong_count" and "1 hand(s) detected, prompt asks for 2" in result.reason
    )
    assert judge(photo, 0, count_rule="at_least").verdict == OK
    assert judge(photo, 0).verdict == "wrong_count"


def test_no_hand_detected_vs_not_applicable() -> None:
    blank = Image.new("RGB", (256, 256), (200, 200, 200))
    none = judge(blank, 2)
    assert none.verdict == "no_hand_detected" and none.passed is False
    assert "drawn-looking" in none.reason  # what "none detected" may mean (hands_heldout)
    assert judge(blank, None).verdict == NOT_APPLICABLE


def test_malformed_verdict_names_test_and_finger(real_hands: dict[str, DetectedHand]) -> None:
    hand = real_hands[HAND_PHOTOS[0]]
    back = -palm_normal(hand.points, hand.right_hand)
    broken = DetectedHand(bend(hand.points, 10, [11, 12], 75, back), "Left", 0.9)
    result = HandAnatomyCheck().judge([broken], 1)
    assert result.verdict == "malformed" and result.passed is False
    assert "middle PIP bent backwards" in result.reason
    assert 10 in result.details["overlay"][0]["bad_points"]
    assert 0 < result.score < 1


def test_wheel_bundle_has_the_task_layout(tmp_path: Path) -> None:
    bundle = wheel_bundle(tmp_path)
    with zipfile.ZipFile(bundle) as zf:
        assert sorted(zf.namelist()) == sorted(WHEEL_MODELS)
    assert wheel_bundle(tmp_path) == bundle  # built once


def test_missing_model_is_unavailable(tmp_path: Path) -> None:
    result = judge(Image.new("RGB", (64, 64)), 1, model_path=str(tmp_path / "nope.task"))
    assert result.verdict == UNAVAILABLE and result.score is None
    assert "does not exist" in result.reason


def test_bad_count_rule_is_a_user_error() -> None:
    with pytest.raises(T2IQAError, match="count_rule"):
        HandAnatomyCheck.from_options({"count_rule": "most"})


def test_finger_table_covers_21_landmarks() -> None:
    assert sorted([0, *(j for f in FINGERS.values() for j in f)]) == list(range(21))
