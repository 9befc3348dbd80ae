"""A vision-language model asked yes/no questions about an image: the probability that it
answers "Yes", read from the logits of its first answer token (Lin et al., ECCV 2024,
"Evaluating Text-to-Visual Generation with Image-to-Text Generation": VQAScore).

Any transformers image-text-to-text model with a processor (Qwen2.5-VL, PaliGemma, LLaVA,
...): the question goes through the processor's chat template when it has one, else a plain
``USER: <image>\\n{question} ASSISTANT:``. Batches are padded on the left, so the last
position is where every answer starts. ``embedded`` builds a tiny LLaVA (CLIP vision tower,
Llama text model, OpenAI's CLIP BPE tokenizer) with seeded random weights: the real code
path, meaningless answers.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from t2iqa.checks.base import remember_failure
from t2iqa.core.prefetched import WeightSource, loading

DEFAULT_VLM = "Qwen/Qwen2.5-VL-7B-Instruct"
VLM_MIB = 15830  # its 8.3B parameters in bfloat16, the dtype its checkpoint loads in
VLM_WEIGHTS = WeightSource(DEFAULT_VLM, "Qwen2.5-VL 7B Instruct (VQAScore, atoms), about 16 GB",
                           ("*.json", "*.txt", "*.safetensors", "*.model"))  # fmt: skip
EMBEDDED = "embedded"


def build_embedded(folder: Path) -> Path:
    """A tiny LLaVA: CLIP vision (32 px, patch 8), Llama text (width 32, 2 layers)."""
    from t2iqa.core.tiny_models import build_once, write_clip_tokenizer_files

    def save(out: Path) -> None:
        import torch
        from transformers import (
            CLIPImageProcessor,
            CLIPTokenizer,
            CLIPVisionConfig,
            LlamaConfig,
            LlavaConfig,
            LlavaForConditionalGeneration,
            LlavaProcessor,  # fmt: skip
        )

        write_clip_tokenizer_files(out / "tokenizer")
        tokenizer = CLIPTokenizer.from_pretrained(out / "tokenizer")
        tokenizer.add_special_tokens({"additional_special_tokens": ["<image>"]})
        torch.manual_seed(0)
        config = LlavaConfig(
            vision_config=CLIPVisionConfig(hidden_size=32, intermediate_size=64,
                num_hidden_layers=2, num_attention_heads=2, image_size=32, patch_size=8),
            text_config=LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                num_attention_heads=2, num_key_value_heads=2, vocab_size=len(tokenizer),
                max_position_embeddings=256),
            image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
        )  # fmt: skip
        LlavaForConditionalGeneration(config).save_pretrained(out)
        images = CLIPImageProcessor(size={"shortest_edge": 32},
                                    crop_size={"height": 32, "width": 32})  # fmt: skip
        LlavaProcessor(image_processor=images, tokenizer=tokenizer, patch_size=8,
                       vision_feature_select_strategy="default", image_token="<image>",
                       num_additional_image_tokens=1).save_pretrained(out)  # fmt: skip

    return build_once(folder, save)


@remember_failure
@functools.cache
def load_vlm(model: str, device: str) -> tuple[Any, Any, str]:
    """(model, processor, device), once per process; Unavailable with the commands that get
    the weights when they cannot be loaded."""
    from t2iqa.core.devices import pick_device
    from t2iqa.core.hub import prepare_hub
    from t2iqa.core.paths import default_cache_dir

    source = model
    if model == EMBEDDED:
        source = str(build_embedded(default_cache_dir() / "embedded-vlm"))
    dev = pick_device(device, "vqa_score.device")
    source = prepare_hub(source)
    manually = "huggingface-cli download ID --local-dir D and pass model=D"
    with loading(f"the vision-language model {model}", "vqa_score", manually):
        from transformers import AutoModelForImageTextToText, AutoProcessor

        net = AutoModelForImageTextToText.from_pretrained(source).to(dev).eval()
        processor = AutoProcessor.from_pretrained(source)
    processor.tokenizer.padding_side = "left"  # every answer starts at the last position
    return net, processor, dev


def _prompt(processor: Any, question: str) -> str:
    if getattr(processor, "chat_template", None):
        turn = [{"role": "user", "content": [{"type": "image"},
                                             {"type": "text", "text": question}]}]  # fmt: skip
        return processor.apply_chat_template(turn, add_generation_prompt=True)
    token = getattr(processor, "image_token", "<image>")
    return f"USER: {token}\n{question} ASSISTANT:"


def yes_probability(
    vlm: tuple[Any, Any, str],
    images: Sequence[Image.Image],
    questions: Sequence[str],
    answer: str = "Yes",
) -> list[float]:
    """P(the first token of ``answer``) for each (image, question) pair."""
    import torch

    net, processor, device = vlm
    token = processor.tokenizer(answer, add_special_tokens=False).input_ids[0]
    inputs = processor(images=[im.convert("RGB") for im in images],
                       text=[_prompt(processor, q) for q in questions],
                       padding=True, return_tensors="pt")  # fmt: skip
    with torch.no_grad():
        logits = net(**{k: v.to(device) for k, v in inputs.items()}).logits[:, -1].float()
    return [float(p) for p in torch.softmax(logits, dim=-1)[:, token].cpu()]
