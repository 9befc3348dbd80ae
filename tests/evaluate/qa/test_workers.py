"""Helper processes of ``t2iqa check --workers``: stopped at once when the job ends."""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

from t2iqa.qa.workers import _stop


def test_a_helper_still_starting_is_stopped_with_the_job() -> None:
    # A helper whose start (its models loading) takes a minute: the job must not wait for it,
    # and no process may outlive the job.
    pool = ProcessPoolExecutor(1, multiprocessing.get_context("spawn"), time.sleep, (60,))
    pool.submit(int)  # starts the helper
    helpers = list(pool._processes.values())  # type: ignore[attr-defined]
    assert helpers and all(p.is_alive() for p in helpers)
    started = time.monotonic()
    _stop(pool)
    # The executor's own thread may reap a helper first, and the Process object learns of it
    # a moment later; a helper left running would live for the whole minute.
    while any(p.is_alive() for p in helpers) and time.monotonic() - started < 10:
        time.sleep(0.05)
    assert not any(p.is_alive() for p in helpers)
    assert time.monotonic() - started < 10
