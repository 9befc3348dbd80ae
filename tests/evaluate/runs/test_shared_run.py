"""Two processes on one run split it: every image is made once and scored once; a third
writing another run to the same store at the same time neither waits for them nor loses
anything. Both kinds of store: a folder (SQLite) and a team store (PostgreSQL)."""

from __future__ import annotations

import multiprocessing
from typing import Any

from t2iqa.store.db import Store


def worker(store: str, seeds: int | list[int], barrier: Any, out: Any) -> None:
    import torch

    from t2iqa import api
    from t2iqa.generation.base import GenerationSettings

    torch.set_num_threads(1)  # two processes on a 2-core machine
    barrier.wait()  # start together, so their work overlaps
    result = api.run(
        "smoke",
        "embedded",
        seeds=seeds,
        store=store,
        checks=["image_sanity"],
        scorers="embedded",
        settings=GenerationSettings(steps=2),
    )
    out.put((seeds, result.outcome.generated, result.outcome.scored, result.outcome.skipped))


def test_two_processes_resuming_one_run_do_each_image_once(any_store: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(3), ctx.Queue()
    procs = [ctx.Process(target=worker, args=(any_store, seeds, barrier, out))
             for seeds in (3, 3, [7])]  # fmt: skip
    # Seed 7: no image in common with seeds 0-2, whose check results it would share.
    for p in procs:
        p.start()
    results = [out.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    shared = [r[1:] for r in results if r[0] == 3]
    with Store(any_store, read_only=True) as store:
        runs = {run.planned_images: run for run in store.list_runs()}
        counts = {planned: len(store.images(run.run_id)) for planned, run in runs.items()}
        rows = [r for run in runs.values() for r in store.result_rows(run.run_id)]
    images = counts.pop(max(counts))
    assert images == max(runs) and list(counts.values()) == [min(runs)]  # nothing lost
    assert sum(generated for generated, _, _ in shared) == images  # none made twice
    assert sum(scored for _, scored, _ in shared) == images  # none scored twice
    assert all(generated > 0 for generated, _, _ in shared), results  # both worked
    assert all(r.verdict is not None for r in rows) and len(rows) == images + min(runs)
