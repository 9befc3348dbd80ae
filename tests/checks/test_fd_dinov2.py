"""FD-DINOv2: dgm-eval's formula on the same features, the DINOv2 class token, and the metric
end to end on a tiny config-built DINOv2 with seeded random weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
import torch
from PIL import Image

from t2iqa.checks import build_set_metrics
from t2iqa.checks.backbones import load_dinov2
from t2iqa.checks.base import ImageUnderTest
from t2iqa.checks.distances import FrechetTarget, frechet_to_target
from t2iqa.checks.features import FeatureExtractor, FeatureSpec, FeatureSpool
from t2iqa.core.errors import Unavailable
from t2iqa.core.expectations import Expectations
from t2iqa.core.prompts import PromptSpec


def dgm_eval_fd(mu1: np.ndarray, s1: np.ndarray, mu2: np.ndarray, s2: np.ndarray) -> float:
    """dgm-eval's Fréchet distance (the pytorch-fid formula it uses): scipy's sqrtm of the
    product, its real part, and an offset on the diagonals when the product is singular."""
    diff = mu1 - mu2
    covmean, _ = scipy.linalg.sqrtm(s1.dot(s2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(s1.shape[0]) * 1e-6
        covmean = scipy.linalg.sqrtm((s1 + offset).dot(s2 + offset))
    covmean = covmean.real
    return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def images(n: int, seed: int) -> list[Image.Image]:
    rng = np.random.default_rng(seed)
    return [Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)) for _ in range(n)]


def items(n: int, seed: int) -> list[ImageUnderTest]:
    spec = PromptSpec("p", "x", "c", None, Expectations(), "suite")
    return [ImageUnderTest(im, f"d{seed}-{k}", spec) for k, im in enumerate(images(n, seed))]


@pytest.fixture(scope="module")
def extractor() -> FeatureExtractor:
    return FeatureExtractor(FeatureSpec("dinov2", "clean", 224, "embedded"))


def test_fd_equals_dgm_evals_formula_on_the_same_dinov2_features(
    extractor: FeatureExtractor,
) -> None:
    real, fake = extractor(images(40, 1)), extractor(images(36, 2))
    assert real.shape == (40, 32)  # the tiny model's class token
    spool = FeatureSpool()
    spool.add(fake[:20])
    spool.add(fake[20:])
    mu, sigma = spool.mean_cov()
    ours = frechet_to_target(mu, sigma, FrechetTarget.of(real.mean(0), np.cov(real, rowvar=False)))
    theirs = dgm_eval_fd(fake.mean(0), np.cov(fake, rowvar=False), real.mean(0),
                         np.cov(real, rowvar=False))  # fmt: skip
    assert ours == pytest.approx(theirs, rel=1e-6)


def test_the_feature_is_the_class_token_after_the_final_norm(
    extractor: FeatureExtractor,
) -> None:
    net = extractor.net
    pixels = torch.rand(2, 3, 224, 224)
    with torch.no_grad():
        hidden = net.model(pixel_values=pixels).last_hidden_state  # type: ignore[union-attr]
        pooled = net.model(pixel_values=pixels).pooler_output  # type: ignore[union-attr]
    # transformers' Dinov2Model normalises the whole sequence; the pooled output is its CLS.
    np.testing.assert_allclose(pooled.numpy(), hidden[:, 0].numpy(), rtol=1e-5)


def test_fd_dinov2_end_to_end_on_the_embedded_model(tmp_path: Path) -> None:
    folder = tmp_path / "real"
    folder.mkdir()
    for k, im in enumerate(images(12, 3)):
        im.save(folder / f"{k}.png")
    options = {"fd_dinov2": {"reference": str(folder), "model": "embedded", "bootstrap": 5}}
    [metric] = build_set_metrics(["fd_dinov2"], options)
    metric.update(items(6, 4))
    metric.update(items(6, 5))
    result = metric.compute()
    assert result.n == 12 and np.isfinite(result.value) and result.value > 0
    assert result.ci_low is not None and result.ci_low <= result.ci_high
    assert result.details["feature_extractor"] == "dinov2"
    assert result.details["model"] == "embedded" and result.details["resolution"] == 224
    assert "FD-DINOv2 on 12 images" in result.details["warning"]
    # Reference statistics are cached per backbone and model, never shared with Inception's.
    keys = {FeatureSpec("dinov2", "clean", 224, m).key() for m in ("embedded", "facebook/x")}
    assert len(keys) == 2 and FeatureSpec("inception", "clean", 224).key() not in keys


def test_missing_weights_say_how_to_get_them() -> None:
    with pytest.raises(Unavailable, match=r"huggingface-cli download facebook/dinov2-large"):
        load_dinov2(str(Path("/nonexistent/dinov2")))
