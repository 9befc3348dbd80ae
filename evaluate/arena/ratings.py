"""Ratings from people's votes: Bradley-Terry with ties (Davidson 1970), bootstrap intervals
over prompts, as Chatbot Arena reports them.

Davidson's model gives run i strength exp(t_i) and ties a parameter nu:

    P(i beats j) = exp(t_i) / D,   P(tie) = nu * exp((t_i + t_j) / 2) / D,
    D = exp(t_i) + exp(t_j) + nu * exp((t_i + t_j) / 2).

(choix, the kept library for Bradley-Terry, has no model of ties; the likelihood above is
minimised by scipy.optimize.) "Both bad" counts as a tie. Strengths are centred (mean 0) and
shown on the Elo scale (400 / ln 10 per unit, 1000 the average run), so a 100-point gap means
the stronger run wins about 64% of the decided votes. A tiny ridge keeps a run that never
lost finite. Intervals resample prompts (every vote on a prompt together): 95% expanded
percentile intervals, as ``t2iqa compare`` reports.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from t2iqa.store.votes import Vote

ELO = 400 / math.log(10)
CENTRE = 1000.0
RIDGE = 1e-4  # per unit strength squared: 0.5 in a thousand votes' worth of log-likelihood
BOOTSTRAP = 200
LEVEL = 0.95


@dataclass(frozen=True)
class RunRating:
    run: str
    rating: float  # Elo scale
    low: float
    high: float
    votes: int  # decided and tied votes the run took part in
    wins: int
    losses: int
    ties: int


@dataclass(frozen=True)
class Ratings:
    runs: list[RunRating]  # best first
    tie_parameter: float  # Davidson's nu
    votes: int
    prompts: int
    category: str | None = None

    def by_run(self) -> dict[str, RunRating]:
        return {r.run: r for r in self.runs}


def counts(votes: Sequence[Vote], runs: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(wins[i, j]: votes run i won over run j, ties[i, j]: ties between them, symmetric)."""
    index = {r: k for k, r in enumerate(runs)}
    wins = np.zeros((len(runs), len(runs)))
    ties = np.zeros_like(wins)
    for v in votes:
        i, j = index[v.run_left], index[v.run_right]
        if v.winner == "left":
            wins[i, j] += 1
        elif v.winner == "right":
            wins[j, i] += 1
        else:
            ties[i, j] += 1
            ties[j, i] += 1
    return wins, ties


def negative_log_likelihood(params: np.ndarray, wins: np.ndarray, ties: np.ndarray) -> float:
    """Davidson's negative log-likelihood (plus the ridge); ``params`` = strengths, log nu."""
    t, log_nu = params[:-1], params[-1]
    half = (t[:, None] + t[None, :]) / 2
    log_d = np.logaddexp(np.logaddexp(t[:, None], t[None, :]), log_nu + half)
    won = np.sum(wins * (t[:, None] - log_d))
    tied = np.sum(np.triu(ties, 1) * (log_nu + half - log_d))
    return float(-(won + tied) + RIDGE * np.sum(t**2))


def fit(wins: np.ndarray, ties: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
    """Centred strengths and log nu maximising the likelihood."""
    from scipy.optimize import minimize

    k = len(wins)
    x0 = start if start is not None else np.r_[np.zeros(k), math.log(0.5)]
    best = minimize(negative_log_likelihood, x0, args=(wins, ties), method="L-BFGS-B")
    t = best.x[:-1] - best.x[:-1].mean()
    return np.r_[t, best.x[-1]]


def rate(votes: Sequence[Vote], runs: Sequence[str], category: str | None = None,
         replicates: int = BOOTSTRAP, seed: int = 0) -> Ratings:  # fmt: skip
    """Ratings of ``runs`` from ``votes`` between them, with prompt-bootstrap intervals."""
    runs = list(runs)
    votes = [v for v in votes if v.run_left in runs and v.run_right in runs]
    wins, ties = counts(votes, runs)
    point = fit(wins, ties)
    by_prompt: dict[str, list[Vote]] = {}
    for v in votes:
        by_prompt.setdefault(v.prompt_id, []).append(v)
    prompts = list(by_prompt)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(replicates if len(prompts) > 1 else 0):
        picked = rng.integers(len(prompts), size=len(prompts))
        w, t = counts([v for k in picked for v in by_prompt[prompts[k]]], runs)
        draws.append(fit(w, t, point)[:-1])
    low, high = _percentiles(np.array(draws), point[:-1], len(prompts))
    out = []
    for k, run in enumerate(runs):
        won, lost = int(wins[k].sum()), int(wins[:, k].sum())
        tied = int(ties[k].sum())
        elo = [CENTRE + ELO * x[k] for x in (point, low, high)]
        out.append(RunRating(run, *elo, won + lost + tied, won, lost, tied))
    out.sort(key=lambda r: -r.rating)
    return Ratings(out, math.exp(point[-1]), len(votes), len(prompts), category)


def _percentiles(draws: np.ndarray, point: np.ndarray,
                 prompts: int) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The expanded percentile interval, as ``t2iqa compare`` uses for the same prompt
    bootstrap (``comparison.stats.expanded_level``: the plain one is too narrow by
    sqrt((n - 1) / n) and normal- rather than t-shaped)."""
    from t2iqa.comparison.stats import expanded_level

    if not len(draws):  # one prompt: nothing to resample, no interval
        return np.full_like(point, np.nan), np.full_like(point, np.nan)
    tail = (1 - LEVEL) / 2
    levels = [expanded_level(tail, prompts), expanded_level(1 - tail, prompts)]
    low, high = np.quantile(draws, levels, axis=0)
    return np.minimum(low, point), np.maximum(high, point)


def win_probability(a: float, b: float, tie_parameter: float) -> tuple[float, float]:
    """(P(a wins), P(tie)) between two Elo-scale ratings under the fitted model."""
    ta, tb = (a - CENTRE) / ELO, (b - CENTRE) / ELO
    tie = tie_parameter * math.exp((ta + tb) / 2)
    d = math.exp(ta) + math.exp(tb) + tie
    return math.exp(ta) / d, tie / d
