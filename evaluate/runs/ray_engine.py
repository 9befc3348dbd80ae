"""The Ray engine (``t2iqa run --engine ray``): generation and scoring as Ray Data stages on a
cluster, results written to the store by this process as they arrive.

::

    driver: plan (prompt, seed) not yet stored ──► Ray Data dataset
      ──► generate   actor pool, one model load per actor; one per GPU where the cluster has
                     GPUs (3/4 of it reserved), else one CPU actor; OOM halves the batch
      ──► score      actor pools of the run's checks: those that use an accelerator (CLIP, the
                     detector) on GPU actors where there are GPUs, the others (OCR, hands) on
                     CPU actors
      ──► driver     streams finished batches back and writes images, then their results, to
                     the store (the same calls as the local engine), so generation, scoring
                     and writing overlap

Only this process touches the store, so its guarantees are the local engine's: resuming
re-plans what is missing, a result already stored (the same image in another run) is counted
as cached and not rewritten, a killed driver loses at most the batches in flight. Ray Data
restarts a killed actor and retries its batch (its actor pools' default: ``max_restarts=-1``,
``max_task_retries=-1``). This module is imported only with ``--engine ray``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from t2iqa.checks.base import Check, ImageUnderTest, run_check
from t2iqa.core.errors import T2IQAError
from t2iqa.core.images import decode_image
from t2iqa.core.prompts import PromptSpec
from t2iqa.core.results import CheckResult
from t2iqa.generation.base import (
    GeneratedImage,
    GenerationRequest,
    ImageSource,
    RejectedImage,
    generate_with_backoff,
)
from t2iqa.store.db import Store

# Shares of a GPU Ray reserves per actor: a generation actor on every GPU, and the GPU scorers
# (one actor; CLIP and a detector need well under a quarter of a GPU's memory) beside one of
# them. Whole GPUs for generation would leave the scorers waiting for a GPU forever.
GENERATE_GPU, SCORE_GPU = 0.75, 0.25


@dataclass
class StageTimes:
    """Seconds each stage was busy (summed over its actors) and the run's wall time."""

    generate: float = 0.0
    score: dict[str, float] = field(default_factory=dict)
    write: float = 0.0
    wall: float = 0.0
    actors: dict[str, int] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)  # describe() of a loaded source


def _spec(spec_json: str) -> PromptSpec:
    from t2iqa.suites.files import parse_prompt_entry

    problems: list[str] = []
    spec = parse_prompt_entry(json.loads(spec_json), "planned prompt", problems)
    if spec is None:  # pragma: no cover - the driver made it from a parsed spec
        raise T2IQAError(f"unreadable planned prompt: {problems}")
    return spec


class Generate:
    """A generation actor: loads the model once, then makes each batch of requests."""

    def __init__(self, source: ImageSource, batch_size: int, threads: int) -> None:
        from t2iqa.core.threads import apply_threads

        apply_threads(threads, override=True)  # the driver's count: the same arithmetic
        self.source, self.batch_size = source, batch_size
        self.source.prepare()

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        requests = [GenerationRequest(_spec(s), int(seed))
                    for s, seed in zip(batch["spec_json"], batch["seed"], strict=True)]  # fmt: skip
        made: list[GeneratedImage | RejectedImage] = []
        warnings: list[str] = []
        start = time.process_time(), time.perf_counter()
        generate_with_backoff(self.source, requests, self.batch_size, made.extend,
                              warnings.append)  # fmt: skip
        busy = time.perf_counter() - start[1]
        out: dict[str, list[Any]] = {k: [] for k in ROW}
        for k, img in enumerate(made):
            ok = isinstance(img, GeneratedImage)
            out["spec_json"].append(json.dumps(img.request.spec.to_dict(), ensure_ascii=False))
            out["seed"].append(img.request.seed)
            out["data"].append(img.data if ok else b"")
            out["suffix"].append(img.suffix if ok else "")
            out["width"].append(img.width if ok else 0)
            out["height"].append(img.height if ok else 0)
            out["seconds"].append(img.seconds if ok else None)
            out["flags_json"].append(json.dumps(img.flags if ok else {}))
            out["rejected"].append("" if ok else img.reason)  # type: ignore[union-attr]
            out["warnings_json"].append(json.dumps(warnings if k == 0 else []))
            out["source_json"].append(json.dumps(self.source.describe(), default=str))
            out["stage_seconds_json"].append(json.dumps({"generate": busy / len(made)}))
            out["results_json"].append("[]")
        return out


ROW = (
    "spec_json", "seed", "data", "suffix", "width", "height", "seconds", "flags_json",
    "rejected", "warnings_json", "source_json", "stage_seconds_json", "results_json",
)  # fmt: skip


class Score:
    """A scoring actor: the run's checks (each loads its model once), over each batch."""

    def __init__(self, checks: Sequence[Check], stage: str, expected: Any, threads: int) -> None:
        from t2iqa.core.threads import apply_threads

        apply_threads(threads, override=True)
        self.checks, self.stage, self.expected = list(checks), stage, expected

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        from t2iqa.runs.scoring import check_flags

        out = {k: list(batch[k]) for k in ROW}
        start = time.perf_counter()
        keep, items = [], []
        for k, (data, spec_json, flags) in enumerate(
            zip(batch["data"], batch["spec_json"], batch["flags_json"], strict=True)
        ):
            if batch["rejected"][k]:
                continue
            loaded = decode_image(bytes(data))
            flags = check_flags(json.loads(flags))
            items.append(ImageUnderTest(loaded.image, loaded.sha256, _spec(spec_json),
                                        self.expected, flags))  # fmt: skip
            keep.append(k)
        found: dict[int, list[Any]] = {k: json.loads(out["results_json"][k]) for k in keep}
        for check in self.checks:
            for k, r in zip(keep, run_check(check, items), strict=True):
                found[k].append([check.name, check.config_hash(), r.verdict, r.passed, r.score,
                                 r.reason, json.dumps(r.details, default=str)])  # fmt: skip
        per_image = (time.perf_counter() - start) / max(1, len(batch["seed"]))
        for k in range(len(out["seed"])):
            if k in found:
                out["results_json"][k] = json.dumps(found[k])
            seconds = json.loads(out["stage_seconds_json"][k])
            seconds[self.stage] = per_image
            out["stage_seconds_json"][k] = json.dumps(seconds)
        return out


def results_of(row: dict[str, Any]) -> list[tuple[str, CheckResult]]:
    """(config hash, result) of each check a row was scored by."""
    return [
        (config_hash, CheckResult(name, verdict, passed, score, reason, json.loads(details)))
        for name, config_hash, verdict, passed, score, reason, details
        in json.loads(row["results_json"])
    ]  # fmt: skip


def rows(batch: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for k in range(len(batch["seed"])):
        yield {name: batch[name][k] for name in ROW}


def connect(address: str | None) -> None:
    """A local cluster on this machine's CPUs and GPUs, or the one at ``address``."""
    try:
        import ray
    except ImportError:
        raise T2IQAError(
            "--engine ray needs Ray: pip install 't2iqa[ray]' (Ray Data), then run again"
        ) from None
    if ray.is_initialized():
        return
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 logging_level="ERROR")  # fmt: skip
    except ConnectionError as exc:
        raise T2IQAError(
            f"cannot reach the Ray cluster at {address}: {exc}; start it with "
            "`ray start --head` (and `ray start --address HEAD:6379` on each GPU machine)"
        ) from None
    from ray.data import DataContext

    # Ray Data logs each stage's progress every few seconds and notes on its own settings;
    # t2iqa's bar says how far the run is, and errors still come through.
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    context = DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False


def pipeline(
    requests: Sequence[GenerationRequest],
    source: ImageSource,
    checks: Sequence[Check],
    batch_size: int,
    threads: int,
    chunk: int,
) -> tuple[Any, dict[str, int]]:
    """The dataset that yields generated, scored rows; and how many actors each stage has."""
    import ray
    import ray.data
    from ray.data import ActorPoolStrategy

    gpus = int(ray.cluster_resources().get("GPU", 0))
    items = [{"spec_json": json.dumps(r.spec.to_dict(), ensure_ascii=False), "seed": r.seed}
             for r in requests]  # fmt: skip
    ds = ray.data.from_items(items, override_num_blocks=max(1, len(items) // batch_size))
    actors = {"generate": max(1, gpus)}
    ds = ds.map_batches(
        Generate, fn_constructor_kwargs={"source": source, "batch_size": batch_size,
                                         "threads": threads},
        batch_size=batch_size, compute=ActorPoolStrategy(size=actors["generate"]),
        num_gpus=GENERATE_GPU if gpus else 0, num_cpus=0 if gpus else 1, zero_copy_batch=True,
    )  # fmt: skip
    pools = {
        "score_gpu": [c for c in checks if gpus and c.uses_accelerator],
        "score_cpu": [c for c in checks if not (gpus and c.uses_accelerator)],
    }
    for stage, members in pools.items():
        if not members:
            continue
        actors[stage] = 1
        ds = ds.map_batches(
            Score, fn_constructor_kwargs={"checks": members, "stage": stage,
                                          "expected": source.expected_size(), "threads": threads},
            batch_size=chunk, compute=ActorPoolStrategy(size=1), num_cpus=1,
            num_gpus=SCORE_GPU if stage == "score_gpu" else 0,
        )  # fmt: skip
    return ds, actors


def unwrap(exc: BaseException) -> BaseException:
    """The user's error inside Ray's wrappers (a bad model id raised in an actor)."""
    seen = exc
    while seen is not None:
        if isinstance(seen, T2IQAError):
            return seen
        seen = getattr(seen, "cause", None) or seen.__cause__  # type: ignore[assignment]
    return exc


def threads_here() -> int:
    """The driver's torch thread count, which the actors use too: the same count keeps CPU
    arithmetic (and so the images) identical to the local engine's."""
    import torch

    return int(torch.get_num_threads())


def run_on_ray(
    store: Store,
    source: ImageSource,
    checks: Sequence[Check],
    todo: Sequence[GenerationRequest],
    run_id: str,
    batch_size: int,
    chunk: int,
    outcome: Any,
    reporter: Any,
    address: str | None = None,
) -> StageTimes:
    """Make and score ``todo`` on the cluster, writing each batch to ``store`` as it comes
    back; the outcome counts as the local engine's do. Returns each stage's busy time."""
    from t2iqa.runs.scoring import check_flags

    start = time.perf_counter()
    connect(address)
    ds, actors = pipeline(todo, source, checks, batch_size, threads_here(), chunk)
    times = StageTimes(actors=actors)
    expected = source.expected_size()
    try:
        for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
            began = time.perf_counter()
            for row in rows(batch):
                _write_row(store, row, run_id, expected, check_flags, outcome, reporter, times)
            times.write += time.perf_counter() - began
            reporter.advance(len(batch["seed"]))
    except Exception as exc:
        cause = unwrap(exc)
        if cause is exc:
            raise
        raise cause from None
    times.wall = time.perf_counter() - start
    return times


def _write_row(store: Store, row: dict[str, Any], run_id: str, expected: Any,
               flags_of: Any, outcome: Any, reporter: Any, times: StageTimes) -> None:  # fmt: skip
    from t2iqa.checks.base import context_hash
    from t2iqa.store.db import ImageRecord

    for message in json.loads(row["warnings_json"]):
        outcome.warnings.append(message)
        reporter.warn(message)
    times.source = json.loads(row["source_json"])
    for stage, seconds in json.loads(row["stage_seconds_json"]).items():
        if stage == "generate":
            times.generate += seconds
        else:
            times.score[stage] = times.score.get(stage, 0.0) + seconds
    if row["rejected"]:
        outcome.failures.append(str(row["rejected"]))
        return
    spec, flags = _spec(row["spec_json"]), json.loads(row["flags_json"])
    image_hash, rel = store.put_image_file(bytes(row["data"]), str(row["suffix"]))
    context = context_hash(spec, expected, flags_of(flags))
    seconds = None if row["seconds"] is None else float(row["seconds"])
    store.add_image(ImageRecord(run_id, spec.id, int(row["seed"]), image_hash, context, rel,
                                int(row["width"]), int(row["height"]), seconds, flags))  # fmt: skip
    outcome.generated += 1
    results = results_of(row)
    have = store.existing_results([(image_hash, context)],
                                  [(r.check, h) for h, r in results])  # fmt: skip
    fresh = [(image_hash, context, h, r) for h, r in results
             if (image_hash, context, r.check, h) not in have]  # fmt: skip
    store.put_check_results(fresh)
    outcome.scored += len(fresh)
    outcome.cached += len(results) - len(fresh)
