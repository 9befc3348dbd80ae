from __future__ import annotations

import pytest

from t2iqa.arena.agreement import (
    attention_failed,
    check_agreement,
    counted_votes,
    krippendorff_alpha,
    raters,
)
from t2iqa.store.votes import Vote


def vote(k: int, left: str, right: str, winner: str, rater: str = "ana", kind: str = "pair",
         prompt: str = "p1", seed: int = 0) -> Vote:  # fmt: skip
    return Vote(f"v{k}", prompt, seed, left, right, "h1", "h2", winner, rater, kind, 2.0,
                f"{k:05d}", "test")  # fmt: skip


def test_attention_checks_judge_the_same_image_and_a_repeated_pair() -> None:
    first = vote(1, "a", "b", "left")
    assert attention_failed(vote(2, "a", "a", "tie", kind="same"), []) is False
    assert attention_failed(vote(2, "a", "a", "right", kind="same"), []) is True
    consistent = vote(3, "b", "a", "right", kind="repeat")  # sides swapped, same run wins
    assert attention_failed(consistent, [first]) is False
    assert attention_failed(vote(3, "b", "a", "left", kind="repeat"), [first]) is True
    assert attention_failed(vote(3, "b", "a", "left", kind="repeat"), []) is None
    assert attention_failed(first, []) is None


def test_a_rater_failing_attention_checks_is_flagged_and_left_out() -> None:
    votes = [vote(1, "a", "b", "left", "zed"), vote(2, "a", "a", "left", "zed", "same"),
             vote(3, "a", "a", "right", "zed", "same"), vote(4, "a", "b", "left", "ana"),
             vote(5, "a", "a", "tie", "ana", "same")]  # fmt: skip
    by_name = {r.rater: r for r in raters(votes)}
    assert by_name["zed"].flagged and (by_name["zed"].attention_checks, by_name["zed"].failed) == (
        2,
        2,
    )
    assert not by_name["ana"].flagged and by_name["ana"].median_seconds == 2.0
    assert [v.vote_id for v in counted_votes(votes)] == ["v4"]


def test_krippendorff_alpha_over_pairs_two_raters_judged() -> None:
    agree = [vote(k, "a", "b", w, r, prompt=f"p{k // 2}")
             for k, (w, r) in enumerate([("left", "ana"), ("left", "ben"), ("right", "ana"),
                                         ("right", "ben"), ("tie", "ana"), ("tie", "ben")])]  # fmt: skip
    alpha, shared = krippendorff_alpha(agree)
    assert shared == 3 and alpha == pytest.approx(1.0)
    # Sides do not matter: the same preference seen from the other side is agreement.
    swapped = [*agree[:1], vote(1, "b", "a", "right", "ben", prompt="p0"), *agree[2:]]
    assert krippendorff_alpha(swapped)[0] == pytest.approx(1.0)
    assert krippendorff_alpha(agree[:2]) == (None, 1)


def test_a_check_that_orders_like_people_agrees_fully() -> None:
    votes = [vote(k, "a", "b", "left" if k % 4 else "right", prompt=f"p{k}") for k in range(12)]
    # The check scores the winner higher on every decided vote.
    scores = {}
    for v in votes:
        win, lose = (v.run_left, v.run_right) if v.winner == "left" else (v.run_right, v.run_left)
        scores[(win, v.prompt_id, 0)], scores[(lose, v.prompt_id, 0)] = 0.9, 0.1
    same = check_agreement("good", scores, True, votes, ["a", "b"])
    assert same.decided_votes == 12 and same.accuracy == 1.0 and same.accuracy_low == 1.0
    flipped = check_agreement("lower_is_better", scores, False, votes, ["a", "b"])
    assert flipped.accuracy == 0.0
    flat = check_agreement("flat", dict.fromkeys(scores, 0.5), True, votes, ["a", "b"])
    assert flat.accuracy == 0.5  # a tied score is half right
    assert same.kendall_tau == pytest.approx(1.0) and flipped.kendall_tau == pytest.approx(-1.0)
