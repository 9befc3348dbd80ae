"""The terminal summary of a run: pass rate and mean score per category and check."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from t2iqa.checks import metric_label
from t2iqa.comparison.geneval import GenEvalScores, geneval_scores
from t2iqa.core.results import ERROR, SetResult
from t2iqa.generation.embedded import PLUMBING_NOTE
from t2iqa.reports.geneval import GENEVAL_TITLE, geneval_table
from t2iqa.store.db import Store


@dataclass
class Cell:
    """Tallies of one (category, check) cell."""

    images: int = 0
    passed: int = 0
    failed: int = 0
    not_judged: int = 0  # not applicable or unavailable
    errors: int = 0
    pending: int = 0  # no stored result yet (run interrupted during checks)
    score_sum: float = 0.0
    scored: int = 0

    def add(self, row: dict[str, Any]) -> None:
        self.images += 1
        if row.verdict is None:
            self.pending += 1
        elif row.verdict == ERROR:
            self.errors += 1
        elif row.passed is True:
            self.passed += 1
        elif row.passed is False:
            self.failed += 1
        else:
            self.not_judged += 1
        if row.score is not None:
            self.score_sum += row.score
            self.scored += 1

    @property
    def pass_rate(self) -> float | None:
        judged = self.passed + self.failed
        return self.passed / judged if judged else None

    @property
    def mean_score(self) -> float | None:
        return self.score_sum / self.scored if self.scored else None


def tally(rows: list[dict[str, Any]]) -> dict[tuple[str, str], Cell]:
    """Cells keyed by (category, check), plus ("all", check) totals."""
    cells: dict[tuple[str, str], Cell] = defaultdict(Cell)
    for row in rows:
        cells[(row.category, row.check)].add(row)
        cells[("all", row.check)].add(row)
    return dict(cells)


def _fmt(value: float | None, pct: bool = False) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.0f}%" if pct else f"{value:.3f}"


def summary_table(rows: list[dict[str, Any]], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for col in (
        "category",
        "check",
        "images",
        "pass rate",
        "mean score",
        "failed",
        "n/a",
        "errors",
    ):
        table.add_column(col, justify="left" if col in ("category", "check") else "right")
    cells = tally(rows)
    ordered = sorted(cells, key=lambda k: (k[0] == "all", k[0], k[1]))
    for category, check in ordered:
        c = cells[(category, check)]
        style = "bold" if category == "all" else None
        table.add_row(
            category, check, str(c.images), _fmt(c.pass_rate, pct=True), _fmt(c.mean_score),
            str(c.failed), str(c.not_judged), str(c.errors + c.pending), style=style,
        )  # fmt: skip
    return table


def set_metric_table(results: list[SetResult]) -> Table:
    table = Table(title="set metrics", title_justify="left")
    for col in ("metric", "value", "95% interval", "N", "reference", "note"):
        table.add_column(col, overflow="fold")
    for r in results:
        ci = f"[{r.ci_low:.4g}, {r.ci_high:.4g}]" if r.ci_low is not None else "-"
        note = r.details.get("warning", "")
        mode = r.details.get("resize_mode")
        if mode:
            note = f"resize {mode}, {r.details.get('feature_extractor')}. {note}"
        ref = f"{r.details.get('reference')} (N={r.details.get('reference_n')})"
        table.add_row(metric_label(r.metric), f"{r.value:.4g}", ci, str(r.n), ref, note)
    return table


def geneval_rich_table(scores: GenEvalScores) -> Table:
    header, rows = geneval_table([scores])
    table = Table(*header, title=GENEVAL_TITLE, title_justify="left")
    for row in rows:
        table.add_row(*row)
    return table


def print_summary(console: Console, store: Store, outcome: Any) -> int:
    """Print the run's summary; returns how many check results are errors (a check crashed
    on an image), read from the same rows."""
    run = store.get_run(outcome.run_id)
    rows = list(store.result_rows(outcome.run_id))
    images = len(store.done_keys(outcome.run_id))
    if outcome.plumbing_only:
        console.print(Panel(f"PLUMBING CHECK: {PLUMBING_NOTE}", style="yellow"))
    verb = "resumed" if outcome.resumed else "new run"
    console.print(
        f"[bold]{run.run_id}[/] ({verb}): model {run.model}, suite {run.suite_name} "
        f"{run.suite_version}, {images}/{run.planned_images} images "
        f"({outcome.generated} made now, {outcome.skipped} already stored); "
        f"{outcome.scored} check results computed, {outcome.cached} reused from cache"
    )
    console.print(summary_table(rows, title=f"status: {run.status}"))
    set_results = store.set_results(outcome.run_id)
    if set_results:
        console.print(set_metric_table(set_results))
    geneval = geneval_scores(run.run_id, rows)
    if geneval is not None:
        console.print(geneval_rich_table(geneval))
    for warning in outcome.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    for failure in outcome.failures:
        console.print(f"[red]failed:[/] {failure}")
    errors = [r for r in rows if r.verdict == ERROR]
    for row in errors[:10]:
        where = f"{row.prompt_id} seed {row.seed} {row.check}"
        console.print(f"[red]check error:[/] {where}: {row.reason}")
    console.print(f"store: {store.label}   export: t2iqa export {run.run_id} --store {store.label}")
    return len(errors)
