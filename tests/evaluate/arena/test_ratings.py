from __future__ import annotations

import math

import numpy as np
import pytest

from t2iqa.arena.ratings import ELO, counts, fit, negative_log_likelihood, rate, win_probability
from t2iqa.benchmarks.arena_coverage import RUNS, STRENGTHS, trial
from t2iqa.store.votes import Vote


def vote(k: int, left: str, right: str, winner: str, prompt: str = "p") -> Vote:
    return Vote(f"v{k}", prompt, 0, left, right, "h1", "h2", winner, "", "pair", None,
                f"{k:05d}", "test")  # fmt: skip


def test_the_likelihood_is_davidsons() -> None:
    """One win, one tie between two runs: the closed form at a chosen point."""
    wins = np.array([[0.0, 1.0], [0.0, 0.0]])
    ties = np.array([[0.0, 1.0], [1.0, 0.0]])
    t, nu = np.array([0.3, -0.3]), 0.5
    d = math.exp(0.3) + math.exp(-0.3) + nu
    expected = -(0.3 - math.log(d)) - (math.log(nu) - math.log(d))
    got = negative_log_likelihood(np.r_[t, math.log(nu)], wins, ties)
    assert got == pytest.approx(expected + 1e-4 * 0.18, rel=1e-9)


def test_the_fit_finds_the_maximum_likelihood_strengths() -> None:
    """Two runs, 30 wins to 10 and 10 ties: the Davidson estimate has a closed form,
    exp(t1 - t2) = 30 / 10 and nu = ties / sqrt(w1 w2)."""
    wins = np.array([[0.0, 30.0], [10.0, 0.0]])
    ties = np.array([[0.0, 10.0], [10.0, 0.0]])
    t1, t2, log_nu = fit(wins, ties)
    assert t1 - t2 == pytest.approx(math.log(3), abs=1e-3)
    assert math.exp(log_nu) == pytest.approx(10 / math.sqrt(300), abs=1e-3)
    assert t1 + t2 == pytest.approx(0, abs=1e-9)


def test_ratings_count_and_order_and_a_run_that_never_lost_stays_finite() -> None:
    votes = [vote(k, "a", "b", "left", f"p{k % 5}") for k in range(10)]
    votes += [vote(10 + k, "b", "c", "left" if k % 3 else "tie", f"p{k % 5}") for k in range(9)]
    ratings = rate(votes, ["a", "b", "c"], replicates=50)
    assert [r.run for r in ratings.runs] == ["a", "b", "c"]
    a = ratings.by_run()["a"]
    assert (a.votes, a.wins, a.losses, a.ties) == (10, 10, 0, 0)
    assert all(math.isfinite(r.rating) and r.low <= r.rating <= r.high for r in ratings.runs)
    assert sum(r.rating - 1000 for r in ratings.runs) == pytest.approx(0, abs=1e-6)
    w, t = counts(votes, ["a", "b", "c"])
    assert w.sum() + t.sum() / 2 == len(votes)


def test_win_probability_inverts_the_elo_scale() -> None:
    p, tie = win_probability(1000 + ELO * 0.5, 1000 - ELO * 0.5, 0.0)
    assert p == pytest.approx(1 / (1 + math.exp(-1))) and tie == 0


def test_simulated_raters_the_true_order_and_the_careless_one_flagged() -> None:
    """The README's coverage figure comes from benchmarks/arena_coverage (600 trials); here
    a few trials hold the recovery: true order, careless rater flagged, intervals mostly
    covering."""
    results = [trial(seed, replicates=60) for seed in range(6)]
    assert sum(r[0] for r in results) >= 5
    assert all(r[2] for r in results)
    assert np.mean([c for r in results for c in r[1]]) >= 0.75
    assert len(RUNS) == len(STRENGTHS)
