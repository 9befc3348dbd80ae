"""ImageReward's network (Xu et al., NeurIPS 2023) on transformers' BLIP modules, and the
renaming that reads the authors' checkpoint into it.

The authors' ``ImageReward.pt`` holds BLIP's own modules (``blip.visual_encoder``: a timm-style
ViT-L/16 at 224 px; ``blip.text_encoder``: BLIP's BERT with cross-attention to the image) and a
five-layer head (``mlp.layers``). transformers' ``BlipVisionModel`` and ``BlipTextModel`` are
ports of those modules (transformers converts BLIP's checkpoints with the same renaming), so the
reward is computed by maintained code, with the authors' tensors. Imported only when an
ImageReward model is loaded (it imports torch).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

# ImageReward.py: the reward is standardised by its mean and standard deviation over the
# training set, so 0 is an average image and 1 one standard deviation better.
REWARD_MEAN, REWARD_STD = 0.16717362830052426, 1.0333394966054072


@dataclass(frozen=True)
class Architecture:
    """The sizes of an ImageReward network (defaults: the published model)."""

    vision_width: int = 1024  # BLIP's vit="large"
    vision_layers: int = 24
    vision_heads: int = 16
    image_size: int = 224
    patch_size: int = 16
    text_width: int = 768  # BERT-base, med_config.json
    text_layers: int = 12
    text_heads: int = 12
    text_intermediate: int = 3072
    vocab_size: int = 30524  # bert-base-uncased's 30,522 + [DEC] + [ENC]
    max_positions: int = 512


class RewardHead(nn.Module):
    """ImageReward's MLP on the text encoder's [CLS] state; the dropouts keep the
    checkpoint's layer numbers (0, 2, 4, 6, 7) and do nothing in eval mode."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(width, 1024), nn.Dropout(0.2), nn.Linear(1024, 128), nn.Dropout(0.2),
            nn.Linear(128, 64), nn.Dropout(0.1), nn.Linear(64, 16), nn.Linear(16, 1),
        )  # fmt: skip

    def forward(self, state: torch.Tensor) -> torch.Tensor:
        return self.layers(state)


class ImageRewardNet(nn.Module):
    def __init__(self, arch: Architecture) -> None:
        from transformers import BlipTextConfig, BlipVisionConfig
        from transformers.models.blip.modeling_blip import BlipVisionModel
        from transformers.models.blip.modeling_blip_text import BlipTextModel

        super().__init__()
        vision = BlipVisionConfig(
            hidden_size=arch.vision_width, intermediate_size=4 * arch.vision_width,
            num_hidden_layers=arch.vision_layers, num_attention_heads=arch.vision_heads,
            image_size=arch.image_size, patch_size=arch.patch_size,
            layer_norm_eps=1e-6,  # BLIP's ViT (transformers' default is 1e-5)
        )  # fmt: skip
        text = BlipTextConfig(
            vocab_size=arch.vocab_size, hidden_size=arch.text_width,
            intermediate_size=arch.text_intermediate, num_hidden_layers=arch.text_layers,
            num_attention_heads=arch.text_heads, max_position_embeddings=arch.max_positions,
            encoder_hidden_size=arch.vision_width, layer_norm_eps=1e-12,
            bos_token_id=None, sep_token_id=None, eos_token_id=None,
        )  # fmt: skip
        self.vision = BlipVisionModel(vision)
        self.text = BlipTextModel(text, add_pooling_layer=False)
        self.mlp = RewardHead(arch.text_width)

    def forward(
        self, pixel_values: torch.Tensor, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> torch.Tensor:
        """The standardised reward of each (image, prompt) pair, as ImageReward.score: the
        prompt's [CLS] state after attending to every image token, through the head."""
        image = self.vision(pixel_values=pixel_values).last_hidden_state
        image_mask = torch.ones(image.shape[:-1], dtype=torch.long, device=image.device)
        state = self.text(
            input_ids=input_ids, attention_mask=attention_mask, encoder_hidden_states=image,
            encoder_attention_mask=image_mask, is_decoder=False,  # bidirectional, as BLIP's
        ).last_hidden_state[:, 0, :]  # fmt: skip
        return ((self.mlp(state.float()) - REWARD_MEAN) / REWARD_STD).squeeze(-1)


# BLIP's ViT names (timm's) and transformers' for the same tensors, applied in order.
_VISION_NAMES = (
    ("cls_token", "embeddings.class_embedding"),
    ("pos_embed", "embeddings.position_embedding"),
    ("patch_embed.proj.", "embeddings.patch_embedding."),
    ("blocks.", "encoder.layers."),
    ("attn.qkv.", "self_attn.qkv."),
    ("attn.proj.", "self_attn.projection."),
    ("norm1.", "layer_norm1."),
    ("norm2.", "layer_norm2."),
)


def vision_name(blip: str) -> str:
    """transformers' name of a tensor of BLIP's ViT ("blocks.3.attn.qkv.weight" ->
    "encoder.layers.3.self_attn.qkv.weight")."""
    if blip.startswith("norm."):  # the final norm
        return "post_layernorm." + blip.removeprefix("norm.")
    for theirs, ours in _VISION_NAMES:
        blip = blip.replace(theirs, ours)
    return blip


def blip_vision_name(name: str) -> str:
    """The inverse of ``vision_name`` (to write a checkpoint in the authors' layout)."""
    if name.startswith("post_layernorm."):
        return "norm." + name.removeprefix("post_layernorm.")
    for theirs, ours in reversed(_VISION_NAMES):
        name = name.replace(ours, theirs)
    return name


def from_checkpoint(state: dict[str, Any]) -> dict[str, Any]:
    """The authors' state dict renamed to ``ImageRewardNet``'s names. The text encoder's
    names are already transformers'; BLIP's projections for retrieval are not used."""
    out = {}
    for name, tensor in state.items():
        if name.startswith("blip.visual_encoder."):
            out["vision." + vision_name(name.removeprefix("blip.visual_encoder."))] = tensor
        elif name.startswith("blip.text_encoder."):
            out["text." + name.removeprefix("blip.text_encoder.")] = tensor
        elif name.startswith("mlp."):
            out[name] = tensor
    return out


def to_checkpoint(net: ImageRewardNet) -> dict[str, torch.Tensor]:
    """``net``'s tensors under the authors' names (the embedded stand-in is saved this way,
    so it loads through the same renaming as the real file)."""
    out = {}
    for name, tensor in net.state_dict().items():
        if name.startswith("vision."):
            out["blip.visual_encoder." + blip_vision_name(name.removeprefix("vision."))] = tensor
        elif name.startswith("text."):
            out["blip.text_encoder." + name.removeprefix("text.")] = tensor
        else:
            out[name] = tensor
    return out


def load_net(state: dict[str, Any], arch: Architecture) -> ImageRewardNet:
    """An ``ImageRewardNet`` holding the checkpoint's tensors; ValueError naming what is
    missing or mis-sized when the file is not an ImageReward checkpoint of this size."""
    net = ImageRewardNet(arch)
    renamed = from_checkpoint(state)
    expected = net.state_dict()
    missing = [n for n in expected if n not in renamed and not n.endswith("position_ids")]
    if missing:
        raise ValueError(f"{len(missing)} of its {len(expected)} tensors are missing (e.g. "
                         f"{missing[0]}): not an ImageReward checkpoint")  # fmt: skip
    wrong = [n for n, t in renamed.items() if n in expected and t.shape != expected[n].shape]
    if wrong:
        raise ValueError(f"{wrong[0]} is {tuple(renamed[wrong[0]].shape)}, ImageReward's is "
                         f"{tuple(expected[wrong[0]].shape)}")  # fmt: skip
    net.load_state_dict({n: t for n, t in renamed.items() if n in expected}, strict=False)
    return net.eval()
