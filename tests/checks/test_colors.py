"""Naming an object's colour: GenEval's crop (mask on grey), the CIELAB fallback on plain
rendered objects, and GenEval's CLIP classifier on the embedded CLIP (real code path,
random weights)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from t2iqa.checks.clip_alignment import EMBEDDED_CLIP
from t2iqa.checks.colors import (
    GENEVAL_BACKGROUND,
    ClipColors,
    LabColors,
    color_namer,
    dominant_color,
    object_crop,
)
from t2iqa.checks.detections import Detection
from t2iqa.core.expectations import COLORS

# One plain, unambiguous sRGB value per name (CSS's where it has one).
PLAIN = {
    "red": (220, 20, 30), "orange": (255, 140, 0), "yellow": (250, 230, 30),
    "green": (30, 160, 40), "blue": (20, 60, 220), "purple": (128, 0, 128),
    "pink": (255, 150, 190), "brown": (120, 70, 20), "black": (10, 10, 10),
    "white": (250, 250, 250),
}  # fmt: skip


def test_crop_paints_everything_outside_the_mask_genevals_grey() -> None:
    image = Image.new("RGB", (40, 30), (255, 0, 0))
    mask = np.zeros((10, 20), bool)
    mask[:, :10] = True
    crop = np.asarray(object_crop(image, Detection("car", 0.9, (30, 5, 50, 15), mask=mask)))
    assert crop.shape == (10, 10, 3)  # clipped to the image, mask clipped with it
    assert (crop == (255, 0, 0)).all()
    crop = np.asarray(object_crop(image, Detection("car", 0.9, (25, 5, 45, 15), mask=mask)))
    assert (crop[:, :10] == (255, 0, 0)).all() and (crop[:, 10:] == GENEVAL_BACKGROUND).all()


@pytest.mark.parametrize("name", COLORS)
def test_plain_colours_are_named(name: str) -> None:
    pixels = np.tile(np.array(PLAIN[name], np.uint8), (50, 1))
    assert dominant_color(pixels)[0] == name


def test_box_without_mask_reads_the_object_not_its_background() -> None:
    image = Image.new("RGB", (100, 100), PLAIN["green"])
    ImageDraw.Draw(image).ellipse((30, 30, 70, 70), fill=PLAIN["red"])
    [name] = LabColors().classify(image, [Detection("apple", 0.9, (25, 25, 75, 75))], "apple")
    assert name == "red"


def test_genevals_clip_classifier_runs_on_the_embedded_clip() -> None:
    namer, note = color_namer("clip", EMBEDDED_CLIP, None, None, "cpu")
    assert isinstance(namer, ClipColors) and note == ""
    classifier = namer.classifier("car")
    assert classifier.shape[0] == len(COLORS)
    assert np.allclose(classifier.norm(dim=-1).numpy(), 1.0, atol=1e-5)
    image = Image.new("RGB", (64, 64), PLAIN["blue"])
    names = namer.classify(image, [Detection("car", 0.9, (0, 0, 32, 32))] * 2, "car")
    assert len(names) == 2 and set(names) <= set(COLORS)


def test_missing_clip_weights_fall_back_to_cielab_and_say_so() -> None:
    namer, note = color_namer("clip", "ViT-B-32", "openai", None, "cpu")  # hub off, not cached
    assert isinstance(namer, LabColors) and "CIELAB fallback, not GenEval's" in note
    chosen, why = color_namer("cielab", "ViT-L-14", "openai", None, "cpu")
    assert isinstance(chosen, LabColors) and why == ""
