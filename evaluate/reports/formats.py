"""Reports of a comparison: terminal tables, Markdown (PR comments), JUnit XML, static HTML.

Every renderer reads the same ``Comparison`` or ``Leaderboard``; none computes anything.
"""

from __future__ import annotations

import base64
import html
import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from rich import box
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from t2iqa.checks import higher_is_better
from t2iqa.comparison.compare import (
    IMPROVED,
    INCOMPARABLE,
    REGRESSED,
    CellComparison,
    Comparison,
    ImageChange,
    Leaderboard,
    RunData,
    SetMetricComparison,
    changes_by_check,
    provenance_table,
    regressed_checks,
)
from t2iqa.comparison.stats import Estimate
from t2iqa.core.results import SetResult
from t2iqa.reports.annotate import jpeg_bytes, read_with_reasons, result_from_row

VERDICT_STYLE = {REGRESSED: "bold red", IMPROVED: "green", INCOMPARABLE: "bold yellow"}
THUMBNAIL_SIDE = 256
# Pairs of thumbnails per check; beyond this the report lists the rest of that check's as
# text. Per check, so that every check whose verdicts moved shows its pictures.
MAX_HTML_CHANGES_PER_CHECK = 12


# ---------------------------------------------------------------------------- formatting


def fmt_value(value: float | None, measure: str) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.1f}%" if measure == "pass_rate" else f"{value:.3g}"


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
    images = len({(x["prompt_id"], x["seed"]) for x in run.rows})
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


# ---------------------------------------------------------------------------- terminal


def print_comparison(console: Console, cmp: Comparison) -> None:
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
    console.print(table)
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
        for c in cmp.changes[:10]:
            arrow = "pass -> FAIL" if c.newly_failing else "fail -> pass"
            where = f"{c.check}  {c.prompt_id} seed {c.seed}"
            console.print(f"  {arrow}  {where}: {c.candidate['reason']}")
    style = "bold red" if cmp.failed else "bold green"
    console.print(f"[{style}]{gate_summary(cmp)}[/]")


def print_leaderboard(console: Console, board: Leaderboard) -> None:
    for run in board.runs:
        console.print(run_line(run))
    for warning in board.warnings:
        console.print(Panel(warning, style="bold yellow"))
    level = int(board.gate.confidence * 100)
    table = Table(title=f"leaderboard ({level}% intervals over prompts)", title_justify="left")
    header, rows = leaderboard_rows(board)
    table.add_column(header[0])
    table.add_column(header[1])
    for name in header[2:]:
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    best = best_per_category(board)
    if best:
        t = Table(title="best model per category", title_justify="left")
        for col in ("category", "checks won outright", "tied at the top"):
            t.add_column(col, overflow="fold")
        for category, (won, tied) in best.items():
            t.add_row(category, won, tied)
        console.print(t)
    if board.set_metrics:
        header, rows = set_metric_board_rows(board)
        sets = Table(title="set metrics", title_justify="left")
        sets.add_column(header[0])
        for name in header[1:]:
            sets.add_column(name, overflow="fold")
        for row in rows:
            sets.add_row(*row)
        console.print(sets)


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


# ---------------------------------------------------------------------------- markdown


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    return lines


def comparison_markdown(cmp: Comparison) -> str:
    status = "❌" if cmp.failed else "✅"
    lines = [
        f"## t2iqa compare: {status} {gate_summary(cmp)}",
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
             f"**{verdict_label(c)}**" if c.verdict == REGRESSED else verdict_label(c)]
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
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- JUnit


def comparison_junit(cmp: Comparison, timestamp: datetime | None = None) -> str:
    """JUnit XML in the Apache Ant format that CI servers read.

    One test suite per check (plus one for set metrics), one test case per category.
    Regressions are failures; results that are not gated, or have no data, are skipped.
    """
    stamp = (timestamp or datetime.now()).strftime("%Y-%m-%dT%H:%M:%S")
    host = socket.gethostname() or "localhost"
    root = ET.Element("testsuites", name="t2iqa compare")
    groups: dict[str, list[CellComparison | SetMetricComparison]] = {}
    for cell in cmp.cells:
        groups.setdefault(cell.check, []).append(cell)
    if cmp.set_metrics:
        groups["set_metrics"] = list(cmp.set_metrics)
    for index, (suite_name, cells) in enumerate(groups.items()):
        outcomes = [_junit_outcome(cmp, c) for c in cells]
        failures = sum(1 for outcome, _ in outcomes if outcome == "failure")
        skipped = sum(1 for outcome, _ in outcomes if outcome == "skipped")
        suite = ET.SubElement(
            root, "testsuite", name=suite_name, package="t2iqa", id=str(index),
            timestamp=stamp, hostname=host, tests=str(len(cells)), failures=str(failures),
            errors="0", skipped=str(skipped), time="0",
        )  # fmt: skip
        props = ET.SubElement(suite, "properties")
        for name, value in (
            ("baseline", cmp.baseline.label), ("candidate", cmp.candidate.label),
            ("pairing", cmp.pairing_note), ("confidence", str(cmp.gate.confidence)),
        ):  # fmt: skip
            ET.SubElement(props, "property", name=name, value=value)
        for cell, (outcome, message) in zip(cells, outcomes, strict=True):
            name = cell.category if isinstance(cell, CellComparison) else cell.metric
            case = ET.SubElement(
                suite, "testcase", name=name, classname=f"t2iqa.{suite_name}", time="0"
            )
            if outcome == "failure":
                failure = ET.SubElement(case, "failure", message=message, type=cell.verdict)
                failure.text = message
            elif outcome == "skipped":
                ET.SubElement(case, "skipped", message=message)
        ET.SubElement(suite, "system-out").text = "\n".join(cmp.warnings)
        ET.SubElement(suite, "system-err").text = ""
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def _junit_outcome(cmp: Comparison, cell: CellComparison | SetMetricComparison) -> tuple[str, str]:
    if isinstance(cell, CellComparison):
        what = f"{cell.check} / {cell.category} {cell.measure}"
        detail = f"difference {fmt_difference(cell)}, tolerance {fmt_tolerance(cell)}"
    else:
        what = cell.metric
        detail = f"difference {fmt_set_difference(cell)}, tolerance ±{cell.tolerance:.3g}"
    if not cell.gated:
        return "skipped", f"{what}: {cell.verdict} (not gated); {detail}"
    if cell.verdict == REGRESSED:
        return "failure", f"{what} regressed: {detail}"
    if cell.verdict == INCOMPARABLE:
        if cmp.gate.on_incomparable == "fail":
            return "failure", f"{what} is incomparable: the runs were scored differently"
        return "skipped", f"{what} is incomparable: the runs were scored differently"
    if cell.verdict == "no data":
        return "skipped", f"{what}: {cell.note}"
    return "passed", ""


# ---------------------------------------------------------------------------- HTML


def thumbnail_data_uri(run: RunData, row: dict[str, Any], side: int = THUMBNAIL_SIDE) -> str:
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
        mark = "pass" if row["passed"] else "fail"
        img = (
            f'<img src="{uri}" alt="{_esc(side)} {_esc(change.prompt_id)}">'
            if uri
            else "<p>(image file missing from the store)</p>"
        )
        parts.append(
            f"<figure>{img}<figcaption><b>{_esc(side)}</b> ({_esc(run.label)}): "
            f'<span class="{mark}">{mark.upper()}</span> {_esc(row["reason"])}'
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
    out.append(f"<h2>Images whose verdict changed ({len(cmp.changes)})</h2>")
    if not cmp.paired:
        out.append("<p>The runs are unpaired, so no image has a partner to compare with.</p>")
    elif not cmp.changes:
        out.append("<p>No paired image changed its verdict.</p>")
    else:
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
                    f"{_esc(c.candidate['reason'])}</li>"
                    for c in rest
                ]
                out.append("</ul></details>")
    out.append("<h2>Provenance</h2>")
    out.append(provenance_html([cmp.baseline, cmp.candidate]))
    out.append("</body></html>")
    return "\n".join(out)


def provenance_rows(runs: Sequence[RunData]) -> tuple[list[list[Any]], list[list[Any]]]:
    """Provenance rows (key, each run's value, kind): those that differ between the runs,
    and those every run shares."""
    differ, same = [], []
    for key, values, kind in provenance_table(runs):
        (differ if len({repr(v) for v in values}) > 1 else same).append([key, *values, kind])
    return differ, same


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
    out.append("<h2>Provenance</h2>")
    out.append(provenance_html(board.runs))
    out.append("</body></html>")
    return "\n".join(out)
