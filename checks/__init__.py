"""Checks: one module each, one shared interface (checks.base), one registration line below."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any, Generic, TypeVar

from checks.base import Check, CheckResult, ImageUnderTest, SetMetric, SetResult
from evaluate.errors import T2IQAError

T = TypeVar("T")


class LazyRegistry(MutableMapping[str, type[T]], Generic[T]):
    """Name -> class, imported on first use. Assign a class or a "module:Class" string.

    Why lazy: the check modules import torch, OpenCLIP, EasyOCR and MediaPipe. Listing names
    or validating a config (``t2iqa compare``, the dashboard) should not pay seconds for them.
    """

    def __init__(self, entries: Mapping[str, str]) -> None:
        self._entries: dict[str, str | type[T]] = dict(entries)

    def __getitem__(self, name: str) -> type[T]:
        entry = self._entries[name]
        if isinstance(entry, str):
            module, _, attr = entry.partition(":")
            entry = self._entries[name] = getattr(importlib.import_module(module), attr)
        return entry

    def __setitem__(self, name: str, entry: str | type[T]) -> None:
        self._entries[name] = entry

    def __delitem__(self, name: str) -> None:
        del self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


# Registration: one line per check.
REGISTRY: LazyRegistry[Check] = LazyRegistry({
    "image_sanity": "checks.image_sanity:ImageSanityCheck",
    "ocr_text": "checks.ocr_text:OcrTextCheck",
    "unexpected_text": "checks.ocr_text:UnexpectedTextCheck",
    "hand_anatomy": "checks.hand_anatomy:HandAnatomyCheck",
    "clip_alignment": "checks.clip_alignment:ClipAlignmentCheck",
    "object_count": "checks.object_count:ObjectCountCheck",
})  # fmt: skip
DEFAULT_CHECKS: tuple[str, ...] = tuple(REGISTRY)
# Set-level metrics (one value per run against a reference set), one line each.
SET_METRICS: LazyRegistry[SetMetric] = LazyRegistry({
    "fid": "checks.distribution:FrechetInceptionDistanceMetric",
    "kid": "checks.distribution:KernelInceptionDistanceMetric",
    "cmmd": "checks.distribution:ClipMaximumMeanDiscrepancy",
})  # fmt: skip


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
    "LazyRegistry",
    "SetMetric",
    "SetResult",
    "build_checks",
    "build_set_metrics",
]
