"""The smoke suite through the local engine and the Ray engine, and the store's write rate on
SQLite and on PostgreSQL: what scale-out buys, measured on this machine.

Part 1 runs the smoke suite (embedded generator, embedded scorers, the image, CLIP and detector
checks) into a fresh folder store per repeat, local and Ray interleaved. For Ray it prints how
many seconds each stage was busy (summed over its actors, from the run's provenance) as a share
of the wall time. Ray's cluster starts once, before the repeats (``ray.init``), as a running
cluster would be; its start-up is printed apart.

Part 2 writes check results as the runner does (batches of 16, one transaction each) into a
SQLite store and into a PostgreSQL store (a real server started on 127.0.0.1) and prints
results per second: the ceiling on how fast any number of GPUs can be recorded.

From the stage times it states the expected speed-up per added GPU: generation actors scale
one per GPU; the run is bound by its busiest stage that does not scale (scoring actors, the
driver's writes), so speed-up ~ min(GPUs, (generate + score) / max(score per actor, write)).

    python -m t2iqa.benchmarks.speed_engines [--repeats 3] [--seeds 1] [--steps 2]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

CHECKS = ("image_sanity", "clip_alignment", "object_count")


def one_run(store: Path, engine: str, args: argparse.Namespace) -> tuple[float, float, dict]:
    from t2iqa import api
    from t2iqa.generation.base import GenerationSettings
    from t2iqa.store.db import Store

    start, cpu = time.perf_counter(), time.process_time()
    result = api.run("smoke", seeds=args.seeds, store=store, checks=CHECKS, scorers="embedded",
                     settings=GenerationSettings(steps=args.steps), engine=engine)  # fmt: skip
    wall, used = time.perf_counter() - start, time.process_time() - cpu
    with Store(store, read_only=True) as st:
        prov = st.get_run(result.run_id).provenance
    return wall, used, {"images": result.outcome.generated, **prov.get("engine", {})}


def engines(args: argparse.Namespace) -> dict[str, Any]:
    import ray

    start = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    print(f"Ray local cluster start-up: {time.perf_counter() - start:.1f} s (once)")
    walls: dict[str, list[float]] = {"local": [], "ray": []}
    cpus: dict[str, list[float]] = {"local": [], "ray": []}
    last: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.repeats):
            for engine in ("local", "ray"):
                wall, cpu, info = one_run(Path(tmp) / f"{engine}-{k}", engine, args)
                walls[engine].append(wall)
                cpus[engine].append(cpu)
                last[engine] = info
    ray.shutdown()
    images = last["local"]["images"]
    print(f"\nsmoke suite, {images} images, {args.steps} steps, checks {', '.join(CHECKS)}; "
          f"median of {args.repeats} interleaved repeats")  # fmt: skip
    print(f"{'engine':<8}{'wall s':>9}{'(min-max)':>16}{'driver CPU s':>14}{'images/s':>10}")
    for engine in walls:
        w = walls[engine]
        print(
            f"{engine:<8}{statistics.median(w):>9.1f}{f'({min(w):.1f}-{max(w):.1f})':>16}"
            f"{statistics.median(cpus[engine]):>14.1f}{images / statistics.median(w):>10.2f}"
        )
    return last["ray"]


def stage_shares(info: dict[str, Any]) -> dict[str, float]:
    busy, wall = info["busy_seconds"], info["wall_seconds"]
    print(f"\nRay stages (last repeat; actors {info['actors']}), busy seconds and share of "
          f"the {wall:.1f} s wall time:")  # fmt: skip
    for stage, seconds in busy.items():
        print(f"  {stage:<10}{seconds:>8.1f} s  {100 * seconds / wall:>5.0f}%")
    return busy


def write_rate(store: Any, results: int = 2000, batch: int = 16) -> float:
    from t2iqa.core.results import CheckResult

    result = CheckResult("image_sanity", "ok", True, 1.0, "fine", {"std": 3.5})
    rows = [(f"{k:064x}", "ctx", "cfg", result) for k in range(results)]
    start = time.perf_counter()
    for k in range(0, results, batch):
        store.put_check_results(rows[k : k + batch])
    return results / (time.perf_counter() - start)


def stores() -> dict[str, float]:
    from t2iqa.benchmarks.services import postgres_server
    from t2iqa.store.db import Store

    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        with Store(Path(tmp) / "local") as st:
            rates["SQLite"] = write_rate(st)
        with postgres_server() as url, Store(url, images_at=tmp) as st:
            rates["PostgreSQL"] = write_rate(st)
    print("\nstore write rate (check results, 16 per transaction, one writer):")
    for name, rate in rates.items():
        print(f"  {name:<11}{rate:>8.0f} results/s")
    return rates


def speed_up(busy: dict[str, float], rates: dict[str, float], checks: int) -> None:
    score = sum(v for k, v in busy.items() if k.startswith("score"))
    work = busy["generate"] + score
    bound = max(max((v for k, v in busy.items() if k.startswith("score")), default=0.0),
                busy["write"])  # fmt: skip
    ceiling = work / bound if bound else float("inf")
    print(f"\nexpected speed-up with N GPUs (one generation actor each): about min(N, "
          f"{ceiling:.1f}) on this run's stage times, where scoring on one actor per pool "
          f"({score:.1f} s) or the driver's writes ({busy['write']:.1f} s) become the limit; "
          "on a real model generation dominates (seconds per image against milliseconds to "
          "score and write), so it is close to linear in N until the store's write rate: "
          + ", ".join(f"{name} {rate / checks:.0f} images/s" for name, rate in rates.items())
          + f" at {checks} checks an image.")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--steps", type=int, default=2)
    args = parser.parse_args()
    busy = stage_shares(engines(args))
    speed_up(busy, stores(), len(CHECKS))


if __name__ == "__main__":
    main()
