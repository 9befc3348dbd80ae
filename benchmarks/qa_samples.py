"""Sample images for pre-publication QA, made by our own code: signs with right and wrong
text (rendered with the DejaVu fonts) plus the photographs of hands that Debian's opencv-doc
package ships, where it is installed.

``python -m t2iqa.benchmarks.qa_samples OUT`` writes the images and ``OUT/manifest.jsonl``, whose
rows carry the verdict a correct QA tool must give (``expected_verdict``; t2iqa ignores it,
the tests compare against it). The README's demo runs ``t2iqa check`` on this manifest.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
HAND_PHOTO_DIR = Path("/usr/share/doc/opencv-doc/opencv4/html")
HAND_PHOTOS = (
    "handSrc.jpg",
    "handDst.jpg",
    "Back_Projection_Theory0.jpg",
    "Back_Projection1_Source_Image.jpg",
)


def font_path(bold: bool = True) -> Path:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(
        f"{name} not found in {', '.join(map(str, FONT_DIRS))}: install Debian's fonts-dejavu-core"
    )


def render_sign(
    text: str,
    size: tuple[int, int] = (640, 320),
    font_size: int = 64,
    background: tuple[int, int, int] = (232, 224, 206),
    ink: tuple[int, int, int] = (25, 25, 30),
) -> Image.Image:
    """A flat sign with ``text`` centred on it (lines split on newlines)."""
    img = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(img)
    if text:
        font = ImageFont.truetype(str(font_path()), font_size)
        box = draw.multiline_textbbox((0, 0), text, font=font, align="center", spacing=16)
        x = (size[0] - (box[2] - box[0])) / 2 - box[0]
        y = (size[1] - (box[3] - box[1])) / 2 - box[1]
        draw.multiline_text((x, y), text, font=font, fill=ink, align="center", spacing=16)
    return img


def hand_photos() -> list[Path]:
    """The opencv-doc hand photographs present on this machine."""
    return [HAND_PHOTO_DIR / n for n in HAND_PHOTOS if (HAND_PHOTO_DIR / n).is_file()]


@dataclass(frozen=True)
class Sample:
    file: str
    prompt: str
    rendered: str | None  # text drawn on the sign; None for photographs
    expected_verdict: str
    why: str


SIGN_PROMPT = 'a shop sign that says "OPEN 24/7"'
SIGNS = (
    Sample("sign-right.png", SIGN_PROMPT, "OPEN 24/7", "pass", "the text asked for"),
    Sample("sign-misspelled.png", SIGN_PROMPT, "OPFN 24/7", "fail", "a wrong letter"),
    Sample("sign-missing-word.png", SIGN_PROMPT, "OPEN", "fail", "a word left out"),
    Sample("sign-extra-word.png", SIGN_PROMPT, "OPEN 24/7\nNOW", "fail", "a word too many"),
    Sample("sign-blank.png", SIGN_PROMPT, "", "fail", "no text at all"),
    Sample(
        "poster-unasked-text.png", "a plain beige poster", "SALE TODAY", "pass",
        "text nobody asked for: a warning, not a block, under the default policy",
    ),
)  # fmt: skip


def write_samples(out: Path) -> list[Sample]:
    """Write the sample images and their manifest; returns what was written."""
    out.mkdir(parents=True, exist_ok=True)
    samples = list(SIGNS)
    for sample in SIGNS:
        render_sign(sample.rendered or "").save(out / sample.file)
    for photo in hand_photos():
        name = f"hand-{photo.stem}.jpg"
        shutil.copyfile(photo, out / name)
        samples.append(
            Sample(name, "a photo of one open hand", None, "pass", "a real hand (opencv-doc)")
        )
    samples += write_people(out)
    samples += write_bodies(out)
    with (out / "manifest.jsonl").open("w", encoding="utf-8") as fh:
        for s in samples:
            row = {"image": s.file, "prompt": s.prompt, "expected_verdict": s.expected_verdict,
                   "why": s.why}  # fmt: skip
            fh.write(json.dumps(row) + "\n")
    write_import_files(out, samples)
    return samples


def write_people(out: Path) -> list[Sample]:
    """A portrait and a pair of people, from scikit-image's astronaut photograph (Eileen
    Collins, NASA, public domain)."""
    from skimage import data

    face = Image.fromarray(data.astronaut())
    face.save(out / "face-astronaut.png")
    pair = Image.new("RGB", (1024, 512))
    pair.paste(face, (0, 0))
    pair.paste(face.transpose(Image.FLIP_LEFT_RIGHT), (512, 0))
    pair.save(out / "people-two.png")
    Image.fromarray(enlarged_eye(np.asarray(face))).save(out / "face-eye-enlarged.png")
    return [Sample("face-astronaut.png", "a portrait photo of a woman", None, "pass",
                   "a real face (scikit-image)"),
            Sample("people-two.png", "a couple smiling at the camera", None, "pass",
                   "two people, the count asked for"),
            Sample("face-eye-enlarged.png", "a portrait photo of a woman", None, "fail",
                   "the portrait with its left eye enlarged 1.6x")]  # fmt: skip


def write_bodies(out: Path) -> list[Sample]:
    """A whole body from opencv-doc's basketball photo, and the same with its left shin turned
    40 degrees at the knee (as ``body_heldout`` plants it). None without opencv-doc."""
    from t2iqa.benchmarks.body_heldout import OPENCV, shin_turned
    from t2iqa.checks.body_landmarks import JOINTS, bodies

    if not (OPENCV / "basketball1.png").is_file():
        return []
    rgb = np.asarray(Image.open(OPENCV / "basketball1.png").convert("RGB"))
    found = bodies(rgb)
    assert found, "the sample photo must show a body"
    knee, ankle = (found[0].pixels[JOINTS[j]] for j in ("left_knee", "left_ankle"))
    Image.fromarray(rgb).save(out / "body-player.png")
    Image.fromarray(shin_turned(rgb, knee, ankle, -40)).save(out / "body-knee-turned.png")
    prompt = "a man catching a ball"
    return [Sample("body-player.png", prompt, None, "pass", "a real body (opencv-doc)"),
            Sample("body-knee-turned.png", prompt, None, "fail",
                   "the player with his left shin turned 40 degrees at the knee")]  # fmt: skip


def enlarged_eye(rgb: np.ndarray, scale: float = 1.6) -> np.ndarray:
    """The face's left eye enlarged ``scale`` times (a feathered patch, as the face
    benchmark plants it)."""
    from t2iqa.benchmarks.face_heldout import face_geometry, patch_moved

    geometry = face_geometry(rgb)
    assert geometry is not None, "the sample photo must show a face"
    _, eyes, iod = geometry
    return patch_moved(rgb, eyes["left eye"], 0.35 * iod, scale, np.zeros(2))


def write_import_files(out: Path, samples: Sequence[Sample]) -> None:
    """A suite and an import manifest, so the samples can also be a run, the way images from
    a closed tool are imported: `t2iqa run --suite DIR/import-suite.yaml --images DIR`.
    Images of the same prompt become its seeds 0, 1, ..."""
    prompts: dict[str, str] = {}
    rows = []
    for s in samples:
        prompt_id = prompts.setdefault(s.prompt, f"qa-{len(prompts) + 1}")
        rows.append((s.file, prompt_id))
    categories = {
        p: "hands"
        if "hand" in p
        else "text"
        if '"' in p
        else "people"
        if "wom" in p or "man " in p
        else "alignment"
        for p in prompts
    }
    suite = {
        "name": "qa-samples", "version": "1",
        "description": "The QA sample images as prompts (written by t2iqa.benchmarks.qa_samples).",
        "prompts": [{"id": i, "prompt": p, "category": categories[p]} for p, i in prompts.items()],
    }  # fmt: skip
    (out / "import-suite.yaml").write_text(yaml.safe_dump(suite, sort_keys=False), "utf-8")
    seen: dict[str, int] = {}
    seeded = []
    for file, prompt_id in rows:
        seeded.append((file, prompt_id, seen.setdefault(prompt_id, 0)))
        seen[prompt_id] += 1
    write_import_manifest(out / "import.csv", seeded)


def write_import_manifest(path: Path, rows: Sequence[tuple[str, str, int]]) -> None:
    """The CSV `t2iqa run --images DIR --manifest PATH` reads: file, prompt_id, seed."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "prompt_id", "seed"])
        writer.writerows(rows)


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "demo-qa")
    samples = write_samples(out)
    hands = sum(s.rendered is None for s in samples)
    note = "" if hands else " (no hand photos: install Debian's opencv-doc to add them)"
    print(f"wrote {len(samples)} sample images and {out / 'manifest.jsonl'}{note}")


if __name__ == "__main__":
    main()
