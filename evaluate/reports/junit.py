"""JUnit XML (Apache Ant format) for CI servers: one test case per check and category."""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET
from datetime import datetime

from t2iqa.comparison.compare import (
    INCOMPARABLE,
    REGRESSED,
    CellComparison,
    Comparison,
    SetMetricComparison,
)
from t2iqa.reports.base import ReportFormat
from t2iqa.reports.common import fmt_difference, fmt_set_difference, fmt_tolerance


class JUnitReport(ReportFormat):
    name = "junit"
    suffix = ".xml"
    description = "JUnit XML: check x category test cases (a gate only)"
    ranks = False

    def comparison(self, cmp: Comparison) -> str:
        return comparison_junit(cmp)


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
