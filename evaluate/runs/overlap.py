"""Scoring beside generation: the checks of finished images run on a second thread while the
generator makes the next batch.

On a GPU the generator waits on the card most of the time while CPU checks (OCR ~0.25 s per
image, hands ~30 ms) wait for the whole run to be generated; overlapped, a run takes about
max(generation, scoring) instead of their sum. Only the computing happens on the lane: store
writes stay on the calling thread (single writer, one transaction per chunk, as before), so an
interrupt or kill -9 loses at most results not yet written, which the next run recomputes.

The lane is an optimisation, never the only path: whatever it did not score (it was stopped,
a check raised MemoryError) is scored by the run's ordinary pass afterwards, which raises any
error the usual way.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from t2iqa.checks.base import Check, CheckResult, ImageUnderTest, run_check
from t2iqa.store.db import Store

# Chunks waiting to be scored: bounds memory (decoded images) and makes generation wait
# for scoring when scoring is the slower side, instead of piling images up.
DEPTH = 2
POLL = 0.5  # seconds between looks at a dead lane while waiting to hand it work


@dataclass(frozen=True)
class Scored:
    """One check's results on one chunk, ready to be written."""

    check: Check
    items: list[ImageUnderTest]
    results: list[CheckResult]


class ScoringLane:
    """A bounded queue of (check, images) work and one thread that scores it."""

    def __init__(self) -> None:
        self._todo: queue.Queue[tuple[Check, list[ImageUnderTest]] | None] = queue.Queue(DEPTH)
        self._done: queue.Queue[Scored] = queue.Queue()
        self._stop = threading.Event()
        self.failure: BaseException | None = None
        # A daemon thread: a Ctrl-C in the main thread is not held up by a check in flight.
        self._thread = threading.Thread(target=self._work, name="t2iqa-scoring", daemon=True)
        self._thread.start()

    def submit(self, check: Check, items: Sequence[ImageUnderTest]) -> None:
        """Queue one check on some images; waits while the queue is full (back-pressure)."""
        self._put((check, list(items)))

    def finished(self) -> list[Scored]:
        """The results scored so far and not yet handed out (does not wait)."""
        out = []
        while True:
            try:
                out.append(self._done.get_nowait())
            except queue.Empty:
                return out

    def close(self) -> list[Scored]:
        """Wait for the queued work, stop the thread; the results not yet handed out."""
        self._put(None)
        self._thread.join()
        return self.finished()

    def cancel(self) -> None:
        """Stop after the chunk in flight without waiting (an interrupt); queued work is
        dropped."""
        self._stop.set()
        with contextlib.suppress(queue.Full):
            self._todo.put_nowait(None)

    def _put(self, work: tuple[Check, list[ImageUnderTest]] | None) -> None:
        # A lane that died or was cancelled takes no more work: the ordinary pass does it.
        while self._thread.is_alive() and not self._stop.is_set():
            try:
                self._todo.put(work, timeout=POLL)
                return
            except queue.Full:
                continue

    def _work(self) -> None:
        while not self._stop.is_set():
            work = self._todo.get()
            if work is None:
                return
            check, items = work
            try:
                self._done.put(Scored(check, items, run_check(check, items)))
            except BaseException as exc:  # the ordinary pass meets it again and raises it
                self.failure = exc
                return


class LaneWriter:
    """The run's side of the lane: hands it freshly generated images (only the checks whose
    results are not cached), and writes what it scored on the calling thread."""

    def __init__(self, store: Store, checks: Sequence[Check], chunk: int,
                 lane: ScoringLane | None = None) -> None:  # fmt: skip
        self.store, self.checks, self.chunk = store, list(checks), chunk
        self.keys = [(c.name, c.config_hash()) for c in self.checks]
        self.lane = lane or ScoringLane()
        self.written = 0

    def score(self, items: Sequence[ImageUnderTest]) -> None:
        """Queue these images' missing results (waits while the lane is full), then write
        whatever the lane has finished."""
        contexts = [(it.image_hash, it.context_hash()) for it in items]
        have = self.store.existing_results(contexts, self.keys)
        for check, key in zip(self.checks, self.keys, strict=True):
            todo = [it for it, c in zip(items, contexts, strict=True) if (*c, *key) not in have]
            for start in range(0, len(todo), self.chunk):
                self.lane.submit(check, todo[start : start + self.chunk])
        self._write(self.lane.finished())

    def close(self) -> int:
        """Wait for the lane, write the rest; the number of results it wrote in all."""
        self._write(self.lane.close())
        return self.written

    def cancel(self) -> None:
        self.lane.cancel()

    def _write(self, scored: Sequence[Scored]) -> None:
        for s in scored:
            key = s.check.config_hash()
            rows = [(it.image_hash, it.context_hash(), key, r)
                    for it, r in zip(s.items, s.results, strict=True)]  # fmt: skip
            self.store.put_check_results(rows)
            self.written += len(s.results)
