"""Errors a user can cause and fix. The CLI prints their message (no traceback) and exits 2."""

from __future__ import annotations


class T2IQAError(Exception):
    """A problem with the user's input or environment, with a message saying what to do."""


class SuiteError(T2IQAError):
    """A suite or prompt file that cannot be used. Lists every problem found, not just the first."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        if len(problems) == 1:
            super().__init__(f"{source}: {problems[0]}")
        else:
            lines = "\n".join(f"  - {p}" for p in problems)
            super().__init__(f"{source}: {len(problems)} problems:\n{lines}")


class ModelLoadError(T2IQAError):
    """A model that could not be loaded (unknown id, offline hub, broken local folder)."""


class StoreError(T2IQAError):
    """A store path that cannot be used (unwritable, not a t2iqa store, newer schema)."""


class Unavailable(RuntimeError):
    """A check or metric that cannot run here: weights, a package or a reference set is
    missing, or a device is absent. It reports ``unavailable`` with this message, which says
    what to install or pass, and never invents a score. Not a T2IQAError: the rest of a run
    or batch goes on without it."""


def first_line(exc: BaseException) -> str:
    """The first line of a library's error, for a message of ours that goes on to say what
    to do (model loaders put a page of advice after it); the error's type when it is empty.
    A closing full stop is dropped: the caller's sentence goes on after it."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0].rstrip(".")
