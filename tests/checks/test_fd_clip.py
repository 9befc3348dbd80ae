"""The distribution metrics over named backbones: FD in CLIP features (dgm-eval's formula on
the same features, which are open_clip's projected image embedding), KID in DINOv2 and CLIP
features, PRDC in CLIP features; each end to end on tiny seeded models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from t2iqa.checks import build_set_metrics
from t2iqa.checks.backbones import load_clip_backbone
from t2iqa.checks.clip_alignment import EMBEDDED_CLIP, load_clip, register_embedded_clip
from t2iqa.checks.distances import FrechetTarget, frechet_to_target
from t2iqa.checks.features import FeatureExtractor, FeatureSpec, FeatureSpool, backbone_spec
from t2iqa.core.errors import Unavailable
from tests.checks.test_fd_dinov2 import dgm_eval_fd, images, items


@pytest.fixture(scope="module")
def extractor() -> FeatureExtractor:
    return FeatureExtractor(backbone_spec("clip", "embedded", None))


def reference(tmp_path: Path) -> str:
    folder = tmp_path / "real"
    folder.mkdir()
    for k, im in enumerate(images(12, 3)):
        im.save(folder / f"{k}.png")
    return str(folder)


def test_the_clip_feature_is_open_clips_image_embedding_unnormalised(
    extractor: FeatureExtractor,
) -> None:
    scorer = load_clip(EMBEDDED_CLIP, None, str(register_embedded_clip()[1]), None, "cpu")
    assert extractor.spec.resolution == 64  # the embedded CLIP's input size
    pixels = torch.randint(0, 256, (2, 3, 64, 64), dtype=torch.uint8)
    normalised = scorer.preprocess.transforms[-1](pixels.float() / 255.0)  # CLIP's Normalize
    with torch.no_grad():
        expected = scorer.model.encode_image(normalised).float()
        ours = extractor.net(pixels)
    torch.testing.assert_close(ours, expected)
    assert not torch.allclose(ours.norm(dim=-1), torch.ones(2))


def test_fd_clip_equals_dgm_evals_formula_on_the_same_features(
    extractor: FeatureExtractor, tmp_path: Path
) -> None:
    real, fake = extractor(images(40, 1)), extractor(images(36, 2))
    spool = FeatureSpool()
    spool.add(fake)
    mu, sigma = spool.mean_cov()
    ours = frechet_to_target(mu, sigma, FrechetTarget.of(real.mean(0), np.cov(real, rowvar=False)))
    theirs = dgm_eval_fd(fake.mean(0), np.cov(fake, rowvar=False), real.mean(0),
                         np.cov(real, rowvar=False))  # fmt: skip
    assert ours == pytest.approx(theirs, rel=1e-6)
    options = {"fd_clip": {"reference": reference(tmp_path), "model": "embedded", "bootstrap": 5}}
    [metric] = build_set_metrics(["fd_clip"], options)
    metric.update(items(12, 4))
    result = metric.compute()
    assert result.n == 12 and np.isfinite(result.value) and result.value > 0
    assert result.details["feature_extractor"] == "clip" and result.details["model"] == "embedded"
    assert result.ci_low is not None and "FD-CLIP on 12 images" in result.details["warning"]


def test_kid_and_prdc_in_other_feature_spaces(tmp_path: Path) -> None:
    ref = reference(tmp_path)
    for backbone, size in (("dinov2", 224), ("clip", 64)):
        options = {"kid": {"reference": ref, "feature_extractor": backbone, "model": "embedded",
                           "subset_size": 6}}  # fmt: skip
        [kid] = build_set_metrics(["kid"], options)
        kid.update(items(8, 5))
        result = kid.compute()
        assert np.isfinite(result.value) and result.details["feature_extractor"] == backbone
        assert result.details["model"] == "embedded" and result.details["resolution"] == size
    prdc_options = {"precision": {"reference": ref, "backbone": "clip", "model": "embedded",
                                  "bootstrap": 0, "k": 3}}  # fmt: skip
    [precision] = build_set_metrics(["precision"], prdc_options)
    precision.update(items(8, 6))
    result = precision.compute()
    assert 0.0 <= result.value <= 1.0 and result.details["feature_extractor"] == "clip"
    # Statistics are cached per backbone and model: no two spaces share a key.
    keys = {backbone_spec(b, "embedded", None).key() for b in ("dinov2", "clip")}
    keys |= {FeatureSpec("clip", "clean", 64, "ViT-B-32/openai").key()}
    assert len(keys) == 3


def test_a_clip_that_cannot_be_loaded_is_unavailable() -> None:
    with pytest.raises(Unavailable):
        load_clip_backbone("ViT-B-32/not-a-tag")
