"""GenEval's scores of a run, from its ``composition`` results on GenEval's six tasks.

A task's score is GenEval's: the share of its images judged correct, over every image of the
task's prompts that was judged (an image the check could not judge is left out and counted
apart). Overall is the mean of the six task scores, given only when all six were scored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from t2iqa.core.results import NOT_APPLICABLE
from t2iqa.store.db import ResultRow
from t2iqa.suites.geneval import TASKS

CHECK = "composition"


@dataclass(frozen=True)
class GenEvalScores:
    label: str  # the run
    tasks: dict[str, tuple[int, int]]  # task -> (correct, judged images)
    unjudged: int  # images of GenEval tasks the check could not judge

    def score(self, task: str) -> float | None:
        correct, judged = self.tasks.get(task, (0, 0))
        return correct / judged if judged else None

    @property
    def overall(self) -> float | None:
        scores = [self.score(t) for t in TASKS]
        return None if None in scores else sum(scores) / len(scores)  # type: ignore[arg-type]


def geneval_scores(label: str, rows: Iterable[ResultRow]) -> GenEvalScores | None:
    """A run's GenEval scores, or None when it has no composition result on a GenEval task."""
    tasks: dict[str, list[int]] = {}
    unjudged, seen = 0, False
    for row in rows:
        # A prompt the check does not apply to is not a GenEval prompt, whatever its category
        # is called (other suites have "counting" prompts too).
        if row.check != CHECK or row.category not in TASKS or row.verdict == NOT_APPLICABLE:
            continue
        seen = True
        if row.passed is None:
            unjudged += 1
            continue
        tally = tasks.setdefault(row.category, [0, 0])
        tally[0] += int(row.passed)
        tally[1] += 1
    if not seen:
        return None
    return GenEvalScores(label, {t: (c, n) for t, (c, n) in tasks.items()}, unjudged)
