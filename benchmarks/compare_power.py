"""The smallest pass-rate drop the default gate catches, by suite size and seeds.

How big must a regression be for `t2iqa compare` to call it, 80% of the time? Simulated
paired pass/fail runs as in ``compare_coverage`` (prompt difficulty shared by both runs,
per-image noise, the candidate's log-odds lowered by a known shift), judged by the gate's
own code: the prompt bootstrap (``estimate``), the one-sided tail p-value against
−tolerance (``tail_pvalue``) and Holm, here for the regressed cell being the clearest of a
family of ``m`` gated results (Holm's first step: p × m < alpha). The drop is found by
bisection on the shift and reported in percentage points of pass rate at a 50% baseline.

    python -m t2iqa.benchmarks.compare_power --trials 80
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

from t2iqa.benchmarks.compare_coverage import simulate, true_difference
from t2iqa.comparison.compare import resamples_for_family
from t2iqa.comparison.gate import DEFAULT_PASS_RATE_TOLERANCE
from t2iqa.comparison.stats import DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, estimate, tail_pvalue

POWER = 0.8


def detection_rate(
    shift: float, prompts: int, seeds: int, family: int, trials: int, seed: int = 0
) -> float:
    """Share of simulated comparisons in which the gate calls the drop a regression."""
    alpha = (1 - DEFAULT_CONFIDENCE) / 2
    resamples = resamples_for_family(family, alpha, DEFAULT_RESAMPLES)
    rng = np.random.default_rng(seed)
    hits = 0
    for t in range(trials):
        base, cand = simulate(rng, prompts, seeds, shift, prompt_sd=1.2, image_sd=0.8)
        diff = estimate(list(cand - base), resamples=resamples, seed=t)
        p = tail_pvalue(diff, -DEFAULT_PASS_RATE_TOLERANCE, below=True)
        hits += min(1.0, p * family) < alpha
    return hits / trials


def detectable_drop(prompts: int, seeds: int, family: int, trials: int, steps: int) -> float:
    """The pass-rate drop (a positive fraction) detected with probability POWER."""
    low, high = 0.0, -3.0  # log-odds shifts: none, and a drop far past any threshold
    for _ in range(steps):
        mid = (low + high) / 2
        if detection_rate(mid, prompts, seeds, family, trials) >= POWER:
            high = mid
        else:
            low = mid
    return -true_difference(high, 1.2, 0.8)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=80)
    parser.add_argument("--steps", type=int, default=6, help="bisection steps")
    args = parser.parse_args(argv)
    families = (1, 30)
    tolerance = 100 * DEFAULT_PASS_RATE_TOLERANCE
    print(f"pass-rate drop caught {POWER:.0%} of the time; tolerance {tolerance:.0f} pts; "
          "m = gated results in the comparison")  # fmt: skip
    print(f"{'prompts':>7} {'seeds':>5}" + "".join(f" {'m=' + str(m):>9}" for m in families))
    for prompts in (50, 100, 216):
        for seeds in (1, 2, 4):
            drops = [detectable_drop(prompts, seeds, m, args.trials, args.steps) for m in families]
            print(f"{prompts:>7} {seeds:>5}" + "".join(f" {100 * d:>6.1f} pts" for d in drops))


if __name__ == "__main__":
    main()
