"""Checks: one module each, one shared interface (t2iqa.checks.base), one registration line
below."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from t2iqa.checks.base import Check, ImageUnderTest, SetMetric
from t2iqa.core.errors import T2IQAError
from t2iqa.core.registry import LazyRegistry
from t2iqa.core.results import CheckResult, SetResult

# Registration: one line per check.
REGISTRY: LazyRegistry[Check] = LazyRegistry({
    "image_sanity": "t2iqa.checks.image_sanity:ImageSanityCheck",
    "ocr_text": "t2iqa.checks.ocr_text:OcrTextCheck",
    "unexpected_text": "t2iqa.checks.ocr_text:UnexpectedTextCheck",
    "hand_anatomy": "t2iqa.checks.hand_anatomy:HandAnatomyCheck",
    "clip_alignment": "t2iqa.checks.clip_alignment:ClipAlignmentCheck",
    "object_count": "t2iqa.checks.object_count:ObjectCountCheck",
    "composition": "t2iqa.checks.composition:CompositionCheck",
    "people_count": "t2iqa.checks.people_count:PeopleCountCheck",
    "face_anatomy": "t2iqa.checks.face_anatomy:FaceAnatomyCheck",
    "body_anatomy": "t2iqa.checks.body_anatomy:BodyAnatomyCheck",
    "pick_score": "t2iqa.checks.pick_score:PickScoreCheck",
    "hps_v21": "t2iqa.checks.hps:HpsCheck",
    "image_reward": "t2iqa.checks.image_reward:ImageRewardCheck",
    "hps_v3": "t2iqa.checks.hps_v3:HpsV3Check",
    "vqa_score": "t2iqa.checks.vqa_score:VqaScoreCheck",
    "vqa_atoms": "t2iqa.checks.vqa_score:VqaAtomsCheck",
    "content_credentials": "t2iqa.checks.content_credentials:ContentCredentialsCheck",
})  # fmt: skip
# Asked for by name only: a preference model (2-16 GB) or a vision-language model (16 GB) is a
# download a default run should not make. A run with --scorers embedded includes them (their
# tiny stand-ins cost nothing).
OPT_IN = ("pick_score", "hps_v21", "image_reward", "hps_v3", "vqa_score", "vqa_atoms")
# Judged on image files as given (their metadata): in t2iqa check's defaults, not a run's,
# whose images are t2iqa's own PNGs.
FILE_CHECKS = ("content_credentials",)
QA_DEFAULT_CHECKS: tuple[str, ...] = tuple(n for n in REGISTRY if n not in OPT_IN)
DEFAULT_CHECKS: tuple[str, ...] = tuple(n for n in QA_DEFAULT_CHECKS if n not in FILE_CHECKS)
# Set-level metrics (one value per run against a reference set), one line each.
SET_METRICS: LazyRegistry[SetMetric] = LazyRegistry({
    "fid": "t2iqa.checks.distribution:FrechetInceptionDistanceMetric",
    "kid": "t2iqa.checks.distribution:KernelInceptionDistanceMetric",
    "cmmd": "t2iqa.checks.distribution:ClipMaximumMeanDiscrepancy",
    "fd_dinov2": "t2iqa.checks.fd_dinov2:FrechetDinoDistanceMetric",
    "fd_clip": "t2iqa.checks.fd_clip:FrechetClipDistanceMetric",
    "precision": "t2iqa.checks.prdc:PrecisionMetric",
    "recall": "t2iqa.checks.prdc:RecallMetric",
    "density": "t2iqa.checks.prdc:DensityMetric",
    "coverage": "t2iqa.checks.prdc:CoverageMetric",
    "skin_tone_skew": "t2iqa.checks.representation:SkinToneSkew",
    "gender_skew": "t2iqa.checks.representation:GenderSkew",
    "age_skew": "t2iqa.checks.representation:AgeSkew",
})  # fmt: skip


def scorer_packages() -> dict[str, tuple[str, ...]]:
    """Distribution -> the registered checks and set metrics whose numbers depend on its
    version (each declares ``packages`` on its class)."""
    out: dict[str, list[str]] = {}
    for registry in (REGISTRY, SET_METRICS):
        for name in registry:
            for package in registry[name].packages:
                out.setdefault(package, []).append(name)
    return {package: tuple(names) for package, names in out.items()}


def higher_is_better(name: str, measure: str = "score") -> bool:
    """The direction of a check's measure or a set metric's value. A pass rate always rises
    with quality; a score or metric says on its class (a name registered nowhere here is
    taken as a [0, 1] score, higher better)."""
    if measure == "pass_rate":
        return True
    cls = REGISTRY.get(name) or SET_METRICS.get(name)
    return True if cls is None else cls.higher_is_better


def metric_label(name: str) -> str:
    """A set metric's name with its direction, for tables: "fid (lower is better)"."""
    return f"{name} ({'higher' if higher_is_better(name) else 'lower'} is better)"


def build_set_metrics(
    names: Iterable[str], options: Mapping[str, Mapping[str, Any]] | None = None
) -> list[SetMetric]:
    """Instantiate set metrics by name with per-metric options."""
    return _build(SET_METRICS, "set metric", list(names), options or {})


def build_checks(
    names: Iterable[str] | None = None, options: Mapping[str, Mapping[str, Any]] | None = None
) -> list[Check]:
    """Instantiate checks by name (default: all) with per-check options."""
    names = list(names) if names is not None else list(DEFAULT_CHECKS)
    return _build(REGISTRY, "check", names, options or {})


def _build(
    registry: LazyRegistry[Any], what: str, names: list[str], options: Mapping[str, Any]
) -> list[Any]:
    """Each named entry built from its options, once; unknown names and every option problem
    (``OptionsError``, all at once) are user errors."""
    from t2iqa.checks.options import collect

    unknown = [n for n in [*names, *options] if n not in registry]
    if unknown:
        raise T2IQAError(
            f"unknown {what}(s) {sorted(set(unknown))}; available {what}s: {', '.join(registry)}"
        )
    return collect(
        [functools.partial(registry[n].from_options, options.get(n, {}))
         for n in dict.fromkeys(names)]
    )  # fmt: skip


__all__ = [
    "DEFAULT_CHECKS",
    "OPT_IN",
    "QA_DEFAULT_CHECKS",
    "REGISTRY",
    "SET_METRICS",
    "Check",
    "CheckResult",
    "ImageUnderTest",
    "LazyRegistry",
    "SetMetric",
    "SetResult",
    "build_checks",
    "build_set_metrics",
    "higher_is_better",
    "metric_label",
    "scorer_packages",
]
