"""The functional core of the distribution metrics: distances between feature sets and their
bootstrap intervals, on plain float64 arrays (the metric classes in ``distribution`` feed
them). FID equals torchmetrics' and clean-fid's to 1e-6 relative (conformance tests).

The FID interval resamples the generated images with the reference held fixed, so what
belongs to the reference is computed once (``FrechetTarget``: its mean, trace and matrix
square root R). Then Tr((S1 S2)^1/2) = Tr((R S1 R)^1/2), a symmetric problem, and with
N < d generated rows it is an N x N one: R S1 R = Y^T Y / (N - 1) with Y the weighted,
centred rows times R, whose non-zero eigenvalues are those of Y Y^T / (N - 1).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

CMMD_SIGMA = 10.0
CMMD_SCALE = 1000.0


def frechet_distance(mu1: np.ndarray, s1: np.ndarray, mu2: np.ndarray, s2: np.ndarray) -> float:
    """||mu1 - mu2||^2 + Tr(s1 + s2 - 2 (s1 s2)^(1/2)), in float64."""
    return frechet_to_target(mu1, s1, FrechetTarget.of(mu2, s2))


@dataclass(frozen=True)
class FrechetTarget:
    """The reference side of FID, computed once: mean, trace of the covariance, and the
    covariance's symmetric square root (negative eigenvalues of round-off clipped to 0)."""

    mu: np.ndarray
    trace: float
    root: np.ndarray

    @classmethod
    def of(cls, mu: np.ndarray, sigma: np.ndarray) -> FrechetTarget:
        values, vectors = np.linalg.eigh((sigma + sigma.T) / 2.0)
        root = (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T
        return cls(np.asarray(mu, np.float64), float(np.trace(sigma)), root)


def trace_sqrt(symmetric: np.ndarray) -> float:
    """The trace of a symmetric PSD matrix's square root: the sum of the roots of its
    eigenvalues (round-off negatives count as 0)."""
    return float(np.sqrt(np.clip(np.linalg.eigvalsh(symmetric), 0.0, None)).sum())


def frechet_to_target(mu1: np.ndarray, s1: np.ndarray, target: FrechetTarget) -> float:
    diff = mu1 - target.mu
    root = target.root
    return float(diff @ diff + np.trace(s1) + target.trace - 2.0 * trace_sqrt(root @ s1 @ root))


def poly_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """KID's kernel: (x.y / d + 1)^3."""
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def mmd2_unbiased(kxx: np.ndarray, kyy: np.ndarray, kxy: np.ndarray) -> float:
    m, n = len(kxx), len(kyy)
    xx = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    yy = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(xx + yy - 2.0 * kxy.mean())


def kid(
    real: np.ndarray, fake: np.ndarray, subsets: int, subset_size: int, seed: int = 0
) -> tuple[float, np.ndarray]:
    """KID as torchmetrics computes it: mean unbiased polynomial MMD^2 over random subsets
    (subset_size is capped at the smaller set). Returns (mean, per-subset values)."""
    size = min(subset_size, len(real), len(fake))
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(subsets):
        r = real[rng.choice(len(real), size, replace=False)]
        f = fake[rng.choice(len(fake), size, replace=False)]
        values.append(mmd2_unbiased(poly_kernel(r, r), poly_kernel(f, f), poly_kernel(r, f)))
    arr = np.asarray(values)
    return float(arr.mean()), arr


def rbf_kernel(x: np.ndarray, y: np.ndarray, sigma: float = CMMD_SIGMA) -> np.ndarray:
    sq = (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2.0 * x @ y.T
    return np.exp(-sq / (2.0 * sigma * sigma))


def cmmd(
    real: np.ndarray, fake: np.ndarray, unbiased: bool = False, sigma: float = CMMD_SIGMA
) -> float:
    """CMMD (Jayasumana et al. 2024): scale * MMD^2 with a Gaussian RBF kernel on
    L2-normalised CLIP embeddings. The default is the authors' estimator: plain means over
    the full kernel matrices, diagonals included."""
    x = real / np.linalg.norm(real, axis=1, keepdims=True)
    y = fake / np.linalg.norm(fake, axis=1, keepdims=True)
    kxx, kyy, kxy = rbf_kernel(x, x, sigma), rbf_kernel(y, y, sigma), rbf_kernel(x, y, sigma)
    if unbiased:
        return CMMD_SCALE * mmd2_unbiased(kxx, kyy, kxy)
    return float(CMMD_SCALE * (kxx.mean() + kyy.mean() - 2.0 * kxy.mean()))


# ---------------------------------------------------------------- intervals


class Rows(Protocol):
    """Generated features, re-readable: a ``FeatureSpool``."""

    n: int

    def rows(self, chunk: int = 4096) -> Iterator[np.ndarray]: ...


# Up to this many rows are held in memory for the bootstrap (float64: 64 MiB at d = 2048);
# more are re-read from the spool for every replicate.
IN_MEMORY_ROWS = 4096


def bootstrap_fid(
    spool: Rows, target: FrechetTarget, replicates: int, seed: int = 0
) -> tuple[float, float] | None:
    """95% percentile interval of FID over resamples of the generated images (the reference
    held fixed). The resamples are multinomial weights on the rows, drawn in the same order
    whatever path computes them."""
    if replicates <= 0 or spool.n < 2:
        return None
    rng = np.random.default_rng(seed)
    draws = (rng.multinomial(spool.n, np.full(spool.n, 1.0 / spool.n)).astype(np.float64)
             for _ in range(replicates))  # fmt: skip
    if spool.n <= IN_MEMORY_ROWS:
        rows = np.concatenate(list(spool.rows()))
        projected = rows @ target.root
        values = [_weighted_fid_projected(rows, projected, w, target) for w in draws]
    else:
        values = [_weighted_fid_streamed(spool, w, target) for w in draws]
    lo, hi = np.percentile(values, [2.5, 97.5])
    return float(lo), float(hi)


def _weighted_fid_projected(
    rows: np.ndarray, projected: np.ndarray, weights: np.ndarray, target: FrechetTarget
) -> float:
    """FID of the weighted rows, given them times R (``projected``, N x d): Tr(S1) and the
    mean come from the rows, the root term from an N x N (or d x d) symmetric matrix."""
    n = len(rows)
    mu = weights @ rows / n
    centred = rows - mu
    trace_s1 = float(weights @ (centred * centred).sum(axis=1)) / (n - 1)
    y = np.sqrt(weights)[:, None] * (projected - weights @ projected / n)
    gram = (y @ y.T) if n < y.shape[1] else (y.T @ y)
    diff = mu - target.mu
    return float(diff @ diff + trace_s1 + target.trace - 2.0 * trace_sqrt(gram / (n - 1)))


def _weighted_fid_streamed(spool: Rows, weights: np.ndarray, target: FrechetTarget) -> float:
    """FID of the weighted rows, re-reading them chunk by chunk: constant memory in N."""
    total: Any = 0.0
    outer: Any = 0.0
    offset = 0
    for rows in spool.rows():
        w = weights[offset : offset + len(rows)]
        offset += len(rows)
        total = total + (w[:, None] * rows).sum(0)
        outer = outer + rows.T @ (w[:, None] * rows)
    mu = total / spool.n
    sigma = (outer - spool.n * np.outer(mu, mu)) / (spool.n - 1)
    return frechet_to_target(mu, sigma, target)


def bootstrap_rows(
    fn: Any, real: np.ndarray, fake: np.ndarray, replicates: int, seed: int = 0
) -> tuple[float, float] | None:
    """95% percentile interval of fn(real, fake[resampled]) over resamples of the generated
    rows."""
    if replicates <= 0 or len(fake) < 2:
        return None
    rng = np.random.default_rng(seed)
    values = [fn(real, fake[rng.integers(0, len(fake), len(fake))]) for _ in range(replicates)]
    lo, hi = np.percentile(values, [2.5, 97.5])
    return float(lo), float(hi)
