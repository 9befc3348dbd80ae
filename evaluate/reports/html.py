"""A self-contained HTML page: the tables, and each changed image with its reason drawn on
it (thumbnails embedded as JPEG data URIs, so the file can be attached to a CI job)."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from typing import Any

from t2iqa.comparison.compare import Comparison, ImageChange, changes_by_check, regressed_checks
from t2iqa.comparison.leaderboard import Leaderboard
from t2iqa.comparison.runs import RunData
from t2iqa.reports.annotate import jpeg_bytes, read_with_reasons, result_from_row
from t2iqa.reports.base import ReportFormat
from t2iqa.reports.common import (
    CELL_HEADER,
    best_per_category,
    cell_columns,
    change_counts,
    changes_summary,
    fmt_p,
    gate_summary,
    leaderboard_rows,
    provenance_rows,
    run_line,
    set_metric_board_rows,
    set_metric_row,
    verdict_label,
)
from t2iqa.reports.geneval import GENEVAL_TITLE, geneval_table
from t2iqa.store.db import ResultRow


class HTMLReport(ReportFormat):
    name = "html"
    suffix = ".html"
    description = "a self-contained HTML page with the changed images"

    def comparison(self, cmp: Comparison) -> str:
        return comparison_html(cmp)

    def leaderboard(self, board: Leaderboard) -> str:
        return leaderboard_html(board)


THUMBNAIL_SIDE = 256
# Pairs of thumbnails per check; beyond this the report lists the rest of that check's as
# text. Per check, so that every check whose verdicts moved shows its pictures.


MAX_HTML_CHANGES_PER_CHECK = 12


def thumbnail_data_uri(run: RunData, row: ResultRow, side: int = THUMBNAIL_SIDE) -> str:
    """The image with this check's overlay drawn on it, as an embedded JPEG ("" when the
    file is missing: the page says so instead)."""
    shown = read_with_reasons(run.image_path(row), [result_from_row(row)], side)
    if isinstance(shown, str):
        return ""
    return "data:image/jpeg;base64," + base64.b64encode(jpeg_bytes(shown, 85)).decode("ascii")


CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1400px}
table{border-collapse:collapse;margin:1em 0;font-size:14px}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}
tr.regressed td{background:#fde2e2;font-weight:bold}
tr.improved td{background:#e3f6e6}
tr.incomparable td{background:#fff4cc}
tr.ungated td{color:#888}
.status{padding:.6em 1em;border-radius:6px;font-weight:bold;font-size:18px}
.status.fail{background:#fde2e2;color:#a00}
.status.pass{background:#e3f6e6;color:#060}
.warning{background:#fff4cc;border-left:4px solid #e0a800;padding:.5em 1em;margin:.4em 0}
.pairs{display:flex;flex-wrap:wrap;gap:1.2em}
.pair{border:1px solid #ddd;border-radius:6px;padding:.6em;width:540px}
.pair figure{display:inline-block;margin:0 4px;width:256px;vertical-align:top}
.pair img{width:256px;border-radius:4px}
figcaption{font-size:12px}
.fail{color:#a00}.pass{color:#060}
tr.diff td{background:#fff4cc}
details{margin:.6em 0}summary{cursor:pointer}
"""


def _esc(value: Any) -> str:
    return html.escape("-" if value is None else str(value))


def _html_table(header: Sequence[str], rows: Sequence[tuple[Sequence[Any], str]]) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = "".join(
        f'<tr class="{cls}">' + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>"
        for row, cls in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _change_html(cmp: Comparison, change: ImageChange) -> str:
    parts = []
    for run, row, side in (
        (cmp.baseline, change.baseline, "baseline"), (cmp.candidate, change.candidate, "candidate")
    ):  # fmt: skip
        uri = thumbnail_data_uri(run, row)
        mark = "pass" if row.passed else "fail"
        img = (
            f'<img src="{uri}" alt="{_esc(side)} {_esc(change.prompt_id)}">'
            if uri
            else "<p>(image file missing from the store)</p>"
        )
        parts.append(
            f"<figure>{img}<figcaption><b>{_esc(side)}</b> ({_esc(run.label)}): "
            f'<span class="{mark}">{mark.upper()}</span> {_esc(row.reason)}'
            "</figcaption></figure>"
        )
    title = "newly failing" if change.newly_failing else "newly passing"
    return (
        f'<div class="pair"><div><b class="{"fail" if change.newly_failing else "pass"}">'
        f"{title}</b> · {_esc(change.check)} · {_esc(change.prompt_id)} seed {change.seed}"
        f"<br><i>{_esc(change.prompt)}</i></div>{''.join(parts)}</div>"
    )


def comparison_html(cmp: Comparison) -> str:
    status_cls = "fail" if cmp.failed else "pass"
    out = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>t2iqa compare {_esc(cmp.baseline.label)} vs {_esc(cmp.candidate.label)}</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>t2iqa compare</h1>",
        f'<p class="status {status_cls}" id="gate-status">{_esc(gate_summary(cmp))}</p>',
        f"<p><b>baseline</b> {_esc(run_line(cmp.baseline))}<br>"
        f"<b>candidate</b> {_esc(run_line(cmp.candidate))}<br>{_esc(cmp.pairing_note)}</p>",
    ]
    out += [f'<div class="warning">{_esc(w)}</div>' for w in cmp.warnings if w != cmp.pairing_note]
    level = int(cmp.gate.confidence * 100)
    out.append(f"<h2>Per check and category</h2><p>candidate − baseline, {level}% bootstrap "
               "intervals over prompts (seeds stay with their prompt).</p>")  # fmt: skip
    out.append(
        _html_table(
            [*CELL_HEADER, "p worse (Holm)", "verdict", "note"],
            [([*cell_columns(c), fmt_p(c.p_regressed), verdict_label(c), c.note],
              c.verdict if c.gated else "ungated") for c in cmp.cells],
        )
    )  # fmt: skip
    if cmp.set_metrics:
        out.append("<h2>Set metrics</h2>")
        out.append(
            _html_table(
                ["metric", "baseline", "candidate", "difference", "tolerance", "verdict", "note"],
                [(set_metric_row(s), s.verdict) for s in cmp.set_metrics],
            )
        )  # fmt: skip
    out += _changes_section(cmp)
    out.append("<h2>Provenance</h2>")
    out.append(provenance_html([cmp.baseline, cmp.candidate]))
    out.append("</body></html>")
    return "\n".join(out)


def _changes_section(cmp: Comparison) -> list[str]:
    """Every image whose verdict changed, grouped by check, regressed checks first."""
    out = [f"<h2>Images whose verdict changed ({len(cmp.changes)})</h2>"]
    if not cmp.paired:
        return [*out, "<p>The runs are unpaired, so no image has a partner to compare with.</p>"]
    if not cmp.changes:
        return [*out, "<p>No paired image changed its verdict.</p>"]
    out.append(f"<p>{_esc(changes_summary(cmp))}. The checks that regressed come first; "
               "each image shows that check's reason drawn on it.</p>")  # fmt: skip
    regressed = regressed_checks(cmp.cells)
    for check, group in changes_by_check(cmp.changes).items():
        failing, passing = change_counts(group)
        flag = ' <span class="fail">(regressed)</span>' if check in regressed else ""
        out.append(
            f'<h3 class="check-changes">{_esc(check)}{flag}: {failing} newly failing, '
            f"{passing} newly passing</h3>"
        )
        shown = group[:MAX_HTML_CHANGES_PER_CHECK]
        out.append('<div class="pairs">' + "".join(_change_html(cmp, c) for c in shown))
        out.append("</div>")
        if rest := group[MAX_HTML_CHANGES_PER_CHECK:]:
            out.append(f"<details><summary>{len(rest)} more {_esc(check)} changes, "
                       "without pictures</summary><ul>")  # fmt: skip
            out += [
                f"<li>{_esc(c.prompt_id)} seed {c.seed}: "
                f"{'pass → fail' if c.newly_failing else 'fail → pass'}: "
                f"{_esc(c.candidate.reason)}</li>"
                for c in rest
            ]
            out.append("</ul></details>")
    return out


def provenance_html(runs: Sequence[RunData]) -> str:
    """What differs between the runs in a table; what they share folded away below it."""
    header = ["", *[r.label for r in runs], "kind"]
    differ, same = provenance_rows(runs)
    if differ:
        out = f"<p>{len(differ)} setting(s) differ between the runs:</p>"
        out += _html_table(header, [(row, "diff") for row in differ])
    else:
        out = "<p>The runs were made and scored with identical settings.</p>"
    return out + (
        f"<details><summary>{len(same)} setting(s) identical in every run</summary>"
        f"{_html_table(header, [(row, '') for row in same])}</details>"
    )


def leaderboard_html(board: Leaderboard) -> str:
    out = [
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>t2iqa leaderboard</title>",
        f"<style>{CSS}</style></head><body><h1>t2iqa leaderboard</h1><ul>",
        *[f"<li>{_esc(run_line(r))}</li>" for r in board.runs],
        "</ul>",
        *[f'<div class="warning">{_esc(w)}</div>' for w in board.warnings],
    ]
    header, rows = leaderboard_rows(board)
    out.append(_html_table(header, [(row, "") for row in rows]))
    best = best_per_category(board)
    if best:
        out.append("<h2>Best model per category</h2>")
        rows_best = [([k, *v], "") for k, v in best.items()]
        out.append(_html_table(["category", "won outright", "tied"], rows_best))
    if board.set_metrics:
        out.append("<h2>Set metrics</h2>")
        header, rows = set_metric_board_rows(board)
        out.append(_html_table(header, [(row, "") for row in rows]))
    if board.geneval:
        out.append(f"<h2>{_esc(GENEVAL_TITLE)}</h2>")
        header, rows = geneval_table(board.geneval)
        out.append(_html_table(header, [(row, "") for row in rows]))
    out.append("<h2>Provenance</h2>")
    out.append(provenance_html(board.runs))
    out.append("</body></html>")
    return "\n".join(out)
