"""How far people agree with each other, and how far each automatic check agrees with them.

- **Attention checks**: a ``repeat`` (a pair the rater judged before, sides swapped) fails
  when the rater now prefers the other run; a ``same`` (one image on both sides) fails unless
  the rater calls it a tie or both bad. A rater who fails at least ``FLAG_FAILURES`` checks,
  and at least ``FLAG_SHARE`` of those taken, is flagged, and their votes are left out of the
  ratings (they are kept in the store and in exports).
- **Rater agreement**: Krippendorff's alpha (nominal: first run wins / loses / tie) over the
  pairs two or more raters judged, from the ``krippendorff`` package.
- **Check against people**: per check with a per-image score, the share of decided votes
  (not ties, not both bad) whose winner the check also scores higher (a tied score counts
  half), and Kendall's tau (``scipy.stats``) between the check's run ranking (mean score)
  and the people's (ratings), each with a prompt-bootstrap 95% interval.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from t2iqa.arena.ratings import counts, fit
from t2iqa.store.votes import Vote

FLAG_FAILURES = 2
FLAG_SHARE = 0.5
REPLICATES = 200


@dataclass(frozen=True)
class RaterRecord:
    rater: str
    votes: int
    attention_checks: int
    failed: int
    median_seconds: float | None

    @property
    def flagged(self) -> bool:
        return self.failed >= FLAG_FAILURES and self.failed >= FLAG_SHARE * self.attention_checks


def _pair_key(v: Vote) -> tuple[str, int, str, str]:
    a, b = sorted((v.run_left, v.run_right))
    return (v.prompt_id, v.seed, a, b)


def attention_failed(vote: Vote, earlier: Sequence[Vote]) -> bool | None:
    """Whether an attention-check vote failed; None when it cannot be judged (a repeat of a
    pair the rater never judged)."""
    if vote.kind == "same":
        return vote.winner in ("left", "right")
    if vote.kind != "repeat":
        return None
    first = [e for e in earlier if e.kind == "pair" and e.rater == vote.rater
             and _pair_key(e) == _pair_key(vote)]  # fmt: skip
    if not first:
        return None
    return first[-1].outcome_for(vote.run_left) != vote.outcome_for(vote.run_left)


def raters(votes: Sequence[Vote]) -> list[RaterRecord]:
    """Each rater's votes and attention checks, in order of first vote."""
    by_rater: dict[str, list[Vote]] = defaultdict(list)
    for v in votes:
        by_rater[v.rater].append(v)
    out = []
    for name, mine in by_rater.items():
        judged = [attention_failed(v, mine[:k]) for k, v in enumerate(mine)]
        taken = [j for j in judged if j is not None]
        times = [v.seconds for v in mine if v.seconds is not None]
        out.append(RaterRecord(name, len(mine), len(taken), sum(taken),
                               float(np.median(times)) if times else None))  # fmt: skip
    return out


def counted_votes(votes: Sequence[Vote]) -> list[Vote]:
    """The votes ratings are made from: real pairs by raters not flagged."""
    flagged = {r.rater for r in raters(votes) if r.flagged}
    return [v for v in votes if v.kind == "pair" and v.rater not in flagged]


def krippendorff_alpha(votes: Sequence[Vote]) -> tuple[float | None, int]:
    """(alpha, pairs judged by two or more raters); alpha None when fewer than two such."""
    import krippendorff

    by_pair: dict[tuple[str, int, str, str], dict[str, float]] = defaultdict(dict)
    for v in votes:
        if v.kind != "pair":
            continue
        key = _pair_key(v)
        by_pair[key][v.rater] = {"win": 0.0, "loss": 1.0, "tie": 2.0}[v.outcome_for(key[2])]
    shared = {k: r for k, r in by_pair.items() if len(r) >= 2}
    names = sorted({name for r in shared.values() for name in r})
    if len(shared) < 2 or len(names) < 2:
        return None, len(shared)
    data = np.full((len(names), len(shared)), np.nan)
    for col, judged in enumerate(shared.values()):
        for name, value in judged.items():
            data[names.index(name), col] = value
    if len(np.unique(data[~np.isnan(data)])) < 2:  # every judgement the same: alpha undefined
        return None, len(shared)
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")), len(
        shared
    )


@dataclass(frozen=True)
class CheckAgreement:
    check: str
    decided_votes: int  # decided votes where the check scored both images
    accuracy: float | None  # share of those the check orders as people did
    accuracy_low: float | None
    accuracy_high: float | None
    kendall_tau: float | None  # check's run ranking against the people's
    tau_low: float | None
    tau_high: float | None


Scores = Mapping[tuple[str, str, int], float]  # (run, prompt id, seed) -> score
Interval = tuple[float | None, float | None, float | None]  # value, low, high


def check_agreement(check: str, scores: Scores, higher_is_better: bool, votes: Sequence[Vote],
                    runs: Sequence[str], seed: int = 0) -> CheckAgreement:  # fmt: skip
    """How far one check's per-image scores agree with people's decided votes."""
    sign = 1.0 if higher_is_better else -1.0
    decided = [v for v in votes if v.winner in ("left", "right")]
    hits: list[tuple[str, float]] = []  # (prompt, 1 / 0.5 / 0)
    for v in decided:
        a = scores.get((v.run_left, v.prompt_id, v.seed))
        b = scores.get((v.run_right, v.prompt_id, v.seed))
        if a is None or b is None:
            continue
        diff = sign * (a - b) * (1 if v.winner == "left" else -1)
        hits.append((v.prompt_id, 1.0 if diff > 0 else 0.5 if diff == 0 else 0.0))
    rng = np.random.default_rng(seed)
    accuracy = _accuracy_interval(hits, rng)
    tau = _tau_interval(scores, sign, votes, list(runs), rng)
    return CheckAgreement(check, len(hits), *accuracy, *tau)


def _accuracy_interval(hits: list[tuple[str, float]], rng: np.random.Generator) -> Interval:
    if not hits:
        return None, None, None
    by_prompt: dict[str, list[float]] = defaultdict(list)
    for prompt, hit in hits:
        by_prompt[prompt].append(hit)
    groups = list(by_prompt.values())
    point = float(np.mean([h for _, h in hits]))
    if len(groups) < 2:
        return point, None, None
    draws = []
    for _ in range(REPLICATES):
        picked = [groups[k] for k in rng.integers(len(groups), size=len(groups))]
        draws.append(np.mean([h for g in picked for h in g]))
    return point, float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5))


def _tau(scores: Scores, sign: float, votes: Sequence[Vote], runs: list[str],
         prompts: Sequence[str]) -> float | None:  # fmt: skip
    from scipy.stats import kendalltau

    wanted = set(prompts)
    means = []
    for run in runs:
        values = [s for (r, p, _), s in scores.items() if r == run and p in wanted]
        means.append(sign * float(np.mean(values)) if values else np.nan)
    wins, ties = counts([v for v in votes if v.prompt_id in wanted], runs)
    people = fit(wins, ties)[:-1]
    if np.isnan(means).any() or len(runs) < 2:
        return None
    tau = kendalltau(means, people).statistic
    return None if np.isnan(tau) else float(tau)


def _tau_interval(scores: Scores, sign: float, votes: Sequence[Vote], runs: list[str],
                  rng: np.random.Generator) -> Interval:  # fmt: skip
    prompts = sorted({v.prompt_id for v in votes})
    point = _tau(scores, sign, votes, runs, prompts)
    if point is None or len(prompts) < 2:
        return point, None, None
    draws = []
    for _ in range(REPLICATES // 4):  # each replicate refits the ratings: fewer, still fine
        picked = [prompts[k] for k in rng.integers(len(prompts), size=len(prompts))]
        weights = defaultdict(int)
        for p in picked:
            weights[p] += 1
        resampled = [v for v in votes for _ in range(weights.get(v.prompt_id, 0))]
        value = _tau(scores, sign, resampled, runs, list(weights))
        if value is not None:
            draws.append(value)
    if not draws:
        return point, None, None
    return point, float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5))
