"""The composition a plain prompt asks for: which objects, their colours, where they stand.

Read from noun phrases introduced by an article or a number ("a green bench", "three
helicopters"), as GenEval's and T2I-CompBench's prompts are written: "a photo of a dog right of
a teddy bear", "a green bench and a blue bowl", "a cat on the top of a sofa". An object is
expected when it is one of COCO's classes (what detectors know), is counted, has a colour, or
takes part in a relation; other nouns ("a photo", "the beach") set no expectation. Suites can
state any of it explicitly instead.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from t2iqa.core.expectations import (
    COLORS,
    WORD,
    Relation,
    noun_phrase_span,
    parse_number,
)
from t2iqa.core.nouns import COCO_CLASSES

ARTICLES = frozenset({"a", "an", "the"})
# Nouns that name the picture or a place in it, never an object in it.
NOT_OBJECTS = frozenset({
    "photo", "photograph", "picture", "image", "drawing", "painting", "illustration", "render",
    "rendering", "view", "close-up", "closeup", "shot", "scene", "sketch", "portrait", "top",
    "bottom", "left", "right", "side", "front", "back", "middle", "center", "centre", "corner",
    "background", "foreground", "style",
})  # fmt: skip
# Between two objects, in the words that join them. GenEval writes "left of", "right of",
# "above", "below"; people also write the longer forms.
RELATION_PHRASES = (
    (re.compile(r"\b(?:to|on) the left (?:side )?of\b|\bleft of\b"), "left of"),
    (re.compile(r"\b(?:to|on) the right (?:side )?of\b|\bright of\b"), "right of"),
    (re.compile(r"\bon (?:the )?top of\b|\babove\b|\bover\b|\batop\b"), "above"),
    (re.compile(r"\bbelow\b|\bunder(?:neath)?\b|\bbeneath\b"), "below"),
    (re.compile(r"\bnext to\b|\bnear\b|\bbeside\b|\bby\b"), "near"),
)
MAX_GAP_WORDS = 6  # words between two objects that may still relate them
COCO = frozenset(COCO_CLASSES)


@dataclass(frozen=True)
class Mention:
    noun: str  # singular
    color: str | None
    start: int  # token index of the article or number
    end: int  # token index after the phrase


def mentions(tokens: list[str]) -> list[Mention]:
    """Noun phrases introduced by an article or a number, in prompt order."""
    out = []
    for i, tok in enumerate(tokens):
        number = parse_number(tok)
        if tok not in ARTICLES and number is None:
            continue
        span = noun_phrase_span(tokens, i + 1, number is not None and number > 1)
        if span is None:
            continue
        noun, end = span
        if noun in NOT_OBJECTS or (noun in COLORS and noun not in COCO):
            continue
        # A colour word before the head names the object's colour ("an orange" is a fruit).
        color = next((w for w in tokens[i + 1 : end - 1] if w in COLORS), None)
        out.append(Mention(noun, color, i, end))
    return out


def relation_between(gap: list[str]) -> str | None:
    """The relation the words between two objects state, if any."""
    if not gap or len(gap) > MAX_GAP_WORDS or "and" in gap or "," in gap:
        return None
    text = " ".join(gap)
    return next((name for pattern, name in RELATION_PHRASES if pattern.search(text)), None)


def parse_composition(
    prompt: str, counts: dict[str, int]
) -> tuple[tuple[str, ...], dict[str, str], tuple[Relation, ...]]:
    """(objects, colours, relations) a prompt asks for; ``counts`` are the counted nouns."""
    tokens = [t.lower() for t in WORD.findall(prompt)]
    found = mentions(tokens)
    relations = []
    for a, b in itertools.pairwise(found):
        name = relation_between(tokens[a.end : b.start])
        if name is not None and a.noun != b.noun:
            relations.append(Relation(a.noun, name, b.noun))
    related = {r.subject for r in relations} | {r.object for r in relations}
    objects: list[str] = []
    colors: dict[str, str] = {}
    for m in found:
        if m.noun in COCO or m.noun in counts or m.color or m.noun in related:
            if m.noun not in objects:
                objects.append(m.noun)
            if m.color:
                colors.setdefault(m.noun, m.color)
    return tuple(objects), colors, tuple(relations)
