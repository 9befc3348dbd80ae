"""PickScore (Kirstain et al., NeurIPS 2023, "Pick-a-Pic"): how much people would prefer an
image for its prompt, from a CLIP ViT-H/14 fine-tuned on 500k+ human choices between two
images of one prompt. The score is CLIP's logit scale times the cosine of the image and prompt
embeddings (about 18-24 for real models); only differences between images of one prompt mean
much. Its authors report 70.5% agreement with people's choices on Pick-a-Pic's test pairs.

Every image is scored; there is a verdict only when ``min_score`` is set. Weights: the model
``yuvalkirstain/PickScore_v1`` with the processor of ``laion/CLIP-ViT-H-14-laion2B-s32B-b79K``
(hub ids or local folders), or ``embedded``: a tiny config-built CLIP with seeded random
weights that runs the real code path and means nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from t2iqa.checks.base import ImageUnderTest, remember_failure
from t2iqa.checks.scored import ScorerConfig, ScoringCheck, in_batches
from t2iqa.core.prefetched import WeightSource, loading

PICKSCORE_MODEL = "yuvalkirstain/PickScore_v1"
PICKSCORE_PROCESSOR = "laion/CLIP-ViT-H-14-laion2B-s32B-b79K"
EMBEDDED = "embedded"
PICKSCORE_WEIGHTS = (
    WeightSource(
        PICKSCORE_MODEL, "PickScore model, about 4 GB", ("*.json", "*.txt", "*.safetensors")
    ),
    WeightSource(
        PICKSCORE_PROCESSOR, "the CLIP-H processor PickScore reads with", ("*.json", "*.txt")
    ),
)


def build_embedded(folder: Path) -> Path:
    """A tiny CLIP (width 32, 2 layers, 32-pixel images) and a real CLIP processor around it."""
    from t2iqa.core.tiny_models import build_once, write_clip_tokenizer_files

    def save(out: Path) -> None:
        from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

        config = CLIPConfig(
            text_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                         "num_attention_heads": 2, "max_position_embeddings": 77},
            vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                           "num_attention_heads": 2, "image_size": 32, "patch_size": 8},
            projection_dim=32,
        )  # fmt: skip
        CLIPModel(config).save_pretrained(out)
        CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
                           ).save_pretrained(out)  # fmt: skip
        write_clip_tokenizer_files(out)

    return build_once(folder, save)


@remember_failure
@functools.cache
def load_pickscore(model: str, processor: str, device: str) -> tuple[Any, Any, str]:
    """(model, processor, device) loaded once per process; Unavailable saying how to get
    the weights when they cannot be loaded."""
    from t2iqa.core.devices import pick_device
    from t2iqa.core.hub import prepare_hub
    from t2iqa.core.paths import default_cache_dir

    if model == EMBEDDED:
        model = processor = str(build_embedded(default_cache_dir() / "embedded-pickscore"))
    dev = pick_device(device, "pick_score.device")
    model, processor = prepare_hub(model), prepare_hub(processor)
    manually = (
        f"download both once elsewhere (huggingface-cli download {PICKSCORE_MODEL} --local-dir "
        f"M; huggingface-cli download {PICKSCORE_PROCESSOR} --local-dir P) and pass "
        "--check-option pick_score.model=M --check-option pick_score.processor=P"
    )
    with loading(f"PickScore ({model}, processor {processor})", "pick_score", manually):
        from transformers import AutoProcessor, CLIPModel

        net = CLIPModel.from_pretrained(model).to(dev).eval()
        proc = AutoProcessor.from_pretrained(processor)
    return net, proc, dev


class PickScoreCheck(ScoringCheck):
    name = "pick_score"
    version = "1"
    description = "PickScore: predicted human preference for the image given its prompt"
    label, detail = "PickScore", "pick_score"
    weights = PICKSCORE_WEIGHTS
    packages = ("transformers",)
    model_mib = 3761  # CLIP ViT-H/14: 986M parameters in float32
    loaders = (load_pickscore,)
    embedded_options = MappingProxyType({"model": EMBEDDED})
    score_unit = "PickScore (logit scale x cosine)"
    # Seeds move a run's mean by about a tenth; 0.2 keeps the gate from firing on noise.
    gate_tolerance = 0.2

    @dataclass(frozen=True)
    class Config(ScorerConfig):
        model: str = PICKSCORE_MODEL  # hub id, local folder, or "embedded" (plumbing only)
        processor: str = PICKSCORE_PROCESSOR  # the CLIP-H processor PickScore was trained with

    def scores(self, items: Sequence[ImageUnderTest]) -> list[float]:
        c = self.config
        net, proc, dev = load_pickscore(c.model, c.processor, c.device)
        return in_batches(lambda batch: pick_scores(net, proc, dev, batch), items, c.batch_size)

    def source(self) -> dict[str, Any]:
        return {"model": self.config.model}


def pick_scores(net: Any, proc: Any, device: str, items: Sequence[ImageUnderTest]) -> list[float]:
    """logit_scale * cos(image, prompt) for each item, as Pick-a-Pic's reference code."""
    import torch

    images = proc(images=[it.image for it in items], return_tensors="pt")
    texts = proc(text=[it.spec.prompt for it in items], padding=True, truncation=True,
                 max_length=77, return_tensors="pt")  # fmt: skip
    with torch.no_grad():
        image_emb = _embedding(
            net.get_image_features(pixel_values=images["pixel_values"].to(device))
        )
        text_emb = _embedding(net.get_text_features(**{k: v.to(device) for k, v in texts.items()}))
        image_emb = image_emb / image_emb.norm(dim=-1, keepdim=True)
        text_emb = text_emb / text_emb.norm(dim=-1, keepdim=True)
        scores = net.logit_scale.exp() * (image_emb * text_emb).sum(-1)
    return [float(s) for s in scores.cpu()]


def _embedding(out: Any) -> Any:
    """The projected embedding: transformers 5 returns an output whose pooler_output holds it
    (earlier versions the tensor itself)."""
    return getattr(out, "pooler_output", out)
