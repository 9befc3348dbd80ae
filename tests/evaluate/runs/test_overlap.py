"""Scoring beside generation: the same results as scoring afterwards, written by the run's
own thread, with the ordinary pass as the fallback."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, ClassVar

import pytest

from t2iqa.checks import REGISTRY
from t2iqa.checks.image_sanity import ImageSanityCheck
from t2iqa.core.errors import T2IQAError
from t2iqa.generation.base import GenerationSettings
from t2iqa.generation.diffusers_source import DiffusersSource
from t2iqa.runs.overlap import ScoringLane
from t2iqa.runs.runner import RunConfig, RunInterrupted, execute_run
from t2iqa.store.db import Store


class ThreadNotingCheck(ImageSanityCheck):
    """image_sanity, noting which thread judged each image."""

    name = "thread_noting"
    version = "1"
    threads: ClassVar[list[str]] = []

    def check(self, item: Any) -> Any:
        type(self).threads.append(threading.current_thread().name)
        return super().check(item)


class LaneOnlyMemoryError(ImageSanityCheck):
    """Runs out of memory on the scoring lane only: the ordinary pass must score instead."""

    name = "lane_oom"
    version = "1"

    def check(self, item: Any) -> Any:
        if threading.current_thread().name == "t2iqa-scoring":
            raise MemoryError
        return super().check(item)


def config(overlap: str, *checks: str) -> RunConfig:
    return RunConfig(suite="smoke", seeds=(0, 1), limit=3, checks=checks,
                     settings=GenerationSettings(steps=2, overlap=overlap))  # fmt: skip


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(REGISTRY, "thread_noting", ThreadNotingCheck)
    monkeypatch.setitem(REGISTRY, "lane_oom", LaneOnlyMemoryError)
    ThreadNotingCheck.threads = []


def results(store: Store, run_id: str) -> dict[tuple[str, int, str], tuple[str, Any]]:
    return {(r.prompt_id, r.seed, r.check): (r.verdict, r.score)
            for r in store.result_rows(run_id)}  # fmt: skip


def test_overlapped_scoring_gives_the_results_scoring_afterwards_gives(tmp_path: Path) -> None:
    with Store(tmp_path / "on") as on, Store(tmp_path / "off") as off:
        lane = execute_run(config("on", "thread_noting", "image_sanity"), on)
        assert set(ThreadNotingCheck.threads) == {"t2iqa-scoring"}
        ThreadNotingCheck.threads = []
        after = execute_run(config("off", "thread_noting", "image_sanity"), off)
        assert set(ThreadNotingCheck.threads) == {"MainThread"}
        assert (lane.generated, lane.scored, lane.cached) == (6, 12, 0)
        assert (after.generated, after.scored, after.cached) == (6, 12, 0)
        assert results(on, lane.run_id) == results(off, after.run_id)
        assert on.get_run(lane.run_id).status == "complete"


def test_auto_does_not_overlap_on_a_cpu(store_dir: Path) -> None:
    with Store(store_dir) as store:
        execute_run(config("auto", "thread_noting"), store)
    assert set(ThreadNotingCheck.threads) == {"MainThread"}


def test_what_the_lane_cannot_score_the_ordinary_pass_scores(store_dir: Path) -> None:
    with Store(store_dir) as store:
        outcome = execute_run(config("on", "lane_oom", "image_sanity"), store)
        rows = results(store, outcome.run_id)
    assert len(rows) == 12 and {v for v, _ in rows.values()} == {"ok"}
    assert (outcome.scored, outcome.cached) == (12, 0)


class InterruptingSource(DiffusersSource):
    """Presses Ctrl-C before the third batch."""

    def __init__(self) -> None:
        super().__init__("embedded", GenerationSettings(steps=2, overlap="on"))
        self.calls = 0

    def generate(self, requests: Any) -> Any:
        self.calls += 1
        if self.calls == 3:
            raise KeyboardInterrupt
        return super().generate(requests)


def test_ctrl_c_with_overlap_keeps_what_was_written_and_resume_completes(
    store_dir: Path,
) -> None:
    with Store(store_dir) as store:
        with pytest.raises(RunInterrupted):
            execute_run(config("on", "thread_noting"), store, source=InterruptingSource())
        for t in threading.enumerate():  # the lane ends after the chunk in flight
            if t.name == "t2iqa-scoring":
                t.join(timeout=30)
                assert not t.is_alive()
        resumed = execute_run(config("on", "thread_noting"), store)
        assert (resumed.generated, resumed.skipped) == (4, 2)
        rows = results(store, resumed.run_id)
    assert len(rows) == 6 and {v for v, _ in rows.values()} == {"ok"}


def test_the_lane_hands_back_every_chunk_in_order_and_stops() -> None:
    check = ImageSanityCheck.from_options({})
    lane = ScoringLane()
    for _ in range(5):  # more than the queue holds: submit waits instead of dropping
        lane.submit(check, [])
    assert [len(s.results) for s in lane.close()] == [0] * 5
    cancelled = ScoringLane()
    cancelled.cancel()
    cancelled.submit(check, [])  # a stopped lane takes no work and does not block
    assert cancelled.close() == []


def test_a_bad_overlap_setting_is_named() -> None:
    with pytest.raises(T2IQAError, match="overlap must be one of auto, on, off, not 'yes'"):
        GenerationSettings(overlap="yes")


def test_the_lane_sees_the_generators_pixels_under_the_decoders_size_rules() -> None:
    from PIL import Image

    from t2iqa.core.images import ImageInputError
    from t2iqa.core.prompts import PromptSpec
    from t2iqa.generation.base import GeneratedImage, GenerationRequest
    from t2iqa.runs.runner import _pixels

    def made(side: int) -> GeneratedImage:
        pixels = Image.new("RGB", (side, side), (20, 40, 60))
        request = GenerationRequest(PromptSpec("p", "a square"), 0)
        return GeneratedImage(request, b"", ".png", side, side, None, pixels=pixels)

    ok = made(64)
    assert _pixels(ok) is ok.pixels  # no decode of the PNG
    with pytest.raises(ImageInputError, match="too small to judge"):
        _pixels(made(16))  # refused as the decoder refuses it
