"""Generation and scoring overlapped: ``t2iqa run --overlap on`` against ``--overlap off``.

The same run (the embedded generator, the OCR and hand checks) is made three ways, each into
a fresh store, interleaved over ``--repeats``: generation alone (no checks), scoring alone
(the checks over the images the first made, imported as a folder), and the whole run with
scoring beside generation and after it. Torch uses one thread, so on the 2-core test machine
generation holds one core and the scoring lane the other, as a GPU would leave the CPU free
for the checks. Target: the overlapped run takes about max(generation, scoring), the other
their sum. Printed: medians and min-max of wall seconds, and CPU seconds.

    python -m t2iqa.benchmarks.speed_overlap [--limit 6] [--seeds 2] [--steps 20] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from t2iqa.store.db import Store

CHECKS = ("image_sanity", "ocr_text", "unexpected_text", "hand_anatomy")
# Prompts every check applies to (text to read, hands to test): the embedded generator's
# noise is judged in full, as a real model's images would be.
PROMPTS = (
    'a sign that says "OPEN"',
    'a poster with the words "FRESH BREAD"',
    "a close-up photo of one open hand",
    'a shop sign reading "BOOK CLUB"',
    "two hands holding a cup",
    'a neon sign that says "NIGHT MARKET"',
)


def timed_run(store: Path, overlap: str, checks: tuple[str, ...], args: argparse.Namespace,
              images: Path | None = None) -> tuple[float, float]:  # fmt: skip
    from t2iqa.generation.base import GenerationSettings
    from t2iqa.runs.runner import RunConfig, execute_run
    from t2iqa.store.db import Store

    config = RunConfig(suite=str(args.suite), seeds=tuple(range(args.seeds)), limit=args.limit,
                       checks=checks, images_dir=str(images) if images else None,
                       settings=GenerationSettings(steps=args.steps, overlap=overlap))  # fmt: skip
    start, cpu = time.perf_counter(), time.process_time()
    with Store(store) as st:
        outcome = execute_run(config, st)
        if images is None and not checks:  # keep the images for the scoring-alone side
            export_images(st, outcome.run_id, store.parent / "images")
    return time.perf_counter() - start, time.process_time() - cpu


def export_images(store: Store, run_id: str, folder: Path) -> None:
    import shutil

    folder.mkdir(exist_ok=True)
    for rec in store.images(run_id):
        shutil.copy(store.root / rec.file, folder / f"{rec.prompt_id}__{rec.seed}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=len(PROMPTS))
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    work = Path(tempfile.mkdtemp())
    args.suite = work / "prompts.txt"
    args.suite.write_text("\n".join(PROMPTS) + "\n")
    sides: dict[str, list[tuple[float, float]]] = {
        "generation alone": [], "scoring alone": [], "run, overlap off": [],
        "run, overlap on": []}  # fmt: skip
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            sides["generation alone"].append(timed_run(root / "gen", "off", (), args))
            sides["scoring alone"].append(
                timed_run(root / "score", "off", CHECKS, args, root / "images")
            )
            sides["run, overlap off"].append(timed_run(root / "off", "off", CHECKS, args))
            sides["run, overlap on"].append(timed_run(root / "on", "on", CHECKS, args))
    n = args.limit * args.seeds
    print(
        f"{args.limit} text and hand prompts, {n} images, {args.steps} steps, embedded "
        f"generator, checks {', '.join(CHECKS)}; torch 1 thread; {args.repeats} interleaved "
        "repeats"
    )
    med = statistics.median
    walls = {k: [w for w, _ in v] for k, v in sides.items()}
    for name, values in sides.items():
        w = walls[name]
        print(f"  {name:<18} wall median {med(w):7.2f} s (min {min(w):.2f}, max {max(w):.2f})"
              f"   CPU median {med([c for _, c in values]):7.2f} s")  # fmt: skip
    gen, score = med(walls["generation alone"]), med(walls["scoring alone"])
    print(f"  sum {gen + score:.2f} s, max {max(gen, score):.2f} s; overlap on takes "
          f"{med(walls['run, overlap on']) / max(gen, score):.2f}x the max, overlap off "
          f"{med(walls['run, overlap off']) / (gen + score):.2f}x the sum")  # fmt: skip


if __name__ == "__main__":
    main()
