"""What a detector reports about one object, shared by the checks that read detections
(object counts, GenEval's rules): one detector pass per image can serve them all."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels


@dataclass(frozen=True)
class Detection:
    label: str  # the noun or class it answers
    score: float
    box: Box
    color: str | None = None  # from a colour classifier, where a task asks for colour
    mask: Any = field(default=None, compare=False, repr=False)  # bool array (h, w), optional

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label, "score": round(self.score, 4),
                               "box": [round(v, 1) for v in self.box]}  # fmt: skip
        if self.color is not None:
            out["color"] = self.color
        return out
