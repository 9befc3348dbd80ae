"""People's votes between two images of the same prompt and seed, kept in the store.

A vote's id is made when its pair is shown (or from an imported row's content), and written
with an insert that ignores a stored id: a double click, a repeated request after a refresh or
a second import of the same file stores it once. Writes are single short transactions, so
raters vote while runs write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING

from sqlalchemy import select

from t2iqa.core.errors import StoreError
from t2iqa.store import schema

if TYPE_CHECKING:
    from t2iqa.store.db import Store

WINNERS = ("left", "right", "tie", "both_bad")
# What a shown pair was: a pair to learn from, an attention check repeating a pair the rater
# has judged (sides swapped), or one image shown on both sides.
KINDS = ("pair", "repeat", "same")


@dataclass(frozen=True)
class Vote:
    vote_id: str
    prompt_id: str
    seed: int
    run_left: str
    run_right: str
    image_left: str  # image hashes: what was shown, whatever happens to the runs later
    image_right: str
    winner: str  # one of WINNERS
    rater: str  # "" when the rater gave no name
    kind: str  # one of KINDS
    seconds: float | None  # from the pair appearing to the vote
    created_at: str
    source: str  # "arena" or "import:FILE"

    def __post_init__(self) -> None:
        if self.winner not in WINNERS:
            raise ValueError(f"winner must be one of {', '.join(WINNERS)}, not {self.winner!r}")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {self.kind!r}")

    def outcome_for(self, run: str) -> str | None:
        """'win', 'loss' or 'tie' for ``run`` (both bad counts as a tie); None if it was not
        in the pair."""
        side = "left" if run == self.run_left else "right" if run == self.run_right else None
        if side is None:
            return None
        if self.winner in ("tie", "both_bad"):
            return "tie"
        return "win" if self.winner == side else "loss"


COLUMNS = tuple(f.name for f in fields(Vote))


def has_votes(store: Store) -> bool:
    """Whether the store has a votes table (an old store opened read-only has none)."""
    with store.engine.connect() as conn:
        return schema.has_table(conn, "votes")


def add_votes(store: Store, votes: Sequence[Vote]) -> int:
    """Store votes in one transaction; returns how many were new (a vote id already stored
    is the same vote sent again)."""
    if store.read_only:
        raise StoreError(f"the store at {store.label} is open read-only; votes cannot be saved")
    unique = list({v.vote_id: v for v in votes}.values())
    with store.transaction() as conn:
        known = schema.existing_keys(conn, schema.votes, "vote_id", [v.vote_id for v in unique])
        schema.upsert(conn, schema.votes, [asdict(v) for v in unique], replace=False)
    return sum(v.vote_id not in known for v in unique)


def read_votes(store: Store, runs: Sequence[str] | None = None) -> list[Vote]:
    """Every vote, or those between two of ``runs``, oldest first (ties in stored order)."""
    if not has_votes(store):
        return []
    v = schema.votes
    columns = [v.c[name] for name in COLUMNS]
    with store.engine.connect() as conn:
        rows = conn.execute(select(*columns).order_by(v.c.created_at, v.c.vote_id)).all()
    out = [Vote(*tuple(r)) for r in rows]
    if runs is None:
        return out
    wanted = set(runs)
    return [v for v in out if v.run_left in wanted and v.run_right in wanted]
