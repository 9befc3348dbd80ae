"""The colour held-out set: splits apart, every object's colour from its own name's core,
its box around its mask."""

from __future__ import annotations

import colorsys
import itertools
import random

import numpy as np

from t2iqa.benchmarks.colors_heldout import CORES, PHOTOS, cases, sample_rgb


def test_splits_use_separate_photos_and_boxes_hold_their_objects() -> None:
    assert not set(PHOTOS["dev"]) & set(PHOTOS["heldout"])
    for case in itertools.islice(cases("dev"), 0, 240, 37):
        x0, y0, x1, y1 = case.box
        rows, cols = np.nonzero(case.mask)
        assert x0 <= cols.min() and cols.max() < x1 and y0 <= rows.min() and rows.max() < y1
        assert case.detection(True).mask.any() and case.detection(False).mask is None


def test_sampled_colours_stay_in_their_names_core() -> None:
    rng = random.Random(0)
    for name, (hue, sat, val) in CORES.items():
        for _ in range(20):
            h, s, v = colorsys.rgb_to_hsv(*(c / 255 for c in sample_rgb(rng, name)))
            assert sat[0] - 0.01 <= s <= sat[1] + 0.01 and val[0] - 0.01 <= v <= val[1] + 0.01
            if hue != (0, 360):
                past_start = (h * 360 - hue[0] + 180) % 360 - 180  # degrees, either way round
                assert -1 <= past_start <= hue[1] - hue[0] + 1, (name, h * 360)
