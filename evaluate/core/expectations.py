"""What an image must show, read from the prompt when a suite does not say.

Suites should state expectations explicitly (the bundled ones do); this parser covers a
user's plain prompt list: quoted text (``a sign that says "OPEN"``), counted objects
(``three red apples``, ``2 cats and a dog``) and visible hands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
}  # fmt: skip
MAX_COUNT = 20

IRREGULAR_PLURALS = {
    "people": "person", "men": "man", "women": "woman", "children": "child", "mice": "mouse",
    "geese": "goose", "teeth": "tooth", "feet": "foot", "knives": "knife", "leaves": "leaf",
    "wolves": "wolf", "shelves": "shelf", "loaves": "loaf", "sheep": "sheep", "fish": "fish",
    "deer": "deer", "scissors": "scissors", "glasses": "glass", "dice": "die",
}  # fmt: skip
IRREGULAR_SINGULARS = {v: v for v in IRREGULAR_PLURALS.values()}

# Words that end a counted noun phrase: "three apples *on* a table".
PHRASE_BOUNDARY = {
    "and", "or", "with", "on", "in", "at", "of", "by", "under", "over", "near", "next", "beside",
    "behind", "above", "below", "inside", "into", "onto", "from", "to", "for", "that", "which",
    "who", "is", "are", "sitting", "standing", "lying", "flying", "running", "against", "around",
}  # fmt: skip
MAX_PHRASE_WORDS = 4
# "-ing" words end a phrase too ("one bicycle leaning ..."), except these nouns.
ING_NOUNS = {"building", "painting", "ring", "king", "wing", "string", "pudding", "earring"}

# Two-word nouns, so that "two hot dogs" counts hot dogs, not dogs: COCO's multi-word classes
# (the detector's usual vocabulary) and a few more that prompts often count.
COMPOUND_NOUNS = {
    "traffic light", "fire hydrant", "stop sign", "parking meter", "sports ball",
    "baseball bat", "baseball glove", "tennis racket", "wine glass", "hot dog", "potted plant",
    "dining table", "cell phone", "teddy bear", "hair drier", "hair dryer", "ice cream",
    "soccer ball", "tennis ball", "coffee cup", "coffee mug", "fire truck", "police car",
    "school bus", "street light", "palm tree", "christmas tree", "paper plane", "rubber duck",
}  # fmt: skip

# Double quotes, straight or curly, and curly single quotes. Straight single quotes are left
# alone: they are apostrophes far more often than quotes.
QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”|‘([^’]+)’')
WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*|\d+|[.,;:!?()]")

HAND_WORDS_ONE = ("hand", "fist", "waving", "thumbs up", "peace sign", "fingers", "palm")


@dataclass(frozen=True, slots=True)
class Expectations:
    """Typed expectations of one prompt. ``None`` means the suite sets no expectation.

    - ``text``: the exact string the image must show.
    - ``counts``: object noun (singular) -> how many must be visible.
    - ``hands``: how many hands must be visible.
    """

    text: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    hands: int | None = None

    def is_empty(self) -> bool:
        return self.text is None and not self.counts and self.hands is None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.text is not None:
            out["text"] = self.text
        if self.counts:
            out["counts"] = dict(self.counts)
        if self.hands is not None:
            out["hands"] = self.hands
        return out


def singular(noun: str) -> str:
    noun = noun.lower()
    if noun in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[noun]
    if noun in IRREGULAR_SINGULARS:
        return noun
    if noun.endswith("ies") and len(noun) > 4:
        return noun[:-3] + "y"
    if re.search(r"(ches|shes|xes|sses|zes|oes)$", noun):
        return noun[:-2]
    if noun.endswith("s") and not noun.endswith(("ss", "us", "is")):
        return noun[:-1]
    return noun


def is_plural(word: str) -> bool:
    word = word.lower()
    if word in IRREGULAR_PLURALS:
        return True
    return word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 2


def parse_number(token: str) -> int | None:
    token = token.lower()
    if token in NUMBER_WORDS:
        return NUMBER_WORDS[token]
    if token.isdigit() and 1 <= int(token) <= MAX_COUNT:
        return int(token)
    return None


def parse_text(prompt: str) -> str | None:
    """The quoted text a prompt asks for; several quoted parts are joined in reading order."""
    parts = [next(g for g in m.groups() if g is not None) for m in QUOTED.finditer(prompt)]
    parts = [p.strip() for p in parts if p.strip()]
    return " ".join(parts) if parts else None


def _noun_phrase(tokens: list[str], start: int, plural: bool) -> str | None:
    """The head noun of the phrase starting at ``tokens[start]``.

    Plural counts take the first plural word ("three red apples"); singular counts take the
    last word before a boundary ("one red apple on a table").
    """
    phrase: list[str] = []
    for tok in tokens[start : start + MAX_PHRASE_WORDS]:
        lowered = tok.lower()
        if lowered in PHRASE_BOUNDARY or not tok[0].isalpha():
            break
        if lowered.endswith("ing") and len(lowered) > 5 and lowered not in ING_NOUNS:
            break
        phrase.append(tok)
        if plural and is_plural(tok):
            return _with_modifier(phrase)
    if plural or not phrase:
        return None
    return _with_modifier(phrase)


def _with_modifier(phrase: list[str]) -> str:
    """The phrase's last word as a singular noun, with the word before it when the two make
    one noun ("teddy bears" -> "teddy bear")."""
    head = singular(phrase[-1])
    if len(phrase) > 1 and (compound := f"{phrase[-2].lower()} {head}") in COMPOUND_NOUNS:
        return compound
    return head


def parse_counts(prompt: str) -> dict[str, int]:
    """Counted objects: number words or digits 1-20 before a noun phrase.

    "a"/"an" counts as one only right after "and" following another count ("2 cats and a
    dog"); elsewhere it is an article ("a photo of ...") and counts nothing.
    """
    without_quotes = QUOTED.sub(" ", prompt)
    tokens = WORD.findall(without_quotes)
    counts: dict[str, int] = {}
    for i, tok in enumerate(tokens):
        number = parse_number(tok)
        if number is None and tok.lower() in ("a", "an") and counts and i > 0:
            number = 1 if tokens[i - 1].lower() == "and" else None
        if number is None:
            continue
        noun = _noun_phrase(tokens, i + 1, plural=number > 1)
        if noun and noun not in ("time", "year", "hour", "minute", "day"):
            counts[noun] = counts.get(noun, 0) + number
    return counts


HANDS = re.compile(r"\bhands\b")
# One pattern for all the one-hand words: a suite of 100k prompts is parsed in seconds.
HAND_ONE = re.compile(r"\b(?:" + "|".join(map(re.escape, HAND_WORDS_ONE)) + r")\b")


def parse_hands(prompt: str, counts: dict[str, int]) -> int | None:
    lowered = QUOTED.sub(" ", prompt).lower()
    if "hand" in counts:
        return counts["hand"]
    if HANDS.search(lowered):
        return 2
    if HAND_ONE.search(lowered):
        return 1
    return None


def parse_expectations(prompt: str) -> Expectations:
    counts = parse_counts(prompt)
    hands = parse_hands(prompt, counts)
    counts.pop("hand", None)  # hands are the hands check's business, not the detector's
    return Expectations(text=parse_text(prompt), counts=counts, hands=hands)
