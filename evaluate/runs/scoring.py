"""Scoring a run's stored images: which results are missing, the checks run on them in
chunks (one store transaction each), in groups when their models do not fit on the
accelerator together (``memory_plan``), with claims so that several processes share the work."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PIL import Image

from t2iqa.checks.base import Check, ImageUnderTest, run_check
from t2iqa.core.images import read_image_file
from t2iqa.core.prompts import PromptSpec
from t2iqa.generation.base import GenerationRequest
from t2iqa.runs import memory_plan
from t2iqa.store.claims import Claims, claimed_batches
from t2iqa.store.db import ImageRecord, Store

if TYPE_CHECKING:  # the runner imports this module
    from t2iqa.runs.runner import Reporter, RunOutcome

CHECK_CHUNK = 16  # images scored per transaction


def claim_key(thing: GenerationRequest | ImageRecord) -> str:
    """The claim key of an image: its prompt id and seed."""
    key = thing.key if isinstance(thing, GenerationRequest) else (thing.prompt_id, thing.seed)
    return f"{key[0]}\x1f{key[1]}"


def load_image(store: Store, file: str) -> Image.Image:
    """A stored image's pixels, through the one decoder every path uses (``t2iqa check``
    too): EXIF rotation, alpha on white and 16-bit scaling are applied alike."""
    return read_image_file(store.files.url(file)).image


def check_flags(generation: dict[str, Any]) -> dict[str, Any]:
    """The generator flags checks read. Batch size and file name are kept with the image
    record but do not change pixels, so they stay out of the cache key."""
    return {k: v for k, v in generation.items() if k not in ("batch_size", "source_file")}


def score_items(
    store: Store,
    checks: Sequence[Check],
    items: Sequence[ImageUnderTest],
    on_progress: Callable[[int], None] = lambda n: None,
) -> tuple[int, int]:
    """Run each check on the items lacking a cached result; returns (scored, cached)."""
    scored = cached = 0
    for check in checks:
        config_hash = check.config_hash()
        todo = []
        for item in items:
            key = (item.image_hash, item.context_hash(), check.name, config_hash)
            if store.get_check_result(*key) is None:
                todo.append(item)
            else:
                cached += 1
        for start in range(0, len(todo), CHECK_CHUNK):
            chunk = todo[start : start + CHECK_CHUNK]
            results = run_check(check, chunk)
            store.put_check_results(
                [
                    (it.image_hash, it.context_hash(), config_hash, r)
                    for it, r in zip(chunk, results, strict=True)
                ]
            )
            scored += len(chunk)
            on_progress(len(chunk))
        on_progress(len(items) - len(todo))
    return scored, cached


def score_run(
    store: Store,
    checks: Sequence[Check],
    run_id: str,
    expected_size: tuple[int, int] | None,
    reporter: Reporter,
    outcome: RunOutcome,
    scored_beside: int = 0,
) -> list[list[str]]:
    """Score the run's images that lack results. ``scored_beside``: results the scoring
    lane wrote during generation, counted as scored (not as cached) here. Checks whose models
    do not fit on the accelerator together run in groups, one after another, each group's
    models released before the next (``memory_plan``); returns the groups' check names."""
    specs = {s.id: s for s in store.run_prompts(run_id)}
    records = store.images(run_id)
    if not records or not checks:
        return []
    reporter.stage("checking", len(records) * len(checks))

    def unfinished(recs: list[ImageRecord], group: Sequence[Check]) -> list[ImageRecord]:
        # The context hash is stored with the image, so the cache is read without decoding
        # it; which results exist is asked once for the whole list.
        keys = [(c.name, c.config_hash()) for c in group]
        have = store.existing_results([(r.image_hash, r.context_hash) for r in recs], keys)
        return [r for r in recs if not all((r.image_hash, r.context_hash, *k) in have
                                           for k in keys)]  # fmt: skip

    pending = unfinished(records, checks)
    outcome.cached += max((len(records) - len(pending)) * len(checks) - scored_beside, 0)
    reporter.advance((len(records) - len(pending)) * len(checks))
    if not pending:
        return []
    budget = memory_plan.budget_mib(checks)
    groups = memory_plan.plan_passes(checks, budget)
    for k, group in enumerate(groups):
        todo = unfinished(pending, group)
        outcome.cached += (len(pending) - len(todo)) * len(group)
        reporter.advance((len(pending) - len(todo)) * len(group))
        # Another process on this run scores the rest; each group is its own stage.
        stage = "score" if len(groups) == 1 else f"score-{k + 1}-of-{len(groups)}"
        claims = Claims(store, run_id, stage)
        batches = claimed_batches(claims, todo, claim_key, CHECK_CHUNK,
                                  functools.partial(unfinished, group=group))  # fmt: skip
        for chunk in batches:
            score_chunk(store, group, chunk, specs, expected_size, reporter, outcome)
        if budget is not None:
            memory_plan.release(group)
    return [[c.name for c in group] for group in groups]


def score_chunk(
    store: Store,
    checks: Sequence[Check],
    chunk: list[ImageRecord],
    specs: dict[str, PromptSpec],
    expected_size: tuple[int, int] | None,
    reporter: Reporter,
    outcome: RunOutcome,
) -> None:
    items = []
    for rec in chunk:
        try:
            image = load_image(store, rec.file)
        except (OSError, ValueError) as exc:
            failure = f"{rec.prompt_id} seed {rec.seed}: cannot read {rec.file}: {exc}"
            if failure not in outcome.failures:  # once, not once per group of checks
                outcome.failures.append(failure)
            reporter.advance(len(checks))
            continue
        flags = check_flags(rec.generation)
        items.append(ImageUnderTest(image, rec.image_hash, specs[rec.prompt_id], expected_size,
                                    flags))  # fmt: skip
    scored, cached = score_items(store, checks, items, reporter.advance)
    outcome.scored += scored
    outcome.cached += cached
