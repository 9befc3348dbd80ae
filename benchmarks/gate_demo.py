"""Two "releases" of a sign-making tool, for the demo of the CI gate catching a regression.

``python -m t2iqa.benchmarks.gate_demo OUT`` writes a suite of sign prompts (``OUT/suite.yaml``)
and two folders of images made for it by our own code, imported the way images from a
closed tool are (``t2iqa run --images OUT/release-1 --manifest OUT/release-1/manifest.csv``):

- ``release-1``: every sign says what its prompt asks for;
- ``release-2``: the same signs, but every other prompt's word has a wrong letter: a text
  rendering regression of about 50 points of ``ocr_text`` pass rate, which ``t2iqa compare``
  must call (the demo exits non-zero if it does not).

Each prompt has two seeds (two sign styles), so the comparison pairs 2 images per prompt.
The OCR that judges them is the real EasyOCR; only the images are ours.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from t2iqa.benchmarks.qa_samples import render_sign, write_import_manifest

WORDS = (
    "OPEN", "BAKERY", "EXIT", "PIZZA", "HOTEL", "GARAGE", "COFFEE", "MUSEUM", "PHARMACY",
    "LIBRARY", "MARKET", "STATION", "FLOWERS", "BOOKS", "TAXI", "PARKING", "CINEMA", "THEATRE",
    "GALLERY", "BARBER",
)  # fmt: skip
# Two sign styles: (background, ink, font size), one per seed.
STYLES = (((232, 224, 206), (25, 25, 30), 64), ((205, 222, 235), (120, 20, 20), 56))
RELEASES = ("release-1", "release-2")


def misspell(word: str) -> str:
    """The word with its middle letter replaced by the next letter of the alphabet."""
    k = len(word) // 2
    letter = chr((ord(word[k]) - ord("A") + 1) % 26 + ord("A"))
    return word[:k] + letter + word[k + 1 :]


def prompt_id(k: int) -> str:
    return f"sign-{k:02d}"


def write_gate_demo(out: Path, words: tuple[str, ...] = WORDS) -> None:
    """The suite and both releases' images with their import manifests."""
    out.mkdir(parents=True, exist_ok=True)
    suite = {
        "name": "gate-demo-signs", "version": "1",
        "description": "Shop signs asked to say one word (written by t2iqa.benchmarks.gate_demo).",
        "prompts": [
            {"id": prompt_id(k), "prompt": f'a shop sign that says "{w}"', "category": "text"}
            for k, w in enumerate(words)
        ],
    }  # fmt: skip
    (out / "suite.yaml").write_text(yaml.safe_dump(suite, sort_keys=False), "utf-8")
    for release in RELEASES:
        folder = out / release
        folder.mkdir(exist_ok=True)
        rows = []
        for k, word in enumerate(words):
            shown = misspell(word) if release == "release-2" and k % 2 == 0 else word
            for seed, (background, ink, font_size) in enumerate(STYLES):
                name = f"{prompt_id(k)}-{seed}.png"
                render_sign(shown, font_size=font_size, background=background, ink=ink).save(
                    folder / name
                )
                rows.append((name, prompt_id(k), seed))
        write_import_manifest(folder / "manifest.csv", rows)


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "demo-gate")
    write_gate_demo(out)
    print(f"wrote {out / 'suite.yaml'} and {len(RELEASES)} releases of {2 * len(WORDS)} signs")


if __name__ == "__main__":
    main()
