"""The Ray engine on a real local Ray cluster (``ray.init(num_cpus=2)``): the same images and
results as the local engine, and runs that survive a killed driver or a killed Ray worker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from t2iqa import api
from t2iqa.core.errors import StoreError, T2IQAError
from t2iqa.generation.base import GenerationSettings
from t2iqa.store.db import Store

ray = pytest.importorskip("ray")

SETTINGS = GenerationSettings(steps=2)
CHECKS = ["image_sanity", "clip_alignment"]
KWARGS: dict[str, Any] = dict(checks=CHECKS, scorers="embedded", settings=SETTINGS)


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


def _timeless(record: Any) -> Any:
    """A record without its timing, its scores to 4 places: torch's float sums differ in the
    last bits between processes whose thread counts differ (the policy gives each process
    the CPUs free when it starts, so a loaded machine gives the actor and this process
    different counts)."""
    if hasattr(record, "details_json"):
        details = json.dumps(_rounded(json.loads(record.details_json)), sort_keys=True)
        record = replace(record, score=_rounded(record.score), details_json=details)
    return replace(record, generation_seconds=None)


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def _contents(store: str | Path, run_id: str) -> tuple[list[Any], list[Any]]:
    with Store(store, read_only=True) as st:
        return ([_timeless(i) for i in st.images(run_id)],
                [_timeless(r) for r in st.result_rows(run_id)])  # fmt: skip


def test_the_ray_engine_makes_and_scores_what_the_local_engine_does(
    cluster: None, tmp_path: Path
) -> None:
    local = api.run("smoke", seeds=1, store=tmp_path / "local", **KWARGS)
    on_ray = api.run("smoke", seeds=1, store=tmp_path / "ray", engine="ray", **KWARGS)
    assert on_ray.run_id == local.run_id
    assert _contents(tmp_path / "ray", on_ray.run_id) == _contents(tmp_path / "local", local.run_id)
    assert (on_ray.outcome.generated, on_ray.outcome.scored) == (12, 24)
    with Store(tmp_path / "ray", read_only=True) as st:
        engine = st.get_run(on_ray.run_id).provenance["engine"]
    assert engine["name"] == "ray" and engine["actors"] == {"generate": 1, "score_cpu": 1}
    # Resuming on Ray: nothing to make; a cached result is counted as cached.
    again = api.run("smoke", seeds=1, store=tmp_path / "ray", engine="ray", **KWARGS)
    assert (again.outcome.generated, again.outcome.skipped, again.outcome.cached) == (0, 12, 24)


def test_a_bad_model_on_ray_is_a_user_error_and_writes_nothing(
    cluster: None, tmp_path: Path
) -> None:
    with pytest.raises(T2IQAError, match="no-such-model"):
        api.run("smoke", "./no-such-model", seeds=1, store=tmp_path, engine="ray", **KWARGS)
    with Store(tmp_path, read_only=True) as st:
        assert all(not st.images(r.run_id) for r in st.list_runs())
    with pytest.raises(T2IQAError, match="--engine must be local or ray"):
        api.run("smoke", store=tmp_path, engine="spark")


def _workers(name: str) -> list[int]:
    found = subprocess.run(["pgrep", "-f", f"ray::.*{name}"], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


def test_a_killed_ray_worker_is_replaced_and_nothing_is_lost(cluster: None, tmp_path: Path) -> None:
    store, killed = tmp_path / "s", []

    def kill_a_generator() -> None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not killed:
            time.sleep(0.2)
            if (store / "t2iqa.sqlite").is_file():
                with Store(store, read_only=True) as st:
                    stored = sum(len(st.images(r.run_id)) for r in st.list_runs())
                if stored >= 3:
                    for pid in _workers("Generate"):
                        os.kill(pid, signal.SIGKILL)
                        killed.append(pid)

    killer = threading.Thread(target=kill_a_generator)
    killer.start()
    result = api.run("core", seeds=1, limit=12, store=store, engine="ray",
                     **{**KWARGS, "checks": ["image_sanity"]})  # fmt: skip
    killer.join()
    assert killed, "no generation actor was found to kill"
    images, rows = _contents(store, result.run_id)
    assert len(images) == len({(i.prompt_id, i.seed) for i in images}) == 12
    assert len(rows) == 12 and all(r.verdict is not None for r in rows)


@pytest.mark.parametrize("after", [2, 6])
def test_a_killed_driver_resumes_to_every_result_once(tmp_path: Path, after: int) -> None:
    """SIGKILL the `t2iqa run --engine ray` process itself after ``after`` images, then run
    the same command again: every planned image and result is stored exactly once."""
    store = tmp_path / "s"
    cmd = [sys.executable, "-c", "from t2iqa.cli import main; main()", "run", "--suite", "core",
           "--limit", "8", "--steps", "2", "--check", "image_sanity", "--engine", "ray",
           "--batch-size", "1", "--store", str(store)]  # fmt: skip
    # Its own process group: the kill takes the local Ray cluster it started with it (as
    # Ctrl-\\ in its terminal would), rather than leaving Ray's agents behind.
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    deadline, stored = time.monotonic() + 300, 0
    while time.monotonic() < deadline and proc.poll() is None and stored < after:
        time.sleep(0.2)
        if (store / "t2iqa.sqlite").is_file():
            try:
                with Store(store, read_only=True) as st:
                    stored = sum(len(st.images(r.run_id)) for r in st.list_runs())
            except StoreError:  # the file exists, its tables are still being made
                continue
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert after <= stored < 16, "the run should be stopped mid-way"
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    with Store(store, read_only=True) as st:
        (run,) = st.list_runs()
        images, rows = st.images(run.run_id), st.result_rows(run.run_id)
    assert len(images) == len({(i.prompt_id, i.seed) for i in images}) == run.planned_images
    assert len(rows) == run.planned_images and all(r.verdict is not None for r in rows)
