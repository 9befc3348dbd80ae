"""Options are checked against each Config field's declared type and bounds when parsed,
before any image is made, with every problem listed at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from t2iqa.checks import build_checks, build_set_metrics
from t2iqa.checks.options import OptionsError
from tests.evaluate.test_cli import cli


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"image_sanity": {"black_mean": -1}}, "black_mean=-1: Input should be greater than"),
        ({"image_sanity": {"blank_std": "abc"}}, "blank_std='abc': Input should be a valid number"),
        (
            {"image_sanity": {"check_size": "maybe"}},
            "check_size='maybe': Input should be a valid boolean",
        ),
        ({"ocr_text": {"max_ned": float("nan")}}, "max_ned=nan: Input should be a finite number"),
        ({"ocr_text": {"max_ned": [1, 2]}}, "max_ned=[1, 2]: Input should be a valid number"),
        ({"ocr_text": {"max_ned": 1.5}}, "max_ned=1.5: Input should be less than or equal to 1"),
        (
            {"hand_anatomy": {"min_score": "high"}},
            "min_score='high': Input should be a valid number",
        ),
        ({"hand_anatomy": {"count_rule": "most"}}, "Input should be 'exact' or 'at_least'"),
        (
            {"hand_anatomy": {"max_hands": 0}},
            "max_hands=0: Input should be greater than or equal to 1",
        ),
        ({"object_count": {"backend": "detr"}}, "Input should be 'owl', 'mask2former' or 'yolo'"),
        (
            {"clip_alignment": {"batch_size": 2.5}},
            "batch_size=2.5: Input should be a valid integer",
        ),
    ],
)
def test_a_bad_option_is_named_with_what_it_should_be(
    options: dict[str, dict[str, object]], problem: str
) -> None:
    with pytest.raises(OptionsError) as info:
        build_checks(None, options)
    assert problem in str(info.value)


def test_good_options_are_typed() -> None:
    [sanity, ocr] = build_checks(
        ["image_sanity", "ocr_text"],
        {"image_sanity": {"blank_std": "3", "check_size": "false"}, "ocr_text": {"max_ned": 0}},
    )
    assert sanity.config.blank_std == 3.0 and sanity.config.check_size is False
    assert ocr.config.max_ned == 0.0
    [kid] = build_set_metrics(["kid"], {"kid": {"subsets": 10, "feature_extractor": "embedded"}})
    assert kid.config.subsets == 10


def test_every_problem_is_listed_before_any_work(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    store = tmp_path / "store"
    code, _, err = cli(
        monkeypatch, capsys, "run", "--suite", "smoke", "--scorers", "embedded",
        "--store", str(store),
        "--check-option", "image_sanity.black_mean=-1",
        "--check-option", "image_sanity.blank_std=-1",
        "--check-option", "ocr_text.max_ned=NaN",
        "--set-metric", "kid", "--set-option", "kid.subsets=0",
    )  # fmt: skip
    text = " ".join(err.split())
    assert code == 2 and "4 problem(s) with check or metric options" in text
    for name in ("black_mean=-1", "blank_std=-1", "max_ned=nan", "subsets=0"):
        assert name in text
    assert "Traceback" not in err and not store.exists()  # nothing generated, nothing stored
