"""Speed of the per-image checks on CPU, and of ``t2iqa check`` against a bare engine loop.

Images: rendered signs (right and wrong text), the opencv-doc hand photographs where
installed, and noise, cycled to ``--images`` files with a manifest.

Printed:
1. per check, milliseconds per image (models loaded beforehand, one core);
2. one core (process pinned, torch on 1 thread): the wall time of ``check_entries`` (what
   ``t2iqa check`` runs: read and decode each file, every check, verdicts) against a bare
   loop calling the libraries directly on the same files (PIL decode, EasyOCR ``readtext``,
   MediaPipe ``detect``, a grey-level std), as a ratio: what t2iqa adds, its verification
   work (a second reading with frames painted out, hand silhouettes) included;
3. ``--workers 2`` (this process and one helper, one thread each, the helper's start
   included) against one process on one core, on ``--workers-images`` images, interleaved:
   the speed-up from the second core (near 2 is linear);
4. what reading frames and hand silhouettes cost: ``ocr_text`` + ``hand_anatomy`` per image
   as they were (``ignore_frames: false``, ``pixels: false``: landmarks and one reading only)
   and as they are now, interleaved, wall and CPU milliseconds (target: now <= 1.3x).

``--workers-only`` prints 3 alone, after this process has loaded its models on a few images
(as the parts before leave it).

    python -m t2iqa.benchmarks.speed_checks [--images 120] [--repeats 2] [--workers-only]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from t2iqa.benchmarks.qa_samples import hand_photos, render_sign


def write_images(folder: Path, n: int) -> Path:
    """n image files with a manifest: signs, hand photos, noise in turn."""
    prompt = 'a sign that says "OPEN 24/7"'
    kinds: list[tuple[str, Image.Image]] = [
        (prompt, render_sign("OPEN 24/7", (480, 240), 48)),
        (prompt, render_sign("OPFN 24/7", (480, 240), 48)),
        ("a plain poster", render_sign("SALE", (480, 240), 48)),
        ("a forest", Image.effect_noise((384, 384), 60).convert("RGB")),
    ]
    kinds += [("a photo of one open hand", Image.open(p).convert("RGB")) for p in hand_photos()]
    with (folder / "manifest.jsonl").open("w") as fh:
        for k in range(n):
            prompt_k, image = kinds[k % len(kinds)]
            name = f"img{k:04d}.png"
            image.save(folder / name)
            fh.write(json.dumps({"image": name, "prompt": prompt_k}) + "\n")
    return folder / "manifest.jsonl"


def bare_loop(files: list[Path]) -> float:
    """The libraries alone, called as a user's own script would call them (EasyOCR's
    ``Reader.readtext``, MediaPipe's ``HandLandmarker.detect``): only the model files' paths
    come from t2iqa."""
    import easyocr
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    from t2iqa.checks.hand_landmarks import wheel_bundle
    from t2iqa.checks.ocr_engine import default_model_dir

    reader = easyocr.Reader(["en"], gpu=False, model_storage_directory=str(default_model_dir()),
                            download_enabled=False, verbose=False)  # fmt: skip
    landmarker = vision.HandLandmarker.create_from_options(vision.HandLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(wheel_bundle())),
        running_mode=vision.RunningMode.IMAGE, num_hands=6,
        min_hand_detection_confidence=0.5, min_hand_presence_confidence=0.5,
    ))  # fmt: skip
    start = time.perf_counter()
    for path in files:
        with Image.open(path) as img:
            rgb = np.asarray(img.convert("RGB"))
        reader.readtext(rgb, detail=1, paragraph=False)
        landmarker.detect(
            mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        )
        float(np.asarray(Image.fromarray(rgb).convert("L"), dtype=np.float64).std())
    return time.perf_counter() - start


def harness(manifest: Path, workers: int) -> float:
    from t2iqa.qa.entries import read_manifest
    from t2iqa.qa.verdicts import Policy, check_entries

    entries = read_manifest(manifest)
    start = time.perf_counter()
    check_entries(entries, Policy(), workers=workers)
    return time.perf_counter() - start


def per_check_ms(manifest: Path, limit: int = 24) -> dict[str, float]:
    from t2iqa.checks.base import ImageUnderTest, run_check
    from t2iqa.core.images import read_image_file
    from t2iqa.qa.entries import read_manifest
    from t2iqa.qa.verdicts import Policy

    entries = read_manifest(manifest)[:limit]
    items = []
    for e in entries:
        loaded = read_image_file(e.path)
        assert e.spec is not None
        items.append(ImageUnderTest(loaded.image, loaded.sha256, e.spec))
    out = {}
    for check in Policy().build():
        warm = run_check(check, items[:2])  # load models outside the timing
        if all(r.verdict == "unavailable" for r in warm):
            out[f"{check.name} (unavailable here)"] = float("nan")
            continue
        start = time.perf_counter()
        for it in items:
            run_check(check, [it])
        out[check.name] = 1000 * (time.perf_counter() - start) / len(items)
    return out


def frames_and_silhouettes_cost(manifest: Path, repeats: int, limit: int = 24) -> None:
    """Item 4: median ms per image (wall, CPU) of ocr_text + hand_anatomy, before and now."""
    from t2iqa.checks.base import ImageUnderTest, run_check
    from t2iqa.checks.hand_anatomy import HandAnatomyCheck
    from t2iqa.checks.ocr_text import OcrTextCheck
    from t2iqa.core.images import read_image_file
    from t2iqa.qa.entries import read_manifest

    items = []
    for e in read_manifest(manifest)[:limit]:
        loaded = read_image_file(e.path)
        assert e.spec is not None
        items.append(ImageUnderTest(loaded.image, loaded.sha256, e.spec))
    variants = {
        "before (one reading, landmarks only)": (
            OcrTextCheck.from_options({"ignore_frames": False}),
            HandAnatomyCheck.from_options({"pixels": False}),
        ),
        "now (frames, silhouettes)": (OcrTextCheck(), HandAnatomyCheck()),
    }
    for checks in variants.values():
        for check in checks:
            run_check(check, items[:2])  # models loaded outside the timing
    wall: dict[str, list[float]] = {k: [] for k in variants}
    cpu: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(repeats):
        for name, checks in variants.items():  # interleaved
            w0, c0 = time.perf_counter(), time.process_time()
            for it in items:
                for check in checks:
                    run_check(check, [it])
            wall[name].append(1000 * (time.perf_counter() - w0) / len(items))
            cpu[name].append(1000 * (time.process_time() - c0) / len(items))
    med = statistics.median
    print(f"\nocr_text + hand_anatomy, one core, {len(items)} images, {repeats} interleaved "
          "repeats (median ms / image):")  # fmt: skip
    for name in variants:
        print(f"  {name:<38} wall {med(wall[name]):7.1f}   cpu {med(cpu[name]):7.1f}")
    names = list(variants)
    ratio = med(wall[names[1]]) / med(wall[names[0]])
    cpu_ratio = med(cpu[names[1]]) / med(cpu[names[0]])
    print(f"  ratio now / before: wall {ratio:.3f}   cpu {cpu_ratio:.3f}   target <= 1.3")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=120)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--workers-images", type=int, default=40,
                        help="images for the --workers 2 comparison")  # fmt: skip
    parser.add_argument("--workers-only", action="store_true")
    args = parser.parse_args()

    import torch

    cores = sorted(os.sched_getaffinity(0))
    if args.workers_only:
        with tempfile.TemporaryDirectory() as tmp:
            os.sched_setaffinity(0, {cores[0]})
            torch.set_num_threads(1)
            harness(write_images(Path(tmp), 4), 1)  # this process's models loaded
            os.sched_setaffinity(0, set(cores))
            workers_against_one(Path(tmp), args.workers_images, args.repeats, cores)
        return
    with tempfile.TemporaryDirectory() as tmp:
        manifest = write_images(Path(tmp), args.images)
        files = sorted(Path(tmp).glob("img*.png"))
        print(f"{len(files)} images ({len(hand_photos())} distinct hand photos), "
              f"{len(cores)} cores available")  # fmt: skip

        os.sched_setaffinity(0, {cores[0]})  # one core
        torch.set_num_threads(1)
        print("\nper check, one core (ms / image, 24 images, models loaded):")
        for name, ms in per_check_ms(manifest).items():
            print(f"  {name:<16} {ms:8.1f}")

        bare, ours = [], []
        for _ in range(args.repeats):  # interleaved, so drift hits both sides
            bare.append(bare_loop(files))
            ours.append(harness(manifest, 1))
        med = statistics.median
        print(f"\none core, {len(files)} images, {args.repeats} interleaved repeats:")
        for label, times in (("bare engine loop", bare), ("t2iqa check", ours)):
            print(f"  {label:<18} fastest {min(times):7.2f} s   median {med(times):7.2f} s")
        ratio_min, ratio_med = min(ours) / min(bare), med(ours) / med(bare)
        print(f"  ratio (fastest) {ratio_min:.3f}   (median) {ratio_med:.3f}")

        frames_and_silhouettes_cost(manifest, max(args.repeats, 3))

        os.sched_setaffinity(0, set(cores))
        if len(cores) >= 2:
            workers_against_one(Path(tmp), args.workers_images, args.repeats, cores)


def workers_against_one(folder: Path, n: int, repeats: int, cores: list[int]) -> None:
    """``--workers 2`` against one process on one core, on ``n`` images, interleaved; wall
    and CPU seconds (this process and its finished helpers)."""
    (folder / f"w{n}").mkdir()
    manifest = write_images(folder / f"w{n}", n)
    one, two = [], []
    for _ in range(repeats):
        os.sched_setaffinity(0, {cores[0]})
        one.append(_timed(manifest, 1))
        os.sched_setaffinity(0, set(cores))
        two.append(_timed(manifest, 2))
    med = statistics.median
    print(f"\n--workers 2 against one process on one core, {n} images, {repeats} interleaved:")
    for label, times in (("1 process, 1 core", one), ("--workers 2", two)):
        walls = [w for w, _ in times]
        print(f"  {label:<18} wall median {med(walls):7.2f} s (min {min(walls):.2f}, max "
              f"{max(walls):.2f}); CPU median {med([c for _, c in times]):7.2f} s")  # fmt: skip
    ratio = med([w for w, _ in one]) / med([w for w, _ in two])
    print(f"  speed-up (median wall) {ratio:.2f}x")


def _timed(manifest: Path, workers: int) -> tuple[float, float]:
    def cpu() -> float:
        own, kids = os.times(), os.times()
        return own.user + own.system + kids.children_user + kids.children_system

    start_cpu = cpu()
    wall = harness(manifest, workers)
    return wall, cpu() - start_cpu


if __name__ == "__main__":
    main()
