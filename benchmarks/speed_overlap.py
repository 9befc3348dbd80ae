"""Generation and scoring overlapped: ``t2iqa run --overlap on`` against ``--overlap off``.

The same run (the embedded generator, the OCR and hand checks) is made three ways, each into
a fresh store, interleaved over ``--repeats``: generation alone (no checks), scoring alone
(the checks over the images the first made, imported as a folder), and the whole run with
scoring beside generation and after it. Torch uses one thread, so on the 2-core test machine
generation holds one core and the scoring lane the other, as a GPU would leave the CPU free
for the checks. Target: the overlapped run takes about max(generation, scoring), the other
their sum. Printed: medians and min-max of wall seconds, and CPU seconds.

On a GPU, ``--model FOLDER`` (``speed_gpu.saved_pipeline``: SD 1.5's architecture with random
weights) is loaded once and kept between the timed runs, torch keeps its own thread count, and
``--photos`` puts real photos (scikit-image's and matplotlib's, people among them) in place of
the random model's noise, each encoded as the generator encodes its images: generation is
timed as it is, and the checks do the work they do on a real model's pictures (on noise a face
or hand detector finds nothing and returns at once).

    python -m t2iqa.benchmarks.speed_overlap [--limit 6] [--seeds 2] [--steps 20] [--repeats 3]
        [--model FOLDER --batch-size 4 --size 512 --photos --checks a,b]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from t2iqa.benchmarks.speed_gpu import KeptLoaded

if TYPE_CHECKING:
    from t2iqa.generation.base import GenerationSettings
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


def settings(args: argparse.Namespace, overlap: str) -> GenerationSettings:
    from t2iqa.generation.base import GenerationSettings

    return GenerationSettings(steps=args.steps, overlap=overlap, batch_size=args.batch_size,
                              width=args.size, height=args.size)  # fmt: skip


def timed_run(store: Path, overlap: str, checks: tuple[str, ...], args: argparse.Namespace,
              images: Path | None = None) -> tuple[float, float]:  # fmt: skip
    from t2iqa.runs.runner import RunConfig, execute_run
    from t2iqa.store.db import Store

    config = RunConfig(suite=str(args.suite), seeds=tuple(range(args.seeds)), limit=args.limit,
                       checks=checks, images_dir=str(images) if images else None,
                       model=args.model, settings=settings(args, overlap))  # fmt: skip
    source = None if images else args.loaded  # the run's config says whether to overlap
    start, cpu = time.perf_counter(), time.process_time()
    with Store(store) as st:
        outcome = execute_run(config, st, source=source)
        if images is None and not checks:  # keep the images for the scoring-alone side
            export_images(st, outcome.run_id, store.parent / "images")
    return time.perf_counter() - start, time.process_time() - cpu


def export_images(store: Store, run_id: str, folder: Path) -> None:
    import shutil

    folder.mkdir(exist_ok=True)
    for rec in store.images(run_id):
        shutil.copy(store.root / rec.file, folder / f"{rec.prompt_id}__{rec.seed}.png")


class PhotoSwapped(KeptLoaded):
    """The model's generation as it is, each image's pixels then replaced by a real photo
    resized to the image's size (``--photos``)."""

    def __init__(self, model: str, settings: GenerationSettings) -> None:
        import matplotlib
        from skimage import data

        super().__init__(model, settings)
        grace = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
        self.photos = [Image.fromarray(data.astronaut()), Image.open(grace).convert("RGB"),
                       Image.fromarray(data.chelsea()), Image.fromarray(data.coffee())]  # fmt: skip
        self.made = 0

    def finished(self, pixels: Any, nan_pixels: int,
                 flagged: bool) -> tuple[Image.Image, dict[str, Any]]:  # fmt: skip
        pil, flags = super().finished(pixels, nan_pixels, flagged)
        self.made += 1
        photo = self.photos[self.made % len(self.photos)]
        return photo.resize(pil.size, Image.Resampling.BICUBIC), flags


def device_name() -> str:
    import torch

    return torch.cuda.get_device_name() if torch.cuda.is_available() else "the CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=len(PROMPTS))
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--model", default="embedded", help="a saved pipeline's folder")
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--size", type=int, default=None, help="width and height, pixels")
    parser.add_argument("--photos", action="store_true")
    parser.add_argument("--checks", default=",".join(CHECKS))
    args = parser.parse_args()
    checks = tuple(c for c in args.checks.split(",") if c)
    import torch

    args.loaded = None  # the embedded model loads in each run; a GPU model once, kept
    if args.model == "embedded":
        torch.set_num_threads(1)  # generation on one core, the checks on the other
    else:
        source = (PhotoSwapped if args.photos else KeptLoaded)(args.model, settings(args, "off"))
        source.prepare()
        args.loaded = source
    work = Path(tempfile.mkdtemp())
    args.suite = work / "prompts.txt"
    args.suite.write_text("\n".join(PROMPTS) + "\n")
    # A first round not timed, of one image: the checks' models and the generator warm up.
    with tempfile.TemporaryDirectory() as tmp:
        timed_run(Path(tmp) / "warm", "on", checks, argparse.Namespace(**{**vars(args),
                  "limit": 1, "seeds": 1}))  # fmt: skip
    sides: dict[str, list[tuple[float, float]]] = {
        "generation alone": [], "scoring alone": [], "run, overlap off": [],
        "run, overlap on": []}  # fmt: skip
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            sides["generation alone"].append(timed_run(root / "gen", "off", (), args))
            sides["scoring alone"].append(
                timed_run(root / "score", "off", checks, args, root / "images")
            )
            sides["run, overlap off"].append(timed_run(root / "off", "off", checks, args))
            sides["run, overlap on"].append(timed_run(root / "on", "on", checks, args))
    n = args.limit * args.seeds
    where = "embedded generator, torch 1 thread" if args.loaded is None else (
        f"{args.model} on {device_name()}, batch {args.batch_size}, "
        f"{args.size} px" + (", photos in place of its pixels" if args.photos else ""))  # fmt: skip
    print(f"{args.limit} text and hand prompts, {n} images, {args.steps} steps, {where}, "
          f"checks {', '.join(checks)}; {args.repeats} interleaved repeats")  # fmt: skip
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
