"""Do the arena's ratings find the truth? Raters simulated from known Davidson strengths.

Each trial: four runs with known strengths (Elo-scale gaps of about 70 points) and a known
tie parameter; 40 prompts; on each prompt three careful raters judge every pair of runs by the
model, and a careless rater, who answers at random, judges some pairs too. Everyone also
meets attention checks (one image on both sides; a pair judged before, sides swapped): the
careful ones call the same image a tie and repeat their earlier answer 9 times in 10. The
careless rater should be flagged and left out; the ratings (``t2iqa.arena.ratings.rate``,
200 prompt-bootstrap replicates) should put the runs in their true order, and each 95%
interval should cover its run's true (centred) strength in about 95% of trials.

    python -m t2iqa.benchmarks.arena_coverage [--trials 600]
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import time

import numpy as np

from t2iqa.arena.agreement import counted_votes, raters
from t2iqa.arena.ratings import CENTRE, ELO, rate
from t2iqa.store.votes import Vote

RUNS = ("run-a", "run-b", "run-c", "run-d")
STRENGTHS = (-0.6, -0.2, 0.2, 0.6)  # natural units: 0.4 apart is about 70 Elo points
TIE = 0.4
PROMPTS = 40
CAREFUL = ("ana", "ben", "chloe")
CARELESS = "zed"


def outcome(rng: random.Random, left: int, right: int) -> str:
    """A careful rater's answer under Davidson's model."""
    a, b = math.exp(STRENGTHS[left]), math.exp(STRENGTHS[right])
    tie = TIE * math.sqrt(a * b)
    u = rng.random() * (a + b + tie)
    return "left" if u < a else "right" if u < a + b else "tie"


def simulate(rng: random.Random) -> list[Vote]:
    votes: list[Vote] = []

    def add(prompt: str, left: int, right: int, winner: str, rater: str, kind: str) -> None:
        n = len(votes)
        votes.append(Vote(f"v{n}", prompt, 0, RUNS[left], RUNS[right], f"h{left}", f"h{right}",
                          winner, rater, kind, 3.0, f"{n:08d}", "sim"))  # fmt: skip

    for p in range(PROMPTS):
        prompt = f"p{p:03d}"
        for i, j in itertools.combinations(range(len(RUNS)), 2):
            for rater in CAREFUL:
                left, right = (i, j) if rng.random() < 0.5 else (j, i)
                add(prompt, left, right, outcome(rng, left, right), rater, "pair")
            if rng.random() < 0.5:
                left, right = (i, j) if rng.random() < 0.5 else (j, i)
                add(prompt, left, right, rng.choice(("left", "right", "tie")), CARELESS, "pair")
    for rater in (*CAREFUL, CARELESS):
        mine = [v for v in votes if v.rater == rater and v.kind == "pair"]
        for v in rng.sample(mine, 4):
            careful = rater != CARELESS
            add(v.prompt_id, RUNS.index(v.run_left), RUNS.index(v.run_left),
                "tie" if careful and rng.random() < 0.95 else rng.choice(("left", "right")),
                rater, "same")  # fmt: skip
            again = {"left": "right", "right": "left", "tie": "tie"}[v.winner]
            if not careful or rng.random() >= 0.9:
                again = rng.choice(("left", "right", "tie"))
            add(v.prompt_id, RUNS.index(v.run_right), RUNS.index(v.run_left), again, rater,
                "repeat")  # fmt: skip
    return votes


def trial(seed: int, replicates: int = 200) -> tuple[bool, list[bool], bool]:
    """(true order recovered, per run: interval covers the truth, careless rater flagged)."""
    rng = random.Random(seed)
    votes = simulate(rng)
    flagged = {r.rater for r in raters(votes) if r.flagged}
    ratings = rate(counted_votes(votes), RUNS, replicates=replicates, seed=seed).by_run()
    truth = np.array(STRENGTHS) - np.mean(STRENGTHS)
    order = sorted(RUNS, key=lambda r: ratings[r].rating)
    covers = [ratings[r].low <= CENTRE + ELO * t <= ratings[r].high
              for r, t in zip(RUNS, truth, strict=True)]  # fmt: skip
    return order == list(RUNS), covers, flagged == {CARELESS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=600)
    parser.add_argument("--replicates", type=int, default=200)
    args = parser.parse_args()
    start, cpu = time.perf_counter(), time.process_time()
    results = [trial(seed, args.replicates) for seed in range(args.trials)]
    ordered = sum(r[0] for r in results)
    covers = [c for r in results for c in r[1]]
    flagged = sum(r[2] for r in results)
    share = float(np.mean(covers))
    # The four intervals of a trial come from one fit of centred strengths, so they are not
    # independent: the Monte Carlo error is that of the per-trial shares.
    per_trial = np.array([np.mean(r[1]) for r in results])
    mc_error = float(per_trial.std(ddof=1) / math.sqrt(len(per_trial)))
    print(f"{args.trials} trials, {len(RUNS)} runs, {PROMPTS} prompts, "
          f"{args.replicates} bootstrap replicates each")  # fmt: skip
    print(f"true order recovered: {ordered} / {args.trials}")
    print(f"careless rater flagged (and no careful one): {flagged} / {args.trials}")
    print(f"95% intervals covering the true strength: {100 * share:.1f}% (Monte Carlo "
          f"error +-{100 * mc_error:.1f} points, {len(covers)} intervals)")  # fmt: skip
    per_run = np.mean([r[1] for r in results], axis=0)
    print(
        "per run: " + ", ".join(f"{r} {100 * c:.0f}%" for r, c in zip(RUNS, per_run, strict=True))
    )
    print(f"{time.perf_counter() - start:.0f} s wall, {time.process_time() - cpu:.0f} s CPU")


if __name__ == "__main__":
    main()
