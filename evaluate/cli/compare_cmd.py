"""``t2iqa compare``: the gate (baseline against candidate) or a leaderboard, and its
reports."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from t2iqa.cli.common import (
    DEFAULT_STORE,
    EXIT_FAILED,
    EXIT_OK,
    StoreOption,
    console,
    fail,
    parse_report_option,
    write_report,
)


def compare(
    runs: Annotated[
        list[str],
        typer.Argument(
            help="BASELINE CANDIDATE, or 3+ runs for a leaderboard. Each is a run id in "
            "--store, a store folder holding one run, or STORE_FOLDER:RUN_ID."
        ),
    ],
    gate: Annotated[
        Path | None, typer.Option(help="Gate YAML: tolerances, measures, what is gated.")
    ] = None,
    markdown: Annotated[
        Path | None, typer.Option(help="Write a Markdown report (a PR comment); - for stdout.")
    ] = None,
    junit: Annotated[
        Path | None, typer.Option(help="Write JUnit XML: check x category test cases.")
    ] = None,
    html_report: Annotated[
        Path | None,
        typer.Option("--html", help="Write a self-contained HTML report with changed images."),
    ] = None,
    report: Annotated[
        list[str] | None,
        typer.Option(
            help="FORMAT=PATH: write a report in any registered format (markdown, junit, html, "
            "...); repeat for several; PATH - writes to stdout.",
            metavar="FORMAT=PATH",
        ),
    ] = None,
    rank: Annotated[
        bool,
        typer.Option(
            "--rank",
            help="Rank the runs (leaderboard, best model per category) even when there are "
            "two, instead of gating the second against the first.",
        ),
    ] = False,
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Gate a candidate run against a baseline, or rank three or more runs.

    Exit 0 no regression, 1 regression (or results scored differently), 2 usage or input
    error. With --rank, two runs are ranked instead of gated.
    """
    from t2iqa import api
    from t2iqa.reports import render, report_format
    from t2iqa.reports.console import print_comparison, print_leaderboard

    if len(runs) < 2:
        fail("compare needs a baseline and a candidate run (or 3+ runs for a leaderboard)")
    flags = {"markdown": markdown, "junit": junit, "html": html_report}
    outputs = [(name, path) for name, path in flags.items() if path is not None]
    outputs += [parse_report_option(text) for text in report or []]
    gating = len(runs) == 2 and not rank
    for name, _ in outputs:  # before the work: a gate-only format cannot show a ranking
        if not gating and not report_format(name).ranks:
            fail(
                f"the {name} report gates one candidate against one baseline: name exactly "
                "two runs, without --rank"
            )
    result: Any = api.compare(*runs, store=store, gate=gate, rank=rank)
    rendered = [(path, render(name, result)) for name, path in outputs]
    on_stdout = [text for path, text in rendered if str(path) == "-"]
    if len(on_stdout) > 1:
        fail("only one report can go to stdout (PATH -)")
    if on_stdout:  # the report alone on stdout, e.g. Markdown piped into a PR comment
        sys.stdout.write(on_stdout[0])
    else:
        (print_comparison if gating else print_leaderboard)(console, result)
    for path, text in rendered:
        if str(path) != "-":
            write_report(path, text)
    code = EXIT_FAILED if gating and result.failed else EXIT_OK
    raise typer.Exit(code)
