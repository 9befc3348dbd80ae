"""Scorer memory: measured around each scorer's calls and kept in the run's provenance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

import t2iqa
from t2iqa.checks.memory import measured, scorer_memory


def test_the_first_call_counts_what_it_keeps() -> None:
    kept = []
    with measured("test-allocator"):
        kept.append(np.ones(64 * 2**20 // 8))  # 64 MiB, kept after the call (a model)
    assert 60 <= scorer_memory()["test-allocator"] <= 80
    with measured("test-allocator"):  # a later call (the model is loaded) is not re-measured
        kept.append(np.ones(128 * 2**20 // 8))
    assert scorer_memory()["test-allocator"] <= 80


def test_a_run_records_each_scorers_memory(tmp_path: Path) -> None:
    (tmp_path / "imgs").mkdir()
    Image.new("RGB", (64, 64), (10, 120, 40)).save(tmp_path / "imgs" / "count-bicycle-3.png")
    result = t2iqa.run("smoke", "imported", images=tmp_path / "imgs", limit=1,
                       scorers="embedded", checks=["image_sanity", "hps_v21"],
                       store=tmp_path / "store")  # fmt: skip
    with t2iqa.open_store(tmp_path / "store", read_only=True) as store:
        memory = store.get_run(result.run_id).provenance["scorer_memory_mib"]
    assert {"image_sanity", "hps_v21"} <= set(memory)
    assert all(mib >= 0 for mib in memory.values())
