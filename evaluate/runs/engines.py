"""Where a run's images are made and scored: the local engine (this process; the runner's own
loops) or the Ray engine (``t2iqa.runs.ray_engine``, imported only when chosen)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from t2iqa.checks.base import Check
from t2iqa.core.errors import T2IQAError
from t2iqa.generation.base import GenerationRequest, ImageSource
from t2iqa.store.db import Store


@dataclass(frozen=True)
class Engine:
    """Where a run's images are made and scored: ``local`` (this process) or ``ray`` (a Ray
    cluster: ``address`` of a running one, or None for a local one on this machine)."""

    name: str = "local"
    address: str | None = None

    def __post_init__(self) -> None:
        if self.name not in ENGINES:
            raise T2IQAError(f"--engine must be {' or '.join(ENGINES)}, not {self.name!r}")
        if self.address and self.name != "ray":
            raise T2IQAError("--ray-address needs --engine ray")

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, **({"address": self.address} if self.address else {})}


ENGINES = ("local", "ray")


def generate_on_ray(
    config: Any,
    store: Store,
    source: ImageSource,
    checks: Sequence[Check],
    requests: list[GenerationRequest],
    run_id: str,
    reporter: Any,
    outcome: Any,
    engine: Engine,
    prov: dict[str, Any],
    chunk: int,
) -> int:
    """The Ray engine's generation and scoring (``t2iqa.runs.ray_engine``); returns how many
    results it stored or found cached, which the local scoring pass then does not recount."""
    from t2iqa.runs.ray_engine import run_on_ray

    done = store.done_keys(run_id)
    todo = [r for r in requests if r.key not in done]
    outcome.skipped = len(requests) - len(todo)
    if not todo:
        return 0
    reporter.stage(source.stage, len(todo))
    times = run_on_ray(store, source, checks, todo, run_id, max(1, config.settings.batch_size),
                       chunk, outcome, reporter, engine.address)  # fmt: skip
    if times.source:
        prov["source"] = times.source
    prov["engine"] = {**engine.describe(), "actors": times.actors,
                      "busy_seconds": {"generate": round(times.generate, 3),
                                       **{k: round(v, 3) for k, v in times.score.items()},
                                       "write": round(times.write, 3)},
                      "wall_seconds": round(times.wall, 3)}  # fmt: skip
    return outcome.scored + outcome.cached
