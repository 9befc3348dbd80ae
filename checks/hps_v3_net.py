"""HPSv3's network (Ma et al., ICCV 2025, "HPSv3: Towards Wide-Spectrum Human Preference
Score") on transformers' Qwen2-VL, and the renaming that reads the authors' checkpoint into it.

HPSv3 is Qwen2-VL-7B-Instruct fine-tuned with a three-layer head (``rm_head``) on the last
hidden state of a ``<|Reward|>`` token placed after its rating instruction; the head predicts
the mean and spread of people's preference, and the mean is the score. As in the authors'
model, the text positions are sequential (the checkpoint was trained so), not Qwen2-VL's
3-D image positions. Imported only when an HPSv3 model is loaded (it imports torch).
"""

from __future__ import annotations

import re
from typing import Any

import torch
from torch import nn

# The authors' checkpoint comes from transformers 4.45, whose Qwen2-VL kept the image tower
# at "visual." and the language model at "model."; transformers 5 nests both under "model.".
_RENAMES = (
    (re.compile(r"^(model\.)?visual\."), "backbone.visual."),
    (re.compile(r"^model\.language_model\."), "backbone.language_model."),
    (re.compile(r"^model\.(?!visual\.|language_model\.)"), "backbone.language_model."),
    (re.compile(r"^rm_head\."), "rm_head."),
)


class HpsV3Net(nn.Module):
    def __init__(self, backbone: Any) -> None:
        """``backbone``: a transformers ``Qwen2VLModel``."""
        super().__init__()
        self.backbone = backbone
        width = backbone.config.text_config.hidden_size
        self.rm_head = nn.Sequential(
            nn.Linear(width, 1024), nn.ReLU(), nn.Dropout(0.05), nn.Linear(1024, 16), nn.ReLU(),
            nn.Linear(16, 2),
        )  # fmt: skip

    def forward(self, batch: dict[str, torch.Tensor], reward_token_id: int) -> torch.Tensor:
        """The predicted preference (the head's mean) of each row of a processor batch; each
        row holds one image and one reward token."""
        ids = batch["input_ids"]
        embeds = self.backbone.get_input_embeddings()(ids)
        pixels = batch["pixel_values"].to(self.backbone.visual.dtype)
        image = self.backbone.get_image_features(pixels, batch["image_grid_thw"]).pooler_output
        image = torch.cat(list(image), dim=0).to(embeds)
        where = (ids == self.backbone.config.image_token_id).unsqueeze(-1).expand_as(embeds)
        if int(where.sum()) != image.numel():
            raise ValueError("the image features do not fill the image tokens")
        embeds = embeds.masked_scatter(where, image)
        hidden = self.backbone.language_model(
            inputs_embeds=embeds, attention_mask=batch["attention_mask"]
        ).last_hidden_state  # position_ids None: sequential, as HPSv3 was trained
        marked = ids == reward_token_id
        if not bool((marked.sum(-1) == 1).all()):
            raise ValueError("each row must hold exactly one reward token")
        return self.rm_head(hidden[marked].float())[:, 0]


def from_checkpoint(state: dict[str, Any]) -> dict[str, Any]:
    """The authors' tensors under ``HpsV3Net``'s names (the unused language head dropped)."""
    out = {}
    for name, tensor in state.items():
        for pattern, ours in _RENAMES:
            if pattern.match(name):
                out[pattern.sub(ours, name, count=1)] = tensor
                break
    return out


def to_checkpoint(net: HpsV3Net) -> dict[str, torch.Tensor]:
    """``net``'s tensors under the authors' (transformers 4.45) names, as the embedded
    stand-in is saved, so it loads through the same renaming as the real file."""
    out = {}
    for name, tensor in net.state_dict().items():
        name = name.replace("backbone.visual.", "visual.", 1)
        out[name.replace("backbone.language_model.", "model.", 1)] = tensor.contiguous()
    return out


def load_net(state: dict[str, Any], config: Any) -> HpsV3Net:
    """An ``HpsV3Net`` holding the checkpoint's tensors, in the checkpoint's dtype (the
    backbone is built by transformers from them, never from random weights first);
    ValueError naming what is missing or mis-sized."""
    from transformers import Qwen2VLModel

    renamed = from_checkpoint(state)
    backbone = {k.removeprefix("backbone."): v for k, v in renamed.items()
                if k.startswith("backbone.")}  # fmt: skip
    head = {k.removeprefix("rm_head."): v for k, v in renamed.items() if k.startswith("rm_head.")}
    if not backbone or not head:
        raise ValueError("it holds no Qwen2-VL and reward-head tensors: not an HPSv3 checkpoint")
    dtype = next(iter(backbone.values())).dtype
    try:
        model, info = Qwen2VLModel.from_pretrained(
            None, config=config, state_dict=backbone, dtype=dtype, output_loading_info=True
        )
    except RuntimeError as exc:  # a size that does not fit the base model's config
        raise ValueError(str(exc).strip().splitlines()[0]) from None
    if gaps := [*info.get("missing_keys", []), *info.get("mismatched_keys", [])]:
        raise ValueError(f"{len(gaps)} of the base model's tensors are missing or mis-sized "
                         f"(e.g. {gaps[0]}): not an HPSv3 checkpoint for this base "
                         "model")  # fmt: skip
    net = HpsV3Net(model)
    try:
        net.rm_head.load_state_dict({k: v.float() for k, v in head.items()})
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise ValueError(f"its reward head does not fit HPSv3's: {first}") from None
    return net.eval()  # the head stays float32 under a bfloat16 backbone, as the authors'
