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
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from t2iqa.store.db import Store
from t2iqa.store.owners import process_alive, this_process

CLAIMS_TABLE = """
CREATE TABLE IF NOT EXISTS claims (
    run_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    item TEXT NOT NULL,
    owner_json TEXT NOT NULL,
    claimed_at REAL NOT NULL,
    PRIMARY KEY (run_id, stage, item)
)
"""
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
        with self.store.conn:
            self.store.conn.execute(CLAIMS_TABLE)

    def claim(self, items: Sequence[str], limit: int) -> list[str]:
        """Up to ``limit`` of ``items`` (in order) that no live process holds, now held by
        this one. Empty when every item is held by others."""
        conn = self.store.conn
        with conn:
            conn.execute("BEGIN IMMEDIATE")  # one claimer at a time across processes
            held: set[str] = set()
            stale: list[str] = []
            rows = conn.execute(
                "SELECT item, owner_json, claimed_at FROM claims WHERE run_id=? AND stage=?",
                (self.run_id, self.stage),
            )
            for item, owner_json, claimed_at in rows:
                expired = time.time() - claimed_at > CLAIM_TTL_S
                if expired or process_alive(json.loads(owner_json)) is False:
                    stale.append(item)
                else:
                    held.add(item)
            conn.executemany(
                "DELETE FROM claims WHERE run_id=? AND stage=? AND item=?",
                [(self.run_id, self.stage, item) for item in stale],
            )
            mine = [item for item in items if item not in held][:limit]
            conn.executemany(
                "INSERT OR REPLACE INTO claims VALUES (?,?,?,?,?)",
                [(self.run_id, self.stage, item, self.owner, time.time()) for item in mine],
            )
        return mine

    def release(self, items: Sequence[str]) -> None:
        with self.store.conn:
            self.store.conn.executemany(
                "DELETE FROM claims WHERE run_id=? AND stage=? AND item=? AND owner_json=?",
                [(self.run_id, self.stage, item, self.owner) for item in items],
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
            with contextlib.suppress(sqlite3.Error, OSError):
                claims.release(list(mine))
            raise
        claims.release(list(mine))
