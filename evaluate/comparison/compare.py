"""Comparing runs: a baseline against a candidate (the CI gate), or several (a leaderboard).

Data flows from the result store only; nothing is re-scored here. Images of two runs on the
same suite are paired by (prompt id, seed), and every interval comes from resampling
prompts (``t2iqa.comparison.stats``). Runs on different suites share no images: they are compared
unpaired, and the comparison says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from t2iqa.checks import higher_is_better
from t2iqa.comparison.gate import Gate
from t2iqa.comparison.provenance import ProvenanceDifference, provenance_differences
from t2iqa.comparison.runs import (
    ALL,
    RunData,
    by_prompt,
    categories_of,
    checks_of,
    completeness_warnings,
    values_by_image,
)
from t2iqa.comparison.stats import (
    Estimate,
    difference_unpaired,
    estimate,
    holm,
    normal_difference,
    normal_tail_pvalue,
    tail_pvalue,
)
from t2iqa.core.results import SetResult
from t2iqa.store.db import ResultRow

if TYPE_CHECKING:
    from t2iqa.arena import ArenaSummary

IMPROVED, UNCHANGED, REGRESSED = "improved", "unchanged", "regressed"
NO_DATA, INCOMPARABLE = "no data", "incomparable"


@dataclass(frozen=True)
class CellComparison:
    check: str
    category: str
    measure: str
    baseline: Estimate | None
    candidate: Estimate | None
    difference: Estimate | None
    tolerance: float
    gated: bool
    verdict: str
    note: str = ""
    p_regressed: float | None = None  # Holm-adjusted over the comparison's gated results
    p_improved: float | None = None

    @property
    def fails_gate(self) -> bool:
        return self.gated and self.verdict == REGRESSED


@dataclass(frozen=True)
class SetMetricComparison:
    metric: str
    baseline: SetResult | None
    candidate: SetResult | None
    difference: tuple[float, float, float] | None  # candidate − baseline, low, high
    tolerance: float
    gated: bool
    verdict: str
    note: str = ""
    p_regressed: float | None = None
    p_improved: float | None = None

    @property
    def fails_gate(self) -> bool:
        return self.gated and self.verdict == REGRESSED


@dataclass(frozen=True)
class ImageChange:
    """One paired image whose verdict changed between the runs."""

    check: str
    prompt_id: str
    seed: int
    category: str
    prompt: str
    baseline: ResultRow
    candidate: ResultRow

    @property
    def newly_failing(self) -> bool:
        return self.baseline.passed is True and self.candidate.passed is False


@dataclass
class Comparison:
    baseline: RunData
    candidate: RunData
    gate: Gate
    paired: bool
    pairing_note: str
    cells: list[CellComparison]
    set_metrics: list[SetMetricComparison]
    differences: list[ProvenanceDifference]
    changes: list[ImageChange]
    warnings: list[str] = field(default_factory=list)
    # People's votes between the two runs, when the store has some (t2iqa.arena).
    people: ArenaSummary | None = None

    @property
    def regressions(self) -> list[CellComparison | SetMetricComparison]:
        return [c for c in [*self.cells, *self.set_metrics] if c.fails_gate]

    @property
    def incomparable(self) -> list[CellComparison | SetMetricComparison]:
        return [c for c in [*self.cells, *self.set_metrics] if c.verdict == INCOMPARABLE]

    @property
    def failed(self) -> bool:
        blocking = self.gate.on_incomparable == "fail" and any(c.gated for c in self.incomparable)
        return bool(self.regressions) or blocking


def judge(p_regressed: float, p_improved: float, alpha: float) -> str:
    """Regressed when the (Holm-adjusted) chance of no drop beyond tolerance is below alpha."""
    if p_regressed < alpha:
        return REGRESSED
    if p_improved < alpha:
        return IMPROVED
    return UNCHANGED


def apply_holm(
    results: list[CellComparison | SetMetricComparison], confidence: float
) -> list[CellComparison | SetMetricComparison]:
    """Turn raw one-sided p-values into verdicts, Holm-corrected over the gated results.

    Each result alone regresses when its interval lies below −tolerance; with dozens of
    check × category cells, some would do so by chance on every run. Holm keeps the chance
    of any false alarm in one comparison at (1 − confidence) / 2.
    """
    alpha = (1 - confidence) / 2
    tested = [i for i, r in enumerate(results) if r.p_regressed is not None]
    family = [i for i in tested if results[i].gated]
    adjusted_r = dict(zip(family, holm([results[i].p_regressed for i in family]), strict=True))
    adjusted_i = dict(zip(family, holm([results[i].p_improved for i in family]), strict=True))
    out = list(results)
    for i in tested:
        r = results[i]
        pr = adjusted_r.get(i, r.p_regressed)
        pi = adjusted_i.get(i, r.p_improved)
        assert pr is not None and pi is not None
        note = r.note
        if r.gated and min(r.p_regressed, r.p_improved) < alpha <= min(pr, pi):  # type: ignore[type-var]
            note = (
                f"{note}; " if note else ""
            ) + f"beyond tolerance alone, not after Holm over {len(family)} gated results"
        out[i] = replace(r, p_regressed=pr, p_improved=pi, verdict=judge(pr, pi, alpha), note=note)
    return out


def pair_keys(base: RunData, cand: RunData) -> tuple[bool, str]:
    """Whether the runs' images pair by (prompt id, seed), and a sentence saying how."""
    if base.run.suite_hash != cand.run.suite_hash:
        return False, (
            f"UNPAIRED: the runs use different suites ({base.run.suite_name} "
            f"{base.run.suite_version} vs {cand.run.suite_name} {cand.run.suite_version}); "
            "each run's prompts are resampled on their own and intervals are wider"
        )
    b = {(r.prompt_id, r.seed) for r in base.rows}
    c = {(r.prompt_id, r.seed) for r in cand.rows}
    common = b & c
    if not common:
        return False, (
            "UNPAIRED: same suite but no (prompt, seed) in common (different seeds or limits)"
        )
    note = f"paired by (prompt id, seed): {len(common)} image pairs"
    if len(common) < max(len(b), len(c)):
        note += (
            f"; {len(b - common)} baseline and {len(c - common)} candidate images have no "
            "partner and are left out"
        )
    return True, note


def gated_cell(gate: Gate, check: str, category: str) -> bool:
    """Whether the gate judges this check in this category ("all" always, when gated)."""
    rule = gate.for_check(check)
    return rule.gate and (rule.categories is None or category in rule.categories or category == ALL)


def compare_cell(
    base: RunData, cand: RunData, check: str, category: str, gate: Gate, paired: bool,
    blocked: bool,
) -> CellComparison | None:  # fmt: skip
    rule = gate.for_check(check)
    gated = gated_cell(gate, check, category)
    bv = values_by_image(base.rows, check, rule.measure, category)
    cv = values_by_image(cand.rows, check, rule.measure, category)
    if not bv and not cv:
        return None  # the check judges nothing in this category (does not apply there)
    if paired:
        common = sorted(set(bv) & set(cv))
        bv = {k: bv[k] for k in common}
        cv = {k: cv[k] for k in common}
    args = (rule.measure, None, None, None, rule.tolerance, gated)
    if not bv or not cv:
        what = "no image pairs judged by both runs" if paired else "a run has no judged images"
        return CellComparison(check, category, *args, NO_DATA, what)
    kwargs = {"resamples": gate.resamples, "confidence": gate.confidence, "seed": gate.seed}
    b_est, c_est = estimate(by_prompt(bv), **kwargs), estimate(by_prompt(cv), **kwargs)
    if paired:
        diffs = {k: cv[k] - bv[k] for k in bv}
        diff = estimate(by_prompt(diffs), **kwargs)
    else:
        diff = difference_unpaired(by_prompt(bv), by_prompt(cv), **kwargs)
    note = ""
    if diff.n_prompts < gate.min_prompts:
        note = f"only {diff.n_prompts} prompts: the interval is rough"
    if blocked:
        return CellComparison(
            check, category, rule.measure, b_est, c_est, diff, rule.tolerance, gated,
            INCOMPARABLE, note,
        )  # fmt: skip
    # A drop is a regression where higher is better, a rise where lower is (the check says).
    up = higher_is_better(check, rule.measure)
    p_regressed = tail_pvalue(diff, -rule.tolerance if up else rule.tolerance, below=up)
    p_improved = tail_pvalue(diff, rule.tolerance if up else -rule.tolerance, below=not up)
    return CellComparison(
        check, category, rule.measure, b_est, c_est, diff, rule.tolerance, gated, UNCHANGED,
        note, p_regressed, p_improved,
    )  # fmt: skip


def compare_set_metric(
    metric: str, base: SetResult | None, cand: SetResult | None, gate: Gate, blocked: bool
) -> SetMetricComparison:
    rule = gate.for_set_metric(metric)
    if base is None or cand is None:
        missing = "baseline" if base is None else "candidate"
        return SetMetricComparison(
            metric, base, cand, None, rule.tolerance, rule.gate, NO_DATA,
            f"the {missing} run has no {metric}",
        )  # fmt: skip
    if None in (base.ci_low, base.ci_high, cand.ci_low, cand.ci_high):
        return SetMetricComparison(
            metric, base, cand, None, rule.tolerance, rule.gate, NO_DATA,
            "a run stored no interval for it (too few images to bootstrap)",
        )  # fmt: skip
    diff = normal_difference(
        (base.value, base.ci_low, base.ci_high),
        (cand.value, cand.ci_low, cand.ci_high),
        gate.confidence,
    )  # type: ignore[arg-type]
    if blocked:
        return SetMetricComparison(
            metric, base, cand, diff, rule.tolerance, rule.gate, INCOMPARABLE
        )
    # Each metric declares its direction (distances: lower is better, so a rise beyond the
    # tolerance regresses). The interval is normal (from two independent bootstraps), and
    # so are the p-values.
    down = not higher_is_better(metric)
    tol = rule.tolerance if down else -rule.tolerance
    p_regressed = normal_tail_pvalue(diff, tol, gate.confidence, above=down)
    p_improved = normal_tail_pvalue(diff, -tol, gate.confidence, above=not down)
    return SetMetricComparison(
        metric, base, cand, diff, rule.tolerance, rule.gate, UNCHANGED, "", p_regressed,
        p_improved,
    )  # fmt: skip


def verdict_changes(base: RunData, cand: RunData) -> list[ImageChange]:
    """Paired images whose pass/fail changed; newly failing first (``rank_changes`` puts the
    evidence for a regression before them when the verdicts are known)."""
    b = {(r.prompt_id, r.seed, r.check): r for r in base.rows}
    out = []
    for row in cand.rows:
        old = b.get((row.prompt_id, row.seed, row.check))
        if old is None or old.passed is None or row.passed is None:
            continue
        if old.passed != row.passed:
            key = (row.check, row.prompt_id, row.seed, row.category, row.prompt)
            out.append(ImageChange(*key, old, row))
    out.sort(key=lambda c: (not c.newly_failing, c.check, c.prompt_id, c.seed))
    return out


def regressed_checks(cells: Iterable[CellComparison]) -> set[str]:
    """The checks with a cell that fails the gate."""
    return {c.check for c in cells if c.fails_gate}


def rank_changes(
    changes: Iterable[ImageChange], cells: Iterable[CellComparison]
) -> list[ImageChange]:
    """The order a person reads changes in: the newly failing images of the checks that
    regressed (the evidence for the gate's verdict), then other newly failing images, then
    newly passing ones; by check, prompt and seed within each."""
    regressed = regressed_checks(cells)

    def key(c: ImageChange) -> tuple[int, str, str, int]:
        rank = 0 if c.newly_failing and c.check in regressed else 1 if c.newly_failing else 2
        return rank, c.check, c.prompt_id, c.seed

    return sorted(changes, key=key)


def changes_by_check(changes: Sequence[ImageChange]) -> dict[str, list[ImageChange]]:
    """Changes grouped by check, the groups in the order their first change comes."""
    groups: dict[str, list[ImageChange]] = {}
    for change in changes:
        groups.setdefault(change.check, []).append(change)
    return groups


def resamples_for_family(family_size: int, alpha: float, requested: int) -> int:
    """Enough resamples for Holm over ``family_size`` tests at level ``alpha`` to be able to
    call the clearest one significant (the gate's bootstrap, the leaderboard's sign flips).

    A resampled p-value is never below 1 / (resamples + 1), and Holm multiplies the smallest
    by the family size: with 200 gated cells and 5,000 resamples no result could ever cross
    alpha, and the gate would silently pass everything. Twice the bare minimum leaves room
    for a result whose tail is not quite empty.
    """
    return max(requested, math.ceil(2 * family_size / alpha))


def compare_runs(base: RunData, cand: RunData, gate: Gate) -> Comparison:
    paired, pairing_note = pair_keys(base, cand)
    differences = provenance_differences(base, cand, gate.allow_differences)
    blocked = {name for d in differences if d.kind == "scorer" for name in d.affects}
    warnings = []
    for d in differences:
        if d.kind == "scorer":
            warnings.append(
                f"INCOMPARABLE {', '.join(d.affects)}: {d.key} differs "
                f"({d.baseline} vs {d.candidate}); score both runs the same way "
                "(or list the key under allow_differences in the gate file)"
            )
        elif d.kind == "environment":
            warnings.append(
                f"{d.key} differs ({d.baseline} vs {d.candidate}): numbers may shift for "
                "reasons other than the change under test"
            )
    if not paired:
        warnings.insert(0, pairing_note)
    warnings += completeness_warnings([base, cand])
    cells = []
    checks = checks_of([base, cand])
    only = sorted(set(base.checks) ^ set(cand.checks))
    if only:
        warnings.append(f"checks scored in one run only, not compared: {', '.join(only)}")
    plan = [
        (check, category) for check in checks for category in categories_of([base, cand], check)
    ]
    metrics = sorted(set(base.set_results) | set(cand.set_results))
    family = sum(gated_cell(gate, check, category) for check, category in plan)
    family += sum(gate.for_set_metric(m).gate for m in metrics)
    resamples = resamples_for_family(family, (1 - gate.confidence) / 2, gate.resamples)
    if resamples > gate.resamples:
        warnings.append(
            f"bootstrap resamples raised from {gate.resamples} to {resamples}: Holm over "
            f"{family} gated results needs p-values finer than {gate.resamples} resamples give"
        )
        gate = replace(gate, resamples=resamples)
    for check, category in plan:
        cell = compare_cell(base, cand, check, category, gate, paired, check in blocked)
        if cell is not None:
            cells.append(cell)
    set_cmp = [
        compare_set_metric(m, base.set_results.get(m), cand.set_results.get(m), gate, m in blocked)
        for m in metrics
    ]
    judged = apply_holm([*cells, *set_cmp], gate.confidence)
    cells = [c for c in judged if isinstance(c, CellComparison)]
    set_cmp = [c for c in judged if isinstance(c, SetMetricComparison)]
    changes = rank_changes(verdict_changes(base, cand), cells) if paired else []
    return Comparison(
        base, cand, gate, paired, pairing_note, cells, set_cmp, differences, changes, warnings
    )
