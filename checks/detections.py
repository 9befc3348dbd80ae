"""What a detector reports about one object, shared by the checks that read detections
(object counts, composition, colours): one detector pass per image serves them all."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels


def box_pixels(box: Box) -> tuple[int, int, int, int]:
    """The whole pixels a box covers: x0, y0 rounded down, x1, y1 up (exclusive)."""
    return math.floor(box[0]), math.floor(box[1]), math.ceil(box[2]), math.ceil(box[3])


@dataclass(frozen=True)
class Detection:
    label: str  # the noun or class it answers
    score: float
    box: Box
    color: str | None = None  # from a colour classifier, where a task asks for colour
    # Which pixels of the box are the object: a bool array over ``box_pixels(box)`` (rows
    # y0..y1, columns x0..x1), from a segmenting detector; None: the box only.
    mask: Any = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label, "score": round(self.score, 4),
                               "box": [round(v, 1) for v in self.box]}  # fmt: skip
        if self.color is not None:
            out["color"] = self.color
        return out


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def nms(detections: Sequence[Detection], iou_threshold: float) -> list[Detection]:
    """Greedy non-maximum suppression within each label (1.0 keeps everything)."""
    kept: list[Detection] = []
    for det in sorted(detections, key=lambda d: -d.score):
        if all(k.label != det.label or iou(k.box, det.box) <= iou_threshold for k in kept):
            kept.append(det)
    return kept
