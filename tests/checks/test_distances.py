"""The FID interval's fast paths (reference square root once; N x N when N < d; symmetric
eigenvalues) give the replicate values the plain formula gives: the same interval, so the
same coverage."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from t2iqa.checks import distances
from t2iqa.checks.distances import FrechetTarget, bootstrap_fid, frechet_distance
from t2iqa.checks.features import FeatureSpool


def plain_fid(mu1: np.ndarray, s1: np.ndarray, mu2: np.ndarray, s2: np.ndarray) -> float:
    """The textbook formula with scipy's general matrix square root."""
    root = scipy.linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * root))


def plain_interval(rows: np.ndarray, mu2: np.ndarray, s2: np.ndarray, replicates: int):  # type: ignore[no-untyped-def]
    rng, n, values = np.random.default_rng(0), len(rows), []
    for _ in range(replicates):
        w = rng.multinomial(n, np.full(n, 1.0 / n)).astype(np.float64)
        mu = w @ rows / n
        centred = rows - mu
        sigma = (centred * w[:, None]).T @ centred / (n - 1)
        values.append(plain_fid(mu, sigma, mu2, s2))
    return tuple(np.percentile(values, [2.5, 97.5]))


def simulated(n: int, d: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) / np.sqrt(d) + rng.normal(size=d)


@pytest.mark.parametrize(("n", "d", "in_memory"), [(24, 48, True), (80, 32, True), (80, 32, False)])
def test_fast_interval_equals_the_plain_one(
    n: int, d: int, in_memory: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = simulated(300, d, 1)
    mu2, s2 = reference.mean(0), np.cov(reference, rowvar=False)
    rows = simulated(n, d, 2).astype(np.float32).astype(np.float64)  # the spool keeps float32
    spool = FeatureSpool()
    spool.add(rows)
    if not in_memory:
        monkeypatch.setattr(distances, "IN_MEMORY_ROWS", 10)
    fast = bootstrap_fid(spool, FrechetTarget.of(mu2, s2), replicates=30)
    assert fast == pytest.approx(plain_interval(rows, mu2, s2, 30), rel=1e-6)


def test_the_value_is_the_plain_formulas() -> None:
    a, b = simulated(200, 40, 3), simulated(150, 40, 4)
    args = (a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))
    assert frechet_distance(*args) == pytest.approx(plain_fid(*args), rel=1e-6)
