from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
import xmlschema
from playwright.sync_api import Browser

from t2iqa.comparison.compare import Comparison, changes_by_check, compare_runs
from t2iqa.comparison.gate import Gate
from t2iqa.comparison.leaderboard import leaderboard
from t2iqa.comparison.runs import load_runs
from t2iqa.reports.html import MAX_HTML_CHANGES_PER_CHECK, comparison_html, leaderboard_html
from t2iqa.reports.junit import comparison_junit
from t2iqa.reports.markdown import comparison_markdown, leaderboard_markdown

SCHEMA = Path(__file__).parent / "data" / "junit-ant.xsd"


@pytest.fixture(scope="module")
def regression(comparison_store: Path) -> Comparison:
    return compare_runs(*load_runs(["base", "worse"], comparison_store), Gate())


def test_junit_is_valid_and_fails_exactly_the_regressions(regression: Comparison) -> None:
    text = comparison_junit(regression)
    xmlschema.XMLSchema(SCHEMA).validate(text)
    root = ET.fromstring(text)
    failures = root.findall(".//testcase/failure")
    assert len(failures) == len(regression.regressions) > 0
    failed = {
        (case.get("classname"), case.get("name"))
        for case in root.iter("testcase")
        if case.find("failure") is not None
    }
    assert ("t2iqa.object_count", "all") in failed
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert int(suites["object_count"].get("failures")) >= 2
    assert suites["image_sanity"].get("failures") == "0"


def test_junit_of_identical_runs_has_no_failures(comparison_store: Path) -> None:
    cmp = compare_runs(*load_runs(["base", "same"], comparison_store), Gate())
    text = comparison_junit(cmp)
    xmlschema.XMLSchema(SCHEMA).validate(text)
    assert "<failure" not in text


def test_the_schema_rejects_what_ci_servers_reject(regression: Comparison) -> None:
    text = comparison_junit(regression).replace(' classname="t2iqa.clip_alignment"', "", 1)
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        xmlschema.XMLSchema(SCHEMA).validate(text)


def test_markdown_leads_with_the_verdict(regression: Comparison) -> None:
    text = comparison_markdown(regression)
    assert text.startswith("## t2iqa compare: ❌ REGRESSION")
    assert "| object_count | all | pass rate |" in text
    assert "**regressed**" in text and "<details>" in text
    # the runs share every setting: said above the fold, the settings folded
    shown, _, folded = text.partition("<details>")
    assert "identical settings" in shown and "| packages.torch |" in folded
    assert all(line.count("|") >= 2 for line in text.splitlines() if line.startswith("|"))


def test_markdown_shows_what_differs_above_the_fold(comparison_store: Path) -> None:
    base, cand = load_runs(["base", "worse"], comparison_store)
    cand.run.config["identity"]["image_settings"] = {"steps": 10}
    base.run.config["identity"]["image_settings"] = {"steps": 30}
    shown = comparison_markdown(compare_runs(base, cand, Gate())).partition("<details>")[0]
    assert "| generation.steps | 30 | 10 | under test |" in shown


def test_leaderboard_reports(comparison_store: Path) -> None:
    from t2iqa.core.results import SetResult

    runs = load_runs(["worse", "base", "better"], comparison_store)
    runs[2].set_results["fid"] = SetResult("fid", 12.5, 432, 11.9, 13.1, {})
    board = leaderboard(runs, Gate())
    md = leaderboard_markdown(board)
    assert "Best model per category" in md and "object_count: better" in md
    assert "| fid | - | - | 12.5 [11.9, 13.1] (N=432) |" in md
    page = leaderboard_html(board)
    assert "<table>" in page and "better" in page and "12.5 [11.9, 13.1]" in page


def test_html_is_self_contained_with_changed_images(regression: Comparison) -> None:
    page = comparison_html(regression)
    images = re.findall(r'<img src="([^"]*)"', page)
    groups = changes_by_check(regression.changes)
    assert len(groups) > 1  # noise flips other checks' images too
    expected = sum(min(MAX_HTML_CHANGES_PER_CHECK, len(g)) for g in groups.values())
    assert len(images) == 2 * expected
    assert all(src.startswith("data:image/jpeg;base64,") for src in images)
    assert not re.search(r'(src|href)="https?:', page)
    assert "REGRESSION" in page


def test_html_leads_with_the_regressed_checks_images(regression: Comparison) -> None:
    page = comparison_html(regression)
    headings = re.findall(r'<h3 class="check-changes">(\w+)( <span[^>]*>\(regressed\))?', page)
    assert headings[0][0] == "object_count" and headings[0][1]
    assert not any(flag for _, flag in headings[1:])
    # every check with changes gets its own heading, each check once
    assert [h for h, _ in headings] == list(changes_by_check(regression.changes))


def test_html_folds_the_provenance_both_runs_share(regression: Comparison) -> None:
    page = comparison_html(regression)
    shown, _, folded = page.partition("<h2>Provenance</h2>")[2].partition("<details>")
    assert "packages.torch<" in folded and "packages.torch<" not in shown
    assert "identical in every run" in folded


def test_html_report_shows_its_images_in_chromium(
    regression: Comparison, browser: Browser, tmp_path: Path, artifacts_dir: Path
) -> None:
    path = tmp_path / "report.html"
    path.write_text(comparison_html(regression), encoding="utf-8")
    page = browser.new_page()
    try:
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        widths = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
        assert widths and all(w > 0 for w in widths)
        assert "REGRESSION" in page.inner_text("#gate-status")
        assert page.locator("tr.regressed").count() == len(regression.regressions)
        page.screenshot(path=str(artifacts_dir / "compare-report.png"), full_page=False)
    finally:
        page.close()


def test_html_escapes_what_users_wrote(comparison_store: Path) -> None:
    base, cand = load_runs(["base", "worse"], comparison_store)
    cand.rows = [
        replace(row, prompt="<script>alert(1)</script>", reason='"><img src=x onerror=alert(1)>')
        for row in cand.rows
    ]
    page = comparison_html(compare_runs(base, cand, Gate()))
    assert "<script>alert" not in page and "onerror=alert(1)>" not in page
    assert "&lt;script&gt;" in page


def test_markdown_keeps_what_users_wrote_inert(comparison_store: Path) -> None:
    from markdown_it import MarkdownIt

    base, cand = load_runs(["base", "worse"], comparison_store)
    cand.label = "cand|<b>bold</b>"
    cand.run = replace(cand.run, model='<img src=x onerror="alert(1)">')
    category = "[click](https://evil.example) ![px](https://evil.example/p.png) **x** `y`"
    cand.rows = [replace(r, category=category) for r in cand.rows]
    base.rows = [replace(r, category=category) for r in base.rows]
    text = comparison_markdown(compare_runs(base, cand, Gate()))
    page = MarkdownIt("commonmark").enable("table").render(text)
    assert "<img" not in page and "<a " not in page and "<b>" not in page
    assert "<code>" not in page and "<strong>x</strong>" not in page
    assert "&lt;img src=x" in page and "[click](https://evil.example)" in page
    assert "<strong>regressed</strong>" in page  # our own emphasis still renders
    for table in re.findall(r"<table>.*?</table>", page, flags=re.S):
        widths = {
            len(re.findall(r"<t[hd][ >]", row))
            for row in re.findall(r"<tr>.*?</tr>", table, flags=re.S)
        }
        assert len(widths) == 1, widths  # no user text split a row into extra cells
