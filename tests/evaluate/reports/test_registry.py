"""A report format is one class plus one registry line: ``--report NAME=PATH`` writes it
with nothing else touched."""

from __future__ import annotations

from pathlib import Path

import pytest

from t2iqa.comparison.compare import Comparison
from t2iqa.comparison.leaderboard import Leaderboard
from t2iqa.reports import REPORT_FORMATS, ReportFormat, render
from tests.evaluate.test_cli import cli


class TSVReport(ReportFormat):
    name = "tsv"
    suffix = ".tsv"
    description = "tab-separated cells"

    def comparison(self, cmp: Comparison) -> str:
        return "".join(f"{c.check}\t{c.category}\t{c.verdict}\n" for c in cmp.cells)

    def leaderboard(self, board: Leaderboard) -> str:
        return "".join(f"{c.check}\t{c.category}\t{','.join(c.best)}\n" for c in board.cells)


def test_a_registered_format_is_written_by_compare(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    comparison_store: Path,
) -> None:
    monkeypatch.setitem(REPORT_FORMATS, "tsv", TSVReport)
    store, out_file = str(comparison_store), tmp_path / "out" / "r.tsv"
    code, out, _ = cli(
        monkeypatch, capsys, "compare", "base", "worse", "--store", store,
        "--report", f"tsv={out_file}",
    )  # fmt: skip
    assert code == 1 and "REGRESSION" in out  # the terminal view is still printed
    assert "regressed" in out_file.read_text().split()
    code, out, _ = cli(
        monkeypatch, capsys, "compare", "worse", "base", "better", "--store", store,
        "--report", "tsv=-",
    )  # fmt: skip
    assert code == 0 and out.count("\t") == 2 * len(out.splitlines()) > 0


def test_report_option_errors_exit_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    comparison_store: Path,
) -> None:
    store = str(comparison_store)
    cases = [
        (["--report", "html"], "write FORMAT=PATH"),
        (["--report", "pdf=x.pdf"], "unknown format 'pdf'; available: markdown, junit, html"),
        (["--report", "markdown=-", "--report", "html=-"], "only one report can go to stdout"),
        (["--rank", "--report", "junit=j.xml"], "the junit report gates one candidate"),
    ]
    for extra, message in cases:
        code, _, err = cli(monkeypatch, capsys, "compare", "base", "same", "--store", store, *extra)
        assert code == 2, extra
        assert message in " ".join(err.split()), (extra, err)


def test_render_refuses_a_ranking_in_a_gate_only_format(comparison_store: Path) -> None:
    from t2iqa import compare
    from t2iqa.core.errors import T2IQAError

    board = compare("base", "worse", "better", store=comparison_store)
    assert render("markdown", board).startswith("## t2iqa leaderboard")
    with pytest.raises(T2IQAError, match="gates one candidate"):
        render("junit", board)
