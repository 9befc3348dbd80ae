"""checks.base: what model loaders remember of their failures, and hand to other processes."""

from __future__ import annotations

import functools
import pickle

import pytest

from t2iqa.checks.base import adopt_unavailable, remember_failure, unavailable_loads
from t2iqa.core.errors import Unavailable


def test_a_failed_load_fails_again_at_once_and_only_unavailable_ones_are_handed_on() -> None:
    calls: list[str] = []

    @remember_failure
    @functools.cache
    def load(name: str) -> str:
        calls.append(name)
        if name == "missing":
            raise Unavailable(f"no weights for {name}")
        if name == "broken":
            raise ValueError("a bug, not a missing file")
        return name

    for _ in range(2):
        with pytest.raises(Unavailable, match="no weights for missing"):
            load("missing")
        with pytest.raises(ValueError):
            load("broken")
    assert calls == ["missing", "broken"]  # each tried once
    key = f"{load.__module__}.{load.__qualname__}"
    # What goes to a helper process: picklable, and only the Unavailable failure.
    handed = pickle.loads(pickle.dumps(unavailable_loads()))
    assert list(handed[key]) == [("missing",)]
    load.cache_clear()  # a fresh process: nothing remembered
    assert key not in unavailable_loads()
    adopt_unavailable(handed)
    with pytest.raises(Unavailable, match="no weights for missing"):
        load("missing")
    assert calls == ["missing", "broken"]  # the adopted failure: not tried again
    assert load("present") == "present"


def test_failures_adopted_before_their_loader_is_imported_wait_for_it() -> None:
    here = test_failures_adopted_before_their_loader_is_imported_wait_for_it.__qualname__
    name = f"{__name__}.{here}.<locals>.later"
    adopt_unavailable({name: {("x",): Unavailable("found missing elsewhere")}})

    @remember_failure
    @functools.cache
    def later(name: str) -> str:  # defined (imported) after the failures came
        raise AssertionError("not called")

    with pytest.raises(Unavailable, match="found missing elsewhere"):
        later("x")
