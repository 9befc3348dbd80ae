"""Reading JSON and YAML a user wrote, with limits: a value nested deeper than anything
t2iqa reads (a suite, a policy, a manifest line) is a mistake or an attack (a
``[[[[...]]]]`` line overflows Python's recursion), and is refused with a sentence."""

from __future__ import annotations

import json
from typing import Any

from t2iqa.core.errors import T2IQAError

# Deepest nesting t2iqa's own files use is about 5 (suite > prompts > prompt > expect >
# counts); 32 leaves room for anything a user might reasonably nest.
MAX_NESTING = 32


class NestingError(T2IQAError):
    """A value nested deeper than MAX_NESTING levels."""


def nesting_depth(value: Any) -> int:
    """How deeply lists and mappings nest in ``value`` (a scalar is 0), counted without
    recursion; YAML aliases that point back into themselves count once."""
    deepest, stack, seen = 0, [(value, 0)], set()
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list | tuple):
            if id(item) in seen:
                continue
            seen.add(id(item))
            deepest = max(deepest, depth + 1)
            if deepest > MAX_NESTING:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def checked_nesting(value: Any, where: str) -> Any:
    if nesting_depth(value) > MAX_NESTING:
        raise NestingError(f"{where}: nested more than {MAX_NESTING} levels deep")
    return value


def json_value(text: str, where: str) -> Any:
    """One JSON value; ``json.JSONDecodeError`` for malformed text (callers word it), and
    ``NestingError`` for a value nested too deeply to be anything t2iqa reads."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise NestingError(f"{where}: nested more than {MAX_NESTING} levels deep") from None
    if text.count("[") + text.count("{") <= MAX_NESTING:
        return value  # too few brackets to nest that deep: skip the walk (most lines)
    return checked_nesting(value, where)
