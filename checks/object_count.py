"""Object counting: does the image show as many of each object as the prompt asks for?

Expected counts come from the PromptSpec (``expect.counts``), which parses them from the
prompt when a suite does not state them ("three red apples", "2 cats and a dog").

Detectors (``t2iqa.checks.detectors``): OWLv2 by default (open vocabulary), Mask2Former
(COCO, GenEval's family) or YOLO; one detector pass per image serves this check and
``composition`` alike.

Per noun: detections at or above ``min_score`` after per-noun NMS (``nms_iou``) are counted.
GenEval's rule, "at least N found and not N+1", passes when the count is exactly N. A noun
whose verdict would change if the threshold moved by ``margin`` is flagged low-confidence.
Scores, threshold and NMS settings are saved with each result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from t2iqa.checks.base import Check, ImageUnderTest
from t2iqa.checks.detections import Detection, nms
from t2iqa.checks.detectors import DetectorOptions, load_detector
from t2iqa.checks.detectors.mask2former import MASK2FORMER_WEIGHTS
from t2iqa.checks.detectors.owl import OWL_WEIGHTS
from t2iqa.checks.options import Fraction
from t2iqa.core.errors import Unavailable
from t2iqa.core.prompts import PromptSpec
from t2iqa.core.results import OK, UNAVAILABLE, CheckResult


@dataclass(frozen=True)
class NounCount:
    noun: str
    expected: int
    found: int
    passed: bool  # GenEval: at least N and not N+1, i.e. exactly N
    low_confidence: bool
    scores: list[float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "noun": self.noun, "expected": self.expected, "found": self.found,
            "passed": self.passed, "at_least": self.found >= self.expected,
            "low_confidence": self.low_confidence, "scores": [round(s, 4) for s in self.scores],
        }  # fmt: skip


def count_objects(
    expected: dict[str, int],
    detections: Sequence[Detection],
    min_score: float,
    nms_iou: float,
    margin: float,
) -> list[NounCount]:
    """The counting rule on given detections, per expected noun."""
    kept = nms([d for d in detections if d.score >= min_score - margin], nms_iou)
    out = []
    for noun, n in expected.items():
        scores = sorted((d.score for d in kept if d.label == noun), reverse=True)
        found = sum(s >= min_score for s in scores)
        strict = sum(s >= min_score + margin for s in scores)
        loose = len(scores)  # everything at or above min_score - margin
        passed = found == n
        low = margin > 0 and ((strict == n) != passed or (loose == n) != passed)
        out.append(NounCount(noun, n, found, passed, low, scores[: max(found, n) + 2]))
    return out


# ---------------------------------------------------------------- the check


class ObjectCountCheck(Check):
    name = "object_count"
    uses_accelerator = True
    model_mib = 590  # OWLv2 B/16: 155M parameters in float32 (Mask2Former Swin-S: 69M)
    loaders = (load_detector,)
    verifies_expectations = True
    version = "2"
    description = "counts of the objects the prompt asks for, with an object detector"
    packages = ("transformers",)
    weights = (OWL_WEIGHTS, MASK2FORMER_WEIGHTS)
    embedded_options = MappingProxyType({"model": "embedded"})
    not_applicable_reason = "the prompt asks for no counted objects"

    @dataclass(frozen=True)
    class Config(DetectorOptions):
        min_score: Fraction = 0.3  # detections counted at or above this score
        nms_iou: Fraction = 0.5  # boxes of one noun overlapping more than this are one object
        margin: Fraction = 0.05  # verdicts that flip within +-margin are flagged low-confidence

    def applies(self, spec: PromptSpec) -> bool:
        return bool(spec.expect.counts)

    def check(self, item: ImageUnderTest) -> CheckResult:
        cfg = self.config
        try:
            nouns = list(item.spec.expect.counts)
            detections = cfg.detections(item, nouns, max(0.0, cfg.min_score - cfg.margin))
        except Unavailable as exc:
            return self.result(UNAVAILABLE, None, None, str(exc))
        return self.judge(item.spec.expect.counts, detections, cfg.detector().key)

    def judge(
        self, expected: dict[str, int], detections: Sequence[Detection], model: str = ""
    ) -> CheckResult:
        cfg = self.config
        counts = count_objects(expected, detections, cfg.min_score, cfg.nms_iou, cfg.margin)
        kept = nms([d for d in detections if d.score >= cfg.min_score], cfg.nms_iou)
        details = {
            "nouns": [c.to_dict() for c in counts],
            "detections": [d.to_dict() for d in kept],
            "settings": {"model": model, "backend": cfg.backend, "min_score": cfg.min_score,
                         "nms_iou": cfg.nms_iou, "margin": cfg.margin},
            "overlay": [{"kind": "box", "box": list(d.box), "label": f"{d.label} {d.score:.2f}",
                         "ok": next(c.passed for c in counts if c.noun == d.label)}
                        for d in kept],
        }  # fmt: skip
        parts = []
        for c in counts:
            flag = " (low confidence)" if c.low_confidence else ""
            mark = "ok" if c.passed else "wrong"
            parts.append(f"{c.noun}: expected {c.expected}, found {c.found} [{mark}]{flag}")
        reason = "; ".join(parts)
        score = sum(c.passed for c in counts) / len(counts) if counts else 0.0
        details["low_confidence"] = any(c.low_confidence for c in counts)
        if all(c.passed for c in counts):
            return self.result(OK, True, score, reason, **details)
        return self.result("wrong_count", False, score, reason, **details)
