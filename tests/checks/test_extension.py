"""A new check is one class plus one registry line: everything else reads its class.

The check below is defined here and registered with one line (no other file touched). It
then shows in `t2iqa run`, `t2iqa check`, compare and the gate (with its own direction,
measure and tolerance), the reports and the dashboard's tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import t2iqa
from t2iqa.checks import REGISTRY
from t2iqa.checks.base import Check, ImageUnderTest
from t2iqa.comparison.compare import REGRESSED
from t2iqa.comparison.gate import CheckGate, Gate
from t2iqa.core.results import OK, CheckResult
from t2iqa.dashboard.data import leaderboard_frame
from t2iqa.reports.html import comparison_html
from t2iqa.reports.markdown import comparison_markdown
from t2iqa.suites.files import load_suite


class GlareCheck(Check):
    """Mean brightness as glare: lower is better, judged on its mean score, warn-only."""

    name = "glare"
    version = "1"
    description = "share of the image's brightness (lower is better)"
    higher_is_better = False
    gate_measure = "score"
    gate_tolerance = 0.05
    blocking = False

    @dataclass(frozen=True)
    class Config:
        max_glare: float = 0.5

    def check(self, item: ImageUnderTest) -> CheckResult:
        glare = float(np.asarray(item.image, dtype=np.float64).mean() / 255)
        ok = glare <= self.config.max_glare
        return self.result(OK if ok else "glare", ok, glare, f"brightness {glare:.2f}")


@pytest.fixture
def glare_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(REGISTRY, "glare", GlareCheck)  # the one registry line


def import_folder(root: Path, name: str, grey: int) -> Path:
    folder = root / name
    folder.mkdir()
    for p in load_suite("smoke").prompts:
        Image.new("RGB", (64, 64), (grey, grey, grey)).save(folder / f"{p.id}.png")
    return folder


def test_a_new_check_flows_through_every_stage(tmp_path: Path, glare_registered: None) -> None:
    store = tmp_path / "store"
    for run_id, grey in (("dim", 40), ("bright", 220)):
        folder = import_folder(tmp_path, run_id, grey)
        t2iqa.run(model=run_id, images=folder, checks=["image_sanity", "glare"], store=store,
                  run_id=run_id)  # fmt: skip

    # the gate's default comes from the class
    assert Gate().for_check("glare") == CheckGate(measure="score", tolerance=0.05, gate=True)
    cmp = t2iqa.compare("dim", "bright", store=store)
    cell = next(c for c in cmp.cells if c.check == "glare" and c.category == "all")
    assert (cell.measure, cell.tolerance) == ("score", 0.05)
    assert cell.difference is not None and cell.difference.value > 0.6
    assert cell.verdict == REGRESSED and cmp.failed  # brighter is worse: its direction
    reverse = t2iqa.compare("bright", "dim", store=store)
    assert not reverse.failed  # darker is an improvement, never a regression

    assert "glare" in comparison_markdown(cmp) and "glare" in comparison_html(cmp)
    board, _ = leaderboard_frame(store, ["dim", "bright"], resamples=200)
    glare = board[(board["check"] == "glare") & (board["category"] == "all")]
    assert set(glare["run"]) == {"dim", "bright"}
    assert glare[glare["best"]]["run"].tolist() == ["dim"]  # lowest glare ranks best

    image = tmp_path / "bright" / f"{load_suite('smoke').prompts[0].id}.png"
    report = t2iqa.check(image, prompt="a lamp", policy={"checks": ["glare"]})
    [verdict] = report.verdicts
    assert verdict.verdict == "pass"  # warn-only by its class: a failure is a warning
    assert verdict.warnings and "glare" in verdict.warnings[0]
