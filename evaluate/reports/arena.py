"""People's ratings and the checks' agreement with them, as rows: the console and Markdown
reports (``table_of``) and the dashboard read the same ones."""

from __future__ import annotations

import math
from typing import Any

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


def table_of(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """(header, rows as text) of the rows above, the shape the console and Markdown tables
    take."""
    return (list(rows[0]) if rows else []), [[str(v) for v in r.values()] for r in rows]
