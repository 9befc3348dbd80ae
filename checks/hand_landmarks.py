"""The hand landmark detector: MediaPipe Tasks' HandLandmarker, its model bundle assembled
offline from the two .tflite files inside the installed mediapipe 0.10.x wheel (palm detector
+ landmark model, zipped under the names the Tasks API looks for), or the official
``hand_landmarker.task`` (``model_path``). Landmarks come back in pixel units, with
MediaPipe's depth (z in the scale of x).
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from t2iqa.core.errors import Unavailable

WHEEL_MODELS = {
    "hand_detector.tflite": "modules/palm_detection/palm_detection_full.tflite",
    "hand_landmarks_detector.tflite": "modules/hand_landmark/hand_landmark_full.tflite",
}


def wheel_bundle(cache_dir: Path | None = None) -> Path:
    """A HandLandmarker .task bundle built from the .tflite files in the mediapipe wheel."""
    try:
        import mediapipe
    except ImportError as exc:
        raise Unavailable("mediapipe is not installed: pip install 'mediapipe==0.10.*'") from exc
    from t2iqa.core.paths import default_cache_dir

    root = Path(mediapipe.__file__).parent
    sources = {name: root / rel for name, rel in WHEEL_MODELS.items()}
    missing = [str(p) for p in sources.values() if not p.is_file()]
    if missing:
        raise Unavailable(
            f"mediapipe {getattr(mediapipe, '__version__', '?')} carries no hand models "
            f"({', '.join(missing)}); install a 0.10.x wheel, or set the check option "
            "model_path to MediaPipe's hand_landmarker.task"
        )
    version = getattr(mediapipe, "__version__", "unknown")
    bundle = (cache_dir or default_cache_dir()) / "mediapipe" / f"hand_landmarker-{version}.task"
    if not bundle.is_file():
        bundle.parent.mkdir(parents=True, exist_ok=True)
        tmp = bundle.with_suffix(".tmp")
        with zipfile.ZipFile(tmp, "w") as zf:
            for name, path in sources.items():
                zf.write(path, name)
        tmp.replace(bundle)
    return bundle


@contextlib.contextmanager
def native_logs_silenced() -> Iterator[None]:
    """Silence MediaPipe's C++ logging (EGL, XNNPACK, feedback-tensor notices), which writes
    straight to file descriptor 2 and would bury the verdicts; Python exceptions still rise."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@functools.cache
def load_landmarker(model_path: str | None, max_hands: int, min_detection: float) -> Any:
    """A HandLandmarker in image mode, created once per process and settings."""
    path = Path(model_path) if model_path else wheel_bundle()
    if not path.is_file():
        raise Unavailable(f"hand model {path} does not exist")
    with native_logs_silenced():
        from mediapipe.tasks.python import BaseOptions, vision

    options = vision.HandLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(path)),
        running_mode=vision.RunningMode.IMAGE,
        num_hands=max_hands,
        min_hand_detection_confidence=min_detection,
        min_hand_presence_confidence=min_detection,
    )
    try:
        with native_logs_silenced():
            return vision.HandLandmarker.create_from_options(options)
    except Exception as exc:  # a file that is not a hand landmarker bundle
        raise Unavailable(f"cannot load hand model {path}: {exc}") from exc


@dataclass
class DetectedHand:
    points: np.ndarray  # 21x3, pixel units
    handedness: str  # MediaPipe's label ("Left"/"Right"), which assumes a mirrored image
    handedness_score: float

    @property
    def right_hand(self) -> bool:
        # MediaPipe labels as if the image were a selfie (mirrored): "Left" is a right hand.
        return self.handedness == "Left"


def detect_hands(landmarker: Any, image: np.ndarray) -> list[DetectedHand]:
    import mediapipe as mp

    h, w = image.shape[:2]
    frame = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(image))
    with native_logs_silenced():
        result = landmarker.detect(frame)
    hands = []
    for landmarks, handed in zip(result.hand_landmarks, result.handedness, strict=True):
        pts = np.array([[p.x * w, p.y * h, p.z * w] for p in landmarks], dtype=np.float64)
        hands.append(DetectedHand(pts, handed[0].category_name, float(handed[0].score)))
    return hands
