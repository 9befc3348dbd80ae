"""Composition: are the objects the prompt asks for there, and do they stand where it says?

Judged by GenEval's rules (``t2iqa.checks.geneval_rules``) on the detector ``object_count``
uses (OWLv2 by default; ``backend=yolo`` for COCO classes): every expected object at least
once (``expect.counts`` raises the minimum), and for every expected relation every kept box
of the subject in that relation to every kept box of the object. Relations: GenEval's four
(box centres, a margin of ``position_margin`` x the two boxes' sizes) and ``near`` (ours,
not GenEval's: the gap between the two boxes under ``near_gap`` x the smaller box's longer
side).

Colours (``expect.colors``) need a colour classifier over each object's crop, which this
check does not have yet: a prompt whose objects and positions pass but whose colours are
asked for is ``unavailable`` on colour, named in the reason, never a pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from t2iqa.checks.base import Check, ImageUnderTest
from t2iqa.checks.detections import Box, Detection
from t2iqa.checks.geneval_rules import GenEvalRules, kept_objects, verdict_on_kept
from t2iqa.checks.object_count import DetectorOptions
from t2iqa.checks.options import Fraction, PositiveInt
from t2iqa.core.errors import Unavailable
from t2iqa.core.expectations import Expectations
from t2iqa.core.prompts import PromptSpec
from t2iqa.core.results import OK, UNAVAILABLE, CheckResult

GENEVAL_RELATIONS = ("left of", "right of", "above", "below")


def expected_nouns(expect: Expectations) -> list[str]:
    """Every object ``expect`` names: listed, coloured or in a relation, each once."""
    related = (n for r in expect.relations for n in (r.subject, r.object))
    return list(dict.fromkeys([*expect.objects, *expect.colors, *related]))


def geneval_entry(expect: Expectations) -> dict[str, Any]:
    """GenEval metadata for what ``expect`` asks (colours and ``near`` left out: judged
    apart). A subject with several relations gets one include clause per relation (GenEval:
    a repeated clause changes nothing)."""
    nouns = expected_nouns(expect)
    include: list[dict[str, Any]] = [{"class": n, "count": expect.counts.get(n, 1)} for n in nouns]
    for r in expect.relations:
        if r.relation in GENEVAL_RELATIONS:
            include.append({"class": r.subject, "count": expect.counts.get(r.subject, 1),
                            "position": [r.relation, nouns.index(r.object)]})  # fmt: skip
    return {"tag": "composition", "include": include}


def near(a: Box, b: Box, gap: float) -> bool:
    """Boxes closer than ``gap`` x the smaller box's longer side (touching or overlapping:
    near)."""
    dx = max(b[0] - a[2], a[0] - b[2], 0.0)
    dy = max(b[1] - a[3], a[1] - b[3], 0.0)
    side = min(max(a[2] - a[0], a[3] - a[1]), max(b[2] - b[0], b[3] - b[1]))
    return max(dx, dy) <= gap * side


class CompositionCheck(Check):
    name = "composition"
    verifies_expectations = True
    version = "1"
    description = "the objects the prompt asks for and where they stand (GenEval's rules)"
    packages = ("transformers",)
    embedded_options = MappingProxyType({"model": "embedded"})
    not_applicable_reason = "the prompt asks for no objects, colours or positions"

    @dataclass(frozen=True)
    class Config(DetectorOptions):
        threshold: Fraction = 0.3  # GenEval's confidence threshold (detections above it)
        max_objects: PositiveInt = 16  # per class, most confident first (GenEval)
        position_margin: Fraction = 0.1  # GenEval's margin, x the two boxes' sizes
        near_gap: Fraction = 0.5  # "near": gap under this x the smaller box's longer side

    def applies(self, spec: PromptSpec) -> bool:
        e = spec.expect
        return bool(e.objects or e.relations or e.colors)

    def check(self, item: ImageUnderTest) -> CheckResult:
        cfg = self.config
        try:
            detector = cfg.detector()
            nouns = expected_nouns(item.spec.expect)
            detections = detector.detect(item.image, nouns, cfg.threshold)
        except Unavailable as exc:
            return self.result(UNAVAILABLE, None, None, str(exc))
        return self.judge(item.spec.expect, detections, detector.key)

    def judge(
        self, expect: Expectations, detections: Sequence[Detection], model: str = ""
    ) -> CheckResult:
        cfg = self.config
        rules = GenEvalRules(threshold=cfg.threshold, max_objects=cfg.max_objects,
                             position_margin=cfg.position_margin)  # fmt: skip
        entry = geneval_entry(expect)
        kept = kept_objects(detections, entry["tag"], rules)
        _, reason = verdict_on_kept(kept, entry, rules)
        problems = reason.splitlines() + self._near_problems(expect, kept)
        boxes = [d for found in kept.values() for d in found]
        details = {
            "expected": expect.to_dict(), "geneval_entry": entry,
            "detections": [d.to_dict() for d in boxes],
            "settings": {"model": model, "backend": cfg.backend, "threshold": cfg.threshold,
                         "max_objects": cfg.max_objects, "position_margin": cfg.position_margin,
                         "near_gap": cfg.near_gap},
            "overlay": [{"kind": "box", "box": list(d.box), "label": f"{d.label} {d.score:.2f}",
                         "ok": not problems} for d in boxes],
        }  # fmt: skip
        found = ", ".join(f"{len(v)} {k}" for k, v in kept.items()) or "nothing"
        if problems:
            verdict = "missing_object" if any(">=" in p for p in problems) else "wrong_position"
            return self.result(verdict, False, 0.0, "; ".join(problems) + f" (found {found})",
                               **details)  # fmt: skip
        if expect.colors:
            colours = ", ".join(f"{c} {n}" for n, c in expect.colors.items())
            return self.result(
                UNAVAILABLE, None, None,
                f"objects and positions right (found {found}); colours ({colours}) not judged: "
                "no colour classifier in this check yet", **details,
            )  # fmt: skip
        return self.result(OK, True, 1.0, f"objects and positions as asked (found {found})",
                           **details)  # fmt: skip

    def _near_problems(self, expect: Expectations, kept: dict[str, list[Detection]]) -> list[str]:
        out = []
        for r in expect.relations:
            if r.relation != "near":
                continue
            subjects, objects = kept.get(r.subject, []), kept.get(r.object, [])
            if (
                subjects
                and objects
                and not any(
                    near(a.box, b.box, self.config.near_gap) for a in subjects for b in objects
                )
            ):
                out.append(f"expected {r.subject} near {r.object}, found them apart")
        return out
