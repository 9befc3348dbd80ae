"""Precision, recall, density and coverage: Naeem et al.'s reference formulas on fixed
features (chunked or not), their behaviour on known distributions, and the four set metrics
end to end on the embedded DINOv2."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from t2iqa.checks import build_set_metrics
from t2iqa.checks import prdc as prdc_module
from t2iqa.checks.base import ImageUnderTest
from t2iqa.checks.prdc import NAMES, Membership, bootstrap, prdc
from t2iqa.core.expectations import Expectations
from t2iqa.core.prompts import PromptSpec


def reference_prdc(real: np.ndarray, fake: np.ndarray, k: int) -> dict[str, float]:
    """The formulas of Naeem et al.'s code (clovaai/generative-evaluation-prdc): full
    distance matrices, the k-th neighbour as the largest of the k + 1 smallest (self included)."""

    def pairwise(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.sqrt(((x[:, None, :] - y[None, :, :]) ** 2).sum(-1))

    def kth(d: np.ndarray) -> np.ndarray:
        idx = np.argpartition(d, k + 1, axis=-1)[..., : k + 1]
        return np.take_along_axis(d, idx, axis=-1).max(axis=-1)

    real_nn, fake_nn = kth(pairwise(real, real)), kth(pairwise(fake, fake))
    d = pairwise(real, fake)
    return {
        "precision": float((d < real_nn[:, None]).any(axis=0).mean()),
        "recall": float((d < fake_nn[None, :]).any(axis=1).mean()),
        "density": float((1.0 / k) * (d < real_nn[:, None]).sum(axis=0).mean()),
        "coverage": float((d.min(axis=1) < real_nn).mean()),
    }


@pytest.fixture
def features() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(180, 8)), rng.normal(0.4, 1.3, size=(150, 8))


@pytest.mark.parametrize("chunk", [4096, 37])
def test_prdc_equals_the_reference_formulas(
    features: tuple[np.ndarray, np.ndarray], chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prdc_module, "CHUNK", chunk)
    real, fake = features
    for k in (3, 5):
        ours, theirs = prdc(real, fake, k), reference_prdc(real, fake, k)
        for name in NAMES:
            assert ours[name] == pytest.approx(theirs[name], abs=1e-12), (name, k)


def test_prdc_tells_fidelity_from_diversity() -> None:
    rng = np.random.default_rng(1)
    real = rng.normal(size=(400, 4))
    same = prdc(real, rng.normal(size=(400, 4)))
    collapsed = prdc(real, rng.normal(scale=0.2, size=(400, 4)))  # faithful, not diverse
    assert min(same.values()) > 0.6
    assert collapsed["precision"] > 0.95 and collapsed["recall"] < 0.2
    assert collapsed["coverage"] < same["coverage"]


def test_the_interval_resamples_the_generated_images(
    features: tuple[np.ndarray, np.ndarray],
) -> None:
    member = Membership.of(*features, 5)
    assert member.values(np.ones(150)) == member.values()
    ci = bootstrap(member, 50)
    values = member.values()
    for name in NAMES:
        low, high = ci[name]
        assert low <= values[name] + 0.05 and high >= values[name] - 0.05 and low < high


def test_the_four_metrics_on_the_embedded_dinov2(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    folder = tmp_path / "real"
    folder.mkdir()
    for k in range(10):
        Image.fromarray(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)).save(folder / f"{k}.png")
    spec = PromptSpec("p", "x", "c", None, Expectations(), "suite")
    items = [ImageUnderTest(Image.fromarray(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)),
                            f"g{k}", spec) for k in range(9)]  # fmt: skip
    options = {n: {"reference": str(folder), "model": "embedded", "k": 3, "bootstrap": 10}
               for n in NAMES}  # fmt: skip
    metrics = build_set_metrics(list(NAMES), options)
    results = []
    for metric in metrics:
        metric.update(items)
        results.append(metric.compute())
    assert [r.metric for r in results] == list(NAMES)
    for r in results:
        assert r.n == 9 and r.value >= 0 and r.ci_low is not None and r.ci_low <= r.ci_high
        assert r.details["feature_extractor"] == "dinov2" and r.details["k"] == 3
        assert r.value == r.details[f"all_{r.metric}"] and "Naeem" in r.details["warning"]
    assert all(type(m).higher_is_better for m in metrics)
