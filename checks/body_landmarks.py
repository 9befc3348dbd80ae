"""MediaPipe's pose landmarks (33 per body, in pixels and in metres), offline from the
installed mediapipe 0.10.x wheel, one body per face the face detector found.

The pose model follows one body per call and, on photographs with nobody in them (hands,
fruit, buildings), still reports a "visible" body (``people_count`` measured this). So each
body is anchored to a face: the model runs on a crop around each detected face, sized for a
standing body below it (``BODY_BELOW`` face sides down, ``BODY_ASIDE`` to either side), and
its body counts only when the nose it reports lies inside that face's box. A person whose
face is not visible is not judged.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from t2iqa.checks.detections import Detection
from t2iqa.checks.face_detection import _solutions, detect_faces
from t2iqa.checks.face_landmarks import enlarged
from t2iqa.checks.hand_landmarks import native_logs_silenced

BODY_ABOVE, BODY_BELOW, BODY_ASIDE = 1.5, 9.0, 4.0  # the crop around a face, in face sides
POSE_SIDE = 256  # px: the pose model's input; smaller crops are enlarged to this first
# MediaPipe's 33 pose landmarks (BlazePose topology) that the anatomy tests read.
NOSE, LEFT_EAR, RIGHT_EAR = 0, 7, 8
JOINTS = {
    "left_shoulder": 11, "right_shoulder": 12, "left_elbow": 13, "right_elbow": 14,
    "left_wrist": 15, "right_wrist": 16, "left_hip": 23, "right_hip": 24,
    "left_knee": 25, "right_knee": 26, "left_ankle": 27, "right_ankle": 28,
}  # fmt: skip


@functools.cache
def pose_model() -> Any:
    """The full pose landmarker, still-image mode, once per process."""
    with native_logs_silenced():
        return _solutions().pose.Pose(
            static_image_mode=True, model_complexity=1, min_detection_confidence=0.5
        )


@dataclass(frozen=True)
class Body:
    """One body anchored to a face: its landmarks in image pixels and in metres."""

    face: Detection
    pixels: np.ndarray  # 33 x 2, image pixels
    world: np.ndarray  # 33 x 3, metres about the hips' centre (x right, y down, z away)
    visibility: np.ndarray  # 33, the model's [0, 1] belief that each landmark is in view

    def joint(self, name: str) -> np.ndarray:
        return self.world[JOINTS[name]]

    def seen(self, *names: str, min_visibility: float) -> bool:
        return all(self.visibility[JOINTS[n]] >= min_visibility for n in names)


def body_crop(shape: tuple[int, ...], face: Detection) -> tuple[int, int, int, int]:
    """The region a standing body below ``face`` fills, clipped to the image: x0, y0, x1, y1."""
    x0, y0, x1, y1 = face.box
    side, cx = max(x1 - x0, y1 - y0), (x0 + x1) / 2
    h, w = shape[:2]
    return (int(max(cx - BODY_ASIDE * side, 0)), int(max(y0 - BODY_ABOVE * side, 0)),
            int(min(cx + BODY_ASIDE * side, w)), int(min(y1 + BODY_BELOW * side, h)))  # fmt: skip


def _pose_in(rgb: np.ndarray, face: Detection) -> Body | None:
    x0, y0, x1, y1 = body_crop(rgb.shape, face)
    crop, scale = enlarged(rgb[y0:y1, x0:x1], POSE_SIDE)
    with native_logs_silenced():
        found = pose_model().process(crop)
    if not found.pose_landmarks or not found.pose_world_landmarks:
        return None
    h, w = crop.shape[:2]
    marks = found.pose_landmarks.landmark
    pixels = np.array([(p.x * w / scale + x0, p.y * h / scale + y0) for p in marks])
    fx0, fy0, fx1, fy1 = face.box
    if not (fx0 <= pixels[NOSE, 0] <= fx1 and fy0 <= pixels[NOSE, 1] <= fy1):
        return None  # the model followed another body, or none
    world = np.array([(p.x, p.y, p.z) for p in found.pose_world_landmarks.landmark])
    visibility = np.array([p.visibility for p in marks])
    return Body(face, pixels, world, visibility)


def bodies(rgb: np.ndarray, min_confidence: float = 0.5) -> list[Body]:
    """One body per detected face whose pose the model finds, anchored to that face."""
    rgb = np.ascontiguousarray(rgb)
    return [b for f in detect_faces(rgb, min_confidence) if (b := _pose_in(rgb, f)) is not None]
