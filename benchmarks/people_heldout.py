"""A held-out set for ``people_count``, from real photographs available offline.

Photos of people: scikit-image's ``astronaut`` (Eileen Collins) and ``camera`` (the
cameraman), and opencv-doc's ``messi5.jpg``. Photos without people (opencv-doc's fruits,
building, home, and the hand photos) fill the rest. Each case is a collage of 0-4 people on
a 2 x 2 grid (each person a whole photo, scaled to its cell, mirrored at random, in a random
cell; the other cells hold photos without people); the count is right when it equals the
number of person photos placed.

Two splits with separate random arrangements: ``dev`` (may be looked at: the tiled face
detection and the decision to count by faces alone were made on it) and ``heldout`` (the
default, reported in the README).

Each collage is also judged painted and as a flat cartoon (``t2iqa.benchmarks.stylised``,
added after the check was built): the same people, drawn-looking, as many generated pictures
are.

    python -m t2iqa.benchmarks.people_heldout [--split heldout] [--show-errors]
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

from t2iqa.benchmarks.qa_samples import hand_photos
from t2iqa.benchmarks.stylised import STYLES, stylised

SEEDS = {"dev": 5, "heldout": 2027}
OPENCV = Path("/usr/share/doc/opencv-doc/examples/data")
NO_PEOPLE = ("fruits.jpg", "building.jpg", "home.jpg")


def person_photos() -> dict[str, Image.Image]:
    from skimage import data

    out = {
        "astronaut": Image.fromarray(data.astronaut()),
        "camera": Image.fromarray(data.camera()).convert("RGB"),
    }
    if (OPENCV / "messi5.jpg").is_file():
        out["messi5"] = Image.open(OPENCV / "messi5.jpg").convert("RGB")
    return out


def empty_photos() -> list[Image.Image]:
    out = [Image.open(OPENCV / n).convert("RGB") for n in NO_PEOPLE if (OPENCV / n).is_file()]
    return out + [Image.open(p).convert("RGB") for p in hand_photos()]


def collage(
    people: list[Image.Image], empty: list[Image.Image], rng: random.Random, cell: int = 320
) -> Image.Image:
    canvas = Image.new("RGB", (2 * cell, 2 * cell), (200, 200, 200))
    tiles = [*people, *rng.sample(empty, 4 - len(people))]
    rng.shuffle(tiles)
    for k, tile in enumerate(tiles):
        img = tile.transpose(Image.FLIP_LEFT_RIGHT) if rng.random() < 0.5 else tile
        img = img.copy()
        img.thumbnail((cell, cell))
        canvas.paste(
            img,
            ((k % 2) * cell + (cell - img.width) // 2, (k // 2) * cell + (cell - img.height) // 2),
        )
    return canvas


def count_cases(split: str, n: int = 40) -> list[tuple[int, Image.Image]]:
    rng = random.Random(SEEDS[split])
    people, empty = list(person_photos().values()), empty_photos()
    out = []
    for k in range(n):
        count = k % 5  # 0-4 people
        chosen = [rng.choice(people) for _ in range(count)]
        out.append((count, collage(chosen, empty, rng)))
    return out


def judge(split: str, show_errors: bool) -> str:
    from t2iqa.checks.base import ImageUnderTest
    from t2iqa.checks.people_count import PeopleCountCheck
    from t2iqa.core.expectations import Expectations
    from t2iqa.core.prompts import PromptSpec

    counter = PeopleCountCheck.from_options({})
    lines, errors = [f"# people_count on the {split} split", ""], []
    looks = ("photo", *STYLES)  # each collage as composed, painted and as a cartoon
    right: dict[str, Counter[int]] = {look: Counter() for look in looks}
    total: Counter[int] = Counter()
    for n, img in count_cases(split):
        spec = PromptSpec("p", "people", "people", None, Expectations(people=n), "people")
        total[n] += 1
        for look in looks:
            shown = img if look == "photo" else Image.fromarray(stylised(np.asarray(img), look))
            found = counter.check(ImageUnderTest(shown, "-", spec)).details["people_found"]
            right[look][n] += found == n
            if found != n:
                errors.append(f"  collage of {n}, {look}: counted {found}")
    lines += ["| people in the collage | counted right | " + " | ".join(STYLES) + " |",
              "|---:|" + "---:|" * len(looks)]  # fmt: skip
    for n in [*sorted(total), None]:
        of = sum(total.values()) if n is None else total[n]
        cells = [sum(right[k].values()) if n is None else right[k][n] for k in looks]
        name = "**all**" if n is None else str(n)
        lines.append(f"| {name} | " + " | ".join(f"{c} / {of}" for c in cells) + " |")
    if show_errors and errors:
        lines += ["", "wrong:", *errors]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=sorted(SEEDS), default="heldout")
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args()
    print(judge(args.split, args.show_errors))


if __name__ == "__main__":
    main()
