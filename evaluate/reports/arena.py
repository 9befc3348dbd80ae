"""People's ratings and the checks' agreement with them, as tables: the console, Markdown
(``t2iqa compare`` reports) and the dashboard read the same rows."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.table import Table

from t2iqa.arena import ArenaSummary
from t2iqa.arena.ratings import Ratings

RATINGS_TITLE = "People's ratings (Bradley-Terry with ties, Elo scale)"
AGREEMENT_TITLE = "Which check predicts people here"


def _num(value: float | None, digits: int = 0) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else (
        f"{value:.{digits}f}")  # fmt: skip


def rating_rows(ratings: Ratings) -> list[dict[str, Any]]:
    return [{"run": r.run, "rating": _num(r.rating), "95% interval":
             f"{_num(r.low)} to {_num(r.high)}", "votes": r.votes,
             "won / lost / tied": f"{r.wins} / {r.losses} / {r.ties}"}
            for r in ratings.runs]  # fmt: skip


def agreement_rows(summary: ArenaSummary) -> list[dict[str, Any]]:
    out = []
    for c in summary.checks:
        acc = "-" if c.accuracy is None else f"{100 * c.accuracy:.0f}%"
        if c.accuracy_low is not None and c.accuracy_high is not None:
            acc += f" ({100 * c.accuracy_low:.0f}-{100 * c.accuracy_high:.0f}%)"
        tau = _num(c.kendall_tau, 2)
        if c.tau_low is not None and c.tau_high is not None:
            tau += f" ({c.tau_low:.2f} to {c.tau_high:.2f})"
        out.append({"check": c.check, "decided votes": c.decided_votes,
                    "agrees with people": acc, "Kendall tau of run order": tau})  # fmt: skip
    return out


def rater_rows(summary: ArenaSummary) -> list[dict[str, Any]]:
    return [{"rater": r.rater or "(no name)", "votes": r.votes,
             "attention checks": f"{r.attention_checks - r.failed} / {r.attention_checks} passed",
             "median seconds": _num(r.median_seconds, 1),
             "flagged": "flagged: left out of the ratings" if r.flagged else ""}
            for r in summary.raters]  # fmt: skip


def notes(summary: ArenaSummary) -> list[str]:
    r = summary.ratings
    alpha = ("Krippendorff's alpha between raters: "
             + (f"{summary.alpha:.2f} over {summary.shared_pairs} pairs judged by two or more"
                if summary.alpha is not None else
                "not measurable yet (needs pairs judged by two or more raters)"))  # fmt: skip
    return [f"{r.votes} counted votes on {r.prompts} prompts ({summary.votes_total} in all, "
            f"attention checks and flagged raters included); ties parameter {r.tie_parameter:.2f}",
            alpha]  # fmt: skip


def _table(title: str, rows: list[dict[str, Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    for key in rows[0] if rows else []:
        table.add_column(key)
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    return table


def print_arena(console: Console, summary: ArenaSummary) -> None:
    console.print(_table(RATINGS_TITLE, rating_rows(summary.ratings)))
    for category, ratings in summary.by_category.items():
        console.print(_table(f"{category}: {RATINGS_TITLE}", rating_rows(ratings)))
    for line in notes(summary):
        console.print(line)
    console.print(_table("Raters", rater_rows(summary)))
    if summary.checks:
        console.print(_table(AGREEMENT_TITLE, agreement_rows(summary)))
