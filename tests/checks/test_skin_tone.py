"""Skin tone: ITA and the Monk bands on known colours, the mask on a real face, and faces
under a colour cast left unjudged."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from t2iqa.checks.skin_tone import MONK_HEX, face_tones, ita, monk_itas, skin_tone


def swatch(hex_colour: str, side: int = 40) -> np.ndarray:
    rgb = [int(hex_colour[i : i + 2], 16) for i in (0, 2, 4)]
    return np.tile(np.array(rgb, np.uint8), (side, side, 1))


def test_ita_follows_chardons_formula() -> None:
    assert ita(50.0, 20.0) == 0.0
    assert ita(70.0, 20.0) == pytest.approx(45.0)
    assert ita(30.0, 20.0) == pytest.approx(-45.0)
    assert np.all(np.diff(monk_itas()) < 0)  # MST 1 lightest ... MST 10 darkest


@pytest.mark.parametrize("band", range(1, 11))
def test_each_monk_swatch_reads_as_its_own_band(band: int) -> None:
    tone = skin_tone(swatch(MONK_HEX[band - 1]), np.ones((40, 40), bool))
    assert tone is not None and tone.band == band and tone.label == f"MST {band}"


def test_too_few_pixels_or_a_blue_cast_is_not_judged() -> None:
    mask = np.zeros((40, 40), bool)
    mask[:5, :5] = True
    assert skin_tone(swatch(MONK_HEX[4]), mask) is None
    assert skin_tone(swatch("b0c0e0"), np.ones((40, 40), bool)) is None  # b* < 0: no skin hue


def test_a_real_face_is_found_masked_and_placed() -> None:
    (tone,) = face_tones(data.astronaut())
    assert tone is not None and tone.band == 5 and 40 < tone.ita < 60
    assert tone.pixels > 2000  # the face's skin, not a few pixels
    mirrored = face_tones(np.ascontiguousarray(data.astronaut()[:, ::-1]))[0]
    assert mirrored is not None and abs(mirrored.ita - tone.ita) < 3
    assert face_tones(np.full((256, 256, 3), 128, np.uint8)) == []  # nobody there
