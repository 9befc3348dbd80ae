"""A held-out set for the OCR check: rendered signs, half with one planted error, and the
verdict accuracy of ``ocr_text`` under its default options and every policy the README shows.

Signs are drawn with our own code in eight DejaVu faces, with the things real signs and
generated images have around text: frames close to the letters, double borders, underlines,
coloured backgrounds, a slight tilt, blur and JPEG. Half the signs carry one planted error of
a kind a generator makes: a letter changed, dropped, doubled or two letters swapped; the right
verdict is then ``fail``, else ``pass``.

Two splits with disjoint phrases and seeds: ``dev`` is the one thresholds and rules may be
looked at on; ``heldout`` (the default) is the one reported in the README, never tuned on. Both
differ from the tests' fixtures (other phrases, other layouts).

    python -m t2iqa.benchmarks.ocr_heldout [--split heldout] [--show-errors]
"""

from __future__ import annotations

import argparse
import io
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from t2iqa.benchmarks.qa_samples import FONT_DIRS

FACES = (
    "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf",
    "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSansCondensed-Bold.ttf",
    "DejaVuSerif-Italic.ttf",
)  # fmt: skip

# Sign texts; the two splits share none. Punctuation and digits are in both on purpose.
PHRASES = {
    "dev": (
        "Fresh Bread",
        "Book Club",
        "Night Market",
        "Welcome Home",
        "Sunset Diner",
        "Open Late",
        "Garden Party",
        "Coffee & Tea",
        "Exit Only",
        "Pet Shop",
        "Happy Birthday!",
        "No Parking",
        "Room 204",
        "Ice Cream",
        "Main Street",
    ),
    "heldout": (
        "Harbor View",
        "Lemonade Stand",
        "Quiet Zone",
        "Bike Repair",
        "Flower Market",
        "Hot Pizza",
        "Farm Eggs",
        "Music Hall",
        "Gate 12",
        "Sale 50% Off",
        "City Library",
        "Bakery",
        "Good Morning!",
        "Wet Paint",
        "Car Wash",
    ),
}
SEEDS = {"dev": 101, "heldout": 2026}
FRAMES = ("none", "box", "tight box", "double box", "underline", "rounded")
ERRORS = ("substitute", "drop", "double", "swap")
POLICIES = {  # name: ocr_text options; every policy the README shows is here
    "default": {},
    "README policy (case_sensitive: false)": {"case_sensitive": False},
    "ignore_punctuation": {"ignore_punctuation": True},
}


@dataclass(frozen=True)
class Case:
    index: int
    face: str
    expected: str  # what the prompt asks for
    drawn: str  # what the sign shows
    error: str  # "none" or the planted kind
    frame: str

    @property
    def right_verdict(self) -> bool:
        return self.error == "none"


def plant(text: str, kind: str, rng: random.Random) -> str:
    """One error of ``kind`` at a letter position; the result always differs in letters."""
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    for _ in range(100):
        i = rng.choice(letters)
        if kind == "substitute":
            pool = "abcdefghijklmnopqrstuvwxyz"
            c = rng.choice([p for p in pool if p != text[i].lower()])
            out = text[:i] + (c.upper() if text[i].isupper() else c) + text[i + 1 :]
        elif kind == "drop":
            out = text[:i] + text[i + 1 :]
        elif kind == "double":
            out = text[:i] + text[i] + text[i:]
        else:  # swap with the next letter
            if i + 1 >= len(text) or not text[i + 1].isalpha() or text[i] == text[i + 1]:
                continue
            out = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        if out.casefold() != text.casefold():
            return out
    raise ValueError(f"cannot plant a {kind} error in {text!r}")


def cases(split: str) -> list[Case]:
    """Every phrase in every face; errors planted in half, spread over faces and kinds."""
    rng = random.Random(SEEDS[split])
    out = []
    for k, (phrase, face) in enumerate(
        (p, f) for p in PHRASES[split] for f in FACES
    ):  # fmt: skip
        error = "none" if (k + k // len(FACES)) % 2 == 0 else ERRORS[(k // 2) % len(ERRORS)]
        drawn = phrase if error == "none" else plant(phrase, error, rng)
        out.append(Case(k, face, phrase, drawn, error, FRAMES[rng.randrange(len(FRAMES))]))
    return out


def font(face: str, size: int) -> ImageFont.FreeTypeFont:
    for folder in FONT_DIRS:
        if (folder / face).is_file():
            return ImageFont.truetype(str(folder / face), size)
    raise FileNotFoundError(f"{face} not found: install Debian's fonts-dejavu-core and -extra")


def render(case: Case) -> Image.Image:
    """The sign: text, its frame, colours, tilt, blur and JPEG, all drawn from the case seed."""
    rng = random.Random(case.index * 7919 + len(case.drawn))
    light = tuple(rng.randrange(190, 250) for _ in range(3))
    dark = tuple(rng.randrange(10, 70) for _ in range(3))
    bg, ink = (light, dark) if rng.random() < 0.7 else (dark, light)
    face = font(case.face, rng.randrange(44, 72))
    size = (rng.randrange(560, 720), rng.randrange(260, 360))
    img = Image.new("RGB", size, bg)
    draw = ImageDraw.Draw(img)
    left, t, r, b = draw.textbbox((0, 0), case.drawn, font=face)
    x, y = (size[0] - (r - left)) / 2 - left, (size[1] - (b - t)) / 2 - t
    draw.text((x, y), case.drawn, font=face, fill=ink)
    _frame(draw, case.frame, (x + left, y + t, x + r, y + b), ink, rng)
    img = img.rotate(rng.uniform(-3, 3), Image.BICUBIC, expand=False, fillcolor=bg)
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0, 1.2)))
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=rng.randrange(60, 95))
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def _frame(draw: ImageDraw.ImageDraw, kind: str, text_box: tuple[float, ...], ink, rng) -> None:
    """A frame ``pad`` px clear of the text's box (PIL draws outlines inward from the
    rectangle given, so the rectangle is grown by the line width)."""
    left, t, r, b = text_box
    width = rng.randrange(3, 9)
    pad = rng.randrange(4, 10) if kind == "tight box" else rng.randrange(14, 36)
    outer = (left - pad - width, t - pad - width, r + pad + width, b + pad + width)
    if kind in ("box", "tight box"):
        draw.rectangle(outer, outline=ink, width=width)
    elif kind == "double box":
        draw.rectangle(outer, outline=ink, width=max(2, width // 2))
        gap = pad + 3 * width
        draw.rectangle((left - gap, t - gap, r + gap, b + gap), outline=ink, width=width)
    elif kind == "underline":
        yy = b + rng.randrange(6, 16)
        draw.line((left, yy, r, yy), fill=ink, width=width)
    elif kind == "rounded":
        draw.rounded_rectangle(outer, radius=pad + width, outline=ink, width=width)


# ---------------------------------------------------------------- scoring


def verdicts(split: str) -> list[tuple[Case, dict[str, tuple[bool, str]]]]:
    """Each case read once by EasyOCR, judged under every policy: (passed, reason)."""
    from t2iqa.checks.ocr_text import OcrTextCheck

    checks = {name: OcrTextCheck.from_options(o) for name, o in POLICIES.items()}
    out = []
    for case in cases(split):
        item = _item(render(case), case.expected)
        boxes = next(iter(checks.values())).read(item)
        judged = {}
        for name, check in checks.items():
            result = check.judge(item, boxes)
            judged[name] = (bool(result.passed), result.reason)
        out.append((case, judged))
    return out


def _item(image: Image.Image, expected: str):  # -> ImageUnderTest
    from t2iqa.checks.base import ImageUnderTest
    from t2iqa.core.expectations import Expectations
    from t2iqa.core.prompts import PromptSpec

    spec = PromptSpec("p", f'a sign that says "{expected}"', "text", None,
                      Expectations(text=expected), "ocr_heldout")  # fmt: skip
    return ImageUnderTest(image, "-", spec)


def table(rows: Sequence[tuple[str, int, int]], title: str) -> list[str]:
    lines = [f"| {title} | right | of | accuracy |", "|---|---:|---:|---:|"]
    lines += [f"| {k} | {right} | {n} | {100 * right / n:.1f}% |" for k, right, n in rows]
    return lines


def report(results: list[tuple[Case, dict[str, tuple[bool, str]]]], show_errors: bool) -> str:
    lines = []
    for policy in POLICIES:
        by_kind, by_face, by_frame = Counter(), Counter(), Counter()
        n_kind, n_face, n_frame = Counter(), Counter(), Counter()
        wrong = []
        for case, judged in results:
            passed, reason = judged[policy]
            ok = passed == case.right_verdict
            for right, n, key in ((by_kind, n_kind, case.error), (by_face, n_face, case.face),
                                  (by_frame, n_frame, case.frame)):  # fmt: skip
                right[key] += ok
                n[key] += 1
            if not ok:
                wrong.append(f"  {case.face} {case.frame}: drew {case.drawn!r}: {reason}")
        total = sum(by_kind.values())
        passed_errors = sum(n_kind[k] - by_kind[k] for k in ERRORS)
        lines += ["", f"## policy: {policy}",
                  f"verdicts right: {total} of {len(results)} "
                  f"({100 * total / len(results):.1f}%); planted errors passed: {passed_errors}",
                  ""]  # fmt: skip
        lines += table([(k, by_kind[k], n_kind[k]) for k in ("none", *ERRORS)], "planted error")
        lines += ["", *table([(k, by_face[k], n_face[k]) for k in FACES], "face")]
        lines += ["", *table([(k, by_frame[k], n_frame[k]) for k in FRAMES], "frame")]
        if show_errors and wrong:
            lines += ["", "wrong verdicts:", *wrong]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=sorted(PHRASES), default="heldout")
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args()
    results = verdicts(args.split)
    print(f"# ocr_text on the {args.split} split: {len(results)} rendered signs, "
          f"{sum(c.error != 'none' for c, _ in results)} with one planted error")  # fmt: skip
    print(report(results, args.show_errors))


if __name__ == "__main__":
    main()
