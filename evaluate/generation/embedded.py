"""The embedded offline generator: a tiny Stable-Diffusion-shaped pipeline with seeded random
weights, built from configs on this machine and never downloaded.

It exists so that demos and tests run the real diffusers code path (``from_pretrained`` on a
local folder, schedulers, per-image generators) with no hub and no GPU. Its images are
noise-like: every result it produces is a *plumbing check*, never a quality figure.

The pipeline is written once to a cache folder (a few MB) and then loaded like any other
local model folder, so the diffusers backend has no special case for it.
"""

from __future__ import annotations

import os
from pathlib import Path

from t2iqa.core.paths import default_cache_dir
from t2iqa.core.tiny_models import quiet_model_libraries, write_clip_tokenizer_files

EMBEDDED_MODEL_ID = "embedded"
# Bump when the configs below change: a new version is a new folder, never a silent change
# to the images that older runs recorded.
EMBEDDED_VERSION = "tiny-sd-v1"
EMBEDDED_SEED = 20261121
EMBEDDED_RESOLUTION = 64
PLUMBING_NOTE = (
    "embedded random-weight generator: images are noise, scores test the plumbing, "
    "not any model's quality"
)


def embedded_model_dir(cache_dir: Path | None = None) -> Path:
    return (cache_dir or default_cache_dir()) / "models" / EMBEDDED_VERSION


def build_embedded_pipeline(out_dir: Path) -> Path:
    """Build the tiny pipeline with seeded random weights and save it to ``out_dir``.

    Written to a temporary sibling and renamed into place, so a build killed half-way never
    leaves a folder that looks complete.
    """
    import shutil
    import tempfile

    import torch
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=out_dir.parent))
    try:
        torch.manual_seed(EMBEDDED_SEED)
        # Two down blocks give a VAE factor of 2: 32x32 latents decode to 64x64 pixels.
        unet = UNet2DConditionModel(
            sample_size=EMBEDDED_RESOLUTION // 2,
            in_channels=4,
            out_channels=4,
            block_out_channels=(32, 64),
            layers_per_block=1,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
            cross_attention_dim=32,
            attention_head_dim=8,
            norm_num_groups=32,
        )
        vae = AutoencoderKL(
            in_channels=3,
            out_channels=3,
            block_out_channels=(32, 64),
            down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
            up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
            latent_channels=4,
            norm_num_groups=32,
            sample_size=EMBEDDED_RESOLUTION,
        )
        text_config = CLIPTextConfig(
            vocab_size=49408,
            hidden_size=32,
            intermediate_size=37,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=77,
            bos_token_id=49406,
            eos_token_id=49407,
            pad_token_id=49407,
            projection_dim=32,
        )
        text_encoder = CLIPTextModel(text_config)
        write_clip_tokenizer_files(tmp / "tokenizer-src")
        tokenizer = CLIPTokenizer.from_pretrained(tmp / "tokenizer-src")
        scheduler = EulerDiscreteScheduler(
            beta_start=0.00085,
            beta_end=0.012,
            beta_schedule="scaled_linear",
            num_train_timesteps=1000,
            steps_offset=1,
        )
        pipe = StableDiffusionPipeline(
            vae=vae,
            text_encoder=text_encoder,
            tokenizer=tokenizer,
            unet=unet,
            scheduler=scheduler,
            safety_checker=None,
            feature_extractor=None,
            requires_safety_checker=False,
        )
        # Stored in float16 to keep the folder small; loaders upcast to the run's dtype.
        with quiet_model_libraries():
            pipe.to(torch.float16)
            pipe.save_pretrained(tmp / "model")
        (tmp / "model" / "T2IQA_EMBEDDED.txt").write_text(PLUMBING_NOTE + "\n")
        if out_dir.exists():  # another process finished first; theirs is identical
            return out_dir
        os.replace(tmp / "model", out_dir)
        return out_dir
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def ensure_embedded_model(cache_dir: Path | None = None) -> Path:
    """The embedded model's folder, built on first use."""
    target = embedded_model_dir(cache_dir)
    if (target / "model_index.json").is_file():
        return target
    return build_embedded_pipeline(target)
