"""Helper processes of ``t2iqa check --workers``: stopped at once when the job ends, and told
which weights their parent found missing."""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
import torch
from PIL import Image

from t2iqa.core.errors import Unavailable
from t2iqa.core.prompts import PromptSpec
from t2iqa.core.threads import LIBRARY_VARS
from t2iqa.qa.entries import QAEntry
from t2iqa.qa.verdicts import Policy
from t2iqa.qa.workers import _check_batch_in_worker, _init_worker, _stop


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


def test_a_helper_takes_on_the_missing_weights_its_parent_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from t2iqa.checks.clip_alignment import load_clip

    Image.new("RGB", (64, 64), (90, 120, 200)).save(tmp_path / "a.png")
    spec = PromptSpec("p", "a blue square")
    for var in LIBRARY_VARS:  # the helper's thread settings: undone after the test
        monkeypatch.setenv(var, os.environ.get(var, ""))
    monkeypatch.setattr(torch, "set_num_threads", lambda n: None)
    _init_worker(Policy(checks=("clip_alignment",)), 1, [spec])
    load_clip.cache_clear()  # this process plays a fresh helper: nothing learnt yet
    key = f"{load_clip.__module__}.{load_clip.__qualname__}"
    args = ("ViT-L-14", "openai", None, None, "auto")  # clip_alignment's defaults
    told = {key: {args: Unavailable("no CLIP weights (found by the parent)")}}
    try:
        [verdict] = _check_batch_in_worker([QAEntry(tmp_path / "a.png", spec)], told)
    finally:
        load_clip.cache_clear()
    result = verdict.results[0]
    assert (result.verdict, result.reason) == (
        "unavailable",
        "no CLIP weights (found by the parent)",
    )
