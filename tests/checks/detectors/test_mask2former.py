"""Mask2Former through transformers: the real loading and post-processing path on a tiny
config-built model with seeded random weights."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from t2iqa.checks import build_checks
from t2iqa.checks.base import ImageUnderTest, run_check
from t2iqa.checks.detectors import load_detector
from t2iqa.checks.detectors.mask2former import class_ids, from_mask
from t2iqa.core.errors import Unavailable
from t2iqa.core.expectations import parse_expectations
from t2iqa.core.nouns import COCO_CLASSES
from t2iqa.core.prompts import PromptSpec


def test_coco_models_answer_to_genevals_names() -> None:
    hub_names = {k: c for k, c in enumerate(COCO_CLASSES)} | {64: "mouse", 65: "remote"}
    ids = class_ids(hub_names)
    assert ids["computer mouse"] == ids["mouse"] == 64 and ids["tv remote"] == 65
    assert "computer mouse" not in class_ids({0: "mouse", 1: "wall"})  # not COCO's 80


def test_a_mask_gives_its_box_and_is_cropped_to_it() -> None:
    mask = np.zeros((20, 30), bool)
    mask[5:8, 10:14] = True
    d = from_mask("cat", 0.7, mask)
    assert d is not None and d.box == (10.0, 5.0, 14.0, 8.0)
    assert d.mask.shape == (3, 4) and d.mask.all()
    assert from_mask("cat", 0.7, np.zeros((4, 4), bool)) is None


def noise(width: int, height: int, seed: int = 0) -> Image.Image:
    """Seeded noise (PIL's effect_noise draws from C's rand(), which no seed here reaches)."""
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def test_tiny_mask2former_runs_the_real_path() -> None:
    detector = load_detector("mask2former", "embedded", "cpu")
    # A random-weight model proposes a non-empty mask on some images and not others: of five
    # seeded ones, at least one must give instances, and every instance must be well formed.
    images = [noise(96, 64, seed) for seed in range(5)]
    found = [d for image in images for d in detector.detect(image, ["cat", "computer mouse"], 0.0)]
    assert found, "a floor of 0 keeps every instance the model proposes"
    for d in found:
        x0, y0, x1, y1 = d.box
        assert 0 <= x0 < x1 <= 96 and 0 <= y0 < y1 <= 64 and 0 <= d.score <= 1
        assert d.mask.shape == (round(y1 - y0), round(x1 - x0)) and d.mask.any()
        assert d.label in ("cat", "computer mouse")
    with pytest.raises(Unavailable, match="no class"):
        detector.detect(images[0], ["unicorn"], 0.0)


def test_checks_run_on_the_mask2former_backend() -> None:
    options = {"backend": "mask2former", "model": "embedded"}
    checks = build_checks(["object_count", "composition"],
                          {"object_count": options, "composition": options})  # fmt: skip
    prompt = "two cats left of a dog"
    spec = PromptSpec("p", prompt, "c", None, parse_expectations(prompt), "prompt")
    item = ImageUnderTest(noise(64, 64), "m2f", spec)
    for check in checks:
        [r] = run_check(check, [item])
        assert r.verdict not in ("error", "unavailable"), r.reason
