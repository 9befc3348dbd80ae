"""Three or more runs (or two with ``--rank``): each run's estimate per check and category,
and the best run where every pairwise test against it is significant after Holm."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from t2iqa.checks import higher_is_better
from t2iqa.comparison.compare import resamples_for_family
from t2iqa.comparison.gate import Gate
from t2iqa.comparison.geneval import GenEvalScores, geneval_scores
from t2iqa.comparison.provenance import provenance_differences
from t2iqa.comparison.runs import (
    RunData,
    by_prompt,
    categories_of,
    checks_of,
    completeness_warnings,
    values_by_image,
)
from t2iqa.comparison.stats import (
    Estimate,
    estimate,
    holm,
    permutation_pvalue,
    sign_flip_pvalue,
)
from t2iqa.core.results import SetResult

if TYPE_CHECKING:
    from t2iqa.arena import ArenaSummary


@dataclass(frozen=True)
class LeaderboardCell:
    check: str
    category: str
    measure: str
    estimates: dict[str, Estimate]  # run label -> estimate (runs with data only)
    adjusted_p: dict[tuple[str, str], float]  # Holm-adjusted, pairs in ranking order
    best: tuple[str, ...]  # the top run and every run not significantly below it

    def ranking(self) -> list[str]:
        return sorted(self.estimates, key=lambda k: -self.estimates[k].value)


@dataclass
class Leaderboard:
    runs: list[RunData]
    gate: Gate
    cells: list[LeaderboardCell]
    set_metrics: dict[str, dict[str, SetResult]]  # metric -> run label -> result
    warnings: list[str]
    alpha: float = 0.05
    # GenEval's table (overall, six tasks) per run scored on GenEval's tasks.
    geneval: list[GenEvalScores] = field(default_factory=list)
    # People's votes between the runs, when their store has some (t2iqa.arena).
    people: ArenaSummary | None = None


def pairwise_pvalue(
    a: dict[tuple[str, int], float],
    b: dict[tuple[str, int], float],
    paired: bool,
    seed: int,
    resamples: int = 10000,
) -> float:
    if paired:
        common = sorted(set(a) & set(b))
        prompt_diffs = [float(np.mean(g)) for g in by_prompt({k: a[k] - b[k] for k in common})]
        return sign_flip_pvalue(prompt_diffs, resamples, seed)
    means_a = [float(np.mean(g)) for g in by_prompt(a)]
    means_b = [float(np.mean(g)) for g in by_prompt(b)]
    return permutation_pvalue(means_a, means_b, resamples, seed)


def leaderboard(runs: Sequence[RunData], gate: Gate, alpha: float = 0.05) -> Leaderboard:
    """Each run's estimate per check and category, with Holm-corrected pairwise tests.

    The family for the Holm correction is all pairs of runs within one (check, category)
    cell: the question answered is "which runs differ on this task".
    """
    warnings = completeness_warnings(runs)
    suites = {r.run.suite_hash for r in runs}
    if len(suites) > 1:
        warnings.append(
            "UNPAIRED: the runs use different suites; pairwise tests compare prompt means "
            "with a permutation test instead of pairing images"
        )
    cells = []
    kwargs = {"resamples": gate.resamples, "confidence": gate.confidence, "seed": gate.seed}
    for check in checks_of(runs):
        measure = gate.for_check(check).measure
        for category in categories_of(runs, check):
            values = {r.label: values_by_image(r.rows, check, measure, category) for r in runs}
            values = {k: v for k, v in values.items() if v}
            if not values:
                continue
            ests = {k: estimate(by_prompt(v), **kwargs) for k, v in values.items()}
            sign = -1 if higher_is_better(check, measure) else 1  # best first
            order = sorted(ests, key=lambda k: sign * ests[k].value)
            pairs = [(a, b) for i, a in enumerate(order) for b in order[i + 1 :]]
            resamples = resamples_for_family(len(pairs), alpha, gate.resamples)
            raw = [
                pairwise_pvalue(values[a], values[b], len(suites) == 1, gate.seed, resamples)
                for a, b in pairs
            ]
            adjusted = dict(zip(pairs, holm(raw), strict=True)) if pairs else {}
            top = order[0]
            best = tuple(k for k in order if k == top or adjusted[(top, k)] >= alpha)
            cells.append(LeaderboardCell(check, category, measure, ests, adjusted, best))
    set_metrics: dict[str, dict[str, SetResult]] = defaultdict(dict)
    for r in runs:
        for name, result in r.set_results.items():
            set_metrics[name][r.label] = result
    for i, base in enumerate(runs):
        for cand in runs[i + 1 :]:
            for d in provenance_differences(base, cand, gate.allow_differences):
                if d.kind == "scorer":
                    warnings.append(
                        f"INCOMPARABLE {', '.join(d.affects)} between {base.label} and "
                        f"{cand.label}: {d.key} differs ({d.baseline} vs {d.candidate})"
                    )
    geneval = [g for r in runs if (g := geneval_scores(r.label, r.rows)) is not None]
    return Leaderboard(list(runs), gate, cells, dict(set_metrics), warnings, alpha, geneval)
