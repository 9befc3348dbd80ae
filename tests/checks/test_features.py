"""The steps before a distribution metric's distance: clean resize, streaming statistics and
reference statistics files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from t2iqa.checks.features import FeatureSpool, Reference, clean_resize, load_reference_npz
from t2iqa.core.errors import Unavailable


@pytest.fixture
def real() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(300, 32))


def test_streaming_statistics_equal_batch_ones(real: np.ndarray) -> None:
    spool = FeatureSpool()
    for start in range(0, len(real), 64):
        spool.add(real[start : start + 64])
    mu, sigma = spool.mean_cov()
    np.testing.assert_allclose(mu, real.mean(0), rtol=1e-12)
    np.testing.assert_allclose(sigma, np.cov(real, rowvar=False), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(spool.all_rows(), real, rtol=1e-6)  # float32 spool


def test_clean_resize_is_per_channel_float_bicubic() -> None:
    image = Image.effect_noise((64, 48), 50).convert("RGB")
    out = clean_resize(image, 299)
    assert out.shape == (299, 299, 3) and out.dtype == np.float32
    red = np.asarray(
        Image.fromarray(np.asarray(image, np.float32)[:, :, 0], mode="F").resize(
            (299, 299), Image.BICUBIC
        )
    )
    np.testing.assert_allclose(out[:, :, 0], np.clip(red, 0, 255))


def test_reference_npz_round_trip(tmp_path: Path, real: np.ndarray) -> None:
    mu, sigma = real.mean(0), np.cov(real, rowvar=False)
    Reference("r", mu, sigma, 300, real).save(tmp_path / "ref.npz")
    ref = load_reference_npz(tmp_path / "ref.npz")
    assert ref.n == 300 and ref.features is not None
    (tmp_path / "bad.npz").write_bytes(b"nope")
    with pytest.raises(Unavailable, match="not a reference statistics file"):
        load_reference_npz(tmp_path / "bad.npz")
