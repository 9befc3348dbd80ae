"""Check and metric options: typed and bounded on each ``Config`` field, validated when they
are parsed, before any image is made. Every problem is listed at once.

A field's annotation is its contract: ``min_score: Fraction = 0.3`` accepts 0 to 1 and
nothing else (no NaN, no list, no "high"). pydantic does the validating; these aliases
name the bounds that recur.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError

from t2iqa.core.errors import T2IQAError

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]  # a share or probability
NonNegative = Annotated[float, Field(ge=0.0)]
GreyLevel = Annotated[float, Field(ge=0.0, le=255.0)]  # 8-bit pixel units
PositiveInt = Annotated[int, Field(ge=1)]
NonNegativeInt = Annotated[int, Field(ge=0)]

# Finite numbers only; a number given where text is expected (a pretrained tag "2023") is
# taken as text.
OPTION_RULES = ConfigDict(allow_inf_nan=False, coerce_numbers_to_str=True)

T = TypeVar("T")


class OptionsError(T2IQAError):
    """Options that do not fit their checks' or metrics' declared types and bounds."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        listed = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) with check or metric options:\n{listed}")


@functools.cache
def _adapter(config_cls: type) -> TypeAdapter[Any]:
    # pydantic reads a stdlib dataclass's rules from this attribute; the Config classes stay
    # plain dataclasses that construct without validation elsewhere (tests, defaults).
    if "__pydantic_config__" not in vars(config_cls):
        config_cls.__pydantic_config__ = OPTION_RULES  # type: ignore[attr-defined]
    return TypeAdapter(config_cls)


def validate_options(config_cls: type[T], owner: str, options: Mapping[str, Any]) -> T:
    """``config_cls`` built from user options, or ``OptionsError`` naming every option that
    does not exist or does not fit (``owner`` is e.g. "check 'ocr_text'")."""
    names = {f.name for f in dataclasses.fields(config_cls)}  # type: ignore[arg-type]
    unknown = sorted(set(options) - names)
    if unknown:
        raise OptionsError([f"{owner} has no option(s) {unknown}; its options are {sorted(names)}"])
    try:
        return _adapter(config_cls).validate_python(dict(options))
    except ValidationError as exc:
        raise OptionsError([_sentence(owner, e) for e in exc.errors()]) from None


def _sentence(owner: str, error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "options"
    given = error.get("input")
    return f"{owner} option {where}={given!r}: {error['msg']}"


def collect(builders: list[Any]) -> list[Any]:
    """Run each builder (a callable returning a check or metric), gathering every
    ``OptionsError`` into one."""
    built, problems = [], []
    for build in builders:
        try:
            built.append(build())
        except OptionsError as exc:
            problems += exc.problems
    if problems:
        raise OptionsError(problems)
    return built
