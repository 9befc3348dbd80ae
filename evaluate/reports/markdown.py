"""Markdown report: a pull-request comment (GitHub-flavoured tables)."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from t2iqa.comparison.compare import REGRESSED, Comparison
from t2iqa.comparison.leaderboard import Leaderboard
from t2iqa.reports.arena import (
    AGREEMENT_TITLE,
    RATINGS_TITLE,
    agreement_rows,
    notes,
    rating_rows,
    table_of,
)
from t2iqa.reports.base import ReportFormat
from t2iqa.reports.common import (
    CELL_HEADER,
    best_per_category,
    cell_columns,
    changes_summary,
    fmt_set,
    fmt_set_difference,
    gate_summary,
    leaderboard_rows,
    provenance_rows,
    run_line,
    set_metric_board_rows,
    verdict_label,
)
from t2iqa.reports.geneval import GENEVAL_TITLE, geneval_table

if TYPE_CHECKING:
    from t2iqa.arena import ArenaSummary


class MarkdownReport(ReportFormat):
    name = "markdown"
    suffix = ".md"
    description = "Markdown, for a pull-request comment"

    def comparison(self, cmp: Comparison) -> str:
        return comparison_markdown(cmp)

    def leaderboard(self, board: Leaderboard) -> str:
        return leaderboard_markdown(board)


# What Markdown (GitHub-flavoured) would act on in text a user wrote: backslashes, code,
# emphasis, table pipes, strikethrough, link and image openers. An underscore inside a word
# never starts emphasis in GFM, so identifiers like clip_alignment stay as written.
_MD_ACTIVE = re.compile(r"[\\`*|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|\](?=[(\[:])|!(?=\[)")


class Raw(str):
    """Markdown this module wrote itself (bold verdicts): table cells leave it as it is."""


def _md(text: Any) -> str:
    """Text a user controls (run ids, model names, categories, reasons) as inert Markdown on
    one line: HTML escaped as the HTML report does, Markdown syntax backslash-escaped."""
    if isinstance(text, Raw):
        return str(text)
    one_line = " ".join(str(text).splitlines())
    return _MD_ACTIVE.sub(lambda m: "\\" + m.group(0), html.escape(one_line, quote=False))


def _md_table(header: Sequence[Any], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(_md(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    return lines


def comparison_markdown(cmp: Comparison) -> str:
    status = "❌" if cmp.failed else "✅"
    lines = [
        f"## t2iqa compare: {status} {_md(gate_summary(cmp))}",
        "",
        f"- **baseline** {_md(run_line(cmp.baseline))}",
        f"- **candidate** {_md(run_line(cmp.candidate))}",
        f"- {_md(cmp.pairing_note)}",
    ]
    for warning in cmp.warnings:
        if warning != cmp.pairing_note:
            lines.append(f"- ⚠️ **{_md(warning)}**")
    lines.append("")
    notable = [c for c in cmp.cells if c.verdict != "unchanged" or c.category == "all"]
    lines += _md_table(
        [*CELL_HEADER, "verdict"],
        [
            [*cell_columns(c),
             Raw(f"**{verdict_label(c)}**") if c.verdict == REGRESSED else verdict_label(c)]
            for c in notable
        ],
    )  # fmt: skip
    hidden = len(cmp.cells) - len(notable)
    if hidden:
        lines += ["", f"{hidden} per-category results unchanged and not shown."]
    if cmp.set_metrics:
        lines += ["", "**Set metrics**", ""]
        lines += _md_table(
            ["metric", "baseline", "candidate", "difference", "verdict"],
            [[s.metric, fmt_set(s.baseline), fmt_set(s.candidate),
              fmt_set_difference(s), verdict_label(s)] for s in cmp.set_metrics],
        )  # fmt: skip
    if cmp.changes:
        lines += ["", _md(changes_summary(cmp)) + "."]
    header = ["", cmp.baseline.label, cmp.candidate.label, "kind"]
    differ, same = provenance_rows([cmp.baseline, cmp.candidate])
    if differ:
        lines += ["", "**What differs between the runs**", ""]
        lines += _md_table(header, differ)
    else:
        lines += ["", "The runs were made and scored with identical settings."]
    same = [row for row in same if row[1] is not None]
    lines += ["", f"<details><summary>{len(same)} settings both runs share</summary>", ""]
    lines += _md_table(header, same)
    lines += ["", "</details>", ""]
    if cmp.people is not None:
        lines += people_markdown(cmp.people)
    return "\n".join(lines)


def leaderboard_markdown(board: Leaderboard) -> str:
    lines = ["## t2iqa leaderboard", ""]
    lines += [f"- {_md(run_line(r))}" for r in board.runs]
    lines += [f"- ⚠️ **{_md(w)}**" for w in board.warnings]
    lines.append("")
    lines += _md_table(*leaderboard_rows(board))
    best = best_per_category(board)
    if best:
        lines += ["", "**Best model per category**", ""]
        lines += _md_table(["category", "won outright", "tied"], [[k, *v] for k, v in best.items()])
    if board.set_metrics:
        lines += ["", "**Set metrics**", ""]
        lines += _md_table(*set_metric_board_rows(board))
    if board.geneval:
        lines += ["", f"**{GENEVAL_TITLE}**", ""]
        lines += _md_table(*geneval_table(board.geneval))
    if board.people is not None:
        lines += ["", *people_markdown(board.people)]
    return "\n".join(lines) + "\n"


def people_markdown(summary: ArenaSummary) -> list[str]:
    """People's ratings and the checks' agreement with them (t2iqa.arena)."""

    lines = [f"**{RATINGS_TITLE}**", "", *_md_table(*table_of(rating_rows(summary.ratings))), ""]
    lines += [f"- {_md(n)}" for n in notes(summary)]
    if summary.checks:
        lines += ["", f"**{AGREEMENT_TITLE}**", "", *_md_table(*table_of(agreement_rows(summary)))]
    return [*lines, ""]
