"""Judging a folder with several processes: this one and helpers that each load their
models once.

A helper first pays its start (spawn, imports, every model loaded: about 5 s of CPU on the
2-core test machine, 4 of them importing torch, torchvision and MediaPipe) before it judges
anything, so this process, whose models are loaded already, judges from the first batch
meanwhile, and a helper gets work only once it is ready; helpers are started only where
each process gets ``MIN_IMAGES_PER_WORKER`` images.
Threads are shared out by ``t2iqa.core.threads``.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from t2iqa.checks.base import Check, adopt_unavailable, unavailable_loads
from t2iqa.core.prompts import PromptSpec
from t2iqa.core.threads import apply_threads, thread_budget
from t2iqa.qa.entries import QAEntry
from t2iqa.qa.verdicts import Policy, QAVerdict, build_bound, check_batch

# Images per process below which a helper is not started: 40 images on 2 processes ran
# 1.70-1.79x one process (the default checks, 1.35-1.4 s per image on one core); with less
# work the helper would start (its CPU taken from others on a busy machine) only to be
# stopped unused.
MIN_IMAGES_PER_WORKER = 20
_worker_checks: list[Check] | None = None
_worker_policy: Policy | None = None


def _init_worker(policy: Policy, threads: int, specs: list[PromptSpec]) -> None:
    global _worker_checks, _worker_policy
    apply_threads(threads, override=True)  # before torch loads
    import torch

    torch.set_num_threads(threads)
    _worker_policy = policy
    _worker_checks = build_bound(policy, specs)


def _check_batch_in_worker(entries: list[QAEntry], unavailable: dict) -> list[QAVerdict]:
    """Judge a batch in a helper, first taking on the loads this process's parent found
    unavailable (missing weights): the helper does not spend seconds finding them again
    (importing open_clip to learn that no CLIP weights are cached took 1.7 s)."""
    assert _worker_checks is not None and _worker_policy is not None
    adopt_unavailable(unavailable)
    return check_batch(_worker_checks, _worker_policy, entries)


def _ready() -> bool:
    """A helper's first task: it returns once the helper has started and loaded its models."""
    return True


def judge_alongside_helpers(checks: Sequence[Check], policy: Policy,
                            batches: list[list[QAEntry]], workers: int,
                            specs: list[PromptSpec]) -> Iterator[list[QAVerdict]]:  # fmt: skip
    """Judge ``batches`` with this process and ``workers - 1`` helper processes, yielding
    each batch's verdicts in order. This process takes batches from the front of the queue
    from the start; a helper gets its first batch (from the back) only once it has started,
    and the next one as soon as it hands one in (completion callbacks), so this process
    never waits for a helper that is still loading: with little work, the helpers are
    stopped unused and the job takes what one process takes."""
    import multiprocessing

    threads = thread_budget(workers)
    apply_threads(threads)
    todo = deque(enumerate(batches))
    lock = threading.Lock()
    handed_in: queue.Queue[tuple[int, Future[list[QAVerdict]]]] = queue.Queue()

    def feed(pool: ProcessPoolExecutor) -> None:
        with lock:
            if not todo:
                return
            k, batch = todo.pop()
        future = pool.submit(_check_batch_in_worker, batch, unavailable_loads())
        future.add_done_callback(lambda f: (handed_in.put((k, f)), feed(pool)))

    done: dict[int, list[QAVerdict]] = {}
    # spawn, not fork: a forked torch or MediaPipe runtime can deadlock in its thread pools.
    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(workers - 1, ctx, _init_worker, (policy, threads, specs))
    try:
        for _ in range(workers - 1):
            pool.submit(_ready).add_done_callback(lambda f: f.cancelled() or feed(pool))
        for next_out in range(len(batches)):
            while next_out not in done:
                with lock:
                    mine = todo.popleft() if todo else None
                if mine is not None:
                    done[mine[0]] = check_batch(checks, policy, mine[1])
                    continue
                k, future = handed_in.get()  # a batch a started helper is judging
                done[k] = future.result()  # a helper's crash is raised here
            yield done.pop(next_out)
    finally:
        _stop(pool)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop the helpers now, whatever they are doing (every batch is judged, or the job was
    interrupted): a helper still loading its models would otherwise hold up the exit."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14+: shuts down too
    if terminate is not None:
        terminate()
        return
    # Before Python 3.14 the executor has no public way to stop its processes, and its
    # shutdown forgets them, so they are taken first.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:  # reaped now: no zombie, and its CPU time counted with this job
        process.join(timeout=5)
