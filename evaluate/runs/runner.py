"""``t2iqa run``: suite -> generation -> image store -> checks -> result store.

A run is identified by its configuration: running the same command again resumes it, skipping
images already stored and check results already cached. Every finished image is committed
before the next batch starts, so an interrupted run loses at most the batch in flight.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from t2iqa.checks import build_checks, build_set_metrics
from t2iqa.checks.base import Check, ImageUnderTest, SetMetric, context_hash
from t2iqa.checks.memory import measured
from t2iqa.checks.options import collect
from t2iqa.core.errors import T2IQAError, Unavailable
from t2iqa.core.images import ImageInputError, checked_size, decode_image
from t2iqa.core.results import stable_hash
from t2iqa.generation import source_for
from t2iqa.generation.base import (
    GeneratedImage,
    GenerationRequest,
    GenerationSettings,
    ImageSource,
    RejectedImage,
    generate_with_backoff,
)
from t2iqa.generation.embedded import EMBEDDED_MODEL_ID
from t2iqa.runs import memory_plan, provenance
from t2iqa.runs.engines import Engine, generate_on_ray
from t2iqa.runs.overlap import LaneWriter
from t2iqa.runs.scoring import CHECK_CHUNK, check_flags, claim_key, load_image, score_run
from t2iqa.store.claims import Claims, claimed_batches
from t2iqa.store.db import ImageRecord, Store
from t2iqa.suites.files import Suite, load_suite

if TYPE_CHECKING:
    from PIL import Image

CLAIM_BATCHES = 4  # generation batches claimed at once (see t2iqa.store.claims)


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a run. Saved with it; equal configs mean the same run."""

    suite: str
    model: str = EMBEDDED_MODEL_ID
    seeds: tuple[int, ...] = (0,)
    settings: GenerationSettings = field(default_factory=GenerationSettings)
    checks: tuple[str, ...] | None = None  # None = every registered check
    check_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    limit: int | None = None
    images_dir: str | None = None  # folder import instead of generation
    manifest: str | None = None
    set_metrics: tuple[str, ...] = ()  # fid, kid, cmmd: one value per run against a reference
    set_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    allow_outside_paths: bool = False  # where files may be found, not which images exist

    def identity(self, suite: Suite) -> dict[str, Any]:
        """The part of the config that decides which images exist (not how they are scored)."""
        return {
            "model": self.model,
            "suite": {"name": suite.name, "version": suite.version, "hash": suite.content_hash()},
            "seeds": list(self.seeds),
            "image_settings": self.settings.image_settings(),
            "limit": self.limit,
            "images_dir": self.images_dir,
            "manifest": self.manifest,
        }

    def scorers(self, suite: Suite | None = None) -> tuple[list[Check], list[SetMetric]]:
        """The run's checks and set metrics, built from their options (over the suite's
        ``scoring`` where a suite is given); every option problem is raised at once
        (``OptionsError``), before any work."""
        options = suite.check_options(self.check_options) if suite else self.check_options
        checks, metrics = collect([
            functools.partial(build_checks, self.checks, options),
            functools.partial(build_set_metrics, self.set_metrics, self.set_options),
        ])  # fmt: skip
        return checks, metrics

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["seeds"] = list(self.seeds)
        d["checks"] = list(self.checks) if self.checks is not None else None
        d["set_metrics"] = list(self.set_metrics)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunConfig:
        d = dict(d)
        d["settings"] = GenerationSettings(**d.get("settings", {}))
        d["seeds"] = tuple(d.get("seeds", (0,)))
        if d.get("checks") is not None:
            d["checks"] = tuple(d["checks"])
        d["set_metrics"] = tuple(d.get("set_metrics", ()))
        return cls(**d)


# A run id names the run in the store and becomes a file name in `t2iqa export`.
RUN_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def checked_run_id(run_id: str) -> str:
    if not RUN_ID_PATTERN.fullmatch(run_id) or ".." in run_id:
        raise T2IQAError(
            f"run id {run_id!r}: use 1-128 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit (it becomes a file name)"
        )
    return run_id


def default_run_id(config: RunConfig, suite: Suite) -> str:
    label = Path(config.model).name if Path(config.model).exists() else config.model
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-")[:40] or "model"
    return f"{slug}--{suite.name}--{stable_hash(config.identity(suite))[:8]}"


@dataclass
class RunOutcome:
    run_id: str
    resumed: bool
    generated: int
    skipped: int
    scored: int
    cached: int
    failures: list[str]
    plumbing_only: bool
    warnings: list[str] = field(default_factory=list)


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run; everything finished before it is stored."""

    def __init__(self, run_id: str, images_kept: int) -> None:
        super().__init__(run_id)
        self.run_id = run_id
        self.images_kept = images_kept


class Reporter:
    """How the runner talks to a person; the CLI gives it rich progress bars."""

    def stage(self, name: str, total: int) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def warn(self, message: str) -> None: ...

    def done(self) -> None: ...


def execute_run(
    config: RunConfig,
    store: Store,
    reporter: Reporter | None = None,
    run_id: str | None = None,
    source: ImageSource | None = None,
    engine: Engine | None = None,
) -> RunOutcome:
    """Run (or resume) ``config`` into ``store``. Input errors raise T2IQAError before any work.
    ``engine`` picks where images are made and scored: here (default) or on a Ray cluster."""
    engine = engine or Engine()
    reporter = reporter or Reporter()
    suite = load_suite(config.suite).limited(config.limit)
    # Bound before their config hashes are recorded with the run.
    built, set_metrics = config.scorers(suite)
    checks = [c.bind(suite.prompts) for c in built]
    if not config.seeds:
        raise T2IQAError("no seeds: pass --seeds 1 or more")
    memory_plan.budget_setting()  # a malformed setting is reported before any work
    source = source or source_for(config)
    requests = source.plan(suite, config.seeds)
    run_id = checked_run_id(run_id) if run_id is not None else default_run_id(config, suite)
    done = store.done_keys(run_id)
    if any(r.key not in done for r in requests) and engine.name == "local":
        # Load the model before writing anything: a bad model id leaves no half-made run.
        # (On Ray the actors load it; a bad id fails the first batch, before any write.)
        source.prepare()
    prov = provenance.for_run(config.settings.device, store, run_id, source, engine, checks)
    resumed = store.create_or_resume_run(
        run_id=run_id,
        model=config.model,
        suite_name=suite.name,
        suite_version=suite.version,
        suite_hash=suite.content_hash(),
        prompts=suite.prompts,
        planned_images=len(requests),
        config={"identity": config.identity(suite), "run_config": config.to_dict()},
        provenance=prov,
    )
    store.set_run_checks(run_id, checks)
    outcome = RunOutcome(run_id, resumed, 0, 0, 0, 0, [], config.model == EMBEDDED_MODEL_ID)
    lane = _lane(config, source, checks, store)
    try:
        if engine.name == "ray":
            beside = generate_on_ray(config, store, source, checks, requests, run_id, reporter,
                                     outcome, engine, prov, CHECK_CHUNK)  # fmt: skip
        else:
            _generate_missing(config, store, source, requests, run_id, reporter, outcome, lane)
            if lane is not None:
                outcome.scored += lane.close()
            beside = lane.written if lane else 0
        groups = score_run(store, checks, run_id, source.expected_size(), reporter, outcome,
                            beside)  # fmt: skip
        if groups:
            prov["scoring_groups"] = groups  # the checks loaded together, in order
        _compute_set_metrics(store, set_metrics, run_id, reporter, outcome)
        if engine.name == "local":  # on Ray the actors loaded the model and said so
            provenance.refresh_after_work(prov, config.settings.device, source, outcome)
        store.set_run_provenance(run_id, prov)
    except KeyboardInterrupt:
        if lane is not None:
            lane.cancel()
        store.set_run_status(run_id, "interrupted")
        raise RunInterrupted(run_id, len(store.done_keys(run_id))) from None
    except BaseException:
        if lane is not None:
            lane.cancel()
        # Any other way out (a full disk, a crash): the run is not running any more. The
        # store may be what failed, so marking it is best effort.
        with contextlib.suppress(Exception):
            store.set_run_status(run_id, "interrupted")
        raise
    finally:
        source.close()
        reporter.done()
    complete = len(store.done_keys(run_id)) == len(requests)
    store.set_run_status(run_id, "complete" if complete and not outcome.failures else "incomplete")
    return outcome


def _lane(
    config: RunConfig, source: ImageSource, checks: Sequence[Check], store: Store
) -> LaneWriter | None:
    """The lane that scores images beside the generator, where overlap is on. Under a memory
    plan only the checks without a large model go in it: the others wait for their group,
    after generation."""
    if not checks or not _overlaps(config.settings.overlap, source):
        return None
    planned = memory_plan.budget_mib(checks) is not None
    lane_checks = [c for c in checks if not (planned and c.model_mib)]
    return LaneWriter(store, lane_checks, CHECK_CHUNK) if lane_checks else None


def _overlaps(mode: str, source: ImageSource) -> bool:
    """Whether to score beside generation (see ``t2iqa.runs.overlap``): "auto" only where
    the generator leaves the CPU to the checks."""
    return mode == "on" or (mode == "auto" and source.on_accelerator())


def _generate_missing(
    config: RunConfig,
    store: Store,
    source: ImageSource,
    requests: list[GenerationRequest],
    run_id: str,
    reporter: Reporter,
    outcome: RunOutcome,
    lane: LaneWriter | None = None,
) -> None:
    done = store.done_keys(run_id)
    todo = [r for r in requests if r.key not in done]
    outcome.skipped = len(requests) - len(todo)
    if not todo:
        return
    reporter.stage(source.stage, len(todo))
    expected_size = source.expected_size()

    def keep(images: Sequence[GeneratedImage | RejectedImage]) -> None:
        fresh = []
        for img in images:
            if isinstance(img, RejectedImage):
                outcome.failures.append(img.reason)
                continue
            image_hash, rel = store.put_image_file(img.data, img.suffix)
            context = context_hash(img.request.spec, expected_size, check_flags(img.flags))
            store.add_image(
                ImageRecord(
                    run_id, img.request.spec.id, img.request.seed, image_hash, context, rel,
                    img.width, img.height, img.seconds, img.flags,
                )
            )  # fmt: skip
            outcome.generated += 1
            if lane is not None:
                with contextlib.suppress(ImageInputError):  # the ordinary pass reports it
                    pixels = _pixels(img)
                    fresh.append(ImageUnderTest(pixels, image_hash, img.request.spec,
                                                expected_size, check_flags(img.flags)))  # fmt: skip
        reporter.advance(len(images))
        if lane is not None:
            lane.score(fresh)

    def warn(message: str) -> None:
        outcome.warnings.append(message)
        reporter.warn(message)

    def unfinished(requests: list[GenerationRequest]) -> list[GenerationRequest]:
        done = store.done_keys(run_id)
        return [r for r in requests if r.key not in done]

    # Claimed a few batches at a time: another process on this run makes the others.
    batch_size = max(1, config.settings.batch_size)
    claims = Claims(store, run_id, "generate")
    for mine in claimed_batches(claims, todo, claim_key, batch_size * CLAIM_BATCHES, unfinished):
        generate_with_backoff(source, mine, batch_size, keep, warn)


def _pixels(img: GeneratedImage) -> Image.Image:
    """What the checks beside generation see: the source's own pixels where it kept them
    (the same as decoding its lossless PNG), else the decoded file; either way an image
    the decoder would refuse raises its ImageInputError."""
    if img.pixels is not None and img.pixels.mode == "RGB":
        checked_size(img.pixels.size)
        return img.pixels
    return decode_image(img.data).image


def _compute_set_metrics(
    store: Store,
    metrics: Sequence[SetMetric],
    run_id: str,
    reporter: Reporter,
    outcome: RunOutcome,
) -> None:
    """One value per metric over all the run's images; recomputed only when the images or
    the metric's settings changed."""
    if not metrics:
        return
    records = store.images(run_id)
    fingerprint = stable_hash(sorted(r.image_hash for r in records))
    stored = {r.metric: r for r in store.set_results(run_id)}
    todo = []
    for metric in metrics:
        key = stable_hash({"version": metric.version, **metric.config_dict()})
        old = stored.get(metric.name)
        if (
            old
            and old.details.get("config_hash") == key
            and old.details.get("images") == fingerprint
        ):
            outcome.cached += 1
            continue
        metric.reset()
        todo.append((metric, key))
    if not todo:
        return
    specs = {s.id: s for s in store.run_prompts(run_id)}
    reporter.stage("set metrics", len(records))
    live = list(todo)
    for start in range(0, len(records), 32):
        items = []
        for rec in records[start : start + 32]:
            try:
                items.append(ImageUnderTest(load_image(store, rec.file), rec.image_hash,
                                            specs[rec.prompt_id]))  # fmt: skip
            except (OSError, ValueError):
                continue  # already reported by the checks stage
        for metric, key in list(live):
            try:
                with measured(metric.name):
                    metric.update(items)
            except Unavailable as exc:
                live.remove((metric, key))
                _warn(outcome, reporter, f"{metric.name}: {exc}")
        reporter.advance(len(items))
    for metric, key in live:
        try:
            result = metric.compute()
        except Unavailable as exc:
            _warn(outcome, reporter, f"{metric.name}: {exc}")
            continue
        result.details.update(config_hash=key, images=fingerprint, config=metric.config_dict())
        store.put_set_result(run_id, result)
        outcome.scored += 1


def _warn(outcome: RunOutcome, reporter: Reporter, message: str) -> None:
    outcome.warnings.append(message)
    reporter.warn(message)


__all__ = ["RunConfig", "RunOutcome", "default_run_id", "execute_run"]
