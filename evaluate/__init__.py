"""t2iqa: image QA and evaluation for text-to-image models.

The public API (``t2iqa.check``, ``t2iqa.run``, ``t2iqa.compare``, ``t2iqa.open_store``,
``t2iqa.disclose``) is imported on first use, so that ``import t2iqa.core`` (what checks
build on) stays light and never pulls in the harness.
"""

from __future__ import annotations

import importlib
from typing import Any

from t2iqa.core.errors import T2IQAError

__all__ = ["T2IQAError", "check", "compare", "disclose", "open_store", "run"]
_API = {"check", "compare", "disclose", "open_store", "run", "CheckReport", "RunResult"}


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module("t2iqa.api"), name)
    raise AttributeError(f"module 't2iqa' has no attribute {name!r}")
