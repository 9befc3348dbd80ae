"""Two processes on one run split it: every image is made once and scored once."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

from t2iqa.store.db import Store


def worker(store: str, barrier: Any, out: Any) -> None:
    import torch

    from t2iqa import api
    from t2iqa.generation.base import GenerationSettings

    torch.set_num_threads(1)  # two processes on a 2-core machine
    barrier.wait()  # start together, so their work overlaps
    result = api.run(
        "smoke",
        "embedded",
        seeds=3,
        store=store,
        checks=["image_sanity"],
        scorers="embedded",
        settings=GenerationSettings(steps=2),
    )
    out.put((result.outcome.generated, result.outcome.scored, result.outcome.skipped))


def test_two_processes_resuming_one_run_do_each_image_once(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=worker, args=(str(tmp_path), barrier, out)) for _ in range(2)]
    for p in procs:
        p.start()
    results = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    with Store(tmp_path, read_only=True) as store:
        [run] = store.list_runs()
        images = len(store.images(run.run_id))
    assert images == run.planned_images
    assert sum(generated for generated, _, _ in results) == images  # none made twice
    assert sum(scored for _, scored, _ in results) == images  # none scored twice
    assert all(generated > 0 for generated, _, _ in results), results  # both worked
