"""Mask2Former instance segmentation through transformers (COCO's 80 classes): GenEval's
detector family. GenEval scores with mmdetection's Mask2Former Swin-S trained on COCO; the
same architecture on the hub is ``facebook/mask2former-swin-small-coco-instance``.

Each instance comes with its mask, so the colour of an object is read from its own pixels,
not its box's background. Boxes are the masks' bounding boxes, as mmdetection derives them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from t2iqa.checks.detections import Detection, box_pixels
from t2iqa.checks.detectors import class_lookup
from t2iqa.core.nouns import COCO_CLASSES
from t2iqa.core.prefetched import WeightSource

DEFAULT_MASK2FORMER = "facebook/mask2former-swin-small-coco-instance"
MASK2FORMER_WEIGHTS = WeightSource(
    DEFAULT_MASK2FORMER,
    "Mask2Former (the geneval suite's detector)",
    ("*.json", "*.txt", "*.safetensors"),
)


def class_ids(id2label: dict[int, str]) -> dict[str, int]:
    """Noun -> the model's class id. A model of COCO's 80 classes in COCO's order also answers
    to GenEval's names for them ("computer mouse" for "mouse", "tv remote" for "remote")."""
    names = {str(v).lower(): int(k) for k, v in id2label.items()}
    if sorted(names.values()) == list(range(len(COCO_CLASSES))):
        names.update({c: k for k, c in enumerate(COCO_CLASSES)})
    return names


class Mask2FormerDetector:
    backend = "mask2former"
    default_model = DEFAULT_MASK2FORMER

    def __init__(self, model: Any, processor: Any, device: str, key: str) -> None:
        self.model, self.processor, self.device, self.key = model, processor, device, key
        self.names = class_ids(model.config.id2label)

    @classmethod
    def load(cls, source: str, device: str, key: str) -> Mask2FormerDetector:
        from transformers import AutoImageProcessor, Mask2FormerForUniversalSegmentation

        net = Mask2FormerForUniversalSegmentation.from_pretrained(source).to(device).eval()
        return cls(net, AutoImageProcessor.from_pretrained(source), device, key)

    def detect(self, image: Image.Image, nouns: Sequence[str], floor: float) -> list[Detection]:
        import torch

        wanted = class_lookup(self.names, nouns, f"Mask2Former model {self.key} (COCO's 80)")
        inputs = self.processor(images=image.convert("RGB"), return_tensors="pt")
        with torch.no_grad():
            outputs = self.model(**{k: v.to(self.device) for k, v in inputs.items()})
        [found] = self.processor.post_process_instance_segmentation(
            outputs, threshold=floor, target_sizes=[image.size[::-1]], return_binary_maps=True
        )
        masks = found["segmentation"]
        out = []
        for k, info in enumerate(found["segments_info"]):
            label = wanted.get(int(info["label_id"]))
            if label is None or masks is None:
                continue
            detection = from_mask(label, float(info["score"]), masks[k].cpu().numpy() > 0)
            if detection is not None:
                out.append(detection)
        return out


def from_mask(label: str, score: float, mask: np.ndarray) -> Detection | None:
    """A detection whose box is its mask's bounding box (pixel edges, x1/y1 exclusive) and
    whose mask is cropped to that box; None for an empty mask."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not len(rows):
        return None
    box = (float(cols[0]), float(rows[0]), float(cols[-1] + 1), float(rows[-1] + 1))
    x0, y0, x1, y1 = box_pixels(box)
    return Detection(label, score, box, mask=mask[y0:y1, x0:x1].copy())


def build_embedded(folder: Path) -> Path:
    """A tiny Mask2Former (Swin backbone, COCO's 80 class names) with seeded random weights
    and a real image processor, for plumbing checks."""
    from t2iqa.core.tiny_models import build_once

    return build_once(folder, _save_tiny_mask2former)


def _save_tiny_mask2former(folder: Path) -> None:
    from transformers import (
        Mask2FormerConfig,
        Mask2FormerForUniversalSegmentation,
        Mask2FormerImageProcessor,
        SwinConfig,
    )

    backbone = SwinConfig(image_size=64, patch_size=4, embed_dim=16, depths=[1, 1, 1, 1],
                          num_heads=[1, 1, 1, 1], window_size=4,
                          out_features=["stage1", "stage2", "stage3", "stage4"])  # fmt: skip
    config = Mask2FormerConfig(
        backbone_config=backbone, feature_size=32, mask_feature_size=32, hidden_dim=32,
        encoder_feedforward_dim=64, dim_feedforward=64, encoder_layers=1, decoder_layers=2,
        num_attention_heads=2, num_queries=8, num_labels=len(COCO_CLASSES),
        id2label=dict(enumerate(COCO_CLASSES)), label2id={c: k for k, c in enumerate(COCO_CLASSES)},
    )  # fmt: skip
    Mask2FormerForUniversalSegmentation(config).save_pretrained(folder)
    processor = Mask2FormerImageProcessor(size={"shortest_edge": 64, "longest_edge": 64},
                                          size_divisor=32)  # fmt: skip
    processor.save_pretrained(folder)
