"""What an image must show, read from the prompt when a suite does not say.

Suites should state expectations explicitly (the bundled ones do); this parser covers a
user's plain prompt list: quoted text (``a sign that says "OPEN"``), counted objects
(``three red apples``, ``2 cats and a dog``), visible hands, and the composition
(``t2iqa.core.composition``): the objects present, their colours and where they stand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from t2iqa.core.nouns import COMPOUND_FIRST, COMPOUND_NOUNS, is_plural, singular

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
}  # fmt: skip
MAX_COUNT = 20

# Words that end a counted noun phrase: "three apples *on* a table".
PHRASE_BOUNDARY = {
    "and", "or", "with", "on", "in", "at", "of", "by", "under", "over", "near", "next", "beside",
    "behind", "above", "below", "inside", "into", "onto", "from", "to", "for", "that", "which",
    "who", "is", "are", "sitting", "standing", "lying", "flying", "running", "against", "around",
    "left", "right", "top", "beneath", "underneath", "atop", "while", "as",
}  # fmt: skip
MAX_PHRASE_WORDS = 4
# "-ing" words end a phrase too ("one bicycle leaning ..."), except these nouns.
ING_NOUNS = {"building", "painting", "ring", "king", "wing", "string", "pudding", "earring"}

# Double quotes, straight or curly, and curly single quotes. Straight single quotes are left
# alone: they are apostrophes far more often than quotes.
QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”|‘([^’]+)’')
WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*|\d+|[.,;:!?()]")

HAND_WORDS_ONE = ("hand", "fist", "waving", "thumbs up", "peace sign", "fingers", "palm")


RELATIONS = ("left of", "right of", "above", "below", "near")
# GenEval's ten colours (Ghosh et al. 2023): the ones its colour classifier tells apart.
COLORS = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white")


@dataclass(frozen=True, slots=True)
class Relation:
    """``subject`` stands ``relation`` ``object``: "dog" "right of" "teddy bear"."""

    subject: str
    relation: str
    object: str

    def to_dict(self) -> dict[str, str]:
        return {"subject": self.subject, "relation": self.relation, "object": self.object}


@dataclass(frozen=True, slots=True)
class Expectations:
    """Typed expectations of one prompt. ``None`` means the suite sets no expectation.

    - ``text``: the exact string the image must show.
    - ``counts``: object noun (singular) -> how many must be visible.
    - ``hands``: how many hands must be visible.
    - ``people``: how many people must be visible (``people_at_least``: at least that many).
    - ``objects``: object nouns (singular) that must be visible, at least one of each.
    - ``colors``: object noun -> the colour it must have.
    - ``relations``: where objects stand against each other.
    """

    text: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    hands: int | None = None
    objects: tuple[str, ...] = ()
    colors: dict[str, str] = field(default_factory=dict)
    relations: tuple[Relation, ...] = ()
    people: int | None = None
    people_at_least: bool = False

    def is_empty(self) -> bool:
        return (
            self.text is None
            and not self.counts
            and self.hands is None
            and self.people is None
            and not (self.objects or self.colors or self.relations)
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.text is not None:
            out["text"] = self.text
        if self.counts:
            out["counts"] = dict(self.counts)
        if self.hands is not None:
            out["hands"] = self.hands
        if self.objects:
            out["objects"] = list(self.objects)
        if self.colors:
            out["colors"] = dict(self.colors)
        if self.relations:
            out["relations"] = [r.to_dict() for r in self.relations]
        if self.people is not None:
            out["people"] = self.people
            if self.people_at_least:
                out["people_at_least"] = True
        return out


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
    span = noun_phrase_span(tokens, start, plural)
    return span[0] if span else None


def noun_phrase_span(tokens: list[str], start: int, plural: bool) -> tuple[str, int] | None:
    """The head noun of the phrase starting at ``tokens[start]``, and the index after it.

    Plural counts take the first plural word ("three red apples"); singular counts take the
    last word before a boundary ("one red apple on a table").
    """
    phrase: list[str] = []
    window = tokens[start : start + MAX_PHRASE_WORDS]
    for k, tok in enumerate(window):
        lowered = tok.lower()
        if lowered in PHRASE_BOUNDARY or not tok[0].isalpha():
            break
        after = window[k + 1].lower() if k + 1 < len(window) else ""
        if after and lowered in COMPOUND_FIRST and f"{lowered} {singular(after)}" in COMPOUND_NOUNS:
            # "sports balls", "parking meter": the first word of the noun, not its head
            phrase.append(tok)
            continue
        if lowered.endswith("ing") and len(lowered) > 5 and lowered not in ING_NOUNS:
            break
        phrase.append(tok)
        if plural and is_plural(tok):
            return _with_modifier(phrase, plural), start + len(phrase)
    # A plural count with no plural word: a zero plural ("three shrimp") is the last word.
    return (_with_modifier(phrase, plural), start + len(phrase)) if phrase else None


def _with_modifier(phrase: list[str], plural: bool) -> str:
    """The phrase's last word as a singular noun, with the word before it when the two make
    one noun ("teddy bears" -> "teddy bear"). After "a", "an" or "one" the noun is singular
    already; only a word in -s could still be a plural there ("the dogs")."""
    last = phrase[-1].lower()
    head = singular(last) if plural or last.endswith("s") else last
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
    from t2iqa.core.composition import parse_composition
    from t2iqa.core.people import parse_people

    counts = parse_counts(prompt)
    hands = parse_hands(prompt, counts)
    counts.pop("hand", None)  # hands are the hands check's business, not the detector's
    objects, colors, relations = parse_composition(QUOTED.sub(" ", prompt), counts)
    people, at_least = parse_people(QUOTED.sub(" ", prompt), counts, NUMBER_WORDS)
    return Expectations(text=parse_text(prompt), counts=counts, hands=hands, objects=objects,
                        colors=colors, relations=relations, people=people,
                        people_at_least=at_least)  # fmt: skip
