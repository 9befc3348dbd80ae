"""Registries: name -> class, imported on first use. Checks, set metrics, image sources and
report formats each have one; adding one is a module plus one line."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Generic, TypeVar

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
