from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from t2iqa.comparison.compare import (
    INCOMPARABLE,
    REGRESSED,
    UNCHANGED,
    compare_runs,
    resamples_for_family,
)
from t2iqa.comparison.gate import Gate, gate_from_dict
from t2iqa.comparison.leaderboard import leaderboard, pairwise_pvalue
from t2iqa.comparison.runs import load_run, load_runs, values_by_image
from t2iqa.comparison.stats import holm
from t2iqa.core.errors import StoreError, T2IQAError
from tests.conftest import core_images


@pytest.fixture
def store(comparison_store: Path) -> Path:
    return comparison_store


def cells(cmp, check: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {c.category: c for c in cmp.cells if c.check == check}


def test_identical_runs_never_regress(store: Path) -> None:
    base, same = load_runs(["base", "same"], store)
    cmp = compare_runs(base, same, Gate())
    assert cmp.paired and not cmp.failed and not cmp.changes
    assert {c.verdict for c in cmp.cells} == {UNCHANGED}
    assert all(c.difference.ci_low == c.difference.ci_high == 0 for c in cmp.cells)


def test_a_rerun_with_fresh_noise_is_not_called_a_regression(store: Path) -> None:
    cmp = compare_runs(*load_runs(["base", "rerun"], store), Gate())
    assert not cmp.regressions
    assert cmp.changes  # noise does flip single images, and they are listed


def test_a_planted_regression_is_detected_where_it_was_planted(store: Path) -> None:
    cmp = compare_runs(*load_runs(["base", "worse"], store), Gate())
    assert cmp.failed
    count = cells(cmp, "object_count")
    assert count["all"].verdict == REGRESSED
    assert count["counting"].verdict == REGRESSED
    assert count["all"].difference.ci_high < -0.02
    others = [c for c in cmp.regressions if getattr(c, "check", None) != "object_count"]
    assert not others
    # The evidence comes first: object_count's newly failing images, then the other newly
    # failing ones (noise), then the newly passing ones.
    ranks = [
        0 if c.newly_failing and c.check == "object_count" else 1 if c.newly_failing else 2
        for c in cmp.changes
    ]
    assert ranks == sorted(ranks) and ranks[0] == 0 and {1, 2} <= set(ranks)


def test_too_few_resamples_for_holm_are_raised_not_a_silent_pass(store: Path) -> None:
    # 100 resamples: no p-value below 1/101, and Holm over 19 gated cells multiplies the
    # smallest by 19: without the raise, no cell could ever regress.
    assert resamples_for_family(19, 0.025, 100) == 1520
    assert resamples_for_family(19, 0.025, 5000) == 5000
    cmp = compare_runs(*load_runs(["base", "worse"], store), Gate(resamples=100))
    assert cells(cmp, "object_count")["all"].verdict == REGRESSED
    # the family is counted before the cells exist: an upper bound on the 19 judged ones
    assert cmp.gate.resamples >= 1520
    assert any(f"resamples raised from 100 to {cmp.gate.resamples}" in w for w in cmp.warnings)
    default = compare_runs(*load_runs(["base", "worse"], store), Gate())
    assert not any("resamples raised" in w for w in default.warnings)


def test_a_run_that_is_not_complete_is_said_to_be(store: Path) -> None:
    base, cand = load_runs(["base", "worse"], store)
    assert not any("planned images" in w for w in compare_runs(base, cand, Gate()).warnings)
    cand.run = replace(cand.run, status="interrupted")
    cand.rows = [r for r in cand.rows if r.seed == 0]  # half of its images
    warnings = compare_runs(base, cand, Gate()).warnings
    assert (
        f"worse was interrupted: {core_images() // 2} of its {core_images()} planned images"
        in " ".join(warnings)
    )
    board = leaderboard([base, cand], Gate())
    assert any(w.startswith("worse was interrupted") for w in board.warnings)


def test_the_same_change_read_the_other_way_is_an_improvement(store: Path) -> None:
    cmp = compare_runs(*load_runs(["worse", "base"], store), Gate())
    assert not cmp.failed
    assert cells(cmp, "object_count")["all"].verdict == "improved"


def test_tolerance_and_ungated_checks_decide_the_gate(store: Path) -> None:
    loose = gate_from_dict({"checks": {"object_count": {"tolerance": 0.9}}})
    cmp = compare_runs(*load_runs(["base", "worse"], store), loose)
    assert cells(cmp, "object_count")["all"].verdict == UNCHANGED
    ungated = gate_from_dict({"checks": {"object_count": {"gate": False}}})
    cmp = compare_runs(*load_runs(["base", "worse"], store), ungated)
    assert cells(cmp, "object_count")["all"].verdict == REGRESSED
    assert not cmp.failed


def test_runs_on_different_suites_are_compared_unpaired_and_say_so(store: Path) -> None:
    cmp = compare_runs(*load_runs(["base", "smoke"], store), Gate())
    assert not cmp.paired
    assert cmp.warnings[0].startswith("UNPAIRED")
    assert not cmp.changes
    assert all(c.difference is None or c.difference.n_images > 0 for c in cmp.cells)


def test_a_different_scorer_makes_results_incomparable(store: Path) -> None:
    base, cand = load_runs(["base", "same"], store)
    cand.run.provenance["packages"]["easyocr"] = "9.9.9"
    cand.checks["hand_anatomy"] = {**cand.checks["hand_anatomy"], "config_hash": "other"}
    cmp = compare_runs(base, cand, Gate())
    verdicts = {(c.check, c.verdict) for c in cmp.cells}
    assert ("ocr_text", INCOMPARABLE) in verdicts and ("hand_anatomy", INCOMPARABLE) in verdicts
    assert ("object_count", UNCHANGED) in verdicts
    assert cmp.failed
    assert any("INCOMPARABLE" in w and "packages.easyocr" in w for w in cmp.warnings)
    assert not compare_runs(base, cand, gate_from_dict({"on_incomparable": "warn"})).failed
    allowed = gate_from_dict({"allow_differences": ["packages.easyocr", "checks.hand_anatomy"]})
    assert not compare_runs(base, cand, allowed).incomparable


def test_environment_differences_warn_without_failing(store: Path) -> None:
    base, cand = load_runs(["base", "same"], store)
    cand.run.provenance["hardware"]["gpu"] = "Some GPU"
    cmp = compare_runs(base, cand, Gate())
    assert not cmp.failed
    assert any("hardware.gpu" in w for w in cmp.warnings)


def test_leaderboard_ranks_runs_with_holm_corrected_tests(store: Path) -> None:
    runs = load_runs(["worse", "base", "better"], store)
    board = leaderboard(runs, Gate())
    cell = next(c for c in board.cells if c.check == "object_count" and c.category == "all")
    assert cell.ranking() == ["better", "base", "worse"]
    assert cell.best == ("better",)
    raw = []
    for a, b in cell.adjusted_p:
        ra, rb = (next(r for r in runs if r.label == x) for x in (a, b))
        va = values_by_image(ra.rows, "object_count", "pass_rate", "all")
        vb = values_by_image(rb.rows, "object_count", "pass_rate", "all")
        raw.append(pairwise_pvalue(va, vb, True, 0, Gate().resamples))
    assert list(cell.adjusted_p.values()) == pytest.approx(holm(raw))
    sanity = next(c for c in board.cells if c.check == "image_sanity" and c.category == "all")
    assert len(sanity.best) >= 2  # no real difference: a tie, not a winner by noise


def test_run_references(store: Path) -> None:
    assert load_run(f"{store}:base", Path("elsewhere")).run.run_id == "base"
    with pytest.raises(T2IQAError, match="holds 6 runs"):
        load_run(str(store), Path("elsewhere"))
    with pytest.raises(StoreError, match="no run 'nope'"):
        load_run("nope", store)
    with pytest.raises(T2IQAError, match="named twice"):
        load_runs(["base", f"{store}:base"], store)


def test_holm_over_gated_cells_keeps_chance_regressions_out() -> None:
    from t2iqa.comparison.compare import CellComparison, apply_holm

    def cell(name: str, p: float, gated: bool = True) -> CellComparison:
        return CellComparison(name, "all", "pass_rate", None, None, None, 0.02, gated,
                              UNCHANGED, "", p, 1.0)  # fmt: skip

    # Alone, p = 0.01 is an interval below −tolerance; among three gated cells it is not.
    alone = apply_holm([cell("a", 0.01)], 0.95)
    assert alone[0].verdict == REGRESSED
    three = apply_holm([cell("a", 0.01), cell("b", 0.01), cell("c", 0.01)], 0.95)
    assert {c.verdict for c in three} == {UNCHANGED}
    assert "not after Holm over 3 gated results" in three[0].note
    # ungated cells are judged but do not enlarge the family
    mixed = apply_holm([cell("a", 0.001), cell("b", 0.01, gated=False)], 0.95)
    assert mixed[0].verdict == REGRESSED and mixed[0].p_regressed == pytest.approx(0.001)


def test_set_metrics_are_judged_by_their_intervals(store: Path) -> None:
    from t2iqa.core.results import SetResult

    base, cand = load_runs(["base", "same"], store)
    details = {"feature_extractor": "inception", "resize_mode": "clean", "reference": "coco"}
    base.set_results["fid"] = SetResult("fid", 20.0, 2000, 19.0, 21.0, dict(details))
    base.set_results["kid"] = SetResult("kid", 0.01, 2000, 0.009, 0.011, dict(details))
    cand.set_results["fid"] = SetResult("fid", 26.0, 2000, 25.0, 27.0, dict(details))
    cand.set_results["kid"] = SetResult("kid", 0.0101, 2000, 0.0091, 0.0111, dict(details))
    cmp = compare_runs(base, cand, Gate())
    by_metric = {s.metric: s for s in cmp.set_metrics}
    assert by_metric["fid"].verdict == REGRESSED  # +6 [4.6, 7.4], tolerance 2: lower is better
    assert by_metric["kid"].verdict == UNCHANGED
    assert cmp.failed
    cand.set_results["fid"] = SetResult("fid", 14.0, 2000, 13.0, 15.0, dict(details))
    assert {s.metric: s for s in compare_runs(base, cand, Gate()).set_metrics}[
        "fid"
    ].verdict == "improved"
    legacy = {**details, "resize_mode": "legacy"}
    cand.set_results["fid"] = SetResult("fid", 20.0, 2000, 19.0, 21.0, legacy)
    cmp = compare_runs(base, cand, Gate())
    assert {s.metric: s.verdict for s in cmp.set_metrics}["fid"] == INCOMPARABLE
    assert any("set_metrics.fid.resize_mode" in w for w in cmp.warnings)
    del cand.set_results["kid"]
    cmp = compare_runs(base, cand, Gate())
    assert {s.metric: s.verdict for s in cmp.set_metrics}["kid"] == "no data"
    # A metric one run lacks is missing, not scored differently: no INCOMPARABLE warning.
    assert not any("kid" in w for w in cmp.warnings)
    assert not any("kid" in w for w in leaderboard([base, cand], Gate()).warnings)
