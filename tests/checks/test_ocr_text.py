"""OCR text check: metrics and verdicts on given boxes, then the real EasyOCR reader on signs
rendered with the DejaVu fonts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from t2iqa.benchmarks.qa_samples import FONT_DIRS, render_sign
from t2iqa.checks.base import ImageUnderTest, run_check
from t2iqa.checks.ocr_engine import frame_mask
from t2iqa.checks.ocr_text import (
    Normalisation,
    OcrTextCheck,
    TextBox,
    UnexpectedTextCheck,
    align,
    ned,
    reading_order,
    score_text,
)
from t2iqa.core.expectations import Expectations
from t2iqa.core.prompts import PromptSpec
from t2iqa.core.results import NOT_APPLICABLE, OK, UNAVAILABLE
from tests.conftest import require_system_files


def spec(text: str | None, prompt: str = "a sign") -> PromptSpec:
    return PromptSpec("p", prompt, "text", None, Expectations(text=text), "suite")


def box(text: str, x: float, y: float, w: float = 100, h: float = 30, conf: float = 0.9) -> TextBox:
    return TextBox(((x, y), (x + w, y), (x + w, y + h), (x, y + h)), text, conf)


def item(image: Image.Image, text: str | None, prompt: str = "a sign") -> ImageUnderTest:
    return ImageUnderTest(image, "hash", spec(text, prompt))


# ------------------------------------------------------------------ metrics


def test_align_counts_distance_and_matches() -> None:
    assert align("OPEN", "OPFN") == (1, 3)
    assert align("OPEN", "") == (4, 0)
    assert align("abc", "abc") == (0, 3)
    assert ned("OPEN", "OPFN") == 0.25
    assert ned("", "") == 0.0


@pytest.mark.parametrize(
    ("options", "expected", "read", "equal"),
    [
        ({}, "OPEN", "open", True),
        ({"case_sensitive": True}, "OPEN", "open", False),
        ({}, "HELLO, WORLD!", "HELLO WORLD", False),
        ({"strict_punctuation": True}, "HELLO, WORLD!", "HELLO WORLD", False),
        ({"ignore_punctuation": True}, "HELLO, WORLD!", "HELLO WORLD", True),
        ({}, "ＯＰＥＮ ﬁle", "OPEN file", True),
        ({"nfkc": False}, "ＯＰＥＮ ﬁle", "OPEN file", False),
        ({}, "OPEN \n NOW", "OPEN NOW", True),
        ({"collapse_whitespace": False}, "OPEN  NOW", "OPEN NOW", False),
        ({}, "“Hi”", '"Hi"', True),
    ],
)
def test_normalisation_options(options: dict, expected: str, read: str, equal: bool) -> None:
    norm = Normalisation(**options)
    assert (norm.apply(expected) == norm.apply(read)) is equal


def test_reading_order_lines_then_left_to_right() -> None:
    boxes = [box("NOW", 10, 100), box("24/7", 200, 12), box("OPEN", 10, 10)]
    lines = reading_order(boxes)
    assert [[b.text for b in line] for line in lines] == [["OPEN", "24/7"], ["NOW"]]


def test_text_split_over_boxes_is_joined_and_located() -> None:
    s = score_text("OPEN 24/7", [box("24/7", 200, 10), box("OPEN", 10, 12)], Normalisation())
    assert s.exact and s.ned == 0
    assert [w["box"] for w in s.words] == [1, 0]  # where each expected word was found
    s = score_text("OPEN", [box("OP", 10, 10), box("EN", 60, 10)], Normalisation())
    assert s.words[0]["found"] and s.words[0]["read_as"] == "open"


def test_char_precision_recall() -> None:
    s = score_text("OPEN", [box("OPEN NOW", 0, 0)], Normalisation())
    assert s.char_recall == 1.0
    assert s.char_precision == pytest.approx(4 / 8)
    assert s.extra_words == ["now"]
    assert s.word_recall == 1.0


@pytest.mark.parametrize(
    ("boxes", "verdict", "reason"),
    [
        ([box("OPEN", 0, 0)], OK, 'expected "OPEN", read "OPEN" (NED 0.00)'),
        ([box("OPFN", 0, 0)], "misspelled", 'expected "OPEN", read "OPFN" (NED 0.25)'),
        ([], "missing_text", 'expected "OPEN", read no text'),
        ([box("OPEN", 0, 0), box("NOW", 120, 0)], "extra_text", 'extra "now"'),
    ],
)
def test_verdicts_and_reasons(boxes: list[TextBox], verdict: str, reason: str) -> None:
    check = OcrTextCheck()
    result = check.judge(item(Image.new("RGB", (64, 64)), "OPEN"), boxes)
    assert result.verdict == verdict
    assert reason in result.reason
    assert result.passed is (verdict == OK)
    assert len(result.details["overlay"]) == len(boxes)


def test_missing_word_is_missing_not_misspelled() -> None:
    result = OcrTextCheck().judge(
        item(Image.new("RGB", (64, 64)), "OPEN 24/7"), [box("OPEN", 0, 0)]
    )
    assert result.verdict == "missing_text"
    assert 'missing "24/7"' in result.reason


def test_max_ned_tolerates_near_misses() -> None:
    check = OcrTextCheck(OcrTextCheck.Config(max_ned=0.3))
    assert check.judge(item(Image.new("RGB", (64, 64)), "OPEN"), [box("OPFN", 0, 0)]).passed


def test_low_confidence_boxes_ignored_when_asked() -> None:
    check = OcrTextCheck(OcrTextCheck.Config(min_confidence=0.5))
    boxes = [box("OPEN", 0, 0), box("xq", 120, 0, conf=0.1)]
    assert check.judge(item(Image.new("RGB", (64, 64)), "OPEN"), boxes).verdict == OK


def test_other_scripts_are_unavailable_not_failed() -> None:
    results = run_check(OcrTextCheck(), [item(Image.new("RGB", (64, 64)), "开门")])
    assert results[0].verdict == UNAVAILABLE
    assert results[0].score is None and "script" in results[0].reason


def test_applies_only_to_prompts_asking_for_text() -> None:
    blank = Image.new("RGB", (64, 64))
    assert run_check(OcrTextCheck(), [item(blank, None)])[0].verdict == NOT_APPLICABLE
    assert run_check(UnexpectedTextCheck(), [item(blank, "OPEN")])[0].verdict == NOT_APPLICABLE


def test_missing_weights_say_so(tmp_path: Path) -> None:
    check = OcrTextCheck(OcrTextCheck.Config(model_dir=str(tmp_path)))
    result = check.check(item(Image.new("RGB", (64, 64)), "OPEN"))
    assert result.verdict == UNAVAILABLE and result.score is None
    assert "craft_mlt_25k.pth" in result.reason


def test_malicious_weights_are_refused_before_easyocr_unpickles_them(tmp_path: Path) -> None:
    import torch

    from tests.evaluate.core.test_weights import malicious_weights

    marker = malicious_weights(tmp_path, "craft_mlt_25k.pth")[1]
    torch.save({"w": torch.zeros(1)}, tmp_path / "english_g2.pth")
    check = OcrTextCheck(OcrTextCheck.Config(model_dir=str(tmp_path)))
    result = check.check(item(Image.new("RGB", (64, 64)), "OPEN"))
    assert result.verdict == UNAVAILABLE and "refused to load" in result.reason, result
    assert "craft_mlt_25k.pth" in result.reason and not marker.exists()


# ------------------------------------------------------------------ the real reader


@pytest.fixture(scope="module")
def fonts() -> None:
    require_system_files([FONT_DIRS[0] / "DejaVuSans-Bold.ttf"], "fonts-dejavu-core")


def ocr(image: Image.Image, expected: str | None, **options: object) -> object:
    check = (OcrTextCheck if expected else UnexpectedTextCheck)(
        (OcrTextCheck if expected else UnexpectedTextCheck).Config(**options)
    )
    return run_check(check, [item(image, expected)])[0]


@pytest.mark.usefixtures("fonts")
@pytest.mark.parametrize(
    ("rendered", "expected", "verdict", "reason"),
    [
        ("OPEN 24/7", "OPEN 24/7", OK, 'read "OPEN 24/7"'),
        ("OPFN 24/7", "OPEN 24/7", "misspelled", 'read "OPFN 24/7" (NED 0.11)'),
        ("OPEN", "OPEN 24/7", "missing_text", 'missing "24/7"'),
        ("", "OPEN 24/7", "missing_text", "read no text"),
        ("OPEN 24/7\nNOW", "OPEN 24/7", "extra_text", 'extra "now"'),
        ("COFFEE\nSHOP", "Coffee Shop", OK, 'read "COFFEE SHOP"'),
    ],
)
def test_rendered_signs(rendered: str, expected: str, verdict: str, reason: str) -> None:
    result = ocr(render_sign(rendered), expected)
    assert result.verdict == verdict, result.reason
    assert reason in result.reason


@pytest.mark.usefixtures("fonts")
@pytest.mark.parametrize(
    ("rendered", "expected", "options", "passes"),
    [
        ("Open", "OPEN", {}, True),
        ("Open", "OPEN", {"case_sensitive": True}, False),
        ("SALE, NOW", "SALE NOW", {}, True),  # a comma nobody asked for: tolerated
        ("SALE, NOW", "SALE NOW", {"strict_punctuation": True}, False),
        ("SALE NOW", "SALE, NOW", {}, False),  # the comma asked for is missing
        ("SALE NOW", "SALE, NOW", {"ignore_punctuation": True}, True),
        ("OPEN", "ＯＰＥＮ", {}, True),
        ("OPEN", "ＯＰＥＮ", {"nfkc": False}, False),
        ("OPEN NOW", "OPEN  NOW", {}, True),
        ("OPEN NOW", "OPEN  NOW", {"collapse_whitespace": False}, False),
    ],
)
def test_rendered_normalisation(rendered: str, expected: str, options: dict, passes: bool) -> None:
    result = ocr(render_sign(rendered), expected, **options)
    assert result.passed is passes, result.reason


@pytest.mark.usefixtures("fonts")
def test_unexpected_text_flagged() -> None:
    flagged = ocr(render_sign("SALE TODAY"), None)
    assert flagged.verdict == "unexpected_text" and "SALE TODAY" in flagged.reason
    assert flagged.details["overlay"][0]["label"].startswith("unexpected")
    clean = ocr(render_sign(""), None)
    assert clean.verdict == OK


# ------------------------------------------------------------------ what a reader sees


@pytest.mark.parametrize(
    ("expected", "read", "equal"),
    [
        ("Book Club", "Book Club_", True),  # a frame's bottom edge read as "_"
        ("Welcome Home", "Welcome_Home", True),  # a space read as "_"
        ("Night Market", "Night Market]", True),  # a frame's side read as "]"
        ("file_name", "file name", False),  # an underscore asked for must be there
        ("Wow!", "Wow", False),  # punctuation asked for must be there
        ("Wow", "W.ow", True),  # a stray mark inside a word: the letters are right
        ("Wow", "Wov", False),
    ],
)
def test_reading_tolerates_only_unasked_punctuation(expected: str, read: str, equal: bool) -> None:
    norm = Normalisation()
    asked = norm.apply(expected)
    assert (norm.apply(read, asked) == asked) is equal


def test_strict_punctuation_counts_every_mark() -> None:
    strict = Normalisation(strict_punctuation=True)
    assert strict.apply("Book Club]", strict.apply("Book Club")) == "book club]"


def framed_sign(text: str, pad: int, width: int) -> np.ndarray:
    """A sign with a rectangle drawn ``pad`` px clear of its letters' ink."""
    image = render_sign(text, (560, 260), 56)
    rgb = np.asarray(image)
    rows, cols = np.nonzero(np.abs(rgb.astype(int) - rgb[0, 0]).sum(axis=2) > 200)
    out = pad + width  # PIL draws the outline inward
    frame = (cols.min() - out, rows.min() - out, cols.max() + out, rows.max() + out)
    ImageDraw.Draw(image).rectangle(frame, outline=(25, 25, 30), width=width)
    return np.asarray(image)


@pytest.mark.usefixtures("fonts")
def test_frame_mask_finds_the_frame_and_no_letter() -> None:
    rgb = framed_sign("HELLO", pad=10, width=6)
    mask = frame_mask(rgb, line_height=60)
    ink = np.abs(rgb.astype(int) - rgb[0, 0].astype(int)).sum(axis=2) > 200
    # The frame is a rectangle's outline: its mask is empty inside, where the letters are.
    rows, cols = np.nonzero(mask)
    inside = mask[rows.min() + 10 : rows.max() - 10, cols.min() + 10 : cols.max() - 10]
    assert not inside.any()
    assert mask.sum() > 0.9 * (
        ink.sum() - ink[rows.min() + 10 : rows.max() - 10, cols.min() + 10 : cols.max() - 10].sum()
    )


@pytest.mark.usefixtures("fonts")
def test_frame_mask_leaves_an_unframed_sign_alone() -> None:
    assert not frame_mask(np.asarray(render_sign("HELLO WORLD, 24/7")), line_height=60).any()


@pytest.mark.usefixtures("fonts")
def test_framed_sign_is_judged_on_its_letters() -> None:
    rgb = framed_sign("QUIET", pad=7, width=8)
    result = ocr(Image.fromarray(rgb), "QUIET")
    assert result.passed, result.reason
    wrong = ocr(Image.fromarray(framed_sign("QUIFT", pad=7, width=8)), "QUIET")
    assert wrong.passed is False, wrong.reason
