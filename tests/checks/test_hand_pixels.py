"""Hand silhouettes: on the real opencv-doc photos every finger is where its landmarks are
and ends where they say; a finger painted out, a finger turned sideways at a hinge joint and
a seventh run of skin across the fingers are caught. (The held-out set with in-painted,
copied and stretched fingers is benchmarks/hands_heldout.py; these fixtures are simpler:
flat paint and landmark edits.)"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from t2iqa.benchmarks.qa_samples import HAND_PHOTO_DIR, HAND_PHOTOS
from t2iqa.checks.hand_anatomy import palm_normal
from t2iqa.checks.hand_landmarks import DetectedHand, detect_hands, load_landmarker
from t2iqa.checks.hand_pixels import (
    FINGER_CHAINS,
    LONG,
    MAX_SIDEWAYS,
    lateral_bend,
    measure_finger,
    pixel_tests,
    polyline,
    segment_hand,
)
from tests.conftest import require_system_files

PHOTOS = [HAND_PHOTO_DIR / name for name in HAND_PHOTOS]


@pytest.fixture(scope="module")
def photos() -> dict[str, tuple[np.ndarray, DetectedHand]]:
    require_system_files(PHOTOS, "opencv-doc")
    landmarker = load_landmarker(None, 2, 0.5)
    out = {}
    for path in PHOTOS:
        rgb = np.asarray(Image.open(path).convert("RGB"))
        out[path.name] = (rgb, detect_hands(landmarker, rgb)[0])
    return out


def failed(rgb: np.ndarray, hand: DetectedHand) -> set[tuple[str, str]]:
    tests, _ = pixel_tests(rgb, hand.points, palm_normal(hand.points, hand.right_hand))
    return {(t.test, t.finger) for t in tests if not t.ok}


@pytest.mark.parametrize("photo", HAND_PHOTOS)
def test_real_hands_pass_every_silhouette_test(photos: dict, photo: str) -> None:
    rgb, hand = photos[photo]
    assert failed(rgb, hand) == set()
    sil = segment_hand(rgb, hand.points)
    assert sil is not None
    for name in FINGER_CHAINS:
        finger = measure_finger(sil, hand.points, name)
        assert finger.present > 0.95, name


@pytest.mark.parametrize("photo", HAND_PHOTOS)
def test_a_finger_painted_out_is_missing(photos: dict, photo: str) -> None:
    import cv2

    rgb, hand = photos[photo]
    sil = segment_hand(rgb, hand.points)
    assert sil is not None
    (x0, y0), (h, w) = sil.origin, sil.mask.shape
    background = np.median(rgb[y0 : y0 + h, x0 : x0 + w][~sil.mask], axis=0)
    painted = rgb.copy()
    line = polyline(hand.points, FINGER_CHAINS["ring"][1:], 1.0)
    width = int(0.25 * sil.palm)
    for p, q in zip(line[:-1:4], line[4::4], strict=False):
        cv2.line(painted, tuple(map(int, p)), tuple(map(int, q)), background.tolist(), width)
    # The same landmarks (as a landmark model fitting a five-fingered template gives).
    assert ("finger_present", "ring") in failed(painted, hand)


@pytest.mark.parametrize("photo", HAND_PHOTOS)
def test_sideways_turn_at_a_hinge_joint(photos: dict, photo: str) -> None:
    rgb, hand = photos[photo]
    pts = hand.points.copy()
    normal = palm_normal(pts, hand.right_hand)
    chain = FINGER_CHAINS["middle"]
    assert abs(lateral_bend(pts, chain, 1, normal)) < MAX_SIDEWAYS
    # Turn the middle finger's outer bones 50 degrees about the palm normal at its PIP.
    pivot, theta = pts[chain[1]], np.radians(50)
    k = normal / np.linalg.norm(normal)
    for j in chain[2:]:
        v = pts[j] - pivot
        pts[j] = pivot + (v * np.cos(theta) + np.cross(k, v) * np.sin(theta)
                          + k * np.dot(k, v) * (1 - np.cos(theta)))  # fmt: skip
    assert (
        lateral_bend(pts, chain, 1, normal) > 40
    )  # flexed fingers: the turn is seen foreshortened
    assert ("sideways_bend", "middle") in failed(rgb, DetectedHand(pts, hand.handedness, 1.0))


def test_a_run_of_skin_no_finger_holds_is_a_finger_too_many(photos: dict) -> None:
    import cv2

    rgb, hand = photos["Back_Projection1_Source_Image.jpg"]
    pts = hand.points
    # A skin-coloured bar from the little finger's knuckle outward, like a sixth finger.
    little, ring = FINGER_CHAINS["little"], FINGER_CHAINS["ring"]
    skin = rgb[int(pts[9, 1]), int(pts[9, 0])].tolist()
    start = pts[little[0], :2]
    direction = (pts[little[3], :2] - pts[ring[3], :2]) * 0.8 + (pts[little[3], :2] - start)
    end = start + direction * 0.9
    drawn = rgb.copy()
    width = int(np.linalg.norm(pts[little[1], :2] - pts[ring[1], :2]) * 0.6)
    cv2.line(drawn, tuple(map(int, start)), tuple(map(int, end)), skin, width)
    assert ("finger_count", "hand") in failed(drawn, hand)


def test_no_silhouette_when_nothing_separates_hand_from_background() -> None:
    flat = np.full((200, 200, 3), 128, np.uint8)
    pts = np.zeros((21, 3))
    pts[:, :2] = np.random.default_rng(0).uniform(60, 140, (21, 2))
    pts[9, :2] = pts[0, :2] + (0, 40)
    assert segment_hand(flat, pts) is None or not segment_hand(flat, pts).mask.all()
    assert all(name in FINGER_CHAINS for name in LONG)


def test_the_march_follows_a_long_finger_whose_last_bone_points_a_little_off() -> None:
    import cv2

    from t2iqa.checks.hand_pixels import Silhouette, march

    # A finger 30 px wide running 400 px to the right with a gentle downward bend; the march
    # starts on its axis with a heading 6 degrees off it (a misjudged last bone).
    mask = np.zeros((300, 600), np.uint8)
    axis = np.array([(x, 100 + 0.0004 * x * x) for x in range(0, 420)], np.int32)
    cv2.polylines(mask, [axis], False, 1, thickness=30)
    sil = Silhouette(mask.astype(bool), (0, 0), palm=100.0)
    heading = np.array([np.cos(np.radians(-6)), np.sin(np.radians(-6))])
    reach = march(sil, np.array([0.0, 100.0]), heading, 600)
    straight_exit = 15 / np.sin(np.radians(6))  # where a straight line leaves the finger
    assert reach > 400 > straight_exit
    assert reach < 480  # and it stops at the finger's end, not the mask's edge


def test_the_march_stops_where_the_finger_ends() -> None:
    from t2iqa.checks.hand_pixels import Silhouette, march

    mask = np.zeros((100, 300), bool)
    mask[40:60, :200] = True
    sil = Silhouette(mask, (0, 0), palm=100.0)
    assert march(sil, np.array([0.0, 50.0]), np.array([1.0, 0.0]), 290) == pytest.approx(199, abs=1)
