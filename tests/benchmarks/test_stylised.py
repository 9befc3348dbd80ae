"""benchmarks.stylised: photos made to look painted or drawn keep their size and subject."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from t2iqa.benchmarks.stylised import STYLES, stylised


@pytest.mark.parametrize("style", STYLES)
def test_a_stylised_photo_keeps_its_size_and_layout_but_not_its_pixels(style: str) -> None:
    photo = data.astronaut()
    looks = stylised(photo, style)
    assert looks.shape == photo.shape and looks.dtype == np.uint8
    assert not np.array_equal(looks, photo)
    # The same picture: the grey levels still follow the photo's (not noise, not blank).
    corr = np.corrcoef(looks.mean(axis=2).ravel(), photo.mean(axis=2).ravel())[0, 1]
    assert corr > 0.6


def test_a_cartoon_has_few_colours_and_dark_outlines() -> None:
    looks = stylised(data.astronaut(), "cartoon")
    assert len(np.unique(looks.reshape(-1, 3), axis=0)) <= 6**3 + 1
    assert (looks == 0).all(axis=2).mean() > 0.02  # outlines drawn in black


def test_an_unknown_style_is_refused() -> None:
    with pytest.raises(ValueError, match="painted"):
        stylised(data.astronaut(), "sketch")
