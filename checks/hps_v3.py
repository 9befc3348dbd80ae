"""HPSv3 (Ma et al., ICCV 2025, "HPSv3: Towards Wide-Spectrum Human Preference Score"): how
much people would prefer an image for its prompt, from Qwen2-VL-7B-Instruct fine-tuned on
HPDv3's 1.08M text-image pairs and 1.17M pairwise choices, reading the image with the
authors' rating instruction and scoring the last hidden state of a ``<|Reward|>`` token.
The score is the predicted mean preference (about 0-15 for real images; only differences
between models on the same prompts mean much). The authors report 76.9% agreement with
people's choices on HPDv3's test pairs, the best of the preference scores they compare.

Opt-in and heavy: about 16 GB of weights in bfloat16. Weights: ``HPSv3.safetensors`` of
the hub repo ``MizzenAI/HPSv3`` (or a local file) on the config and processor of
``Qwen/Qwen2-VL-7B-Instruct`` (or a local folder); or ``embedded``: a tiny seeded Qwen2-VL
saved in the authors' layout with a byte-level tokenizer, which runs the real code path
(processor, chat template, image tokens, reward token, head) and means nothing.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from t2iqa.checks.base import ImageUnderTest, remember_failure
from t2iqa.checks.options import PositiveInt
from t2iqa.checks.scored import ScorerConfig, ScoringCheck, checkpoint_file, in_batches
from t2iqa.core.errors import Unavailable
from t2iqa.core.prefetched import WeightSource, loading

HPSV3_CHECKPOINT = "hf-hub:MizzenAI/HPSv3/HPSv3.safetensors"
BASE = "Qwen/Qwen2-VL-7B-Instruct"
EMBEDDED = "embedded"
REWARD_TOKEN = "<|Reward|>"
PIXELS = 256 * 28 * 28  # the authors' min_pixels = max_pixels: 256 image tokens a picture
HPSV3_WEIGHTS = (
    WeightSource(HPSV3_CHECKPOINT, "HPSv3 checkpoint (Qwen2-VL 7B), about 16 GB"),
    WeightSource(BASE, "the Qwen2-VL config and processor HPSv3 reads with", ("*.json", "*.txt")),
)
# The authors' rating instruction (MizzenAI/HPSv3, MIT licence: LICENSE.hpsv3 beside it), word
# for word: the model was trained on it, so any edit changes the scores. {text_prompt} is the
# image's prompt.
INSTRUCTION = resources.files("t2iqa.checks").joinpath("hps_v3_instruction.txt").read_text("utf-8")
REWARD_PROMPT = f"\nPlease provide the overall ratings of this image: {REWARD_TOKEN}\n\nEND\n"
# Qwen2-VL's chat template for one user turn of an image and text (the embedded processor's;
# real processors bring their own).
CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% for content in message['content'] %}"
    "{% if content['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'text' %}{{ content['text'] }}{% endif %}{% endfor %}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL = ["<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>",
           "<|video_pad|>", REWARD_TOKEN]  # fmt: skip


def build_embedded(folder: Path) -> Path:
    """A tiny Qwen2-VL (vision width 32, 1 block; text width 32, 2 layers) with a reward head,
    saved as the authors' checkpoint, and a Qwen2-VL processor with a byte-level tokenizer."""
    from t2iqa.core.tiny_models import build_once

    def save(out: Path) -> None:
        from open_clip.tokenizer import bytes_to_unicode
        from safetensors.torch import save_file
        from transformers import (
            Qwen2Tokenizer,
            Qwen2VLConfig,
            Qwen2VLImageProcessor,
            Qwen2VLModel,
            Qwen2VLProcessor,
            Qwen2VLVideoProcessor,
        )

        from t2iqa.checks.hps_v3_net import HpsV3Net, to_checkpoint

        symbols = list(bytes_to_unicode().values())  # every byte a token: no merges needed
        tokenizer = Qwen2Tokenizer(vocab={s: i for i, s in enumerate(symbols)}, merges=[],
                                   unk_token=None)  # fmt: skip
        tokenizer.add_special_tokens({"additional_special_tokens": SPECIAL})
        ids = tokenizer.convert_tokens_to_ids
        config = Qwen2VLConfig(
            text_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                         "num_attention_heads": 2, "num_key_value_heads": 2,
                         "vocab_size": len(tokenizer), "max_position_embeddings": 8192,
                         "rope_scaling": {"type": "mrope", "mrope_section": [2, 3, 3]}},
            vision_config={"depth": 1, "embed_dim": 32, "hidden_size": 32, "num_heads": 2,
                           "mlp_ratio": 2},
            image_token_id=ids("<|image_pad|>"), video_token_id=ids("<|video_pad|>"),
            vision_start_token_id=ids("<|vision_start|>"),
        )  # fmt: skip
        net = HpsV3Net(Qwen2VLModel(config))
        save_file(to_checkpoint(net), str(out / "HPSv3.safetensors"))
        Qwen2VLProcessor(image_processor=Qwen2VLImageProcessor(), tokenizer=tokenizer,
                         video_processor=Qwen2VLVideoProcessor(),
                         chat_template=CHAT_TEMPLATE).save_pretrained(out)  # fmt: skip
        (out / "config.json").write_text(json.dumps(config.to_dict(), indent=2))

    return build_once(folder, save)


@remember_failure
@functools.cache
def load_hps_v3(checkpoint: str, base: str, device: str) -> tuple[Any, Any, str]:
    """(network, processor, device), once per process; Unavailable with the commands that
    get the weights when they cannot be loaded."""
    from t2iqa.checks.hps_v3_net import load_net
    from t2iqa.core.devices import pick_device
    from t2iqa.core.hub import prepare_hub
    from t2iqa.core.paths import default_cache_dir
    from t2iqa.core.tiny_models import quiet_model_libraries
    from t2iqa.core.weights import read_state_dict

    if checkpoint == EMBEDDED:
        folder = build_embedded(default_cache_dir() / "embedded-hpsv3")
        checkpoint, base = str(folder / "HPSv3.safetensors"), str(folder)
    dev = pick_device(device, "hps_v3.device")
    path = checkpoint_file(checkpoint, "hps_v3", "HPSv3")
    manually = (
        f"huggingface-cli download {BASE} --include '*.json' '*.txt' --local-dir B and pass "
        "--check-option hps_v3.base=B"
    )
    with loading(f"HPSv3's base model files {base}", "hps_v3", manually):
        from transformers import AutoProcessor, Qwen2VLConfig

        config = Qwen2VLConfig.from_pretrained(prepare_hub(base))
        processor = AutoProcessor.from_pretrained(prepare_hub(base), padding_side="right")
    processor.tokenizer.add_special_tokens({"additional_special_tokens": [REWARD_TOKEN]})
    try:
        with quiet_model_libraries():
            net = load_net(read_state_dict(path), config)
    except ValueError as exc:
        raise Unavailable(f"{path}: {exc}") from None
    return net.to(dev), processor, dev


class HpsV3Check(ScoringCheck):
    name = "hps_v3"
    version = "1"
    description = "HPSv3: predicted human preference for the image given its prompt"
    label, detail = "HPSv3", "hps_v3"
    weights = HPSV3_WEIGHTS
    packages = ("transformers",)
    embedded_options = MappingProxyType({"checkpoint": EMBEDDED})
    score_unit = "HPSv3 (predicted mean preference)"
    # Not measured against seeds here (no weights): PickScore's tolerance, on a similar range.
    gate_tolerance = 0.2
    model_mib = 15810  # Qwen2-VL 7B: 8.29B parameters in bfloat16
    loaders = (load_hps_v3,)

    @dataclass(frozen=True)
    class Config(ScorerConfig):
        checkpoint: str = HPSV3_CHECKPOINT  # hf-hub:REPO/FILE, a local file, or "embedded"
        base: str = BASE  # hub id or local folder with the config and processor files
        batch_size: PositiveInt = 4  # a 7B model's activations at about 800 tokens a row

    def scores(self, items: Sequence[ImageUnderTest]) -> list[float]:
        c = self.config
        net, processor, dev = load_hps_v3(c.checkpoint, c.base, c.device)
        return in_batches(lambda b: hps_v3_scores(net, processor, dev, b), items, c.batch_size)

    def source(self) -> dict[str, Any]:
        return {"checkpoint": self.config.checkpoint}


def hps_v3_scores(
    net: Any, processor: Any, device: str, items: Sequence[ImageUnderTest]
) -> list[float]:
    """The predicted mean preference of each item, as the authors' inferencer computes it:
    the image resized to 256 x 28 x 28 pixels (aspect kept, sides multiples of 28), the
    instruction with the prompt and the reward token, one chat turn, padding on the right."""
    import torch
    from PIL import Image
    from transformers.models.qwen2_vl.image_processing_qwen2_vl import smart_resize

    images = []
    for it in items:
        image = it.image.convert("RGB")
        h, w = smart_resize(image.height, image.width, factor=28, min_pixels=PIXELS,
                            max_pixels=PIXELS)  # fmt: skip
        images.append(image.resize((w, h), Image.Resampling.BICUBIC))
    texts = []
    for it in items:
        prompt = it.spec.prompt.replace(REWARD_TOKEN, "")  # one reward token a row
        turn = [{"role": "user", "content": [
            {"type": "image"},
            {"type": "text", "text": INSTRUCTION.replace("{text_prompt}", prompt) + REWARD_PROMPT},
        ]}]  # fmt: skip
        texts.append(
            processor.apply_chat_template(turn, tokenize=False, add_generation_prompt=True)
        )
    batch = processor(text=texts, images=images, padding=True, return_tensors="pt")
    keys = ("input_ids", "attention_mask", "pixel_values", "image_grid_thw")
    reward_id = processor.tokenizer.convert_tokens_to_ids(REWARD_TOKEN)
    with torch.no_grad():
        means = net({k: batch[k].to(device) for k in keys}, reward_id)
    return [float(m) for m in means.cpu()]
