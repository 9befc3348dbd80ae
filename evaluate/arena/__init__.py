"""The human side: blind pairwise votes between runs, ratings from them, and how far the
automatic checks agree with people (``t2iqa votes``, the dashboard's Arena page, the
leaderboard and ``t2iqa compare``).

store (votes) -> arena (pairs to show, ratings, agreement) -> compare / reports / dashboard
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from t2iqa.arena.agreement import (
    CheckAgreement,
    RaterRecord,
    check_agreement,
    counted_votes,
    krippendorff_alpha,
    raters,
)
from t2iqa.arena.pairs import Images, Shown
from t2iqa.arena.ratings import Ratings, rate
from t2iqa.store.db import Store
from t2iqa.store.location import StoreLocation
from t2iqa.store.records import now_iso
from t2iqa.store.votes import Vote, add_votes, read_votes


@dataclass(frozen=True)
class ArenaSummary:
    ratings: Ratings
    by_category: dict[str, Ratings]
    raters: list[RaterRecord]
    alpha: float | None  # Krippendorff's alpha, None without two raters on shared pairs
    shared_pairs: int
    checks: list[CheckAgreement]
    votes_total: int  # every vote between the runs, attention checks and flagged included


def prompt_categories(store: Store, runs: Sequence[str]) -> dict[str, str]:
    """Category by prompt id, over ``runs``."""
    return {s.id: s.category for run in runs for s in store.run_prompts(run)}


def paired_images(store: Store, runs: Sequence[str]) -> Images:
    """Image hash and file by (run, prompt id, seed) of ``runs``."""
    return {(run, rec.prompt_id, rec.seed): (rec.image_hash, rec.file)
            for run in runs for rec in store.images(run)}  # fmt: skip


def record_vote(store: Store, shown: Shown, winner: str, rater: str = "",
                seconds: float | None = None) -> bool:  # fmt: skip
    """Store a vote on a shown pair; False when this pair's vote was stored already."""
    vote = Vote(shown.token, shown.prompt_id, shown.seed, shown.run_left, shown.run_right,
                shown.image_left, shown.image_right, winner, rater.strip(), shown.kind,
                None if seconds is None else round(seconds, 2), now_iso("microseconds"),
                "arena")  # fmt: skip
    return add_votes(store, [vote]) == 1


def summarise(store: Store, runs: Sequence[str], with_checks: bool = True,
              replicates: int = 200) -> ArenaSummary | None:  # fmt: skip
    """Ratings, raters and agreement for ``runs``; None when they have no votes."""
    every = read_votes(store, runs)
    counted = counted_votes(every)
    if not counted:
        return None
    categories = prompt_categories(store, runs)
    ratings = rate(counted, runs, replicates=replicates)
    by_category = {}
    for category in sorted({categories.get(v.prompt_id, "") for v in counted} - {""}):
        part = [v for v in counted if categories.get(v.prompt_id) == category]
        by_category[category] = rate(part, runs, category, replicates=replicates)
    alpha, shared = krippendorff_alpha(every)
    checks = _check_agreements(store, runs, counted) if with_checks else []
    return ArenaSummary(ratings, by_category, raters(every), alpha, shared, checks, len(every))


def _check_agreements(store: Store, runs: Sequence[str],
                      votes: Sequence[Vote]) -> list[CheckAgreement]:  # fmt: skip
    from t2iqa.checks import REGISTRY

    scores: dict[str, dict[tuple[str, str, int], float]] = {}
    for run in runs:
        for row in store.iter_result_rows(run):
            if row.score is not None:
                scores.setdefault(row.check, {})[(run, row.prompt_id, row.seed)] = row.score
    out = []
    for check, values in sorted(scores.items()):
        cls = REGISTRY.get(check)
        higher = getattr(cls, "higher_is_better", True)
        out.append(check_agreement(check, values, higher, votes, runs))
    return out


def people_for(stores: Sequence[StoreLocation], run_ids: Sequence[str]) -> ArenaSummary | None:
    """People's ratings of runs compared together (``t2iqa compare``), when they live in one
    store and it holds votes between them; None otherwise."""
    if len(set(stores)) != 1:
        return None  # votes pair images of one store
    with Store(stores[0], read_only=True) as store:
        if not read_votes(store, run_ids):
            return None
        return summarise(store, run_ids)


__all__ = ["ArenaSummary", "Shown", "paired_images", "people_for", "prompt_categories",
           "record_vote", "summarise"]  # fmt: skip
