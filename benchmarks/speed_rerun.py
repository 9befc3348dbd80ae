"""A re-run of an unchanged run: what `t2iqa run` costs when nothing is left to make or
score (the CI case: the same command run again).

The run is the core suite x 5 seeds (1,080 images, imported from a folder of small drawn
PNGs named ``<prompt id>__<seed>.png``, so no generator runs) with two checks (image_sanity,
object_count on the embedded detector), made once in a store under ``--store`` (default a
folder in the system temp dir). Then the same command runs again in fresh processes;
printed: median and min-max wall seconds and CPU seconds (the child's user + system), and
whether torch was imported.

    python -m t2iqa.benchmarks.speed_rerun [--store DIR] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ARGS = ["run", "--suite", "core", "--seeds", "5", "--scorers", "embedded",
        "--check", "image_sanity", "--check", "object_count"]  # fmt: skip
SEEDS = 5


def image_folder(folder: Path) -> Path:
    """One small drawn PNG per (core prompt, seed)."""
    from PIL import Image, ImageDraw

    from t2iqa.suites.files import load_suite

    folder.mkdir(parents=True, exist_ok=True)
    for k, spec in enumerate(load_suite("core").prompts):
        for seed in range(SEEDS):
            path = folder / f"{spec.id}__{seed}.png"
            if not path.is_file():
                image = Image.new("RGB", (64, 64), (40 * seed, 90, (7 * k) % 255))
                ImageDraw.Draw(image).ellipse((10, 10, 30 + seed, 40), fill=(200, 30, 30))
                image.save(path)
    return folder


# Reports whether the command imported torch, after it ran.
PROBE = (
    "import sys; sys.argv = ['t2iqa', *sys.argv[1:]]\n"
    "from t2iqa.cli import main\n"
    "try:\n    main()\n"
    "except SystemExit:\n    pass\n"
    "print('TORCH', 'torch' in sys.modules, file=sys.stderr)\n"
)


def child_env() -> dict[str, str]:
    """The children's environment: offline, and with Python's bytecode cache on as an
    installed package has it (a machine setting ``PYTHONDONTWRITEBYTECODE`` makes every
    process compile t2iqa's sources again: 0.3 s of a re-run on this one)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def timed(command: list[str]) -> tuple[float, float, bool]:
    env = child_env()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PROBE, *command],
                          capture_output=True, text=True, env=env, check=True)  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, "TORCH True" in done.stderr


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path,
                        default=Path(tempfile.gettempdir()) / "t2iqa-speed-rerun")  # fmt: skip
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    env = child_env()
    print(f"making the run once in {args.store} (1,080 images; minutes the first time) ...")
    images = image_folder(args.store.with_name(args.store.name + "-images"))
    command = [*ARGS, "--images", str(images), "--store", str(args.store)]
    subprocess.run([sys.executable, "-c", PROBE, *command], env=env, check=True,
                   capture_output=True)  # fmt: skip
    results = [timed(command) for _ in range(args.repeats)]
    walls, cpus = [r[0] for r in results], [r[1] for r in results]
    print(f"re-run of an unchanged 1,080-image run, {args.repeats} fresh processes: wall median "
          f"{statistics.median(walls):.2f} s (min {min(walls):.2f}, max {max(walls):.2f}), CPU "
          f"median {statistics.median(cpus):.2f} s (min {min(cpus):.2f}, max {max(cpus):.2f}); "
          f"torch imported: {any(r[2] for r in results)}")  # fmt: skip


if __name__ == "__main__":
    main()
