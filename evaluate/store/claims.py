"""Work claims, so that processes sharing a run split it instead of each doing all of it.

Two ``t2iqa run`` commands on the same run (a resume started twice, or two GPUs pointed at one
store) claim batches of images before making or scoring them: a batch another live process
holds is left to it. A claim whose process is gone (on this host), or that is older than
CLAIM_TTL_S (another host, which cannot be checked), is taken over, so a killed process never
blocks a run.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, delete, select, text
from sqlalchemy.exc import DBAPIError

from t2iqa.store import schema
from t2iqa.store.db import Store
from t2iqa.store.owners import process_alive, this_process

T = TypeVar("T")
CLAIM_TTL_S = 3600.0  # a batch takes seconds to minutes; an hour-old claim is abandoned


@dataclass
class Claims:
    """This process's claims on one stage ("generate", "score") of one run."""

    store: Store
    run_id: str
    stage: str

    def __post_init__(self) -> None:
        self.owner = json.dumps(this_process(), sort_keys=True)
        with self.store.transaction() as conn:  # stores made before claims were tables
            schema.claims.create(conn, checkfirst=True)

    @staticmethod
    def _lock(conn: Connection) -> None:
        """One claimer at a time across processes: SQLite's transactions here begin
        IMMEDIATE (the write lock); PostgreSQL locks the table against other claimers."""
        if conn.dialect.name == "postgresql":
            conn.execute(text("LOCK TABLE claims IN SHARE ROW EXCLUSIVE MODE"))

    def _mine(self) -> Any:
        c = schema.claims
        return (c.c.run_id == self.run_id) & (c.c.stage == self.stage)

    def claim(self, items: Sequence[str], limit: int) -> list[str]:
        """Up to ``limit`` of ``items`` (in order) that no live process holds, now held by
        this one. Empty when every item is held by others."""
        c = schema.claims
        with self.store.transaction() as conn:
            self._lock(conn)
            held: set[str] = set()
            stale: list[str] = []
            rows = conn.execute(
                select(c.c.item, c.c.owner_json, c.c.claimed_at).where(self._mine())
            )
            for item, owner_json, claimed_at in rows.all():
                expired = time.time() - claimed_at > CLAIM_TTL_S
                if expired or process_alive(json.loads(owner_json)) is False:
                    stale.append(item)
                else:
                    held.add(item)
            if stale:
                conn.execute(delete(c).where(self._mine() & c.c.item.in_(stale)))
            mine = [item for item in items if item not in held][:limit]
            schema.upsert(conn, c, [
                dict(run_id=self.run_id, stage=self.stage, item=item, owner_json=self.owner,
                     claimed_at=time.time())
                for item in mine
            ])  # fmt: skip
        return mine

    def release(self, items: Sequence[str]) -> None:
        c = schema.claims
        with self.store.transaction() as conn:
            conn.execute(
                delete(c).where(
                    self._mine() & c.c.item.in_(list(items)) & (c.c.owner_json == self.owner)
                )
            )


WAIT_S = 1.0  # how often a process with nothing left to claim looks again


def claimed_batches(
    claims: Claims,
    items: Sequence[T],
    key: Callable[[T], str],
    size: int,
    unfinished: Callable[[list[T]], list[T]],
) -> Iterator[list[T]]:
    """``items`` in batches of up to ``size`` that this process holds, each claim released
    after its batch. Items another live process holds are waited for until ``unfinished``
    no longer returns them (that process did them) or their claim lapses (it died)."""
    queue = list(items)
    while queue:
        mine = set(claims.claim([key(item) for item in queue], size))
        if not mine:
            time.sleep(WAIT_S)
            queue = unfinished(queue)
            continue
        # Some may have been done by another process since the list was made (it claimed,
        # finished and released them): those are dropped, not done again.
        batch = unfinished([item for item in queue if key(item) in mine])
        queue = [item for item in queue if key(item) not in mine]
        try:
            if batch:
                yield batch
        except BaseException:
            # The run is stopping (a full disk, Ctrl-C, the consumer gone): releasing may fail
            # for the same reason, and must not bury the real error under its own traceback.
            # A claim left behind lapses with this process (owners are checked for life).
            with contextlib.suppress(DBAPIError, OSError):
                claims.release(list(mine))
            raise
        claims.release(list(mine))
