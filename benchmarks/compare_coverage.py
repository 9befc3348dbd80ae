"""How often the comparison's 95% interval holds the true difference, on simulated runs.

Paired pass/fail data like a real suite: each prompt has a difficulty shared by both runs,
each image its own noise, and the candidate's log-odds are shifted by a known amount. The
true difference in pass rate is computed by Monte Carlo from the same model. Reports the
coverage of the prompt bootstrap t2iqa uses and of the two-stage bootstrap that resamples
seeds inside prompts too.

    python -m t2iqa.benchmarks.compare_coverage --trials 400
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

from t2iqa.comparison.stats import bootstrap_means


def simulate(
    rng: np.random.Generator, prompts: int, seeds: int, shift: float, prompt_sd: float,
    image_sd: float,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(baseline, candidate) pass indicators, shape (prompts, seeds)."""
    difficulty = rng.normal(0, prompt_sd, size=(prompts, 1))
    base = rng.random((prompts, seeds)) < 1 / (
        1 + np.exp(difficulty - rng.normal(0, image_sd, (prompts, seeds)))
    )
    cand = rng.random((prompts, seeds)) < 1 / (
        1 + np.exp(difficulty - shift - rng.normal(0, image_sd, (prompts, seeds)))
    )
    return base.astype(float), cand.astype(float)


def true_difference(shift: float, prompt_sd: float, image_sd: float) -> float:
    rng = np.random.default_rng(12345)
    z = rng.normal(0, prompt_sd, 2_000_000) + rng.normal(0, image_sd, 2_000_000)
    return float(np.mean(1 / (1 + np.exp(z - shift))) - np.mean(1 / (1 + np.exp(z))))


def coverage(
    trials: int, prompts: int, seeds: int, shift: float, resample_seeds: bool,
    prompt_sd: float = 1.2, image_sd: float = 0.8, resamples: int = 1000, seed: int = 0,
) -> tuple[float, float]:  # fmt: skip
    """(coverage, mean interval width) of the 95% percentile interval."""
    truth = true_difference(shift, prompt_sd, image_sd)
    rng = np.random.default_rng(seed)
    hits, widths = 0, []
    for t in range(trials):
        base, cand = simulate(rng, prompts, seeds, shift, prompt_sd, image_sd)
        boots = bootstrap_means(list(cand - base), resamples, seed=t, resample_seeds=resample_seeds)
        low, high = np.quantile(boots, [0.025, 0.975])
        hits += low <= truth <= high
        widths.append(high - low)
    return hits / trials, float(np.mean(widths))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=400)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args(argv)
    print(f"{'prompts':>7} {'seeds':>5} {'shift':>5}  {'prompt bootstrap':>22}  {'two-stage':>22}")
    for prompts, seeds, shift in ((50, 4, 0.0), (50, 4, -0.5), (200, 2, -0.3), (20, 8, 0.3)):
        row = [f"{prompts:>7} {seeds:>5} {shift:>5}"]
        for two_stage in (False, True):
            cov, width = coverage(args.trials, prompts, seeds, shift, two_stage,
                                  resamples=args.resamples)  # fmt: skip
            row.append(f"coverage {cov:.3f} width {width:.3f}")
        print("  ".join(row))


if __name__ == "__main__":
    main()
