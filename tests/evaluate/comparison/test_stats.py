from __future__ import annotations

import itertools

import numpy as np
import pytest

from t2iqa.benchmarks.compare_coverage import coverage
from t2iqa.comparison.stats import (
    bootstrap_means,
    difference_unpaired,
    estimate,
    holm,
    normal_difference,
    permutation_pvalue,
    sign_flip_pvalue,
)


def test_prompt_bootstrap_covers_the_true_difference_near_95_percent() -> None:
    # 50 prompts x 4 seeds, a real shift; simulated pass/fail data with prompt difficulty.
    cov, _ = coverage(trials=300, prompts=50, seeds=4, shift=-0.5, resample_seeds=False,
                      resamples=500)  # fmt: skip
    assert 0.92 <= cov <= 0.975


def test_two_stage_bootstrap_is_wider_than_the_prompt_bootstrap() -> None:
    # Why seeds are not resampled again inside prompts: it counts their noise twice.
    narrow = coverage(100, 50, 4, 0.0, resample_seeds=False, resamples=300)
    wide = coverage(100, 50, 4, 0.0, resample_seeds=True, resamples=300)
    assert wide[1] > narrow[1] * 1.15
    assert wide[0] >= narrow[0]


def test_identical_values_give_a_zero_width_interval() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        groups = [list(rng.integers(0, 2, size=3).astype(float)) for _ in range(15)]
        diff = estimate([[c - b for b, c in zip(g, g, strict=True)] for g in groups])
        assert diff.value == diff.ci_low == diff.ci_high == 0.0


def test_estimate_interval_holds_the_estimate_and_counts() -> None:
    est = estimate([[1.0, 0.0], [1.0], [0.0, 0.0, 1.0]], resamples=400)
    assert est.ci_low <= est.value <= est.ci_high
    assert (est.n_prompts, est.n_images) == (3, 6)
    assert est.value == pytest.approx(3 / 6)


def test_bootstrap_is_deterministic_for_a_seed_and_weights_images() -> None:
    groups = [[1.0, 1.0, 1.0, 1.0], [0.0]]
    a = bootstrap_means(groups, 300, seed=3)
    assert np.array_equal(a, bootstrap_means(groups, 300, seed=3))
    # A sample of both prompts once is image-weighted: 4/5, not the mean of prompt means.
    assert np.any(np.isclose(a, 0.8))
    with pytest.raises(ValueError):
        bootstrap_means([[]])


def test_unpaired_difference_of_separated_groups_excludes_zero() -> None:
    rng = np.random.default_rng(1)
    base = [list(rng.normal(0.0, 1, 3)) for _ in range(40)]
    cand = [list(rng.normal(1.0, 1, 3)) for _ in range(30)]
    diff = difference_unpaired(base, cand, resamples=500)
    assert 0 < diff.ci_low < diff.value < diff.ci_high


def test_sign_flip_is_exact_for_few_prompts() -> None:
    assert sign_flip_pvalue([1.0] * 5) == pytest.approx(2 / 32)
    assert sign_flip_pvalue([0.0, 0.0]) == 1.0
    assert sign_flip_pvalue([1.0, -1.0]) == 1.0


def test_sign_flip_holds_its_level_under_the_null() -> None:
    rng = np.random.default_rng(2)
    pvalues = [sign_flip_pvalue(rng.normal(0, 1, 40), resamples=400, seed=i) for i in range(300)]
    assert 0.02 <= np.mean(np.array(pvalues) < 0.05) <= 0.09


def test_permutation_test_separates_shifted_samples() -> None:
    rng = np.random.default_rng(3)
    assert permutation_pvalue(rng.normal(0, 1, 30), rng.normal(2, 1, 30), resamples=999) < 0.01
    assert permutation_pvalue([1.0, 2.0], [1.0, 2.0], resamples=99) == 1.0


def test_holm_matches_the_step_down_rule() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted: 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> monotone 0.06
    assert holm(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert holm([]) == []


def test_holm_controls_the_familywise_error_where_raw_tests_do_not() -> None:
    rng = np.random.default_rng(4)
    raw_any, holm_any = 0, 0
    for _ in range(400):
        p = rng.random(10)  # ten true nulls
        raw_any += bool(np.any(p < 0.05))
        holm_any += bool(np.any(np.array(holm(p)) < 0.05))
    assert raw_any / 400 > 0.3
    assert holm_any / 400 <= 0.07


def test_normal_difference_of_independent_intervals() -> None:
    d, low, high = normal_difference((10.0, 8.0, 12.0), (13.0, 11.0, 15.0), 0.95)
    assert d == pytest.approx(3.0)
    assert high - low == pytest.approx(4.0 * np.sqrt(2))


def test_all_sign_patterns_are_enumerated() -> None:
    d = [0.3, -0.1, 0.2]
    stats = [abs(np.mean(np.array(s) * d)) for s in itertools.product((-1, 1), repeat=3)]
    expected = np.mean(np.array(stats) >= abs(np.mean(d)) - 1e-12)
    assert sign_flip_pvalue(d) == pytest.approx(expected)
