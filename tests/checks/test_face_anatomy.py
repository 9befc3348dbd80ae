"""face_anatomy on a real photograph (scikit-image's astronaut) and deformed copies of it,
and the symmetry measurements on drawn faces whose answer is known."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

from t2iqa.benchmarks.face_heldout import patch_moved
from t2iqa.checks.base import ImageUnderTest
from t2iqa.checks.face_anatomy import FaceAnatomyCheck
from t2iqa.checks.face_landmarks import faces_with_landmarks
from t2iqa.checks.face_symmetry import MOUTH, eye_centre, mirror, mouth_axis, upright
from t2iqa.core.expectations import Expectations
from t2iqa.core.prompts import PromptSpec
from t2iqa.core.results import CheckResult


@pytest.fixture(scope="module")
def astronaut() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.astronaut())


@pytest.fixture(scope="module")
def landmarks(astronaut: Image.Image) -> np.ndarray:
    face = faces_with_landmarks(np.asarray(astronaut))[0]
    assert face.points is not None
    return face.in_image(face.points)


def judged(image: Image.Image) -> CheckResult:
    spec = PromptSpec("p", "a portrait", "people", None, Expectations(), "t")
    return FaceAnatomyCheck.from_options({}).check(ImageUnderTest(image, "-", spec))


def test_a_real_face_passes_with_every_measurement_named(astronaut: Image.Image) -> None:
    result = judged(astronaut)
    assert result.verdict == "ok", result.reason
    measured = result.details["faces"][0]["measurements"]
    assert 0.8 <= measured["eye_size_ratio"] <= 1.25
    assert abs(measured["mouth_offset_iod"]) < 0.1
    assert result.details["overlay"][0]["kind"] == "box"


def test_an_enlarged_eye_fails_and_is_boxed(astronaut: Image.Image, landmarks: np.ndarray) -> None:
    iod = float(
        np.linalg.norm(eye_centre(landmarks, "left eye") - eye_centre(landmarks, "right eye"))
    )
    eye = eye_centre(landmarks, "left eye")
    big = patch_moved(np.asarray(astronaut), eye, 0.35 * iod, 1.6, np.zeros(2))
    result = judged(Image.fromarray(big))
    assert result.verdict == "malformed"
    assert "eye_size: the left eye is" in result.reason and "human at most 1.25x" in result.reason
    boxes = [o for o in result.details["overlay"] if o["label"].startswith("eye_size ")]
    x0, y0, x1, y1 = boxes[0]["box"]
    assert x0 < eye[0] < x1 and y0 < eye[1] < y1  # drawn where the eye is, in the image


def test_a_mouth_moved_sideways_fails(astronaut: Image.Image, landmarks: np.ndarray) -> None:
    iod = float(
        np.linalg.norm(eye_centre(landmarks, "left eye") - eye_centre(landmarks, "right eye"))
    )
    mouth = (landmarks[MOUTH[0]] + landmarks[MOUTH[1]]) / 2
    moved = patch_moved(np.asarray(astronaut), mouth, 0.45 * iod, 1.0, np.array([0.45 * iod, 0]))
    result = judged(Image.fromarray(moved))
    assert result.verdict == "malformed" and "mouth_midline" in result.reason


def test_faces_it_cannot_judge_say_why(astronaut: Image.Image) -> None:
    assert judged(Image.new("RGB", (256, 256), (90, 140, 200))).reason == "no face seen"
    small = astronaut.resize((160, 160))  # about 13 px between the eyes
    result = judged(small)
    assert result.passed is None and "too small" in result.reason
    from skimage import data

    # The cameraman's face is small, and its outline on one side is not found: no infinite
    # value reaches the stored details.
    camera = judged(Image.fromarray(data.camera()).convert("RGB"))
    assert "too small" in camera.reason
    json.dumps(camera.details, allow_nan=False)


def drawn_face(mouth_dx: float) -> tuple[np.ndarray, np.ndarray]:
    """A symmetric drawn face (mesh points placed by hand on the midline x = 100) whose
    mouth is ``mouth_dx`` px off it; IOD 60 px."""
    img = Image.new("RGB", (200, 220), (200, 170, 150))
    d = ImageDraw.Draw(img)
    for x in (70, 130):
        d.ellipse((x - 14, 72, x + 14, 88), fill=(250, 250, 250), outline=(20, 20, 20), width=2)
        d.ellipse((x - 6, 74, x + 6, 86), fill=(40, 30, 20))
    m = 100 + mouth_dx
    d.polygon([(m - 24, 150), (m, 142), (m + 24, 150), (m, 162)], fill=(150, 40, 50))
    pts = np.zeros((478, 2))
    pts[[10, 151, 9, 8, 168, 6, 197, 195, 5, 4]] = [(100, y) for y in range(30, 130, 10)]
    pts[[33, 133, 263, 362]] = [(56, 80), (84, 80), (144, 80), (116, 80)]
    pts[list(MOUTH)] = [(m - 24, 150), (m + 24, 150), (m, 142), (m, 162)]
    pts[[234, 454]] = [(30, 80), (170, 80)]
    return np.asarray(img), pts


@pytest.mark.parametrize("dx", [0.0, 12.0, -21.0])
def test_the_mouth_axis_is_found_where_it_was_drawn(dx: float) -> None:
    face = upright(*drawn_face(dx))
    assert face.iod == pytest.approx(60.0) and face.axis == pytest.approx(100.0)
    offset, similarity = mouth_axis(face)
    assert offset == pytest.approx(dx / 60, abs=0.03) and similarity > 0.8


def test_mirroring_about_the_midline_maps_a_symmetric_face_onto_itself() -> None:
    face = upright(*drawn_face(0.0))
    flipped = mirror(face.gray, face.axis)
    assert np.abs(flipped[60:170, 40:160] - face.gray[60:170, 40:160]).mean() < 2.0
