"""The terminal view of a comparison or leaderboard (rich tables), printed by ``t2iqa
compare`` whatever files it also writes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from t2iqa.comparison.compare import IMPROVED, INCOMPARABLE, REGRESSED, Comparison
from t2iqa.comparison.leaderboard import Leaderboard
from t2iqa.reports.arena import (
    AGREEMENT_TITLE,
    RATINGS_TITLE,
    agreement_rows,
    notes,
    rater_rows,
    rating_rows,
    table_of,
)
from t2iqa.reports.common import (
    best_per_category,
    changes_summary,
    fmt_difference,
    fmt_estimate,
    fmt_tolerance,
    gate_summary,
    leaderboard_rows,
    run_line,
    set_metric_board_rows,
    set_metric_row,
    verdict_label,
)
from t2iqa.reports.geneval import GENEVAL_TITLE, geneval_table

if TYPE_CHECKING:
    from t2iqa.arena import ArenaSummary

VERDICT_STYLE = {REGRESSED: "bold red", IMPROVED: "green", INCOMPARABLE: "bold yellow"}
CHANGES_SHOWN = 10  # image verdict changes listed in the terminal; the HTML report has all


def print_comparison(console: Console, cmp: Comparison) -> None:
    _print_runs(console, cmp)
    console.print(_cells_table(cmp))
    for cell in cmp.cells:  # notes other than "rough", which the * already marks
        extra = [part for part in cell.note.split("; ") if part and not part.startswith("only ")]
        if extra:
            console.print(f"note: {cell.check} / {cell.category}: {'; '.join(extra)}")
    if cmp.set_metrics:
        sets = Table(title="set metrics", title_justify="left", box=box.SIMPLE_HEAD)
        for col in ("metric", "baseline", "candidate", "difference", "tol.", "verdict", "note"):
            sets.add_column(col, overflow="fold")
        for s in cmp.set_metrics:
            sets.add_row(*set_metric_row(s), style=VERDICT_STYLE.get(s.verdict))
        console.print(sets)
    if cmp.changes:
        console.print(f"{changes_summary(cmp)}; first the newly failing:")
        for c in cmp.changes[:CHANGES_SHOWN]:
            arrow = "pass -> FAIL" if c.newly_failing else "fail -> pass"
            where = f"{c.check}  {c.prompt_id} seed {c.seed}"
            console.print(f"  {arrow}  {where}: {c.candidate.reason}")
    if cmp.people is not None:
        print_arena(console, cmp.people)
    style = "bold red" if cmp.failed else "bold green"
    console.print(f"[{style}]{gate_summary(cmp)}[/]")


def _print_runs(console: Console, cmp: Comparison) -> None:
    """The two runs, how they pair, the warnings, and what the comparison puts under test."""
    console.print(f"[bold]baseline [/] {run_line(cmp.baseline)}")
    console.print(f"[bold]candidate[/] {run_line(cmp.candidate)}")
    console.print(cmp.pairing_note if cmp.paired else f"[bold yellow]{cmp.pairing_note}[/]")
    for warning in cmp.warnings:
        if warning.startswith(("INCOMPARABLE", "UNPAIRED")):
            console.print(Panel(warning, style="bold yellow"))
        elif warning != cmp.pairing_note:
            console.print(f"[yellow]warning:[/] {warning}")
    under_test = [d for d in cmp.differences if d.kind == "under test"]
    if under_test:
        changed = ", ".join(f"{d.key} {d.baseline} -> {d.candidate}" for d in under_test)
        console.print(f"under test: {changed}")


def _cells_table(cmp: Comparison) -> Table:
    """One row per check and category; prompts fewer than the gate's minimum marked *."""
    level = int(cmp.gate.confidence * 100)
    table = Table(
        title=f"per check and category (candidate − baseline, {level}% intervals over prompts)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("check", no_wrap=True)
    table.add_column("category", no_wrap=True)
    table.add_column("n", justify="right", min_width=3, no_wrap=True)
    for col in ("baseline", "candidate", "difference", "verdict"):
        table.add_column(col, no_wrap=True)
    rough = False
    for cell in cmp.cells:
        n = cell.difference.n_prompts if cell.difference else 0
        rough = rough or (0 < n < cmp.gate.min_prompts)
        table.add_row(
            cell.check, cell.category, f"{n}*" if 0 < n < cmp.gate.min_prompts else str(n),
            fmt_estimate(cell.baseline, cell.measure), fmt_estimate(cell.candidate, cell.measure),
            fmt_difference(cell),
            verdict_label(cell, short=True) if cell.verdict != "no data" else "no data",
            style=VERDICT_STYLE.get(cell.verdict) if cell.gated else "dim",
        )  # fmt: skip
    tolerances = dict.fromkeys(
        f"{c.check} {fmt_tolerance(c)}" + ("" if c.measure == "pass_rate" else " (mean score)")
        for c in cmp.cells
    )
    table.caption = "n: prompts. tolerance: " + ", ".join(tolerances)
    if rough:
        table.caption += f". * fewer than {cmp.gate.min_prompts} prompts: the interval is rough"
    table.caption_justify = "left"
    return table


def print_leaderboard(console: Console, board: Leaderboard) -> None:
    for run in board.runs:
        console.print(run_line(run))
    for warning in board.warnings:
        console.print(Panel(warning, style="bold yellow"))
    level = int(board.gate.confidence * 100)
    header, rows = leaderboard_rows(board)
    console.print(_table(f"leaderboard ({level}% intervals over prompts)", header, rows, 2))
    best = best_per_category(board)
    if best:
        header = ["category", "checks won outright", "tied at the top"]
        rows = [[category, won, tied] for category, (won, tied) in best.items()]
        console.print(_table("best model per category", header, rows, 0))
    if board.set_metrics:
        console.print(_table("set metrics", *set_metric_board_rows(board), 1))
    if board.geneval:
        console.print(_table(GENEVAL_TITLE, *geneval_table(board.geneval), 1))
    if board.people is not None:
        print_arena(console, board.people)


def print_arena(console: Console, summary: ArenaSummary) -> None:
    """People's ratings (overall, per category), the raters, and which check agrees with
    people (``t2iqa votes ratings``, and ``t2iqa compare`` when votes exist)."""
    console.print(_table(RATINGS_TITLE, *table_of(rating_rows(summary.ratings)), 1))
    for category, ratings in summary.by_category.items():
        console.print(_table(f"{category}: {RATINGS_TITLE}", *table_of(rating_rows(ratings)), 1))
    for line in notes(summary):
        console.print(line)
    console.print(_table("Raters", *table_of(rater_rows(summary)), 1))
    if summary.checks:
        console.print(_table(AGREEMENT_TITLE, *table_of(agreement_rows(summary)), 1))


def _table(title: str, header: list[str], rows: list[list[str]], fixed: int) -> Table:
    """A titled table; the first ``fixed`` columns keep their width, the rest fold."""
    table = Table(title=title, title_justify="left")
    for k, name in enumerate(header):
        table.add_column(name, overflow="ellipsis" if k < fixed else "fold")
    for row in rows:
        table.add_row(*row)
    return table
