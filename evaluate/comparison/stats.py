"""Statistics for comparing runs: prompt-level bootstrap intervals, sign-flip tests, Holm.

The unit of resampling is the prompt. Images made from the same prompt with different seeds
share the prompt's difficulty, so they are not independent draws; treating them as such
makes intervals too narrow. Seeds therefore stay nested inside their prompt: a bootstrap
sample draws prompts with replacement and keeps all of each drawn prompt's images.

Why the seeds are not resampled a second time inside each drawn prompt: the spread of
prompt means already contains the seed-to-seed noise, so a second stage counts that noise
twice and the interval comes out too wide (Davison & Hinkley 1997, section 3.8).

The interval is the *expanded* percentile interval (Hesterberg 2015, "What teachers should
know about the bootstrap", section 5.4): the bootstrap distribution of a mean is too narrow
by sqrt((n - 1) / n) and normal- rather than t-shaped, which at 20 prompts leaves a 95%
percentile interval covering about 91.5% of the time. Its quantiles are taken at levels
Phi(sqrt(n / (n - 1)) t_{n-1}(alpha)) instead of alpha. BCa (bias-corrected and
accelerated) was measured too and does not help here (91.75%): its corrections are for
skew and bias, not for the small-sample narrowness. ``benchmarks/compare_coverage.py``
measures all of them on simulated data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np
from scipy import stats as sps

DEFAULT_RESAMPLES = 5000  # enough resolution for Holm-adjusted tail probabilities
DEFAULT_CONFIDENCE = 0.95
_CHUNK = 250  # resamples per vectorised block; bounds memory on suites of many prompts


@dataclass(frozen=True)
class Estimate:
    """A mean with a percentile bootstrap interval over prompts."""

    value: float
    ci_low: float
    ci_high: float
    n_prompts: int
    n_images: int
    samples: np.ndarray | None = field(default=None, repr=False, compare=False)


def group_matrix(groups: Sequence[Sequence[float]]) -> tuple[np.ndarray, np.ndarray]:
    """Pad per-prompt value lists into a (prompts, max seeds) matrix plus a mask."""
    width = max((len(g) for g in groups), default=0)
    values = np.zeros((len(groups), width))
    mask = np.zeros((len(groups), width), dtype=bool)
    for i, g in enumerate(groups):
        values[i, : len(g)] = g
        mask[i, : len(g)] = True
    return values, mask


def bootstrap_means(
    groups: Sequence[Sequence[float]],
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    resample_seeds: bool = False,
) -> np.ndarray:
    """Image-weighted means of ``resamples`` bootstrap samples of prompts.

    ``groups[i]`` holds the values of prompt i's images (one per seed). Empty groups are
    dropped. With ``resample_seeds`` the images inside each drawn prompt are drawn again
    with replacement (the two-stage scheme; kept for the coverage benchmark).
    """
    groups = [g for g in groups if len(g)]
    if not groups:
        raise ValueError("no values to resample")
    values, mask = group_matrix(groups)
    counts = mask.sum(axis=1)
    rng = np.random.default_rng(seed)
    n = len(groups)
    out = np.empty(resamples)
    for start in range(0, resamples, _CHUNK):
        b = min(_CHUNK, resamples - start)
        picks = rng.integers(0, n, size=(b, n))
        if resample_seeds:
            width = values.shape[1]
            k = counts[picks][..., None]
            cols = np.floor(rng.random((b, n, width)) * k).astype(int)
            drawn = values[picks[..., None], cols]
            keep = np.arange(width)[None, None, :] < k
            out[start : start + b] = (drawn * keep).sum(axis=(1, 2)) / keep.sum(axis=(1, 2))
        else:
            sums = (values * mask).sum(axis=1)
            out[start : start + b] = sums[picks].sum(axis=1) / counts[picks].sum(axis=1)
    return out


def mean_of_groups(groups: Sequence[Sequence[float]]) -> float:
    flat = [v for g in groups for v in g]
    return float(np.mean(flat))


def expanded_level(level: float, n: int) -> float:
    """The quantile level of the expanded percentile interval for nominal ``level`` (a tail
    probability) and ``n`` resampled units; ``level`` itself when n < 2."""
    if n < 2:
        return level
    return float(sps.norm.cdf(np.sqrt(n / (n - 1)) * sps.t.ppf(level, n - 1)))


def nominal_level(level: float, n: int) -> float:
    """The inverse of ``expanded_level``: which nominal tail probability a bootstrap
    quantile level stands for (how tail p-values match the expanded interval)."""
    if n < 2:
        return level
    return float(sps.t.cdf(sps.norm.ppf(level) / np.sqrt(n / (n - 1)), n - 1))


def percentile_estimate(
    value: float, boots: np.ndarray, confidence: float, n_prompts: int, n_images: int
) -> Estimate:
    """The estimate with the expanded percentile interval of its bootstrap draws."""
    alpha = (1 - confidence) / 2
    levels = [expanded_level(alpha, n_prompts), expanded_level(1 - alpha, n_prompts)]
    low, high = np.quantile(boots, levels)
    # Guard the rounding of quantiles on constant data: the interval must hold the estimate.
    low, high = min(float(low), value), max(float(high), value)
    return Estimate(value, low, high, n_prompts, n_images, boots)


def estimate(
    groups: Sequence[Sequence[float]],
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = 0,
) -> Estimate:
    """Mean over all images and its percentile interval from the prompt bootstrap."""
    groups = [list(g) for g in groups if len(g)]
    if not groups:
        raise ValueError("no values to estimate from")
    boots = bootstrap_means(groups, resamples, seed)
    n_images = sum(len(g) for g in groups)
    return percentile_estimate(mean_of_groups(groups), boots, confidence, len(groups), n_images)


def difference_unpaired(
    baseline: Sequence[Sequence[float]],
    candidate: Sequence[Sequence[float]],
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = 0,
) -> Estimate:
    """candidate mean − baseline mean when the images cannot be paired (different prompts).

    Each run's prompts are resampled independently.
    """
    base = [list(g) for g in baseline if len(g)]
    cand = [list(g) for g in candidate if len(g)]
    if not base or not cand:
        raise ValueError("both runs need values")
    value = mean_of_groups(cand) - mean_of_groups(base)
    boots = bootstrap_means(cand, resamples, seed + 1) - bootstrap_means(base, resamples, seed)
    n_prompts, n_images = min(len(base), len(cand)), sum(map(len, base + cand))
    return percentile_estimate(value, boots, confidence, n_prompts, n_images)


def tail_pvalue(est: Estimate, threshold: float, below: bool) -> float:
    """Bootstrap p-value that the true value is not below (``below``) / above ``threshold``.

    For "regressed beyond tolerance" this is the share of resamples at or above
    −tolerance: a value under (1 − confidence) / 2 is the same statement as "the interval
    lies below −tolerance", and it can be corrected for many cells with Holm.
    """
    if est.samples is None:
        raise ValueError("the estimate kept no bootstrap samples")
    hits = int(np.sum(est.samples >= threshold) if below else np.sum(est.samples <= threshold))
    share = (hits + 1) / (est.samples.size + 1)
    if hits == 0:
        # No draw reaches the threshold: the tail lies beyond what the resamples resolve, and
        # 1 / (B + 1) is an artifact of B. A normal tail with the bootstrap's standard error
        # estimates it there (zero spread: every prompt moved alike, p = 0).
        spread = float(np.std(est.samples))
        gap = abs(est.value - threshold)
        share = min(share, NormalDist().cdf(-gap / spread) if spread > 0 else 0.0)
    # The share of draws beyond the threshold is a quantile level of the bootstrap
    # distribution; mapped back to the nominal level so that "p < alpha" and "the
    # expanded interval excludes the threshold" stay the same statement.
    return nominal_level(float(share), est.n_prompts)


def sign_flip_pvalue(
    prompt_differences: Sequence[float], resamples: int = 10000, seed: int = 0
) -> float:
    """Two-sided paired test that the mean prompt-level difference is zero.

    Under the null the difference of each prompt is as likely to be positive as negative,
    so the signs are flipped at random. With few prompts every sign pattern is enumerated
    (an exact test). The +1 terms keep a Monte Carlo p-value valid (never exactly 0).
    """
    d = np.asarray(prompt_differences, dtype=float)
    d = d[d != 0]  # zero differences carry no sign information
    if d.size == 0:
        return 1.0
    observed = abs(d.mean())
    tol = 1e-12 * max(1.0, observed)
    if d.size <= 16:
        patterns = ((np.arange(2**d.size)[:, None] >> np.arange(d.size)) & 1) * 2 - 1
        stats = np.abs((patterns * d).mean(axis=1))
        return float(np.mean(stats >= observed - tol))
    rng = np.random.default_rng(seed)
    hits = 0
    for start in range(0, resamples, 1000):
        b = min(1000, resamples - start)
        signs = rng.choice((-1.0, 1.0), size=(b, d.size))
        hits += int(np.sum(np.abs((signs * d).mean(axis=1)) >= observed - tol))
    return (hits + 1) / (resamples + 1)


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1)."""
    p = np.asarray(pvalues, dtype=float)
    m = p.size
    order = np.argsort(p, kind="stable")
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted.tolist()


def normal_difference(
    base: tuple[float, float, float], cand: tuple[float, float, float], confidence: float
) -> tuple[float, float, float]:
    """Difference of two independent estimates given as (value, ci_low, ci_high).

    Used for set metrics, whose intervals come from separate bootstraps of each run: the
    standard errors are read off the interval widths and added in quadrature.
    """
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    se = float(
        np.hypot(standard_error(*base[1:], confidence), standard_error(*cand[1:], confidence))
    )
    diff = cand[0] - base[0]
    return diff, diff - z * se, diff + z * se


def standard_error(low: float, high: float, confidence: float) -> float:
    """The standard error a normal interval [low, high] at ``confidence`` implies."""
    return (high - low) / (2 * NormalDist().inv_cdf(0.5 + confidence / 2))


def normal_tail_pvalue(
    difference: tuple[float, float, float], threshold: float, confidence: float, above: bool
) -> float:
    """p-value that a normal difference (value, low, high) is not above (``above``) / below
    ``threshold``: the normal counterpart of ``tail_pvalue``."""
    value, low, high = difference
    se = max(standard_error(low, high, confidence), 1e-12)
    z = (value - threshold) / se
    return 1 - NormalDist().cdf(z) if above else NormalDist().cdf(z)


def permutation_pvalue(
    a: Sequence[float], b: Sequence[float], resamples: int = 10000, seed: int = 0
) -> float:
    """Two-sided test that two independent samples (prompt means) share their mean.

    For runs that cannot be paired: the group labels are shuffled at random.
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.size == 0 or y.size == 0:
        return 1.0
    pooled = np.concatenate([x, y])
    observed = abs(x.mean() - y.mean())
    tol = 1e-12 * max(1.0, observed)
    rng = np.random.default_rng(seed)
    hits = 0
    for start in range(0, resamples, 1000):
        n = min(1000, resamples - start)
        perm = np.argsort(rng.random((n, pooled.size)), axis=1)
        shuffled = pooled[perm]
        diff = shuffled[:, : x.size].mean(axis=1) - shuffled[:, x.size :].mean(axis=1)
        hits += int(np.sum(np.abs(diff) >= observed - tol))
    return (hits + 1) / (resamples + 1)
