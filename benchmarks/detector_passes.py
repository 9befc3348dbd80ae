"""How many times the detector runs when several checks read detections: once per image
(the shared pass in ``t2iqa.checks.detectors``), not once per image and check.

Scores the core suite's composition prompts (objects, counts, colours, relations: both
``object_count`` and ``composition`` apply to each) on random images with the embedded
detector, the way ``t2iqa run`` does (each check over chunks of 16 images), and counts the
detector's calls.

    python -m t2iqa.benchmarks.detector_passes [--images 48] [--backend owl|mask2former]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from PIL import Image

from t2iqa.checks import build_checks
from t2iqa.checks.base import ImageUnderTest, run_check
from t2iqa.checks.detectors import SHARED
from t2iqa.suites.files import load_suite

CHUNK = 16  # t2iqa run's CHECK_CHUNK


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=48)
    parser.add_argument("--backend", choices=("owl", "mask2former"), default="owl")
    args = parser.parse_args(argv)
    specs = [p for p in load_suite("core").prompts if p.category == "composition"]
    rng = np.random.default_rng(0)
    items = [
        ImageUnderTest(Image.fromarray(rng.integers(0, 255, (96, 96, 3), dtype=np.uint8)),
                       f"bench-{k}", specs[k % len(specs)])
        for k in range(args.images)
    ]  # fmt: skip
    options = {"backend": args.backend, "model": "embedded"}
    colours = {**options, "color_method": "cielab"}
    checks = build_checks(
        ["object_count", "composition"], {"object_count": options, "composition": colours}
    )
    before, wall, cpu = SHARED.passes, time.perf_counter(), time.process_time()
    for start in range(0, len(items), CHUNK):
        chunk = items[start : start + CHUNK]
        for check in checks:
            run_check(check, chunk)
    calls = SHARED.passes - before
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{args.images} images x {len(checks)} detector-reading checks ({args.backend}, "
          f"embedded weights): {calls} detector calls "
          f"({'one per image' if calls == args.images else 'NOT one per image'}); "
          f"{wall:.1f} s wall, {cpu:.1f} s CPU")  # fmt: skip


if __name__ == "__main__":
    main()
