"""FID, KID and CMMD: conformance with torchmetrics, clean-fid and the CMMD reference formula on
identical features, then the set metrics end to end on tiny feature extractors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from cleanfid.fid import frechet_distance as cleanfid_frechet
from PIL import Image
from torchmetrics.image.fid import _compute_fid
from torchmetrics.image.kid import poly_mmd

from t2iqa.checks import build_set_metrics
from t2iqa.checks.base import ImageUnderTest
from t2iqa.checks.distances import cmmd, frechet_distance, kid
from t2iqa.checks.features import FeatureExtractor
from t2iqa.core.errors import T2IQAError, Unavailable
from t2iqa.core.expectations import Expectations
from t2iqa.core.prompts import PromptSpec


@pytest.fixture
def features() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    real = rng.normal(size=(300, 32))
    fake = rng.normal(0.3, 1.2, size=(250, 32)) + real[:250] * 0.2
    return real, fake


def stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return x.mean(0), np.cov(x, rowvar=False)


def test_fid_agrees_with_torchmetrics_and_cleanfid(features: tuple[np.ndarray, np.ndarray]) -> None:
    (mu1, s1), (mu2, s2) = stats(features[0]), stats(features[1])
    ours = frechet_distance(mu1, s1, mu2, s2)
    tm = float(_compute_fid(*(torch.from_numpy(a) for a in (mu1, s1, mu2, s2))))
    cf = float(cleanfid_frechet(mu1, s1, mu2, s2))
    assert ours == pytest.approx(tm, rel=1e-6)
    assert ours == pytest.approx(cf, rel=1e-6)
    assert frechet_distance(mu1, s1, mu1, s1) == pytest.approx(0.0, abs=1e-8)


def test_kid_agrees_with_torchmetrics(features: tuple[np.ndarray, np.ndarray]) -> None:
    real, fake = features[0][:250], features[1]
    # One subset of the whole set: the estimator is permutation-invariant, so no sampling.
    ours, _ = kid(real, fake, subsets=1, subset_size=250)
    tm = float(poly_mmd(torch.from_numpy(real), torch.from_numpy(fake)))
    assert ours == pytest.approx(tm, rel=1e-9)


def test_cmmd_matches_the_reference_formula(features: tuple[np.ndarray, np.ndarray]) -> None:
    real, fake = features[0][:40], features[1][:30]
    x = real / np.linalg.norm(real, axis=1, keepdims=True)
    y = fake / np.linalg.norm(fake, axis=1, keepdims=True)

    def k(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.exp(-np.sum((a - b) ** 2) / (2 * 10.0**2)))

    kxx = sum(k(a, b) for a in x for b in x) / len(x) ** 2
    kyy = sum(k(a, b) for a in y for b in y) / len(y) ** 2
    kxy = sum(k(a, b) for a in x for b in y) / (len(x) * len(y))
    assert cmmd(real, fake) == pytest.approx(1000 * (kxx + kyy - 2 * kxy), rel=1e-9)
    kxx_u = sum(k(a, b) for i, a in enumerate(x) for j, b in enumerate(x) if i != j)
    kyy_u = sum(k(a, b) for i, a in enumerate(y) for j, b in enumerate(y) if i != j)
    unbiased = kxx_u / (40 * 39) + kyy_u / (30 * 29) - 2 * kxy
    assert cmmd(real, fake, unbiased=True) == pytest.approx(1000 * unbiased, rel=1e-9)
    assert cmmd(real, real) == pytest.approx(0.0, abs=1e-9)


# ------------------------------------------------------------------ set metrics end to end


def items(n: int, seed: int) -> list[ImageUnderTest]:
    spec = PromptSpec("p", "x", "c", None, Expectations(), "suite")
    return [
        ImageUnderTest(Image.effect_noise((64, 64), 30 + (seed * 7 + k) % 40).convert("RGB"),
                       f"h{seed}-{k}", spec)
        for k in range(n)
    ]  # fmt: skip


@pytest.fixture
def reference_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "real"
    folder.mkdir()
    for k, it in enumerate(items(12, 1)):
        it.image.save(folder / f"{k}.png")
    return folder


def test_fid_kid_cmmd_on_embedded_features(reference_folder: Path) -> None:
    options = {
        "fid": {"reference": str(reference_folder), "feature_extractor": "embedded",
                "bootstrap": 5},
        "kid": {"reference": str(reference_folder), "feature_extractor": "embedded",
                "subsets": 10, "subset_size": 8},
        "cmmd": {"reference": str(reference_folder), "model": "embedded", "bootstrap": 20},
    }  # fmt: skip
    metrics = build_set_metrics(["fid", "kid", "cmmd"], options)
    for metric in metrics:
        metric.update(items(6, 2))
        metric.update(items(6, 3))
        result = metric.compute()
        assert result.n == 12 and np.isfinite(result.value)
        assert result.ci_low is not None and result.ci_low <= result.ci_high
        assert "warning" in result.details  # 12 images mean little, and it says so
    fid = metrics[0].compute()
    assert fid.details["resize_mode"] == "clean" and fid.details["reference_n"] == 12


def test_fid_and_kid_on_the_same_batch_extract_features_once(
    reference_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    extract = FeatureExtractor.__call__

    def counting(self: FeatureExtractor, images: list[Image.Image]) -> np.ndarray:
        calls.append(len(images))
        return extract(self, images)

    common = {"reference": str(reference_folder), "feature_extractor": "embedded"}
    fid, kid_metric = build_set_metrics(
        ["fid", "kid"], {"fid": common, "kid": {**common, "subsets": 5, "subset_size": 8}}
    )
    fid.reference(), kid_metric.reference()  # reference features: computed (and cached) once
    monkeypatch.setattr(FeatureExtractor, "__call__", counting)
    batches = [items(6, 2), items(6, 3)]  # effect_noise is random: make each batch once
    for batch in batches:  # as the runner does: each batch to every metric in turn
        fid.update(batch)
        kid_metric.update(batch)
    assert sum(calls) == 12  # not 24
    assert np.array_equal(fid.spool.all_rows(), kid_metric.spool.all_rows())
    # Other images are other features: nothing is reused across different batches.
    calls.clear()
    [alone] = build_set_metrics(["fid"], {"fid": common})
    for batch in batches:
        alone.update(batch)
    assert sum(calls) == 12
    assert np.array_equal(fid.spool.all_rows(), alone.spool.all_rows())  # the same numbers


def test_set_metric_problems_are_clear(reference_folder: Path) -> None:
    with pytest.raises(T2IQAError, match="unknown set metric"):
        build_set_metrics(["is"])
    with pytest.raises(T2IQAError, match="no option"):
        build_set_metrics(["fid"], {"fid": {"refs": "x"}})
    [fid] = build_set_metrics(["fid"], {"fid": {"feature_extractor": "embedded"}})
    fid.update(items(3, 0))
    with pytest.raises(Unavailable, match="needs a reference"):
        fid.compute()
    [inception] = build_set_metrics(["fid"], {"fid": {"reference": str(reference_folder)}})
    with pytest.raises(Unavailable, match="inception_weights=PATH"):
        inception.update(items(2, 0))  # standard weights not downloadable here
