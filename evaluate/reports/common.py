"""What every report format shows, formatted once: estimates, differences, tolerances, the
gate's one-line summary, leaderboard rows, provenance rows. Renderers lay these out; none
computes anything of its own."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from t2iqa.checks import higher_is_better
from t2iqa.comparison.compare import (
    CellComparison,
    Comparison,
    ImageChange,
    SetMetricComparison,
    changes_by_check,
)
from t2iqa.comparison.leaderboard import Leaderboard
from t2iqa.comparison.provenance import provenance_table
from t2iqa.comparison.runs import RunData
from t2iqa.comparison.stats import Estimate
from t2iqa.core.results import SetResult


def fmt_estimate(est: Estimate | None, measure: str) -> str:
    if est is None:
        return "-"
    if measure == "pass_rate":
        return f"{100 * est.value:.0f}% [{100 * est.ci_low:.0f},{100 * est.ci_high:.0f}]"
    return f"{est.value:.2f} [{est.ci_low:.2f},{est.ci_high:.2f}]"


def fmt_delta(value: float, measure: str) -> str:
    if measure == "pass_rate":
        return f"{100 * value:+.1f} pts"
    return f"{value:+.2f}"


def fmt_difference(cell: CellComparison) -> str:
    d = cell.difference
    if d is None:
        return "-"
    low, high = (fmt_delta(v, cell.measure).replace(" pts", "") for v in (d.ci_low, d.ci_high))
    return f"{fmt_delta(d.value, cell.measure)} [{low},{high}]"


def fmt_tolerance(cell: CellComparison) -> str:
    if cell.measure == "pass_rate":
        return f"±{100 * cell.tolerance:.1f} pts"
    return f"±{cell.tolerance:.3g}"


def fmt_p(p: float | None) -> str:
    if p is None:
        return "-"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def fmt_set(result: SetResult | None) -> str:
    if result is None:
        return "-"
    if result.ci_low is None or result.ci_high is None:
        return f"{result.value:.4g} (N={result.n})"
    return f"{result.value:.4g} [{result.ci_low:.4g}, {result.ci_high:.4g}] (N={result.n})"


def fmt_set_difference(cmp: SetMetricComparison) -> str:
    if cmp.difference is None:
        return "-"
    d, low, high = cmp.difference
    return f"{d:+.4g} [{low:+.4g}, {high:+.4g}]"


def cell_columns(c: CellComparison) -> list[str]:
    """check, category, measure, baseline, candidate, difference, tolerance of one cell."""
    return [
        c.check, c.category, c.measure.replace("_", " "), fmt_estimate(c.baseline, c.measure),
        fmt_estimate(c.candidate, c.measure), fmt_difference(c), fmt_tolerance(c),
    ]  # fmt: skip


CELL_HEADER = ["check", "category", "measure", "baseline", "candidate", "difference", "tolerance"]


def set_metric_row(s: SetMetricComparison) -> list[str]:
    """metric, baseline, candidate, difference, tolerance, verdict, note of one set metric."""
    return [
        s.metric, fmt_set(s.baseline), fmt_set(s.candidate),
        fmt_set_difference(s), f"±{s.tolerance:.3g}", verdict_label(s), s.note,
    ]  # fmt: skip


def leaderboard_rows(board: Leaderboard) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the leaderboard: each run's estimate, then who is best."""
    header = ["check", "category", *[r.label for r in board.runs], "best (Holm-corrected)"]
    rows = [
        [c.check, c.category, *[fmt_estimate(c.estimates.get(r.label), c.measure)
                                for r in board.runs], best_label(c.best, len(c.estimates))]
        for c in board.cells
    ]  # fmt: skip
    return header, rows


def run_line(run: RunData) -> str:
    r = run.run
    images = len({(x.prompt_id, x.seed) for x in run.rows})
    return f"{run.label}: model {r.model}, suite {r.suite_name} {r.suite_version}, {images} images"


def change_counts(changes: Sequence[ImageChange]) -> tuple[int, int]:
    """(newly failing, newly passing)."""
    failing = sum(c.newly_failing for c in changes)
    return failing, len(changes) - failing


def changes_summary(cmp: Comparison) -> str:
    """One line: how many verdicts changed, in total and per check (failing/passing)."""
    failing, passing = change_counts(cmp.changes)
    per_check = ", ".join(
        f"{check} {'/'.join(map(str, change_counts(group)))}"
        for check, group in changes_by_check(cmp.changes).items()
    )
    return (
        f"{len(cmp.changes)} image verdicts changed: {failing} newly failing, {passing} newly "
        f"passing (per check, failing/passing: {per_check})"
    )


def verdict_label(cell: CellComparison | SetMetricComparison, short: bool = False) -> str:
    if cell.gated:
        return cell.verdict
    return "not gated" if short else f"{cell.verdict}, not gated"


def gate_summary(cmp: Comparison) -> str:
    if cmp.regressions:
        names = ", ".join(
            f"{c.check} / {c.category}" if isinstance(c, CellComparison) else c.metric
            for c in cmp.regressions
        )
        return f"REGRESSION: {len(cmp.regressions)} gated result(s) got worse: {names}"
    if cmp.failed:
        return (
            f"FAILED: {len(cmp.incomparable)} result(s) are incomparable (scored differently); "
            "set on_incomparable: warn in the gate file to let this pass"
        )
    return "PASSED: no gated result regressed beyond its tolerance"


def metrics_header(names: Iterable[str]) -> str:
    """ "metric", with the direction when the metrics share one (each declares its own)."""
    ups = {higher_is_better(n) for n in names}
    return (
        f"metric ({'higher' if ups == {True} else 'lower'} is better)"
        if len(ups) == 1
        else "metric"
    )


def set_metric_board_rows(board: Leaderboard) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the leaderboard's set metrics: each run's value and interval."""
    header = [metrics_header(board.set_metrics), *[r.label for r in board.runs]]
    rows = [
        [metric, *[fmt_set(results.get(r.label)) for r in board.runs]]
        for metric, results in sorted(board.set_metrics.items())
    ]
    return header, rows


def best_label(best: Sequence[str], n_runs: int) -> str:
    if n_runs < 2:
        return "-"
    if len(best) == 1:
        return best[0]
    return "tie: " + ", ".join(best)


def best_per_category(board: Leaderboard) -> dict[str, tuple[str, str]]:
    """Per category: checks a single run wins significantly, and checks where runs tie."""
    out: dict[str, tuple[list[str], list[str]]] = {}
    for cell in board.cells:
        if len(cell.estimates) < 2:
            continue
        won, tied = out.setdefault(cell.category, ([], []))
        if len(cell.best) == 1:
            won.append(f"{cell.check}: {cell.best[0]}")
        else:
            tied.append(f"{cell.check}: {', '.join(cell.best)}")
    return {k: ("; ".join(w) or "-", "; ".join(t) or "-") for k, (w, t) in out.items()}


def provenance_rows(runs: Sequence[RunData]) -> tuple[list[list[Any]], list[list[Any]]]:
    """Provenance rows (key, each run's value, kind): those that differ between the runs,
    and those every run shares."""
    differ, same = [], []
    for key, values, kind in provenance_table(runs):
        (differ if len({repr(v) for v in values}) > 1 else same).append([key, *values, kind])
    return differ, same
