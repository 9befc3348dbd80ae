"""MediaPipe's face mesh (478 landmarks: the face's 468 plus 5 per iris), offline from the
installed mediapipe 0.10.x wheel, run on a crop around each face the detector found.

The mesh model reads a 192 px view and finds faces poorly once they are small in the frame
(a group photo's faces are missed at full size), so each detected face is cropped with a
margin and enlarged to at least ``MESH_SIDE`` pixels first (``face_detection`` finds the
faces, on tiles where they are small).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from t2iqa.checks.detections import Detection
from t2iqa.checks.face_detection import _solutions, detect_faces
from t2iqa.checks.hand_landmarks import native_logs_silenced

MARGIN = 1.8  # the crop's side over the detector's box side: room for the jaw and forehead
MESH_SIDE = 256  # px: smaller crops are enlarged to this before the mesh reads them
MIN_FACE_SIDE = 24  # px in the image: smaller faces hold too few skin pixels to judge


@functools.cache
def face_mesh() -> Any:
    """Face mesh with iris refinement, still-image mode, one face per crop; once per process."""
    with native_logs_silenced():
        return _solutions().face_mesh.FaceMesh(
            static_image_mode=True, max_num_faces=1, refine_landmarks=True,
            min_detection_confidence=0.5,
        )  # fmt: skip


def mesh_part(name: str) -> list[int]:
    """Landmark indices of a named face-mesh region ("FACE_OVAL", "LIPS", "LEFT_EYE", ...)."""
    connections = getattr(_solutions().face_mesh, f"FACEMESH_{name}")
    return sorted({i for pair in connections for i in pair})


@dataclass(frozen=True)
class FaceCrop:
    """One face: the detector's box in the image, the enlarged crop and its landmarks."""

    box: Detection
    crop: np.ndarray  # RGB uint8, the face with a margin, enlarged to MESH_SIDE
    points: np.ndarray | None  # 478 x 2 in the crop's pixels; None: the mesh found no face
    too_small: bool = False
    origin: tuple[int, int] = (0, 0)  # the crop's top-left corner in the image, px
    scale: float = 1.0  # crop pixels per image pixel

    def in_image(self, points: np.ndarray) -> np.ndarray:
        """Crop pixel coordinates (N x 2) in the image's pixels."""
        return points / self.scale + np.asarray(self.origin, dtype=float)


def crop_face(rgb: np.ndarray, box: Detection) -> tuple[np.ndarray, tuple[int, int], float]:
    """The face with a margin, enlarged to ``MESH_SIDE``; its top-left corner and scale."""

    x0, y0, x1, y1 = box.box
    cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0) * MARGIN / 2
    h, w = rgb.shape[:2]
    left, top = int(max(cx - half, 0)), int(max(cy - half, 0))
    crop, scale = enlarged(rgb[top : int(min(cy + half, h)), left : int(min(cx + half, w))],
                           MESH_SIDE)  # fmt: skip
    return crop, (left, top), scale


def enlarged(crop: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    """``crop`` enlarged (bicubic) so its longer side is at least ``side`` pixels, and the
    scale used (1: as it was): landmark models read a fixed-size view and miss small subjects."""
    import cv2

    scale = side / max(crop.shape[:2])
    if scale > 1:
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    return np.ascontiguousarray(crop), max(scale, 1.0)


def faces_with_landmarks(rgb: np.ndarray, min_confidence: float = 0.5) -> list[FaceCrop]:
    """Every face the detector finds, each with its mesh (or why not)."""
    out = []
    for box in detect_faces(rgb, min_confidence):
        x0, y0, x1, y1 = box.box
        if max(x1 - x0, y1 - y0) < MIN_FACE_SIDE:
            out.append(FaceCrop(box, np.zeros((0, 0, 3), np.uint8), None, too_small=True))
            continue
        crop, origin, scale = crop_face(rgb, box)
        with native_logs_silenced():
            found = face_mesh().process(crop)
        points = None
        if found.multi_face_landmarks:
            h, w = crop.shape[:2]
            marks = found.multi_face_landmarks[0].landmark
            points = np.array([(p.x * w, p.y * h) for p in marks])
        out.append(FaceCrop(box, crop, points, origin=origin, scale=scale))
    return out
