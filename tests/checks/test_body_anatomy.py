"""body_anatomy: its tests on drawn skeletons whose answers are known, and the whole check on
real photographs (opencv-doc's basketball player, fruit with nobody in it) and a warped one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from t2iqa.benchmarks.body_heldout import shin_turned
from t2iqa.checks.base import ImageUnderTest
from t2iqa.checks.body_anatomy import BodyAnatomyCheck, judge_body
from t2iqa.checks.body_landmarks import JOINTS, LEFT_EAR, NOSE, RIGHT_EAR, Body, bodies
from t2iqa.checks.detections import Detection
from t2iqa.core.expectations import Expectations
from t2iqa.core.prompts import PromptSpec
from t2iqa.core.results import CheckResult

OPENCV = Path("/usr/share/doc/opencv-doc/examples/data")
# A person standing straight, facing the camera, in metres (x: the image's right, y: down,
# z: away from the camera). The person's left is the image's right.
STANDING = {
    "shoulder": (0.18, -0.45, 0.0), "elbow": (0.2, -0.17, 0.0), "wrist": (0.21, 0.06, 0.0),
    "hip": (0.1, 0.0, 0.0), "knee": (0.1, 0.42, 0.0), "ankle": (0.1, 0.84, 0.0),
}  # fmt: skip


def drawn(moved: dict[str, tuple[float, float, float]] | None = None,
          hidden: tuple[str, ...] = ()) -> Body:  # fmt: skip
    """A standing skeleton with some joints moved (metres) or hidden."""
    world = np.zeros((33, 3))
    world[NOSE], world[LEFT_EAR], world[RIGHT_EAR] = (
        (0, -0.6, -0.1),
        (0.07, -0.62, 0),
        (-0.07, -0.62, 0),
    )
    for part, (x, y, z) in STANDING.items():
        world[JOINTS[f"left_{part}"]] = (x, y, z)
        world[JOINTS[f"right_{part}"]] = (-x, y, z)
    for joint, at in (moved or {}).items():
        world[JOINTS[joint]] = at
    visibility = np.ones(33)
    visibility[[JOINTS[j] for j in hidden]] = 0.1
    pixels = world[:, :2] * 400 + 300  # an orthographic camera, 400 px a metre
    return Body(Detection("face", 0.9, (280, 40, 320, 80)), pixels, world, visibility)


def failed_tests(body: Body) -> set[str]:
    return {m.split(":")[0] for m in judge_body(body, 0.5).failed}


def test_a_standing_body_passes_every_test() -> None:
    verdict = judge_body(drawn(), 0.5)
    assert verdict.failed == []
    assert {"torso_length", "left arm_proportion", "right leg_proportion", "shin left_right",
            "left knee_hyperextension", "right elbow_hyperextension",
            "left knee_sideways"} <= set(verdict.judged)  # fmt: skip


def test_a_knee_bent_forward_is_hyperextended_and_backward_is_not() -> None:
    assert failed_tests(drawn({"left_ankle": (0.1, 0.8, -0.25)})) == {"left knee_hyperextension"}
    assert failed_tests(drawn({"left_ankle": (0.1, 0.7, 0.3)})) == set()  # flexed


def test_an_elbow_bent_backward_is_hyperextended_and_forward_is_not() -> None:
    assert failed_tests(drawn({"right_wrist": (-0.21, 0.04, 0.15)})) == {
        "right elbow_hyperextension"}  # fmt: skip
    assert failed_tests(drawn({"right_wrist": (-0.2, -0.1, -0.22)})) == set()  # flexed


def test_a_raised_thigh_is_not_judged_for_hyperextension() -> None:
    sitting = drawn({"left_knee": (0.1, 0.0, -0.42), "left_ankle": (0.1, 0.1, -0.8)})
    assert "left knee_hyperextension" not in judge_body(sitting, 0.5).judged


def test_a_long_forearm_fails_against_its_pair_then_its_upper_arm() -> None:
    doubled = failed_tests(drawn({"left_wrist": (0.22, 0.29, 0.0)}))  # 0.23 m to 0.46 m
    assert doubled == {"forearm left_right"}  # upper arm over forearm 0.61: at the limit
    tripled = failed_tests(drawn({"left_wrist": (0.23, 0.52, 0.0)}))
    assert tripled == {"left arm_proportion", "forearm left_right"}


def test_a_shin_turned_sideways_fails_on_a_body_facing_the_camera() -> None:
    turned = drawn({"right_ankle": (-0.4, 0.75, 0.0)})
    assert failed_tests(turned) == {"right knee_sideways"}
    away = turned.world.copy()
    away[NOSE] = (0, -0.6, 0.1)  # facing away from the camera: the test does not apply
    body = Body(turned.face, turned.pixels, away, turned.visibility)
    assert "right knee_sideways" not in judge_body(body, 0.5).judged


def test_hidden_landmarks_are_not_judged() -> None:
    verdict = judge_body(drawn({"left_ankle": (0.1, 0.8, -0.25)}, hidden=("left_ankle",)), 0.5)
    assert verdict.failed == []
    assert not any(t.startswith("left leg") or t.startswith("left knee") for t in verdict.judged)
    assert "shin left_right" not in verdict.judged


def judged(image: Image.Image) -> CheckResult:
    spec = PromptSpec("p", "a man holding a ball", "people", None, Expectations(), "t")
    return BodyAnatomyCheck.from_options({}).check(ImageUnderTest(image, "-", spec))


@pytest.fixture(scope="module")
def player() -> np.ndarray:
    path = OPENCV / "basketball1.png"
    if not path.is_file():
        pytest.skip("opencv-doc is not installed (make setup installs it)")
    return np.asarray(Image.open(path).convert("RGB"))


def test_a_real_player_passes_with_his_skeleton_drawn(player: np.ndarray) -> None:
    result = judged(Image.fromarray(player))
    assert result.verdict == "ok", result.reason
    assert result.details["bodies_found"] == 1
    assert len(result.details["bodies"][0]["tests_run"]) >= 6
    (skeleton,) = result.details["overlay"]
    assert skeleton["kind"] == "skeleton" and skeleton["ok"] and skeleton["connections"]


def test_a_turned_shin_on_a_real_photo_fails_on_that_leg(player: np.ndarray) -> None:
    body = bodies(player)[0]
    knee, ankle = body.pixels[JOINTS["left_knee"]], body.pixels[JOINTS["left_ankle"]]
    result = judged(Image.fromarray(shin_turned(player, knee, ankle, -40)))
    assert result.verdict == "malformed", result.reason
    assert "left" in result.reason and ("knee" in result.reason or "leg" in result.reason)
    assert result.details["overlay"][0]["bad_points"]


def test_a_photo_with_nobody_in_it_is_not_judged() -> None:
    path = OPENCV / "fruits.jpg"
    if not path.is_file():
        pytest.skip("opencv-doc is not installed (make setup installs it)")
    result = judged(Image.open(path))
    assert result.verdict == "not_applicable" and result.passed is None
    assert "no body" in result.reason


def test_a_small_body_is_not_judged() -> None:
    big = drawn({"left_ankle": (0.1, 0.8, -0.25)})
    small = Body(big.face, big.pixels / 8, big.world, big.visibility)  # shins ~50 px to ~6 px
    assert judge_body(small, 0.5).judged == []
    assert "left knee_hyperextension" in judge_body(small, 0.5, min_pixels=5).judged
    result = BodyAnatomyCheck.from_options({}).judge([small])
    assert result.verdict == "not_applicable" and result.passed is None
    assert "at least 30 px long in the image" in result.reason  # says why, and the floor
