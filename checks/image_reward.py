"""ImageReward (Xu et al., NeurIPS 2023, "ImageReward: Learning and Evaluating Human
Preferences for Text-to-Image Generation"): how much people would prefer an image for its
prompt, from BLIP (ViT-L/16 image encoder, BERT-base text encoder attending to the image)
with a reward head, trained on 137k expert comparisons. The score is standardised over the
training set (0: an average image, 1: one standard deviation better; models on the authors'
benchmark average -0.3 to 0.3). Its authors report 65.1% agreement with experts' choices on
their test pairs (CLIPScore 54.8%, the aesthetic predictor 57.4%).

Every image is scored; a verdict only when ``min_score`` is set. Weights: ``ImageReward.pt``
of the hub repo ``THUDM/ImageReward`` (or a local file; read as tensors only) and BLIP's
tokenizer, ``bert-base-uncased`` with BLIP's two added tokens; or ``embedded``: a tiny seeded
network saved in the authors' layout, so it loads through the same renaming, with a real
WordPiece tokenizer over a small vocabulary. It runs the real code path and means nothing.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from t2iqa.checks.base import ImageUnderTest, remember_failure
from t2iqa.checks.scored import ScorerConfig, ScoringCheck, checkpoint_file, in_batches
from t2iqa.core.errors import Unavailable
from t2iqa.core.prefetched import WeightSource, loading

IMAGEREWARD_CHECKPOINT = "hf-hub:THUDM/ImageReward/ImageReward.pt"
TOKENIZER = "google-bert/bert-base-uncased"  # BLIP's init_tokenizer
EMBEDDED = "embedded"
MAX_TOKENS = 35  # ImageReward.score's max_length: longer prompts are cut
# ImageReward's preprocessing: shorter side to 224 (bicubic), centre crop, CLIP's mean/std.
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
IMAGEREWARD_WEIGHTS = (
    WeightSource(IMAGEREWARD_CHECKPOINT, "ImageReward checkpoint (BLIP ViT-L), about 1.8 GB"),
    WeightSource(TOKENIZER, "the BERT tokenizer ImageReward reads prompts with",
                 ("vocab.txt", "tokenizer_config.json", "tokenizer.json", "config.json")),
)  # fmt: skip


def embedded_architecture() -> Any:
    from t2iqa.checks.image_reward_net import Architecture

    return Architecture(vision_width=32, vision_layers=2, vision_heads=2, image_size=32,
                        patch_size=8, text_width=32, text_layers=2, text_heads=2,
                        text_intermediate=64, vocab_size=len(_tiny_vocab()) + 2,
                        max_positions=64)  # fmt: skip


def _tiny_vocab() -> list[str]:
    """Enough WordPiece entries to spell any lowercase English prompt letter by letter."""
    chars = [*"abcdefghijklmnopqrstuvwxyz0123456789", *".,'\"!?-:;()&/"]
    return ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars, *(f"##{c}" for c in chars)]


def build_embedded(folder: Path) -> Path:
    """A tiny ImageReward checkpoint in the authors' layout and a BERT tokenizer folder."""
    from t2iqa.core.tiny_models import build_once

    def save(out: Path) -> None:
        import torch

        from t2iqa.checks.image_reward_net import ImageRewardNet, to_checkpoint

        arch = embedded_architecture()
        torch.save(to_checkpoint(ImageRewardNet(arch)), out / "ImageReward.pt")
        (out / "tokenizer").mkdir()
        (out / "tokenizer" / "vocab.txt").write_text("\n".join(_tiny_vocab()) + "\n")
        (out / "tokenizer" / "tokenizer_config.json").write_text(
            json.dumps({"tokenizer_class": "BertTokenizer", "do_lower_case": True})
        )
        (out / "config.json").write_text(json.dumps(asdict(arch), indent=2))

    return build_once(folder, save)


@remember_failure
@functools.cache
def load_image_reward(checkpoint: str, tokenizer: str, device: str) -> tuple[Any, Any, str]:
    """(network, tokenizer, device), once per process; Unavailable with the commands that
    get the weights when they cannot be loaded."""
    from t2iqa.checks.image_reward_net import Architecture, load_net
    from t2iqa.core.devices import pick_device
    from t2iqa.core.hub import prepare_hub
    from t2iqa.core.paths import default_cache_dir
    from t2iqa.core.weights import read_state_dict

    arch = Architecture()
    if checkpoint == EMBEDDED:
        folder = build_embedded(default_cache_dir() / "embedded-imagereward")
        checkpoint, tokenizer = str(folder / "ImageReward.pt"), str(folder / "tokenizer")
        arch = embedded_architecture()
    dev = pick_device(device, "image_reward.device")
    path = checkpoint_file(checkpoint, "image_reward", "ImageReward")
    try:
        net = load_net(read_state_dict(path), arch)
    except ValueError as exc:
        raise Unavailable(f"{path}: {exc}") from None
    return net.to(dev), _tokenizer(prepare_hub(tokenizer)), dev


def _tokenizer(source: str) -> Any:
    """BLIP's tokenizer: BERT's with [DEC] (its decoder's start) and [ENC] added, which makes
    the vocabulary the checkpoint's 30,524."""

    manually = (
        f"huggingface-cli download {TOKENIZER} vocab.txt tokenizer_config.json --local-dir T "
        "and pass --check-option image_reward.tokenizer=T"
    )
    with loading(f"ImageReward's tokenizer {source}", "image_reward", manually):
        from transformers import BertTokenizer

        tok = BertTokenizer.from_pretrained(source)
    tok.add_special_tokens({"bos_token": "[DEC]"})
    tok.add_special_tokens({"additional_special_tokens": ["[ENC]"]})
    return tok


class ImageRewardCheck(ScoringCheck):
    name = "image_reward"
    version = "1"
    description = "ImageReward: predicted human preference for the image given its prompt"
    label, detail = "ImageReward", "image_reward"
    weights = IMAGEREWARD_WEIGHTS
    packages = ("transformers",)
    model_mib = 1700  # BLIP ViT-L/16 and BERT-base with cross-attention: 446M in float32
    loaders = (load_image_reward,)
    embedded_options = MappingProxyType({"checkpoint": EMBEDDED})
    score_unit = "ImageReward (standard deviations from its training mean)"
    # Models on the authors' benchmark differ by 0.05-0.3; seeds move a run's mean by a few
    # hundredths, so 0.05 keeps the gate from firing on noise.
    gate_tolerance = 0.05

    @dataclass(frozen=True)
    class Config(ScorerConfig):
        checkpoint: str = IMAGEREWARD_CHECKPOINT  # hf-hub:REPO/FILE, a local file, "embedded"
        tokenizer: str = TOKENIZER  # hub id or local folder (ignored when embedded)

    def scores(self, items: Sequence[ImageUnderTest]) -> list[float]:
        c = self.config
        net, tokenizer, dev = load_image_reward(c.checkpoint, c.tokenizer, c.device)
        return in_batches(lambda b: image_rewards(net, tokenizer, dev, b), items, c.batch_size)

    def source(self) -> dict[str, Any]:
        return {"checkpoint": self.config.checkpoint}


def image_rewards(
    net: Any, tokenizer: Any, device: str, items: Sequence[ImageUnderTest]
) -> list[float]:
    """The standardised reward of each item, as ImageReward.score computes it."""
    import torch
    from torchvision import transforms

    size = net.vision.config.image_size
    prepare = transforms.Compose([
        transforms.Resize(size, interpolation=transforms.InterpolationMode.BICUBIC),
        transforms.CenterCrop(size), transforms.ToTensor(),
        transforms.Normalize(CLIP_MEAN, CLIP_STD),
    ])  # fmt: skip
    pixels = torch.stack([prepare(it.image.convert("RGB")) for it in items]).to(device)
    text = tokenizer([it.spec.prompt for it in items], padding="max_length", truncation=True,
                     max_length=MAX_TOKENS, return_tensors="pt")  # fmt: skip
    with torch.no_grad():
        rewards = net(pixels, text["input_ids"].to(device), text["attention_mask"].to(device))
    return [float(r) for r in rewards.cpu()]
