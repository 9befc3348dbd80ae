"""Composition: are the objects the prompt asks for there, and do they stand where it says?

Judged by GenEval's rules (``t2iqa.checks.geneval_rules``) on the detector ``object_count``
uses (OWLv2 by default; ``backend=yolo`` for COCO classes): every expected object at least
once (``expect.counts`` raises the minimum), and for every expected relation every kept box
of the subject in that relation to every kept box of the object. Relations: GenEval's four
(box centres, a margin of ``position_margin`` x the two boxes' sizes) and ``near`` (ours,
not GenEval's: the gap between the two boxes under ``near_gap`` x the smaller box's longer
side).

Colours (``expect.colors``): the most confident objects of each coloured noun are named by
``t2iqa.checks.colors`` (GenEval's CLIP zero-shot classifier, or the weightless CIELAB
fallback where CLIP cannot load, which every such verdict says), and each must have its own
colour: attribute binding.

With ``geneval_tasks`` (the bundled ``geneval`` suite sets it) a prompt whose category is one
of GenEval's six tasks is judged exactly as GenEval judges that task: counting prompts at
``counting_threshold`` with their exact count (GenEval's exclude clause). Otherwise counts
are minimums here (``object_count`` judges them exactly).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from PIL import Image

from t2iqa.checks.base import Check, ImageUnderTest
from t2iqa.checks.clip_alignment import CLIP_WEIGHTS, load_clip
from t2iqa.checks.colors import ColorNamer, color_namer
from t2iqa.checks.detections import Box, Detection
from t2iqa.checks.detectors import DetectorOptions, expected_nouns, load_detector
from t2iqa.checks.detectors.mask2former import MASK2FORMER_WEIGHTS
from t2iqa.checks.detectors.owl import OWL_WEIGHTS
from t2iqa.checks.geneval_rules import GenEvalRules, kept_objects, verdict_on_kept
from t2iqa.checks.options import Fraction, PositiveInt
from t2iqa.core.errors import Unavailable
from t2iqa.core.expectations import COLORS, Expectations
from t2iqa.core.prompts import PromptSpec
from t2iqa.core.results import OK, UNAVAILABLE, CheckResult
from t2iqa.suites.geneval import TASKS

GENEVAL_RELATIONS = ("left of", "right of", "above", "below")


def geneval_entry(
    expect: Expectations, tag: str = "composition", colors: bool = True
) -> dict[str, Any]:
    """GenEval metadata for what ``expect`` asks (``near`` left out: judged apart; colours
    too unless ``colors``). A subject with several relations gets one include clause per
    relation (GenEval: a repeated clause changes nothing). A counting task's counts are
    exact: GenEval's exclude clause, one more than asked."""
    nouns = expected_nouns(expect)
    include: list[dict[str, Any]] = []
    for n in nouns:
        clause: dict[str, Any] = {"class": n, "count": expect.counts.get(n, 1)}
        if colors and n in expect.colors:
            clause["color"] = expect.colors[n]
        include.append(clause)
    for r in expect.relations:
        if r.relation in GENEVAL_RELATIONS:
            include.append({"class": r.subject, "count": expect.counts.get(r.subject, 1),
                            "position": [r.relation, nouns.index(r.object)]})  # fmt: skip
    entry: dict[str, Any] = {"tag": tag, "include": include}
    if tag == "counting":
        entry["exclude"] = [{"class": n, "count": c + 1} for n, c in expect.counts.items()]
    return entry


def with_colors(
    kept: dict[str, list[Detection]], entry: dict[str, Any], image: Image.Image,
    namer: ColorNamer,
) -> dict[str, list[Detection]]:  # fmt: skip
    """``kept`` with a colour on the objects GenEval names: per coloured clause, the
    ``count`` most confident of its class."""
    out = {label: list(found) for label, found in kept.items()}
    for clause in entry["include"]:
        if "color" not in clause or clause["class"] not in out:
            continue
        found = out[clause["class"]]
        todo = [d for d in found[: clause["count"]] if d.color is None]
        named = dict(zip(map(id, todo), namer.classify(image, todo, clause["class"]), strict=True))
        out[clause["class"]] = [
            dataclasses.replace(d, color=named[id(d)]) if id(d) in named else d for d in found
        ]
    return out


def near(a: Box, b: Box, gap: float) -> bool:
    """Boxes closer than ``gap`` x the smaller box's longer side (touching or overlapping:
    near)."""
    dx = max(b[0] - a[2], a[0] - b[2], 0.0)
    dy = max(b[1] - a[3], a[1] - b[3], 0.0)
    side = min(max(a[2] - a[0], a[3] - a[1]), max(b[2] - b[0], b[3] - b[1]))
    return max(dx, dy) <= gap * side


class CompositionCheck(Check):
    name = "composition"
    uses_accelerator = True
    model_mib = 590 + 1633  # the detector and GenEval's colour CLIP (ViT-L/14), float32
    loaders = (load_detector, color_namer, load_clip)
    verifies_expectations = True
    version = "2"
    description = "the objects the prompt asks for, their colours and where they stand (GenEval)"
    packages = ("transformers", "open-clip-torch")
    weights = (OWL_WEIGHTS, MASK2FORMER_WEIGHTS, CLIP_WEIGHTS)
    embedded_options = MappingProxyType({"model": "embedded", "clip_model": "embedded"})
    not_applicable_reason = "the prompt asks for no objects, colours or positions"

    @dataclass(frozen=True)
    class Config(DetectorOptions):
        threshold: Fraction = 0.3  # GenEval's confidence threshold (detections above it)
        max_objects: PositiveInt = 16  # per class, most confident first (GenEval)
        position_margin: Fraction = 0.1  # GenEval's margin, x the two boxes' sizes
        near_gap: Fraction = 0.5  # "near": gap under this x the smaller box's longer side
        # "clip": GenEval's classifier (CIELAB where CLIP cannot load); "cielab": weightless.
        color_method: Literal["clip", "cielab"] = "clip"
        clip_model: str = "ViT-L-14"  # GenEval's; "embedded": tiny random weights (plumbing)
        clip_pretrained: str | None = "openai"
        clip_checkpoint: str | None = None  # a local open_clip weights file instead
        # Judge a prompt whose category is a GenEval task as GenEval does (geneval suite).
        geneval_tasks: bool = False
        counting_threshold: Fraction = 0.9  # GenEval's, for its counting task

    def applies(self, spec: PromptSpec) -> bool:
        e = spec.expect
        return bool(e.objects or e.relations or e.colors)

    def rules(self) -> GenEvalRules:
        cfg = self.config
        return GenEvalRules(threshold=cfg.threshold, counting_threshold=cfg.counting_threshold,
                            max_objects=cfg.max_objects,
                            position_margin=cfg.position_margin)  # fmt: skip

    def tag(self, spec: PromptSpec) -> str:
        """The GenEval task a prompt is judged as ("composition": none in particular)."""
        geneval = self.config.geneval_tasks and spec.category in TASKS
        return spec.category if geneval else "composition"

    def check(self, item: ImageUnderTest) -> CheckResult:
        cfg = self.config
        tag = self.tag(item.spec)
        floor = cfg.counting_threshold if tag == "counting" else cfg.threshold
        try:
            detections = cfg.detections(item, expected_nouns(item.spec.expect), floor)
        except Unavailable as exc:
            return self.result(UNAVAILABLE, None, None, str(exc))
        namer, note = None, ""
        if item.spec.expect.colors:
            namer, note = color_namer(cfg.color_method, cfg.clip_model, cfg.clip_pretrained,
                                      cfg.clip_checkpoint, cfg.device)  # fmt: skip
        return self.judge(item.spec.expect, detections, cfg.detector().key, tag,
                          (item.image, namer, note) if namer else None)  # fmt: skip

    def judge(
        self, expect: Expectations, detections: Sequence[Detection], model: str = "",
        tag: str = "composition", colors: tuple[Image.Image, ColorNamer, str] | None = None,
    ) -> CheckResult:  # fmt: skip
        """The verdict on given detections; ``colors`` (the image, a colour namer and its
        note) judges the colours asked for, which are otherwise left unjudged."""
        cfg = self.config
        rules = self.rules()
        entry = geneval_entry(expect, tag, colors=colors is not None)
        kept = kept_objects(detections, tag, rules)
        if colors is not None:
            kept = with_colors(kept, entry, colors[0], colors[1])
        _, reason = verdict_on_kept(kept, entry, rules)
        problems = reason.splitlines() + self._near_problems(expect, kept)
        boxes = [d for found in kept.values() for d in found]
        details = {
            "expected": expect.to_dict(), "geneval_entry": entry, "geneval_reason": reason,
            "detections": [d.to_dict() for d in boxes],
            "settings": {"model": model, "backend": cfg.backend, "threshold": cfg.threshold,
                         "max_objects": cfg.max_objects, "position_margin": cfg.position_margin,
                         "near_gap": cfg.near_gap,
                         "color_method": colors[1].key if colors else None},
            "overlay": [{"kind": "box", "box": list(d.box), "ok": not problems,
                         "label": f"{d.color + ' ' if d.color else ''}{d.label} {d.score:.2f}"}
                        for d in boxes],
        }  # fmt: skip
        found = ", ".join(f"{len(v)} {k}" for k, v in kept.items()) or "nothing"
        note = f"; {colors[2]}" if colors and colors[2] else ""
        if problems:
            return self.result(problem_verdict(problems, expect), False, 0.0,
                               "; ".join(problems) + f" (found {found}){note}",
                               **details)  # fmt: skip
        if expect.colors and colors is None:
            colours = ", ".join(f"{c} {n}" for n, c in expect.colors.items())
            return self.result(
                UNAVAILABLE, None, None,
                f"objects and positions right (found {found}); colours ({colours}) not judged: "
                "no colour classifier given", **details,
            )  # fmt: skip
        return self.result(OK, True, 1.0, f"everything as asked (found {found}){note}",
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


def problem_verdict(problems: list[str], expect: Expectations) -> str:
    """The verdict naming the first kind of problem found, most basic first."""
    nouns = expected_nouns(expect)
    if any(p.startswith(f"expected {n}>=") for p in problems for n in nouns):
        return "missing_object"
    if any(p.startswith(f"expected {c} ") for p in problems for c in COLORS):
        return "wrong_color"
    if any("<" in p.split(",")[0] for p in problems):
        return "wrong_count"
    return "wrong_position"
