"""Nouns as prompts use them: singular and plural forms (the ``inflect`` library, not
hand-written suffix rules), COCO's 80 object classes (the vocabulary detectors know, and the
one GenEval's prompts are written in), and the two-word nouns a parser must keep whole.
"""

from __future__ import annotations

import functools
from typing import Any

# COCO's 80 classes as GenEval names them (GenEval's prompts/object_names.txt, MIT; a copy
# with its license in t2iqa/benchmarks/geneval/). "skis" and "scissors" are the class names.
COCO_CLASSES: tuple[str, ...] = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich",
    "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "computer mouse",
    "tv remote", "computer keyboard", "cell phone", "microwave", "oven", "toaster", "sink",
    "refrigerator", "book", "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush",
)  # fmt: skip
# Class names that are already plural in form: read as they are.
INVARIANT = frozenset({"skis", "scissors", "pants", "jeans", "shorts"})

# Two-word nouns, so that "two hot dogs" counts hot dogs, not dogs: COCO's multi-word classes
# and a few more that prompts often name.
COMPOUND_NOUNS = frozenset({c for c in COCO_CLASSES if " " in c} | {
    "hair dryer", "ice cream", "soccer ball", "tennis ball", "coffee cup", "coffee mug",
    "fire truck", "police car", "school bus", "street light", "palm tree", "christmas tree",
    "paper plane", "rubber duck",
})  # fmt: skip
# Their first words: only a phrase word among these can start a two-word noun.
COMPOUND_FIRST = frozenset(c.split()[0] for c in COMPOUND_NOUNS)


@functools.cache
def _engine() -> Any:
    """inflect's engine. inflect wraps its functions in typeguard's ``@typechecked``, which
    re-parses and recompiles each from source at import: 3-4 s per process on a 2-core
    machine, longer than parsing 100k prompts. We call it with plain strings only, so the
    decorator is made a no-op for the length of that one import (``python -O`` does the same
    for every typeguard user)."""
    import sys

    import typeguard

    if "inflect" not in sys.modules:
        checked = typeguard.typechecked
        typeguard.typechecked = _unchecked
        try:
            import inflect
        finally:
            typeguard.typechecked = checked
    import inflect

    return inflect.engine()


def _unchecked(target: Any = None, **_: Any) -> Any:
    return target if target is not None else (lambda f: f)


@functools.lru_cache(maxsize=65536)  # prompts repeat their nouns: 100k prompts parse in seconds
def singular(word: str) -> str:
    """The singular of a noun (lower case); a singular or invariant noun is returned as is.

    inflect reads any noun ending in -us or -ss as a plural ("bus" -> "bu"), so those are
    taken as singular: their plurals end in -uses / -sses, which it handles.
    """
    w = word.lower()
    if w in INVARIANT or w.endswith(("us", "ss")):
        return w
    return _engine().singular_noun(w) or w


@functools.lru_cache(maxsize=65536)
def is_plural(word: str) -> bool:
    """Whether a word can be a plural noun: "apples", "buses", and zero plurals that read
    the same in both numbers ("sheep", "fish")."""
    w = word.lower()
    if w in INVARIANT:
        return True
    if w.endswith(("us", "ss")) or len(w) < 3:
        return False
    return _engine().singular_noun(w) is not False


def plural(noun: str) -> str:
    """The plural of a singular noun ("bus" -> "buses", "sheep" -> "sheep")."""
    if noun in INVARIANT:
        return noun
    head, _, last = noun.rpartition(" ")
    return f"{head} {_engine().plural_noun(last)}".strip()


def with_article(noun: str) -> str:
    """ "an umbrella", "a bicycle": the indefinite article inflect chooses."""
    return str(_engine().a(noun))
