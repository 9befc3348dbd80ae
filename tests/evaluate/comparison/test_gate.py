from __future__ import annotations

from pathlib import Path

import pytest

from t2iqa.comparison.gate import DEFAULT_PASS_RATE_TOLERANCE, Gate, gate_from_dict, load_gate
from t2iqa.core.errors import SuiteError, T2IQAError


def test_defaults_without_a_file() -> None:
    gate = load_gate(None)
    assert gate == Gate()
    assert gate.for_check("ocr_text").measure == "pass_rate"
    assert gate.for_check("ocr_text").tolerance == DEFAULT_PASS_RATE_TOLERANCE
    assert gate.for_check("clip_alignment").measure == "score"
    assert gate.for_check("unexpected_text").gate is False
    assert gate.for_set_metric("fid").tolerance > 0


def test_a_gate_file_overrides_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "gate.yaml"
    path.write_text(
        "confidence: 0.9\nresamples: 500\non_incomparable: warn\n"
        "allow_differences: [hardware]\n"
        "checks:\n  ocr_text: {tolerance: 0.1, categories: [text]}\n"
        "  hand_anatomy: {measure: score}\n"
        "set_metrics:\n  fid: {tolerance: 5}\n",
        encoding="utf-8",
    )
    gate = load_gate(path)
    assert (gate.confidence, gate.resamples, gate.on_incomparable) == (0.9, 500, "warn")
    assert gate.for_check("ocr_text").tolerance == 0.1
    assert gate.for_check("ocr_text").categories == ("text",)
    assert gate.for_check("hand_anatomy").measure == "score"
    assert gate.for_check("clip_alignment").measure == "score"  # default kept
    assert gate.for_set_metric("fid").tolerance == 5.0
    assert gate.allow_differences == ("hardware",)
    assert gate_from_dict(gate.to_dict()) == gate  # round trip


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(SuiteError) as info:
        gate_from_dict(
            {
                "confidence": 2,
                "resamples": 10,
                "colour": "red",
                "on_incomparable": "maybe",
                "checks": {"no_such_check": {}, "ocr_text": {"measure": "median", "tolerance": -1}},
                "set_metrics": {"fid": {"tolerance": "big"}, "isc": {}},
            },
            "gate.yaml",
        )
    text = str(info.value)
    for expected in ("confidence", "resamples", "colour", "on_incomparable", "no_such_check",
                     "median", "tolerance", "isc"):  # fmt: skip
        assert expected in text, expected
    assert len(info.value.problems) >= 8


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(T2IQAError, match="does not exist"):
        load_gate(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("checks: [unclosed", encoding="utf-8")
    with pytest.raises(SuiteError, match="invalid YAML at line"):
        load_gate(bad)
    listy = tmp_path / "list.yaml"
    listy.write_text("- a\n", encoding="utf-8")
    with pytest.raises(SuiteError, match="mapping"):
        load_gate(listy)
