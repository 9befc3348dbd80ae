"""Throughput of the model scorers (``pick_score``, ``hps_v21``, ``image_reward``, ``hps_v3``,
``vqa_score``) beside CLIPScore, at batch 1, 32 and 128, on their embedded stand-ins (this
machine has no weights and no GPU), with the roofline of the real models on a GPU beside them.

Each figure: images per second over 128 images (each with its own prompt, so no cached
embedding helps), median of interleaved repeats, with CPU time per image beside wall time
(this machine is shared). The roofline is the transformer arithmetic of the real
architectures (2 FLOPs per multiply-add; patch and token counts at 224 px and 77 tokens)
over a card's dense bf16 peak: an upper bound no implementation reaches.

    python -m t2iqa.benchmarks.speed_scorers [--repeats 3] [--peak-tflops 989] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import statistics
import time

from PIL import Image

N = 128
SCORERS = {"clip_alignment": {"model": "embedded"}, "pick_score": {"model": "embedded"},
           "hps_v21": {"checkpoint": "embedded"}, "image_reward": {"checkpoint": "embedded"},
           "hps_v3": {"checkpoint": "embedded"}, "vqa_score": {"model": "embedded"}}  # fmt: skip


def transformer_flops(tokens: int, width: int, layers: int, mlp: int = 4) -> float:
    """FLOPs of a pre-norm transformer's forward pass: projections and MLP (2 x (4 + 2 x mlp)
    x tokens x width^2 per layer) and attention scores (4 x tokens^2 x width per layer)."""
    per_layer = 2 * (4 + 2 * mlp) * tokens * width**2 + 4 * tokens**2 * width
    return float(layers * per_layer)


# Image tower (ViT-H/14 at 224: 257 tokens, width 1280, 32 layers) plus text tower (77
# tokens, width 1024, 24 layers): PickScore and HPS v2.1 are both CLIP ViT-H/14; CLIPScore's
# default is ViT-L/14 (257 tokens, 1024 wide, 24 layers; text 77 x 768 x 12).
REAL_FLOPS = {
    "clip_alignment": transformer_flops(257, 1024, 24) + transformer_flops(77, 768, 12),
    "pick_score": transformer_flops(257, 1280, 32) + transformer_flops(77, 1024, 24),
    "hps_v21": transformer_flops(257, 1280, 32) + transformer_flops(77, 1024, 24),
    # ImageReward: BLIP's ViT-L/16 at 224 (197 tokens, 1024 wide, 24 layers) and its BERT-base
    # over 35 prompt tokens (768 wide, 12 layers), each layer also attending to the 197 image
    # tokens (query and output projections of the prompt, key and value of the image from
    # 1024 to 768 wide, and the 35 x 197 scores).
    "image_reward": transformer_flops(197, 1024, 24)
    + transformer_flops(35, 768, 12)
    + 12 * 2 * (2 * 35 * 768**2 + 2 * 197 * 1024 * 768 + 2 * 35 * 197 * 768),
    # HPSv3 (Qwen2-VL-7B): its 0.67B vision encoder over the 1,024 patches of a 256 x 28 x 28
    # pixel image, its 7.6B language model over the 256 merged image tokens and about 570 of
    # instruction, prompt and template; 2 FLOPs per parameter per token.
    "hps_v3": 2 * 0.67e9 * 1024 + 2 * 7.6e9 * (256 + 570),
    # Qwen2.5-VL-7B: about 2 FLOPs per parameter per token; a 224 px image is 256 patches for
    # its 0.67B vision encoder, merged to 64 tokens for the 7.6B language model, plus about 30
    # tokens of question and template.
    "vqa_score": 2 * 0.67e9 * 256 + 2 * 7.6e9 * (64 + 30),
}


def items(tag: str) -> list:
    from t2iqa.checks.base import ImageUnderTest
    from t2iqa.core.prompts import PromptSpec

    return [ImageUnderTest(Image.effect_noise((256, 256), 30 + k % 40).convert("RGB"),
                           f"{tag}-{k}", PromptSpec(f"p{k}", f"a photo of object {k} {tag}"))
            for k in range(N)]  # fmt: skip


def timed(name: str, batch: int, tag: str) -> tuple[float, float]:
    """(wall s, CPU s) to score N images at ``batch`` per call."""
    from t2iqa.checks import build_checks

    check = build_checks([name], {name: {**SCORERS[name], "batch_size": batch}})[0].bind([])
    todo = items(tag)
    wall, cpu = time.perf_counter(), time.process_time()
    for start in range(0, N, batch):
        results = check.check_batch(todo[start : start + batch])
        assert all(r.score is not None for r in results), results[0].reason
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peak-tflops", type=float, default=989.0, help="H100 SXM bf16 dense")
    parser.add_argument("--only", nargs="+", choices=list(SCORERS), default=list(SCORERS),
                        help="the scorers to measure (default: all)")  # fmt: skip
    args = parser.parse_args()
    for name in args.only:  # load each model once before timing
        timed(name, 1, "warm")
    runs: dict[tuple[str, int], list[tuple[float, float]]] = {}
    for r in range(args.repeats):
        for batch in (1, 32, 128):
            for name in args.only:
                runs.setdefault((name, batch), []).append(timed(name, batch, f"r{r}-b{batch}"))
    print(f"{N} images per figure, median of {args.repeats} interleaved repeats, embedded "
          "stand-ins on this CPU\n")  # fmt: skip
    print("| scorer | batch | images/s (wall) | CPU ms per image | real model: GFLOPs per image "
          f"| roofline at {args.peak_tflops:g} TFLOP/s, images/s |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for (name, batch), figures in runs.items():
        wall = statistics.median(w for w, _ in figures)
        cpu = statistics.median(c for _, c in figures)
        flops = REAL_FLOPS[name]
        roof = args.peak_tflops * 1e12 / flops
        print(f"| {name} | {batch} | {N / wall:.0f} | {1000 * cpu / N:.1f} | {flops / 1e9:.0f} "
              f"| {roof:,.0f} |")  # fmt: skip


if __name__ == "__main__":
    main()
