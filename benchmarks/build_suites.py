"""Builds the bundled suites (``smoke.yaml``, ``core.yaml``) from templates, and
``geneval.yaml`` from GenEval's prompt metadata.

The suites are ours: templates x objects x numbers x words, all written here, deterministic, and
easy to grow. Every prompt states its expectations explicitly, so scoring never depends on the
prompt parser. Regenerate with ``python -m t2iqa.benchmarks.build_suites``; a test fails when the
committed files differ from what this script writes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from t2iqa.suites.files import build_suite, dump_suite_yaml

HERE = Path(__file__).resolve().parent
SUITE_VERSION = "1.2.0"  # 1.1: composition prompts state colours and relations; 1.2: people

NUMBER_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight"]
# (singular, plural, a scene that fits). COCO classes, so standard detectors know them all.
OBJECTS = [
    ("apple", "apples", "on a wooden table"),
    ("cat", "cats", "on a grey sofa"),
    ("dog", "dogs", "in a park"),
    ("cup", "cups", "on a kitchen counter"),
    ("car", "cars", "parked on a street"),
    ("bird", "birds", "on a branch"),
    ("book", "books", "on a shelf"),
    ("chair", "chairs", "in an empty room"),
    ("banana", "bananas", "on a plate"),
    ("bicycle", "bicycles", "leaning against a wall"),
    ("umbrella", "umbrellas", "on a beach"),
    ("donut", "donuts", "in a box"),
    ("orange", "oranges", "in a bowl"),
    ("bottle", "bottles", "on a bar"),
    ("clock", "clocks", "on a white wall"),
    ("teddy bear", "teddy bears", "on a bed"),
]
COLORS = ["red", "blue", "green", "yellow", "black", "white", "purple", "orange"]
# (the words in the prompt, the relation they state)
RELATION_WORDS = [("to the left of", "left of"), ("to the right of", "right of"),
                  ("above", "above"), ("below", "below")]  # fmt: skip

# Text of 1-4 words: mixed case, digits, punctuation.
TEXTS = [
    "OPEN", "Cafe", "STOP", "Exit 24", "No Parking", "Route 66", "SALE 50%", "Hello, World!",
    "Open 24/7", "Fresh Bread Daily", "Good Morning", "Est. 1999", "GAME OVER", "Room 404",
    "Pizza & Pasta", "Free Wi-Fi", "Bus 17", "Keep It Simple", "Do Not Disturb", "Night Owl",
    "Welcome Home!", "Hot Coffee", "Platform 9", "Back in 5 min",
]  # fmt: skip
TEXT_TEMPLATES = [
    'a storefront sign that says "{text}"',
    'a neon sign that reads "{text}"',
    'a white t-shirt with the words "{text}" printed on it',
    'a chalkboard with "{text}" written on it',
    'a book cover titled "{text}"',
    'a street sign that says "{text}"',
]

# (id, prompt, hands visible)
HAND_PROMPTS = [
    ("wave-woman", "a woman waving her hand at the camera", 1),
    ("wave-child", "a child waving hello with one hand", 1),
    ("wave-man", "a man waving with his right hand, outdoors", 1),
    ("wave-two", "a person waving with both hands raised", 2),
    ("hold-cup", "a hand holding a coffee cup, close-up", 1),
    ("hold-phone", "a hand holding a smartphone", 1),
    ("hold-apple", "a hand holding a red apple", 1),
    ("hold-pen", "a hand holding a pen over a notebook", 1),
    ("hold-umbrella", "a hand holding an umbrella in the rain", 1),
    ("hold-book", "two hands holding an open book", 2),
    ("hold-bowl", "two hands holding a bowl of soup", 2),
    ("hold-flower", "a hand holding a single flower", 1),
    ("close-open-palm", "a close-up photo of an open palm, fingers spread", 1),
    ("close-back", "a close-up photo of the back of a hand on a table", 1),
    ("close-fist", "a close-up photo of a clenched fist", 1),
    ("close-thumbs-up", "a close-up of a hand giving a thumbs up", 1),
    ("close-peace", "a close-up of a hand making a peace sign", 1),
    ("close-pointing", "a close-up of a hand pointing with the index finger", 1),
    ("close-ok", "a close-up of a hand making an OK sign", 1),
    ("close-counting-3", "a close-up of a hand holding up three fingers", 1),
    ("close-counting-5", "a close-up of a hand holding up five fingers", 1),
    ("close-old", "a close-up of an elderly person's wrinkled hand", 1),
    ("two-clap", "two hands clapping", 2),
    ("two-heart", "two hands making a heart shape", 2),
    ("two-piano", "two hands playing a piano", 2),
    ("two-typing", "two hands typing on a laptop keyboard", 2),
    ("two-handshake", "a handshake between two people, close-up", 2),
    ("two-knead", "two hands kneading bread dough", 2),
    ("two-cupped-water", "two cupped hands holding water", 2),
    ("two-guitar", "two hands playing an acoustic guitar", 2),
    ("two-knitting", "two hands knitting a scarf", 2),
    ("two-praying", "two hands pressed together in prayer", 2),
]

ALIGNMENT_PROMPTS = [
    "a red cube on top of a blue sphere",
    "a lighthouse on a rocky cliff at sunset",
    "an astronaut riding a horse on the moon",
    "a bowl of ramen with a boiled egg, top view",
    "a snowy mountain village at night",
    "a watercolor painting of a fox in a forest",
    "a vintage car on a desert highway",
    "a green frog sitting on a lily pad",
    "a cozy library with a fireplace",
    "a sailboat on a calm lake at dawn",
    "a steampunk airship above a city",
    "a bowl of strawberries next to a glass of milk",
    "a black and white photo of a busy train station",
    "a yellow submarine under the sea",
    "a pencil sketch of an old oak tree",
    "a robot watering plants in a greenhouse",
    "a hot air balloon over a lavender field",
    "a corgi wearing sunglasses on a beach",
    "a glass teapot with blooming tea inside",
    "a medieval castle surrounded by a moat",
    "a purple butterfly on a white daisy",
    "a bustling night market with paper lanterns",
    "an oil painting of a stormy sea",
    "a koala sleeping in a eucalyptus tree",
    "a bicycle leaning against a brick wall in the rain",
    "a chocolate cake with a single candle",
    "a polar bear on an ice floe",
    "a neon-lit street in the rain at night",
    "a wooden cabin beside a frozen lake",
    "a pixel art castle on a hill",
    "a cup of cappuccino with latte art",
    "a field of sunflowers under a blue sky",
]


def _entry(pid: str, prompt: str, category: str, **expect: Any) -> dict[str, Any]:
    return {"id": pid, "prompt": prompt, "category": category, "expect": expect}


def counting_entries() -> list[dict[str, Any]]:
    """Counts 1-8, each on eight objects, rotating so every object gets four counts."""
    out = []
    for c, word in enumerate(NUMBER_WORDS, start=1):
        for k in range(8):
            singular, plural, scene = OBJECTS[(c * 3 + k * 2) % len(OBJECTS)]
            noun = singular if c == 1 else plural
            prompt = f"a photo of {word} {noun} {scene}"
            slug = singular.replace(" ", "-")
            out.append(_entry(f"count-{slug}-{c}", prompt, "counting", counts={singular: c}))
    return out


def composition_entries() -> list[dict[str, Any]]:
    """Two objects with counts 1-3 each and distinct colours, every other pair placed by a
    relation: binding, counting and position together."""
    out = []
    for k in range(40):
        a = OBJECTS[k % len(OBJECTS)]
        b = OBJECTS[(k * 5 + 7) % len(OBJECTS)]
        if a[0] == b[0]:
            b = OBJECTS[(k * 5 + 8) % len(OBJECTS)]
        na, nb = k % 3 + 1, (k // 3) % 3 + 1
        ca, cb = COLORS[k % len(COLORS)], COLORS[(k + 3) % len(COLORS)]
        phrase_a = f"{NUMBER_WORDS[na - 1]} {ca} {a[0] if na == 1 else a[1]}"
        phrase_b = f"{NUMBER_WORDS[nb - 1]} {cb} {b[0] if nb == 1 else b[1]}"
        # Every other prompt places the two groups: GenEval's four relations in turn.
        words, relation = RELATION_WORDS[k // 2 % len(RELATION_WORDS)] if k % 2 else ("and", None)
        prompt = f"a photo of {phrase_a} {words} {phrase_b}"
        pid = f"comp-{a[0].replace(' ', '-')}-{b[0].replace(' ', '-')}-{k:02d}"
        expect: dict[str, Any] = {"counts": {a[0]: na, b[0]: nb}, "objects": [a[0], b[0]],
                                  "colors": {a[0]: ca, b[0]: cb}}  # fmt: skip
        if relation:
            expect["relations"] = [{"subject": a[0], "relation": relation, "object": b[0]}]
        out.append(_entry(pid, prompt, "composition", **expect))
    return out


def text_entries() -> list[dict[str, Any]]:
    """Every text in two templates: 48 prompts."""
    out = []
    for i, text in enumerate(TEXTS):
        for j in range(2):
            template = TEXT_TEMPLATES[(i + j * 3) % len(TEXT_TEMPLATES)]
            out.append(_entry(f"text-{i:02d}-{j}", template.format(text=text), "text", text=text))
    return out


def hand_entries() -> list[dict[str, Any]]:
    return [_entry(f"hands-{pid}", prompt, "hands", hands=n) for pid, prompt, n in HAND_PROMPTS]


# (id, prompt, people asked for, whether at least)
PEOPLE_PROMPTS = (
    ("portrait-old-man", "a portrait photo of an old man", 1, True),
    ("woman-reading", "a woman reading a book in a cafe", 1, True),
    ("two-women", "two women shaking hands in an office", 2, False),
    ("man-and-woman", "a man and a woman dancing in a ballroom", 2, False),
    ("couple-beach", "a couple walking on a beach at sunset", 2, False),
    ("three-children", "three children playing football in a park", 3, False),
    ("family-four", "a family of four having a picnic", 4, False),
    ("two-chefs", "two chefs cooking in a restaurant kitchen", 2, False),
    ("five-friends", "five friends taking a group photo", 5, False),
    ("crowd-concert", "a crowd at an outdoor concert", 5, True),
    ("runner", "a runner crossing the finish line", 1, True),
    ("three-musicians", "three musicians playing on a stage", 3, False),
)


def people_entries() -> list[dict[str, Any]]:
    out = []
    for pid, prompt, n, at_least in PEOPLE_PROMPTS:
        extra = {"people_at_least": True} if at_least else {}
        out.append(_entry(f"people-{pid}", prompt, "people", people=n, **extra))
    return out


def alignment_entries() -> list[dict[str, Any]]:
    # No text and no hands expected: legible text here is an artifact.
    return [_entry(f"align-{i:02d}", p, "alignment") for i, p in enumerate(ALIGNMENT_PROMPTS)]


def core_suite() -> dict[str, Any]:
    prompts = (
        counting_entries() + composition_entries() + text_entries() + hand_entries()
        + people_entries() + alignment_entries()
    )  # fmt: skip
    return {
        "name": "core",
        "version": SUITE_VERSION,
        "description": (
            "t2iqa core suite: object counts 1-8, two-object compositions with colors, quoted "
            "text of 1-4 words, hands (waving, holding, close-ups, two hands), people (how "
            "many) and plain alignment prompts. Built by benchmarks/build_suites.py."
        ),
        "prompts": prompts,
    }


# How many prompts smoke takes from each category, evenly spaced through core's list.
SMOKE_PER_CATEGORY = {
    "counting": 2,
    "composition": 2,
    "text": 3,
    "hands": 2,
    "people": 1,
    "alignment": 2,
}


def smoke_suite() -> dict[str, Any]:
    """Twelve prompts drawn from core, every category: a quick end-to-end run."""
    prompts = []
    for category, n in SMOKE_PER_CATEGORY.items():
        pool = [p for p in core_suite()["prompts"] if p["category"] == category]
        step = len(pool) / n
        prompts += [pool[int(i * step + step / 2)] for i in range(n)]
    return {
        "name": "smoke",
        "version": SUITE_VERSION,
        "description": "12 prompts drawn from core, every category; for quick end-to-end runs.",
        "prompts": prompts,
    }


def geneval_suite() -> dict[str, Any]:
    """GenEval's 553 prompts with the expectations its metadata states (geneval/, MIT)."""
    from t2iqa.suites.geneval import read_metadata, suite_entries

    return {
        "name": "geneval",
        "version": "af4902f",  # the GenEval commit the metadata comes from (geneval/SOURCE.md)
        "description": "GenEval (Ghosh et al. 2023): 553 prompts, six tasks as categories; "
        "metadata MIT, see LICENSE.geneval and geneval/SOURCE.md.",
        # GenEval's scoring: its detector family (one pass serves both checks) and each task
        # judged by its own rules and thresholds (0.3; 0.9 for counting).
        "scoring": {
            "composition": {"backend": "mask2former", "geneval_tasks": True},
            "object_count": {"backend": "mask2former"},
        },
        "prompts": suite_entries(read_metadata(HERE / "geneval" / "evaluation_metadata.jsonl")),
    }


def render(suite: dict[str, Any]) -> str:
    """Validated YAML text of a suite dict (validation catches builder mistakes early)."""
    header = {k: v for k, v in suite.items() if k != "prompts"}
    entries = [(f"prompts[{i}]", p) for i, p in enumerate(suite["prompts"])]
    return dump_suite_yaml(build_suite(header, entries, f"<builder:{suite['name']}>"))


BUILDERS = {"smoke": smoke_suite, "core": core_suite, "geneval": geneval_suite}


def main() -> None:
    for name, builder in BUILDERS.items():
        path = HERE / f"{name}.yaml"
        path.write_text(render(builder()), encoding="utf-8")
        print(f"wrote {path} ({len(builder()['prompts'])} prompts)")


if __name__ == "__main__":
    main()
