"""Harness overhead: ``t2iqa run`` against bare diffusers calls for the same images and seeds.

Both sides load the embedded pipeline from the same folder and make the same images (same
prompts, seeds, steps, size, batch size 1). The harness adds suite loading, PNG encoding and
hashing, the store's atomic writes and SQLite commits, the checks and the summary data. The
bare side runs no check, so by default the harness runs only ``image_sanity`` (a grey-level
statistic: what is measured is the harness, not OCR or MediaPipe, whose cost against the bare
libraries ``speed_checks`` measures); ``--checks default`` runs the default checks instead.
Printed: the fastest and the median wall seconds of each over ``--repeats`` interleaved runs and
their ratios (target <= 1.10). On a shared 2-core machine single calls swing by tens of percent,
so the ratio of the fastest runs is the figure to read; the medians show the spread,
in-process (same interpreter, model load included on both sides) and as whole processes
(the ``t2iqa run`` command against a bare script; interpreter start-up and imports included).

    python -m t2iqa.benchmarks.speed_overhead [--suite smoke] [--seeds 2] [--steps 20]
        [--repeats 5] [--checks image_sanity | default | NAME,NAME]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE_SCRIPT = """
import sys, torch
from diffusers import AutoPipelineForText2Image
from t2iqa.suites.files import load_suite
folder, suite, seeds, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
pipe = AutoPipelineForText2Image.from_pretrained(folder, dtype=torch.float32)
pipe.set_progress_bar_config(disable=True)
torch.set_grad_enabled(False)
for spec in load_suite(suite).prompts:
    for seed in range(seeds):
        g = torch.Generator("cpu").manual_seed(seed)
        pipe(spec.prompt, generator=g, num_inference_steps=steps, width=64, height=64).images[0]
"""


def bare_in_process(folder: Path, suite: str, seeds: int, steps: int) -> float:
    start = time.perf_counter()
    namespace = {"__name__": "bare"}
    sys_argv = sys.argv
    try:
        sys.argv = ["bare", str(folder), suite, str(seeds), str(steps)]
        exec(BARE_SCRIPT, namespace)
    finally:
        sys.argv = sys_argv
    return time.perf_counter() - start


def harness_in_process(suite: str, seeds: int, steps: int, checks: tuple[str, ...] | None) -> float:
    from t2iqa.generation.base import GenerationSettings
    from t2iqa.runs.runner import RunConfig, execute_run
    from t2iqa.store.db import Store

    config = RunConfig(suite=suite, seeds=tuple(range(seeds)),
                       settings=GenerationSettings(steps=steps), checks=checks)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        with Store(Path(tmp) / "store") as store:
            execute_run(config, store)
        return time.perf_counter() - start


def timed(cmd: list[str], threads: int) -> float:
    """Wall seconds of a child process on ``threads`` threads: both sides get the same, as
    t2iqa's own policy would give its process fewer on a loaded machine (its load average
    includes the other side's run that just ended)."""
    from t2iqa.benchmarks.speed_rerun import child_env

    env = {**child_env(), "OMP_NUM_THREADS": str(threads), "T2IQA_THREADS": str(threads)}
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=env)  # fmt: skip
    return time.perf_counter() - start


def report(label: str, bare: list[float], harness: list[float]) -> None:
    for name, pick in (("fastest", min), ("median", statistics.median)):
        b, h = pick(bare), pick(harness)
        print(f"{label:<10} {name:<7}  bare {b:7.2f} s   t2iqa run {h:7.2f} s   ratio {h / b:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", default="smoke")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--checks", default="image_sanity",
                        help="the harness's checks: NAME,NAME or 'default'")  # fmt: skip
    args = parser.parse_args()
    checks = None if args.checks == "default" else tuple(args.checks.split(","))
    check_args = [a for c in checks or () for a in ("--check", c)]

    import torch

    from t2iqa.generation.embedded import ensure_embedded_model
    from t2iqa.suites.files import load_suite

    folder = ensure_embedded_model()
    n_images = len(load_suite(args.suite).prompts) * args.seeds
    threads = torch.get_num_threads()
    print(
        f"{n_images} images ({args.suite} x {args.seeds} seeds), {args.steps} steps, 64x64, "
        f"embedded pipeline, CPU threads {threads}, repeats {args.repeats}, "
        f"harness checks: {args.checks}"
    )

    bare_in_process(folder, args.suite, 1, 1)  # warm caches and lazy imports for both sides
    harness_in_process(args.suite, 1, 1, checks)
    bare, harness = [], []
    for _ in range(args.repeats):  # interleaved, so drift in machine load hits both alike
        bare.append(bare_in_process(folder, args.suite, args.seeds, args.steps))
        harness.append(harness_in_process(args.suite, args.seeds, args.steps, checks))
    report("in-process", bare, harness)

    bare_cmd = [sys.executable, "-c", BARE_SCRIPT, str(folder), args.suite, str(args.seeds),
                str(args.steps)]  # fmt: skip
    bare_p, harness_p = [], []
    for _ in range(args.repeats):
        bare_p.append(timed(bare_cmd, threads))
        with tempfile.TemporaryDirectory() as tmp:
            harness_p.append(timed(threads=threads, cmd=[
                sys.executable, "-c", "from t2iqa.cli import main; main()", "run",
                "--suite", args.suite, "--seeds", str(args.seeds), "--steps", str(args.steps),
                "--store", str(Path(tmp) / "store"), *check_args,
            ]))  # fmt: skip
    report("process", bare_p, harness_p)
    print("target: ratio <= 1.10")


if __name__ == "__main__":
    main()
