"""What the model scorers share (PickScore, HPS v2.1, ImageReward, VQAScore): every image scored in
batches, a verdict only when the user sets ``min_score``, and "unavailable" (never a score)
when the weights cannot be loaded. Each scorer says how it loads and scores; this says how a
score becomes a result."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from t2iqa.checks.base import Check, ImageUnderTest
from t2iqa.checks.options import PositiveInt
from t2iqa.core.errors import Unavailable, first_line
from t2iqa.core.prefetched import fetch_hint
from t2iqa.core.results import OK, UNAVAILABLE, CheckResult


@dataclass(frozen=True)
class ScorerConfig:
    """The options every model scorer has; each scorer's ``Config`` adds where its weights
    come from (and may change a default by naming the option again)."""

    device: str = "auto"
    batch_size: PositiveInt = 16
    min_score: float | None = None  # a verdict below this; None: score only


def in_batches(
    score: Callable[[Sequence[ImageUnderTest]], list[float]],
    items: Sequence[ImageUnderTest],
    batch_size: int,
) -> list[float]:
    """``score`` on ``batch_size`` items at a time: memory bounded by the batch, one model
    call per batch."""
    out: list[float] = []
    for start in range(0, len(items), batch_size):
        out += score(items[start : start + batch_size])
    return out


class ScoringCheck(Check):
    label: ClassVar[str]  # the score's name in reasons: "PickScore"
    detail: ClassVar[str]  # the key of the score in the details: "pick_score"
    digits: ClassVar[int] = 2  # shown in reasons
    low_verdict: ClassVar[str] = "dispreferred"  # below min_score
    gate_measure = "score"  # the run's mean score is what compare and the gate read
    uses_accelerator = True

    @abstractmethod
    def scores(self, items: Sequence[ImageUnderTest]) -> list[float]:
        """One score per item; raises Unavailable when the model cannot be loaded."""

    @abstractmethod
    def source(self) -> dict[str, Any]:
        """Where the weights came from, for the details (model id, checkpoint)."""

    def check(self, item: ImageUnderTest) -> CheckResult:
        return self.check_batch([item])[0]

    def check_batch(self, items: Sequence[ImageUnderTest]) -> list[CheckResult]:
        try:
            scores = self.scores(items)
        except Unavailable as exc:
            return [self.result(UNAVAILABLE, None, None, str(exc)) for _ in items]
        return [self.judge(s) for s in scores]

    def judge(self, score: float) -> CheckResult:
        details = {self.detail: round(score, self.digits + 2), **self.source()}
        shown = f"{self.label} {score:.{self.digits}f}"
        threshold = self.config.min_score
        if threshold is None:
            return self.result("scored", None, score, shown, **details)
        passed = score >= threshold
        reason = f"{shown} {'>=' if passed else '<'} min_score {threshold:g}"
        return self.result(OK if passed else self.low_verdict, passed, score, reason, **details)


def checkpoint_file(source: str, scorer: str, what: str) -> str:
    """A local path for a scorer's single-file ``checkpoint`` option: a file, or
    ``hf-hub:REPO/FILE`` from the prefetched folder or the hub's cache (the hub is asked only
    when it can answer). ``what`` names the model in messages ("HPS")."""
    from t2iqa.core.hub import prepare_hub
    from t2iqa.core.prefetched import prefetched

    if (local := prefetched(source)) is not None:
        return local
    if not source.startswith("hf-hub:"):
        if not Path(source).is_file():
            raise Unavailable(f"{what} checkpoint {source} does not exist")
        return source
    repo, _, filename = source.removeprefix("hf-hub:").rpartition("/")
    prepare_hub(repo)
    try:
        from huggingface_hub import hf_hub_download

        return hf_hub_download(repo, filename)
    except Exception as exc:  # offline and not cached, or no such file
        raise Unavailable(
            f"cannot get the {what} checkpoint {repo}/{filename}: {first_line(exc)}. With no "
            f"network: {fetch_hint(scorer)}; or download it once elsewhere (huggingface-cli "
            f"download {repo} {filename} --local-dir D) and pass --check-option "
            f"{scorer}.checkpoint=D/{filename}"
        ) from None
