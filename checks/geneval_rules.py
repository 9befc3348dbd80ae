"""GenEval's verdict rules (Ghosh et al. 2023, ``evaluation/evaluate_images.py`` of
djghosh13/geneval), as one function any detector can feed.

``geneval_verdict(detections, entry)`` takes detections (label, box, score, and the colour a
colour classifier gave the object where the task needs one) and one GenEval metadata entry,
and returns ``(correct, reason)`` as GenEval decides it:

1. per class, detections above the confidence threshold (0.3; 0.9 for the counting task),
   most confident first, at most 16, optionally thinned by IoU (off by default, as GenEval);
2. each ``include`` clause: at least ``count`` of its class; then, on the ``count`` most
   confident of them, at least ``count`` of the asked colour, and every one of them in the
   asked relation to every object the target clause matched;
3. each ``exclude`` clause: fewer than ``count`` of its class.

Relations compare box centres after shrinking the offset by ``position_margin`` x the sum of
the two boxes' sizes, per axis; a relation holds when its axis carries more than half of the
shrunk offset's share of the full offset (so, side by side, the centres must be more than
twice the margin apart).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from t2iqa.checks.detections import Box, Detection


@dataclass(frozen=True)
class GenEvalRules:
    """GenEval's options with its defaults (``--options`` of its evaluate_images.py)."""

    threshold: float = 0.3
    counting_threshold: float = 0.9
    max_objects: int = 16
    max_overlap: float = 1.0  # IoU above which a weaker box of the class is dropped; 1: never
    position_margin: float = 0.1


def iou(a: Box, b: Box) -> float:
    """GenEval's IoU: boxes in inclusive pixel coordinates (+1 on each side's length)."""

    def area(x0: float, y0: float, x1: float, y1: float) -> float:
        return max(x1 - x0 + 1, 0) * max(y1 - y0 + 1, 0)

    inter = area(max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    union = area(*a) + area(*b) - inter
    return inter / union if union else 0.0


def kept_objects(
    detections: Iterable[Detection], tag: str, rules: GenEvalRules = GenEvalRules()
) -> dict[str, list[Detection]]:
    """Step 1: per class, the detections GenEval keeps, most confident first."""
    threshold = rules.counting_threshold if tag == "counting" else rules.threshold
    by_class: dict[str, list[Detection]] = {}
    for d in sorted(detections, key=lambda d: -d.score):
        if d.score > threshold:
            by_class.setdefault(d.label, []).append(d)
    kept = {}
    for label, found in by_class.items():
        found, chosen = found[: rules.max_objects], []
        while found:
            best = found.pop(0)
            chosen.append(best)
            if rules.max_overlap < 1:
                found = [d for d in found if iou(best.box, d.box) < rules.max_overlap]
        kept[label] = chosen
    return kept


def relations(a: Box, b: Box, margin: float = 0.1) -> set[str]:
    """Where box ``a`` stands against box ``b``: a subset of left of / right of / above /
    below (image y grows downwards)."""
    boxes = np.array([a, b], dtype=np.float64).reshape(2, 2, 2)
    centre_a, centre_b = boxes.mean(axis=1)
    size_a, size_b = np.abs(boxes[:, 1] - boxes[:, 0])
    offset = centre_a - centre_b
    shrunk = np.maximum(np.abs(offset) - margin * (size_a + size_b), 0) * np.sign(offset)
    if np.all(np.abs(shrunk) < 1e-3):
        return set()
    dx, dy = shrunk / np.linalg.norm(offset)
    found = set()
    if dx < -0.5:
        found.add("left of")
    if dx > 0.5:
        found.add("right of")
    if dy < -0.5:
        found.add("above")
    if dy > 0.5:
        found.add("below")
    return found


def geneval_verdict(
    detections: Iterable[Detection], entry: Mapping[str, Any],
    rules: GenEvalRules = GenEvalRules(),
) -> tuple[bool, str]:  # fmt: skip
    """GenEval's (correct, reason) for one image: ``entry`` is its metadata line."""
    return verdict_on_kept(kept_objects(detections, entry["tag"], rules), entry, rules)


def verdict_on_kept(
    objects: Mapping[str, list[Detection]], entry: Mapping[str, Any], rules: GenEvalRules
) -> tuple[bool, str]:
    """Steps 2 and 3 on the detections step 1 kept (for callers that keep them too)."""
    reasons: list[str] = []
    matched: list[Sequence[Detection] | None] = []
    for clause in entry.get("include", []):
        problem = _include_problem(clause, objects, matched, rules)
        if problem:
            reasons.append(problem)
        matched.append(None if problem else objects.get(clause["class"], [])[: clause["count"]])
    for clause in entry.get("exclude", []):
        found = len(objects.get(clause["class"], []))
        if found >= clause["count"]:
            reasons.append(f"expected {clause['class']}<{clause['count']}, found {found}")
    return not reasons, "\n".join(reasons)


def _include_problem(
    clause: Mapping[str, Any], objects: Mapping[str, list[Detection]],
    matched: Sequence[Sequence[Detection] | None], rules: GenEvalRules,
) -> str | None:  # fmt: skip
    """Why one include clause fails, or None when it holds."""
    name, count = clause["class"], clause["count"]
    found = objects.get(name, [])[:count]
    if len(found) < count:
        return f"expected {name}>={count}, found {len(found)}"
    if "color" in clause:
        colors = [d.color for d in found]
        if None in colors:
            raise ValueError(f"the {name} detections carry no colour; classify them first")
        if colors.count(clause["color"]) < count:
            seen = ", ".join(f"{colors.count(c)} {c}" for c in dict.fromkeys(colors))
            return f"expected {clause['color']} {name}>={count}, found {seen}"
    if "position" in clause:
        relation, target = clause["position"]
        if matched[target] is None:
            return f"no target for {name} to be {relation}"
        for obj in found:
            for other in matched[target] or ():
                seen = relations(obj.box, other.box, rules.position_margin)
                if relation not in seen:
                    found_as = " and ".join(sorted(seen)) or "no relation to the"
                    return f"expected {name} {relation} target, found {found_as} target"
    return None
