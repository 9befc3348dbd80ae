from __future__ import annotations

import itertools

import numpy as np
import pytest

from t2iqa.benchmarks.compare_coverage import coverage
from t2iqa.comparison.stats import (
    bootstrap_means,
    difference_unpaired,
    estimate,
    expanded_level,
    holm,
    nominal_level,
    normal_difference,
    permutation_pvalue,
    sign_flip_pvalue,
    tail_pvalue,
)


def test_expanded_interval_covers_the_true_difference_at_20_prompts() -> None:
    # 20 prompts x 8 seeds, a real shift; simulated pass/fail data with prompt difficulty.
    # The plain percentile interval covers about 91.5% here (compare_coverage, 1000 trials).
    result = coverage(trials=300, prompts=20, seeds=8, shift=0.3, resamples=500)
    assert 0.925 <= result["expanded (t2iqa)"][0] <= 0.98
    assert result["expanded (t2iqa)"][1] > result["percentile"][1]


def test_two_stage_bootstrap_is_wider_than_the_prompt_bootstrap() -> None:
    # Why seeds are not resampled again inside prompts: it counts their noise twice.
    result = coverage(100, 50, 4, 0.0, resamples=300)
    assert result["two-stage"][1] > result["percentile"][1] * 1.15


@pytest.mark.parametrize("n", [5, 20, 200])
def test_expanded_level_widens_and_inverts(n: int) -> None:
    for level in (0.001, 0.025, 0.2):
        assert expanded_level(level, n) < level  # further into the tail: a wider interval
        assert nominal_level(expanded_level(level, n), n) == pytest.approx(level)


def test_tail_pvalue_agrees_with_the_interval() -> None:
    # "p < (1 - confidence) / 2" and "the interval excludes the threshold" are one statement.
    rng = np.random.default_rng(1)
    for _ in range(30):
        groups = [list(rng.normal(rng.normal(-0.1, 0.2), 0.3, size=4)) for _ in range(20)]
        est = estimate(groups, resamples=2000)
        for threshold in np.linspace(est.ci_high - 0.05, est.ci_high + 0.05, 11):
            p = tail_pvalue(est, threshold, below=True)
            if abs(threshold - est.ci_high) > 0.002:  # away from quantile ties
                assert (p < 0.025) == (est.ci_high < threshold)


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


def test_tail_pvalue_beyond_every_draw_is_not_the_resampling_floor() -> None:
    # Every prompt moved by the same amount: no draw reaches the threshold. The p-value is
    # then the tail's estimate, not 1 / (B + 1) mapped through the expansion (which at 12
    # prompts would be 0.003 whatever the data).
    same = estimate([[-0.7, -0.7]] * 12, resamples=500)
    assert tail_pvalue(same, -0.02, below=True) == 0.0
    spread = estimate([[-0.7 + 0.01 * k, -0.7] for k in range(12)], resamples=500)
    assert tail_pvalue(spread, -0.02, below=True) < 1e-6
