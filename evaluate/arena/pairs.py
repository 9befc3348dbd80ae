"""Which two images to show next, so that each vote teaches the most.

Images pair by (prompt id, seed): the same prompt and seed in two runs. The next pair of runs
is the one with the highest ``uncertainty / (1 + votes)``, where uncertainty is p(1 - p) of
the current ratings' prediction (0.25 for runs never compared): pairs never voted on come
first, so every pair of runs is covered, then the close ones. Within the pair of runs the
(prompt, seed) with the fewest votes comes next, at random among equals. Sides are drawn at
random. A share of the pairs shown are attention checks (``t2iqa.arena.agreement``).
"""

from __future__ import annotations

import itertools
import random
import secrets
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from t2iqa.store.votes import Vote

ATTENTION_SHARE = 0.08  # about one pair in twelve checks the rater
# Image hash and file by (run, prompt id, seed).
Images = Mapping[tuple[str, str, int], tuple[str, str]]


@dataclass(frozen=True)
class Shown:
    """A pair on screen: what a vote on it records."""

    token: str  # the vote's id: a second vote on the same screen is the same vote
    prompt_id: str
    seed: int
    run_left: str
    run_right: str
    image_left: str
    image_right: str
    file_left: str
    file_right: str
    kind: str  # "pair", "repeat" or "same"


def paired_keys(images: Images, runs: Sequence[str]) -> list[tuple[str, int]]:
    """(prompt id, seed) every run has an image for, in a stable order."""
    keys = [{(p, s) for (r, p, s) in images if r == run} for run in runs]
    return sorted(set.intersection(*keys)) if keys else []


def next_pair(images: Images, runs: Sequence[str], votes: Sequence[Vote],
              closeness: Mapping[tuple[str, str], float] | None = None,
              rater: str = "", rng: random.Random | None = None) -> Shown | None:  # fmt: skip
    """The next pair to show, or None when the runs share no (prompt, seed)."""
    rng = rng or random.Random()
    keys = paired_keys(images, runs)
    if len(runs) < 2 or not keys:
        return None
    mine = [v for v in votes if v.rater == rater and v.kind == "pair"]
    if mine and rng.random() < ATTENTION_SHARE:
        return _attention(images, mine, rng)
    pair_votes = Counter(tuple(sorted((v.run_left, v.run_right))) for v in votes)
    closeness = closeness or {}

    def value(pair: tuple[str, str]) -> float:
        return closeness.get(pair, 0.25) / (1 + pair_votes[pair])

    pairs = [tuple(sorted(p)) for p in itertools.combinations(runs, 2)]
    best = max(value(p) for p in pairs)
    a, b = rng.choice([p for p in pairs if value(p) == best])
    key_votes = Counter((v.prompt_id, v.seed) for v in votes
                        if tuple(sorted((v.run_left, v.run_right))) == (a, b))  # fmt: skip
    fewest = min(key_votes[k] for k in keys)
    prompt_id, seed = rng.choice([k for k in keys if key_votes[k] == fewest])
    left, right = (a, b) if rng.random() < 0.5 else (b, a)
    return _shown(images, prompt_id, seed, left, right, "pair")


def _attention(images: Images, mine: Sequence[Vote], rng: random.Random) -> Shown:
    earlier = rng.choice(list(mine))
    if rng.random() < 0.5:  # the same pair again, sides swapped
        return _shown(images, earlier.prompt_id, earlier.seed, earlier.run_right,
                      earlier.run_left, "repeat")  # fmt: skip
    return _shown(images, earlier.prompt_id, earlier.seed, earlier.run_left, earlier.run_left,
                  "same")  # fmt: skip


def _shown(images: Images, prompt_id: str, seed: int, left: str, right: str,
           kind: str) -> Shown:  # fmt: skip
    (hash_l, file_l), (hash_r, file_r) = (
        images[(left, prompt_id, seed)],
        images[(right, prompt_id, seed)],
    )
    return Shown(secrets.token_hex(16), prompt_id, seed, left, right, hash_l, hash_r, file_l,
                 file_r, kind)  # fmt: skip
