"""How many people a prompt asks for: "two women", "a family of four", "a man and a woman",
"a crowd" (at least some), "a woman reading" (at least one).

Counted person nouns come from the prompt's counted objects (``parse_counts``: number words
and digits); "a X and a Y" of two person nouns counts both; "a family / group / team of N"
and "a couple" count their members. A lone person noun with an article asks for someone to be
visible (at least one), not for exactly one: a street scene behind "a woman reading" is fine.
"""

from __future__ import annotations

import re

PERSON_NOUNS = frozenset({
    "person", "man", "woman", "child", "kid", "boy", "girl", "baby", "adult", "teenager",
    "friend", "player", "student", "worker", "doctor", "nurse", "soldier", "dancer",
    "musician", "chef", "athlete", "tourist", "couple", "family",
})  # fmt: skip
PLURALS = {"people": "person", "men": "man", "women": "woman", "children": "child"}
CROWD = {"crowd": 5, "group of people": 3, "people": 2}  # at least this many
_NOUN = r"(?:person|man|woman|child|kid|boy|girl|baby|adult|teenager)"
PAIR = re.compile(
    rf"\b(?:a|an|one)\s+(?:\w+\s+)?{_NOUN}\s+and\s+(?:a|an|one)\s+(?:\w+\s+)?{_NOUN}\b"
)
GROUP_OF = re.compile(r"\b(?:family|group|team|band|crew) of (\w+)\b")
LONE = re.compile(rf"\b(?:a|an|one|the)\s+(?:\w+\s+)?{_NOUN}\b")


def parse_people(prompt: str, counts: dict[str, int],
                 number: dict[str, int]) -> tuple[int | None, bool]:  # fmt: skip
    """(people asked for, whether that is a lower bound) or (None, False) when the prompt
    asks for no one. ``counts``: the prompt's counted objects; ``number``: number words."""
    lowered = prompt.lower()
    counted = sum(n for noun, n in counts.items() if PLURALS.get(noun, noun) in PERSON_NOUNS)
    if counted:
        return counted, False
    if match := GROUP_OF.search(lowered):
        word = match.group(1)
        n = number.get(word) or (int(word) if word.isdigit() else None)
        if n:
            return n, False
    if re.search(r"\b(?:a|the) couple\b", lowered):
        return 2, False
    if PAIR.search(lowered):
        return 2, False
    for phrase, at_least in CROWD.items():
        if re.search(rf"\b{phrase}\b", lowered):
            return at_least, True
    if LONE.search(lowered):
        return 1, True
    return None, False
