"""Throughput of the distribution-metric feature extractors on CPU, and FID compute time.

Printed:
1. CLIP image embedding (open_clip, default ViT-L-14) in images/s at batch 1, 32 and 128,
   preprocessing included;
2. FID feature extraction (Inception-v3, clean resize to 299 included) in images/s at the
   same batch sizes;
3. the time of our FID distance (float64, eigenvalues of s1 s2) against torchmetrics' on the
   same 2048-d statistics, as a ratio;
4. FID and KID together on the same images, fed batch by batch as `t2iqa run` does: the
   feature time with the shared batch features against extracting for each metric;
5. (``--fid-interval``, alone) FID with its default 95% interval (20 bootstrap replicates)
   from N generated features against a 2048-d reference, against torchmetrics' and
   clean-fid's FID (no interval) on the same statistics: medians and min-max of interleaved
   repeats, wall and CPU time.

Weights do not change the arithmetic, so the networks are built with random weights (no
download): the figures hold for the real checkpoints of the same architectures.

    python -m t2iqa.benchmarks.speed_metrics [--clip-model ViT-L-14] [--batches 1,32,128]
    python -m t2iqa.benchmarks.speed_metrics --fid-interval [--n 64] [--repeats 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from PIL import Image

from t2iqa.checks.distances import frechet_distance
from t2iqa.checks.features import to_batch


def images(n: int) -> list[Image.Image]:
    return [Image.effect_noise((512, 512), 40 + k % 30).convert("RGB") for k in range(n)]


def per_second(fn, batch: list[Image.Image]) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn(batch)
    return len(batch) / (time.perf_counter() - start)


@torch.no_grad()
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip-model", default="ViT-L-14")
    parser.add_argument("--batches", default="1,32,128")
    parser.add_argument("--fid-interval", action="store_true")
    parser.add_argument("--n", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.fid_interval:
        fid_interval_cost(args.n, args.repeats)
        return
    batches = [int(b) for b in args.batches.split(",")]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU")

    import open_clip

    model, _, preprocess = open_clip.create_model_and_transforms(args.clip_model, pretrained=None)
    model.eval()

    def clip_embed(batch: list[Image.Image]) -> None:
        model.encode_image(torch.stack([preprocess(im) for im in batch]))

    from torchvision.models import inception_v3

    inception = inception_v3(weights=None, aux_logits=False, init_weights=False).eval()
    inception.fc = torch.nn.Identity()  # 2048 pool features, as FID uses

    def fid_features(batch: list[Image.Image]) -> None:
        inception(to_batch(batch, "clean", 299).float() / 255.0)

    clip_embed(images(1))
    fid_features(images(1))  # warm-up
    print(f"\n{'batch':>6} {'CLIP ' + args.clip_model + ' img/s':>22} {'FID Inception img/s':>22}")
    for b in batches:
        batch = images(b)
        clip_rate, fid_rate = per_second(clip_embed, batch), per_second(fid_features, batch)
        print(f"{b:>6} {clip_rate:>22.2f} {fid_rate:>22.2f}")

    from torchmetrics.image.fid import _compute_fid

    rng = np.random.default_rng(0)
    feats = [rng.normal(size=(4096, 2048)) for _ in range(2)]
    stats = [(f.mean(0), np.cov(f, rowvar=False)) for f in feats]
    (mu1, s1), (mu2, s2) = stats
    tensors = [torch.from_numpy(a) for a in (mu1, s1, mu2, s2)]
    ours, theirs = [], []
    for _ in range(3):
        start = time.perf_counter()
        a = frechet_distance(mu1, s1, mu2, s2)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        b = float(_compute_fid(*tensors))
        theirs.append(time.perf_counter() - start)
    print(
        f"\nFID distance, 2048-d, float64, fastest of 3: ours {min(ours):.2f} s, torchmetrics "
        f"{min(theirs):.2f} s, ratio {min(ours) / min(theirs):.2f} (values {a:.6f} / {b:.6f})"
    )
    fid_and_kid_updates(inception)


def fid_and_kid_updates(inception: torch.nn.Module, n: int = 64) -> None:
    """FID and KID fed the same batches, as the runner does: shared features against each
    metric extracting its own (the shared batch forgotten before every update)."""
    from t2iqa.checks import build_set_metrics
    from t2iqa.checks import features as dist
    from t2iqa.checks.base import ImageUnderTest
    from t2iqa.core.expectations import Expectations
    from t2iqa.core.prompts import PromptSpec

    spec = PromptSpec("p", "x", "c", None, Expectations(), "suite")
    items = [ImageUnderTest(im, f"h{k}", spec) for k, im in enumerate(images(n))]
    # The random-weight network stands in for the Inception file, which cannot be fetched.
    dist.load_inception = lambda weights: lambda x: inception(x.float() / 255.0)  # type: ignore[assignment,return-value]
    dist.feature_extractor.cache_clear()
    times = {}
    for shared in (True, False):
        fid, kid = build_set_metrics(["fid", "kid"])
        start = time.perf_counter()
        for i in range(0, n, 32):
            for metric in (fid, kid):
                if not shared:
                    dist.LAST_BATCH.key = None
                metric.update(items[i : i + 32])
        times[shared] = time.perf_counter() - start
    print(
        f"\nFID + KID on {n} images (512 px, clean resize included): shared features "
        f"{times[True]:.1f} s, extracted per metric {times[False]:.1f} s, "
        f"ratio {times[True] / times[False]:.2f}"
    )


def fid_interval_cost(n: int, repeats: int) -> None:
    """Ours (value + 20-replicate interval, from features) against torchmetrics' and
    clean-fid's FID value, interleaved."""
    from cleanfid.fid import frechet_distance as cleanfid_fid
    from torchmetrics.image.fid import _compute_fid

    from t2iqa.checks.distances import FrechetTarget, bootstrap_fid, frechet_to_target
    from t2iqa.checks.features import FeatureSpool

    rng = np.random.default_rng(0)
    reference = rng.normal(size=(4096, 2048))
    mu2, s2 = reference.mean(0), np.cov(reference, rowvar=False)
    spool = FeatureSpool()
    spool.add(rng.normal(size=(n, 2048)) + 0.1)
    mu1, s1 = spool.mean_cov()

    def ours() -> float:
        target = FrechetTarget.of(mu2, s2)
        bootstrap_fid(spool, target, 20)
        return frechet_to_target(mu1, s1, target)

    def torchmetrics() -> float:
        return float(_compute_fid(*(torch.from_numpy(a) for a in (mu1, s1, mu2, s2))))

    def cleanfid() -> float:
        return float(cleanfid_fid(mu1, s1, mu2, s2))

    runs = {"ours, value + interval": ours, "torchmetrics, value": torchmetrics,
            "clean-fid, value": cleanfid}  # fmt: skip
    wall: dict[str, list[float]] = {k: [] for k in runs}
    cpu: dict[str, list[float]] = {k: [] for k in runs}
    values = {}
    for _ in range(repeats):  # interleaved: the machine is shared
        for name, fn in runs.items():
            w, c = time.perf_counter(), time.process_time()
            values[name] = fn()
            wall[name].append(time.perf_counter() - w)
            cpu[name].append(time.process_time() - c)
    print(f"FID from features, N={n} generated vs 4096 reference, 2048-d, float64, "
          f"{repeats} interleaved repeats, {torch.get_num_threads()} threads")  # fmt: skip
    for name in runs:
        print(f"  {name:24s} wall median {np.median(wall[name]):6.2f} s "
              f"(min {min(wall[name]):.2f}, max {max(wall[name]):.2f}), CPU median "
              f"{np.median(cpu[name]):6.2f} s, value {values[name]:.6f}")  # fmt: skip
    base = "torchmetrics, value"
    ratio = np.median(wall["ours, value + interval"]) / np.median(wall[base])
    print(f"  ours / torchmetrics (wall medians): {ratio:.2f}x")


if __name__ == "__main__":
    main()
