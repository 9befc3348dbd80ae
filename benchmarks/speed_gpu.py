"""GPU throughput: generation through t2iqa against diffusers, plain and with its best recipe,
and the scorers' feature networks at batch 128 against the card's bf16 peak.

The networks are the published architectures (SD 1.5 and SDXL pipelines, open_clip ViT-L-14,
Inception-v3) built from their configs with seeded random weights: the arithmetic is the same
as with the real checkpoints, and nothing is downloaded. Per model:

1. t2iqa: the pipeline saved to a folder and loaded by ``DiffusersSource`` as ``t2iqa run
   --model FOLDER`` would (bf16, the default on CUDA), then whole runs of 4 batches into a
   fresh store (PNG files, image records, ``image_sanity``), the model kept loaded;
2. diffusers, plain: the same pipeline object called as its docs show (bf16, PIL out) for the
   same prompts and seeds;
3. with ``--compile``, diffusers' best recipe: bf16, SDPA, fused QKV projections,
   channels-last UNet and VAE, ``torch.compile`` of the UNet (fullgraph), timed after a
   warm-up call.

Printed: median and min-max seconds per batch over interleaved repeats, images/s; for the
feature networks, images/s at batch 128 and achieved TFLOP/s (FLOPs counted by
``torch.utils.flop_counter``) against ``--peak-tflops`` (bf16 dense: 989 for an H100 SXM).
``saved_pipeline`` also serves ``speed_overlap --model`` on a GPU.

    python -m t2iqa.benchmarks.speed_gpu [--models sd15,sdxl] [--steps 25] [--repeats 3]
        [--no-features] [--compile]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from t2iqa.generation.diffusers_source import DiffusersSource

BATCHES = 4  # per timed run: each batch's PNGs are encoded while the next one generates
SD15_UNET = {
    "sample_size": 64, "cross_attention_dim": 768, "attention_head_dim": 8,
    "block_out_channels": (320, 640, 1280, 1280),
    "down_block_types": ("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
    "up_block_types": ("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
}  # fmt: skip
SDXL_UNET = {
    "sample_size": 128, "cross_attention_dim": 2048, "attention_head_dim": (5, 10, 20),
    "block_out_channels": (320, 640, 1280), "transformer_layers_per_block": (1, 2, 10),
    "down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
    "up_block_types": ("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
    "addition_embed_type": "text_time", "addition_time_embed_dim": 256,
    "projection_class_embeddings_input_dim": 2816, "use_linear_projection": True,
}  # fmt: skip
VAE = {"block_out_channels": (128, 256, 512, 512), "layers_per_block": 2, "latent_channels": 4,
       "down_block_types": ("DownEncoderBlock2D",) * 4,
       "up_block_types": ("UpDecoderBlock2D",) * 4}  # fmt: skip
CLIP_L_TEXT = {"hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
               "num_attention_heads": 12, "hidden_act": "quick_gelu"}  # fmt: skip
BIGG_TEXT = {"hidden_size": 1280, "intermediate_size": 5120, "num_hidden_layers": 32,
             "num_attention_heads": 20, "hidden_act": "gelu", "projection_dim": 1280}  # fmt: skip


def build_pipeline(kind: str, tokenizer_dir: Path) -> Any:
    """The SD 1.5 or SDXL pipeline with seeded random weights, built on the GPU in bf16."""
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionPipeline,
        StableDiffusionXLPipeline,
        UNet2DConditionModel,
    )
    from transformers import (
        CLIPTextConfig,
        CLIPTextModel,
        CLIPTextModelWithProjection,
        CLIPTokenizer,
    )

    torch.manual_seed(0)
    tokenizer = CLIPTokenizer.from_pretrained(tokenizer_dir)
    scheduler = EulerDiscreteScheduler(beta_schedule="scaled_linear", beta_start=0.00085,
                                       beta_end=0.012)  # fmt: skip
    with torch.device("cuda"):
        if kind == "sd15":
            parts = {"unet": UNet2DConditionModel(**SD15_UNET), "vae": AutoencoderKL(**VAE),
                     "text_encoder": CLIPTextModel(CLIPTextConfig(**CLIP_L_TEXT))}  # fmt: skip
            pipe = StableDiffusionPipeline(**parts, tokenizer=tokenizer, scheduler=scheduler,
                                           safety_checker=None, feature_extractor=None,
                                           requires_safety_checker=False)  # fmt: skip
        else:
            bigg = CLIPTextModelWithProjection(CLIPTextConfig(**BIGG_TEXT))
            parts = {"unet": UNet2DConditionModel(**SDXL_UNET),
                     "vae": AutoencoderKL(**VAE, scaling_factor=0.13025),
                     "text_encoder": CLIPTextModel(CLIPTextConfig(**CLIP_L_TEXT)),
                     "text_encoder_2": bigg}  # fmt: skip
            pipe = StableDiffusionXLPipeline(**parts, tokenizer=tokenizer, tokenizer_2=tokenizer,
                                             scheduler=scheduler)  # fmt: skip
    return pipe.to(torch.bfloat16)


def timed(fn: Callable[[], Any], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        out.append(time.perf_counter() - start)
    return out


def line(name: str, seconds: list[float], images: int) -> str:
    med = statistics.median(seconds)
    return (f"  {name:34s} {med:7.2f} s per batch (min {min(seconds):.2f}, max {max(seconds):.2f})"
            f"  {images / med:6.2f} images/s")  # fmt: skip


class KeptLoaded(DiffusersSource):
    """A DiffusersSource that keeps its pipeline between timed runs (``execute_run`` closes
    its source at the end), so that a timed run does not include loading the model."""

    def close(self) -> None:
        pass


def saved_pipeline(kind: str, folder: Path) -> Path:
    """The random-weight SD 1.5 or SDXL pipeline saved as a model folder (``--model``)."""
    from t2iqa.core.tiny_models import write_clip_tokenizer_files

    write_clip_tokenizer_files(folder.parent / f"{kind}-tokenizer")
    pipe = build_pipeline(kind, folder.parent / f"{kind}-tokenizer")
    pipe.save_pretrained(folder)
    del pipe
    torch.cuda.empty_cache()
    return folder


def generation(kind: str, steps: int, batch: int, repeats: int, work: Path,
               compiled: bool) -> None:  # fmt: skip
    """A whole ``t2iqa run`` (store, PNGs, ``image_sanity``) against diffusers' plain calls
    for the same prompts and seeds, over ``BATCHES`` batches."""
    from t2iqa.generation.base import GenerationSettings
    from t2iqa.runs.runner import RunConfig, execute_run
    from t2iqa.store.db import Store

    folder = saved_pipeline(kind, work / kind)
    size = 512 if kind == "sd15" else 1024
    prompts = [f"a photo of {k + 1} red apples on a table" for k in range(batch * BATCHES)]
    (work / "suite.txt").write_text("\n".join(prompts) + "\n")
    settings = GenerationSettings(steps=steps, width=size, height=size, batch_size=batch)
    source = KeptLoaded(str(folder), settings)
    pipe = source.pipe  # loaded once: bf16, the default on CUDA

    def t2iqa_run() -> None:
        config = RunConfig(suite=str(work / "suite.txt"), model=str(folder),
                           checks=("image_sanity",), settings=settings)  # fmt: skip
        with tempfile.TemporaryDirectory(dir=work) as store, Store(Path(store)) as st:
            execute_run(config, st, source=source)

    def plain() -> None:  # as diffusers' docs call it: PIL images out
        for start in range(0, len(prompts), batch):
            gens = [torch.Generator("cpu").manual_seed(0) for _ in range(batch)]
            pipe(prompt=prompts[start : start + batch], num_inference_steps=steps, width=size,
                 height=size, generator=gens)  # fmt: skip

    t2iqa_run(), plain()  # warm-up
    runs: dict[str, list[float]] = {"t2iqa run (store, image_sanity)": [], "diffusers, plain": []}
    for _ in range(repeats):  # interleaved
        runs["t2iqa run (store, image_sanity)"] += timed(t2iqa_run, 1)
        runs["diffusers, plain"] += timed(plain, 1)
    header = f"{kind}: {size}x{size}, {steps} steps, {BATCHES} batches of {batch}, bf16, Euler"
    if compiled:
        pipe.fuse_qkv_projections()
        pipe.unet.to(memory_format=torch.channels_last)
        pipe.vae.to(memory_format=torch.channels_last)
        pipe.unet = torch.compile(pipe.unet, fullgraph=True)
        start = time.perf_counter()
        plain()  # compiles
        header += f" (compile + first call {time.perf_counter() - start:.0f} s)"
        runs["diffusers, best recipe (compiled)"] = timed(plain, repeats)
    print(header)
    for name, seconds in runs.items():
        print(line(name, [x / BATCHES for x in seconds], batch))
    source._pipe = pipe = None
    torch.cuda.empty_cache()


def feature_networks(batch: int, repeats: int, peak: float) -> None:
    import open_clip
    from torch.utils.flop_counter import FlopCounterMode
    from torchvision.models import inception_v3

    clip, _, _ = open_clip.create_model_and_transforms("ViT-L-14", pretrained=None)
    inception = inception_v3(weights=None, aux_logits=False, init_weights=False)
    inception.fc = torch.nn.Identity()
    nets = {"CLIP ViT-L-14 image tower": (clip.visual, 224),
            "Inception-v3 (FID features)": (inception, 299)}  # fmt: skip
    print(f"feature networks, batch {batch}, bf16 autocast, channels-last:")
    for name, (net, side) in nets.items():
        net = net.cuda().eval().to(memory_format=torch.channels_last)
        x = torch.randn(batch, 3, side, side, device="cuda").to(memory_format=torch.channels_last)
        with torch.no_grad(), torch.autocast("cuda", torch.bfloat16):
            with FlopCounterMode(display=False) as counter:
                net(x)
            flops = counter.get_total_flops()
            seconds = timed(lambda n=net, x=x: n(x), repeats + 2)[2:]
        med = statistics.median(seconds)
        print(f"  {name:30s} {batch / med:8.0f} images/s, {flops / med / 1e12:6.1f} TFLOP/s "
              f"({100 * flops / med / 1e12 / peak:.0f}% of {peak:.0f})")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="sd15,sdxl")
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peak-tflops", type=float, default=989.0)
    parser.add_argument("--features", action=argparse.BooleanOptionalAction, default=True,
                        help="time the feature networks (CLIP, Inception) too")  # fmt: skip
    parser.add_argument("--compile", action="store_true",
                        help="also diffusers' compiled recipe (minutes of compiling)")  # fmt: skip
    args = parser.parse_args(argv)
    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}")
    torch.backends.cuda.matmul.allow_tf32 = True
    if args.features:
        feature_networks(128, args.repeats, args.peak_tflops)
    with tempfile.TemporaryDirectory() as work:
        for kind in [m for m in args.models.split(",") if m]:
            generation(kind, args.steps, 4 if kind == "sd15" else 2, args.repeats, Path(work),
                       args.compile)  # fmt: skip


if __name__ == "__main__":
    main()
