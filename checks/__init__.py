"""Checks: one module each, one shared interface (checks.base), one registration line below."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from checks.base import Check, CheckResult, ImageUnderTest, SetMetric, SetResult
from checks.clip_alignment import ClipAlignmentCheck
from checks.distribution import (
    ClipMaximumMeanDiscrepancy,
    FrechetInceptionDistanceMetric,
    KernelInceptionDistanceMetric,
)
from checks.hand_anatomy import HandAnatomyCheck
from checks.image_sanity import ImageSanityCheck
from checks.object_count import ObjectCountCheck
from checks.ocr_text import OcrTextCheck, UnexpectedTextCheck
from evaluate.errors import T2IQAError

# Registration: one line per check.
REGISTRY: dict[str, type[Check]] = {
    ImageSanityCheck.name: ImageSanityCheck,
    OcrTextCheck.name: OcrTextCheck,
    UnexpectedTextCheck.name: UnexpectedTextCheck,
    HandAnatomyCheck.name: HandAnatomyCheck,
    ClipAlignmentCheck.name: ClipAlignmentCheck,
    ObjectCountCheck.name: ObjectCountCheck,
}
DEFAULT_CHECKS: tuple[str, ...] = tuple(REGISTRY)
# Set-level metrics (one value per run against a reference set), one line each.
SET_METRICS: dict[str, type[SetMetric]] = {
    FrechetInceptionDistanceMetric.name: FrechetInceptionDistanceMetric,
    KernelInceptionDistanceMetric.name: KernelInceptionDistanceMetric,
    ClipMaximumMeanDiscrepancy.name: ClipMaximumMeanDiscrepancy,
}


def build_set_metrics(
    names: Iterable[str], options: Mapping[str, Mapping[str, Any]] | None = None
) -> list[SetMetric]:
    options = options or {}
    names = list(names)
    unknown = [n for n in [*names, *options] if n not in SET_METRICS]
    if unknown:
        raise T2IQAError(
            f"unknown set metric(s) {sorted(set(unknown))}; available: {', '.join(SET_METRICS)}"
        )
    return [SET_METRICS[n].from_options(options.get(n, {})) for n in dict.fromkeys(names)]


def build_checks(
    names: Iterable[str] | None = None, options: Mapping[str, Mapping[str, Any]] | None = None
) -> list[Check]:
    """Instantiate checks by name with per-check options; unknown names are a user error."""
    names = list(names) if names is not None else list(DEFAULT_CHECKS)
    options = options or {}
    unknown = [n for n in [*names, *options] if n not in REGISTRY]
    if unknown:
        raise T2IQAError(
            f"unknown check(s) {sorted(set(unknown))}; available checks: {', '.join(REGISTRY)}"
        )
    return [REGISTRY[n].from_options(options.get(n, {})) for n in dict.fromkeys(names)]


__all__ = [
    "DEFAULT_CHECKS",
    "REGISTRY",
    "SET_METRICS",
    "Check",
    "CheckResult",
    "ImageUnderTest",
    "SetMetric",
    "SetResult",
    "build_checks",
    "build_set_metrics",
]
