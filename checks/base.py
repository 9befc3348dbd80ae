"""The small interface every check shares.

A per-image check is a class with a ``name``, a ``version``, a ``Config`` dataclass and one
method, ``check(item) -> CheckResult``. A set-level metric follows torchmetrics' shape:
``update(items)``, ``compute() -> SetResult``, ``reset()``.

Results are cached by (image hash, context hash, check name, config hash): the context hash
covers what the check is told besides the pixels (prompt, expectations, requested size,
generator flags), so the same picture judged against another prompt is judged anew.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar

from PIL import Image

from t2iqa.checks.memory import measured
from t2iqa.core.errors import Unavailable
from t2iqa.core.prefetched import WeightSource
from t2iqa.core.prompts import PromptSpec
from t2iqa.core.results import (
    ERROR,
    NOT_APPLICABLE,
    CheckResult,
    SetResult,
    stable_hash,
)

T = TypeVar("T")


def brief(exc: BaseException, limit: int = 120) -> str:
    """The first sentence of an exception, for a reason a person reads (library messages
    run to paragraphs)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = text.split(". ")[0]
    return text if len(text) <= limit else text[: limit - 1] + "…"


def first_few(messages: Sequence[str], shown: int) -> str:
    """The first ``shown`` messages, joined, and how many more there are: a reason stays
    readable however many tests fail (every failure is in the details)."""
    more = f" (+{len(messages) - shown} more)" if len(messages) > shown else ""
    return "; ".join(messages[:shown]) + more


# Each remembered loader's failures, by the loader's qualified name: what a process learnt
# about missing weights, handed to the helper processes of ``t2iqa check --workers`` so that
# none of them spends seconds importing a library only to find the same weights missing.
_FAILURES: dict[str, dict[tuple[Any, ...], Exception]] = {}
_FAILURES_LOCK = threading.Lock()


def remember_failure(load: Callable[..., T]) -> Callable[..., T]:
    """For cached model loaders: a load that failed (missing weights) fails again at once
    with the same error for the same arguments, instead of retrying per image."""
    failures = _FAILURES.setdefault(f"{load.__module__}.{load.__qualname__}", {})

    @functools.wraps(load)
    def wrapper(*args: Any) -> T:
        if args in failures:
            raise failures[args]
        try:
            return load(*args)
        except Exception as exc:
            with _FAILURES_LOCK:
                failures[args] = exc
            raise

    def cache_clear() -> None:  # as functools.cache's: the runner releases models with it
        with _FAILURES_LOCK:
            failures.clear()
        load.cache_clear()  # type: ignore[attr-defined]

    wrapper.cache_clear = cache_clear  # type: ignore[attr-defined]
    return wrapper


def unavailable_loads() -> dict[str, dict[tuple[Any, ...], Unavailable]]:
    """The loads that failed in this process as ``Unavailable`` (weights or a library
    missing: the same in any process on this machine), to hand to ``adopt_unavailable``."""
    with _FAILURES_LOCK:
        return {name: {args: exc for args, exc in failed.items() if isinstance(exc, Unavailable)}
                for name, failed in _FAILURES.items() if failed}  # fmt: skip


def adopt_unavailable(known: Mapping[str, Mapping[tuple[Any, ...], Unavailable]]) -> None:
    """Fail these loads at once, as another process found them failing."""
    with _FAILURES_LOCK:
        for name, failed in known.items():  # a loader not imported yet finds them when it is
            _FAILURES.setdefault(name, {}).update(failed)


def context_hash(
    spec: PromptSpec, expected_size: tuple[int, int] | None, generation: Mapping[str, Any]
) -> str:
    """Hash of what a check is told besides the pixels."""
    return stable_hash(
        {"spec": spec.to_dict(), "expected_size": expected_size, "generation": dict(generation)}
    )


@dataclass(frozen=True)
class ImageUnderTest:
    """What a check sees: decoded RGB pixels plus everything known about how they came to be."""

    image: Image.Image
    image_hash: str
    spec: PromptSpec
    expected_size: tuple[int, int] | None = None  # (width, height) the generator was asked for
    generation: Mapping[str, Any] = field(default_factory=dict)  # generator flags, e.g. nan
    # The file's bytes as given, for checks that read its metadata (content credentials);
    # None where only pixels are known (a run's images are t2iqa's own PNGs).
    encoded: bytes | None = field(default=None, repr=False)

    def context_hash(self) -> str:
        return context_hash(self.spec, self.expected_size, self.generation)


ConfiguredT = TypeVar("ConfiguredT", bound="Configured")
CheckT = TypeVar("CheckT", bound="Check")


class Configured:
    """What checks and set metrics share: a name, a version and a frozen ``Config``."""

    name: ClassVar[str]
    # Bump when the scoring changes, so cached results from the old logic are not reused.
    version: ClassVar[str]
    description: ClassVar[str]
    kind: ClassVar[str]  # how error messages name it: "check" or "metric"
    # Whether a larger score is better. Compare, the gate and the reports read the direction
    # from here (a pass rate is always higher-is-better).
    higher_is_better: ClassVar[bool] = True
    # Distributions whose installed version changes what this measures: two runs scored
    # under different versions are INCOMPARABLE on it (t2iqa compare).
    packages: ClassVar[tuple[str, ...]] = ()
    # Options under which it runs offline on tiny random-weight models (`--scorers
    # embedded`): plumbing checks, never a quality figure. Empty: it needs no weights.
    embedded_options: ClassVar[Mapping[str, Any]] = MappingProxyType({})
    # The weights its defaults load (``t2iqa weights list | prefetch | verify``).
    weights: ClassVar[tuple[WeightSource, ...]] = ()
    # The gate's default: a regression is a drop beyond this tolerance, in the measure's
    # units (a pass rate as a fraction: 0.02 = two points; a score in its own unit).
    gate_tolerance: ClassVar[float] = 0.02
    # False: compare reports it but a change never fails the gate.
    gated: ClassVar[bool] = True

    @dataclass(frozen=True)
    class Config:
        pass

    def __init__(self, config: Any = None) -> None:
        self.config = config if config is not None else self.Config()

    def config_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self.config)

    @classmethod
    def from_options(cls: type[ConfiguredT], options: Mapping[str, Any]) -> ConfiguredT:
        """Build from user options (a policy or CLI), naming any option that does not exist."""
        from t2iqa.checks.options import validate_options

        return cls(validate_options(cls.Config, f"{cls.kind} {cls.name!r}", options))


class Check(Configured, ABC):
    """Base class of per-image checks. Subclasses set ``name``, ``version``, ``Config``."""

    kind = "check"
    # Which measure the gate judges by default: "pass_rate" or "score" (the mean score).
    gate_measure: ClassVar[str] = "pass_rate"
    # In `t2iqa check`, whether a failure fails the image (False: a warning), unless a
    # policy names the blocking checks.
    blocking: ClassVar[bool] = True
    # Whether the check verifies what a prompt's expectations ask for (text, counts, hands):
    # when it applies but cannot run, the image is "unverified" in `t2iqa check`, not passed.
    verifies_expectations: ClassVar[bool] = False
    # The unit of ``score``, for people reading tables.
    score_unit: ClassVar[str] = "[0, 1]"
    # Whether the check's model runs faster on a GPU (CLIP, detectors): the Ray engine puts
    # such checks on GPU actors where the cluster has GPUs, the rest on CPU actors.
    uses_accelerator: ClassVar[bool] = False
    # What its default model takes on the accelerator, MiB (weights at the dtype it loads;
    # None: no large model), and its cached model loaders: a run loads checks whose models do
    # not fit together one group after another, clearing each group's loaders (memory_plan).
    model_mib: ClassVar[float | None] = None
    loaders: ClassVar[tuple[Any, ...]] = ()

    def config_hash(self) -> str:
        return stable_hash({"check": self.name, "version": self.version, **self.config_dict()})

    # Shown when ``applies`` is False, e.g. "the prompt asks for no text".
    not_applicable_reason: ClassVar[str] = "the prompt asks nothing this check judges"

    def applies(self, spec: PromptSpec) -> bool:
        """Whether the prompt asks anything this check can judge."""
        return True

    def bind(self: CheckT, prompts: Sequence[PromptSpec]) -> CheckT:
        """This check told every prompt of the run (or QA batch) before judging, as a new
        object: checks that rank an image's prompt among the others (CLIP R-precision)
        override it and keep them on the copy. The check itself is never changed, so one
        instance can serve several runs or threads."""
        return self

    @abstractmethod
    def check(self, item: ImageUnderTest) -> CheckResult: ...

    def check_batch(self, items: Sequence[ImageUnderTest]) -> list[CheckResult]:
        """Checks with batched models override this; the default judges one by one."""
        return [self.check(item) for item in items]

    def result(
        self,
        verdict: str,
        passed: bool | None,
        score: float | None,
        reason: str,
        **details: Any,
    ) -> CheckResult:
        return CheckResult(self.name, verdict, passed, score, reason, details)

    def not_applicable(self, reason: str) -> CheckResult:
        return self.result(NOT_APPLICABLE, None, None, reason)


def run_check(check: Check, items: Sequence[ImageUnderTest]) -> list[CheckResult]:
    """Judge items with one check: the single code path of ``t2iqa run``, ``t2iqa check``
    and the dashboard.

    Items the check does not apply to get ``not_applicable`` without being looked at; a crash
    becomes an ``error`` result for that image, never a lost batch.
    """
    results: list[CheckResult | None] = [
        None if check.applies(item.spec) else check.not_applicable(check.not_applicable_reason)
        for item in items
    ]
    todo = [k for k, r in enumerate(results) if r is None]
    try:
        with measured(check.name):
            judged = check.check_batch([items[k] for k in todo])
        for k, r in zip(todo, judged, strict=True):
            results[k] = r
    except (KeyboardInterrupt, MemoryError):
        raise
    except Exception:
        for k in todo:  # retry one by one, so one bad image fails alone
            try:
                results[k] = check.check(items[k])
            except (KeyboardInterrupt, MemoryError):
                raise
            except Exception as exc:
                results[k] = CheckResult(
                    check.name, ERROR, None, None, f"check crashed: {type(exc).__name__}: {exc}"
                )
    return [r for r in results if r is not None]


class SetMetric(Configured, ABC):
    """Base class of set-level metrics: states declared in ``reset``, then update/compute."""

    kind = "metric"
    higher_is_better = False  # distances to a reference set
    # Details that must match for two values to be comparable (reference set, feature
    # extractor, how images were resized for it, estimator settings).
    comparable_details: ClassVar[tuple[str, ...]] = ()
    # The detail naming the feature model, shown beside the value.
    extractor_detail: ClassVar[str] = "feature_extractor"

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.reset()

    @abstractmethod
    def reset(self) -> None: ...

    @abstractmethod
    def update(self, items: Sequence[ImageUnderTest]) -> None: ...

    @abstractmethod
    def compute(self) -> SetResult: ...
