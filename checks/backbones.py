"""Feature backbones for distribution metrics beyond Inception: DINOv2 (Oquab et al. 2023) and
CLIP (any open_clip model).

Stein et al. (NeurIPS 2023, dgm-eval) found Inception's features disagree with people's
realism judgements and recommend DINOv2 ViT-L/14; dgm-eval resizes to 224x224 with PIL
bicubic, normalises with ImageNet's mean and standard deviation, and takes the class token
after the final layer norm. transformers' ``Dinov2Model`` gives the same token as
``pooler_output``. ``model`` is a hub id (``facebook/dinov2-large``, ``facebook/dinov2-base``),
a local folder, or ``embedded``: a tiny config-built DINOv2 with seeded random weights, which
runs the real code path for plumbing checks and means nothing.

CLIP's space is the projected image embedding, not normalised (Kynkäänniemi et al., ICLR 2023,
"The Role of ImageNet Classes in Fréchet Inception Distance", compute FD_CLIP there; dgm-eval's
CLIP encoder returns the same), of an open_clip model named ``ARCH/TAG`` (default
``ViT-L-14/openai``, the CLIP of clip_alignment) or ``embedded``; images are resized clean to the
model's input size and normalised with its own mean and standard deviation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from t2iqa.core.prefetched import WeightSource, loading

DINOV2_SIZE = 224
DEFAULT_DINOV2 = "facebook/dinov2-large"  # ViT-L/14, dgm-eval's recommendation
DINOV2_WEIGHTS = WeightSource(
    DEFAULT_DINOV2, "DINOv2 ViT-L/14 (FD-DINOv2, PRDC), about 1.2 GB", ("*.json", "*.safetensors")
)
EMBEDDED_DINOV2 = "embedded"
DEFAULT_CLIP_BACKBONE = "ViT-L-14/openai"  # open_clip ARCH/TAG
# ImageNet's statistics, as DINOv2 was trained and dgm-eval feeds it.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class Dinov2Features(torch.nn.Module):
    """uint8 NCHW at 224x224 in, the normalised class token out (N x hidden size)."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pixels = (x.float() / 255.0 - self.mean) / self.std
        return self.model(pixel_values=pixels).pooler_output


def build_embedded_dinov2(folder: Path) -> Path:
    """A tiny DINOv2 (patch 14, 224 pixels, 2 layers of width 32), seeded, built once."""
    from t2iqa.core.tiny_models import build_once

    def save(out: Path) -> None:
        from transformers import Dinov2Config, Dinov2Model

        config = Dinov2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                              mlp_ratio=2, patch_size=14, image_size=DINOV2_SIZE)  # fmt: skip
        Dinov2Model(config).save_pretrained(out)

    return build_once(folder, save)


def load_dinov2(model: str | None) -> torch.nn.Module:
    """The DINOv2 feature network from a hub id, a local folder or ``embedded``; Unavailable
    saying how to get the weights when it cannot be loaded."""
    from t2iqa.core.hub import prepare_hub
    from t2iqa.core.paths import default_cache_dir

    source = model or DEFAULT_DINOV2
    if source == EMBEDDED_DINOV2:
        source = str(build_embedded_dinov2(default_cache_dir() / "embedded-dinov2"))
    source = prepare_hub(source)
    manually = (
        f"download it once elsewhere (huggingface-cli download {DEFAULT_DINOV2} --local-dir "
        "DIR) and pass --set-option fd_dinov2.model=DIR"
    )
    with loading(f"DINOv2 {source}", "fd_dinov2", manually):
        from transformers import Dinov2Model

        net = Dinov2Model.from_pretrained(source)
    return Dinov2Features(net.eval()).eval()


class ClipImageFeatures(torch.nn.Module):
    """uint8 NCHW at the model's input size in, CLIP's projected image embedding out."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model
        visual = model.visual
        self.register_buffer("mean", torch.tensor(visual.image_mean).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(visual.image_std).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pixels = (x.float() / 255.0 - self.mean) / self.std
        return self.model.encode_image(pixels).float()


def load_clip_backbone(name: str | None) -> tuple[ClipImageFeatures, int]:
    """The CLIP image features of ``ARCH/TAG`` or ``embedded``, and the input size (pixels a
    side) they take; Unavailable (from clip_alignment's loader) when the weights are missing."""
    from t2iqa.checks.clip_alignment import EMBEDDED_CLIP, load_clip, register_embedded_clip

    name = name or DEFAULT_CLIP_BACKBONE
    if name == EMBEDDED_CLIP:
        scorer = load_clip(EMBEDDED_CLIP, None, str(register_embedded_clip()[1]), None, "cpu")
    else:
        arch, _, tag = name.partition("/")
        scorer = load_clip(arch, tag or None, None, None, "cpu")
    size = scorer.model.visual.image_size
    return ClipImageFeatures(scorer.model).eval(), int(size[0] if isinstance(size, tuple) else size)
