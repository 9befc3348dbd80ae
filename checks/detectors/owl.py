"""OWLv2 / OWL-ViT through transformers: open-vocabulary boxes for any noun, queried as
"a photo of a <noun>"."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from t2iqa.checks.detections import Box, Detection
from t2iqa.core.prefetched import WeightSource

DEFAULT_OWL = "google/owlv2-base-patch16-ensemble"
OWL_WEIGHTS = WeightSource(
    DEFAULT_OWL, "OWLv2 detector (object counts, composition)", ("*.json", "*.txt", "*.safetensors")
)
QUERY_TEMPLATE = "a photo of a {}"


class OwlDetector:
    """OWLv2 / OWL-ViT from a hub id or a local folder."""

    backend = "owl"
    default_model = DEFAULT_OWL

    def __init__(self, model: Any, processor: Any, device: str, key: str) -> None:
        self.model, self.processor, self.device, self.key = model, processor, device, key
        # OWLv2 pads images to a square at the bottom and right; OWL-ViT stretches them.
        self.pads = type(model).__name__.startswith("Owlv2")

    @classmethod
    def load(cls, source: str, device: str, key: str) -> OwlDetector:
        from transformers import AutoProcessor, Owlv2ForObjectDetection, OwlViTForObjectDetection

        owlvit = "owlvit" in source.lower()
        net_cls = OwlViTForObjectDetection if owlvit else Owlv2ForObjectDetection
        net = net_cls.from_pretrained(source).to(device).eval()
        return cls(net, AutoProcessor.from_pretrained(source), device, key)

    def detect(self, image: Image.Image, nouns: Sequence[str], floor: float) -> list[Detection]:
        import torch

        queries = [QUERY_TEMPLATE.format(n) for n in nouns]
        inputs = self.processor(text=[queries], images=image.convert("RGB"), return_tensors="pt")
        with torch.no_grad():
            outputs = self.model(**{k: v.to(self.device) for k, v in inputs.items()})
        logits = outputs.logits[0].float().cpu()  # patches x queries
        boxes = outputs.pred_boxes[0].float().cpu()  # patches x 4, (cx, cy, w, h) in [0, 1]
        scores = torch.sigmoid(logits)
        w, h = image.size
        sx, sy = (max(w, h), max(w, h)) if self.pads else (w, h)
        found = []
        for q, noun in enumerate(nouns):
            for p in torch.nonzero(scores[:, q] >= floor).flatten().tolist():
                box = clip_box(boxes[p].tolist(), sx, sy, w, h)
                if box is not None:
                    found.append(Detection(noun, float(scores[p, q]), box))
        return found


def clip_box(cxcywh: Sequence[float], sx: float, sy: float, w: int, h: int) -> Box | None:
    """A predicted (cx, cy, w, h) box in [0, 1] units as pixels clipped to the image, or None
    when nothing of it is inside: OWLv2 also predicts boxes in the grey padding that squares
    the image, and an object there is not in the picture."""
    cx, cy, bw, bh = cxcywh
    x0, x1 = max(0.0, (cx - bw / 2) * sx), min(float(w), (cx + bw / 2) * sx)
    y0, y1 = max(0.0, (cy - bh / 2) * sy), min(float(h), (cy + bh / 2) * sy)
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


def build_embedded(folder: Path) -> Path:
    """A tiny OWLv2 with seeded random weights and a real processor, for plumbing checks."""
    from t2iqa.core.tiny_models import build_once

    return build_once(folder, _save_tiny_owl)


def _save_tiny_owl(folder: Path) -> None:
    from transformers import (
        CLIPTokenizer,
        Owlv2Config,
        Owlv2ForObjectDetection,
        Owlv2ImageProcessor,
        Owlv2Processor,
    )

    from t2iqa.core.tiny_models import write_clip_tokenizer_files

    config = Owlv2Config(
        text_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
                     "num_attention_heads": 2, "max_position_embeddings": 16},
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
                       "num_attention_heads": 2, "image_size": 64, "patch_size": 16},
        projection_dim=32,
    )  # fmt: skip
    Owlv2ForObjectDetection(config).save_pretrained(folder)
    write_clip_tokenizer_files(folder / "tokenizer")
    tokenizer = CLIPTokenizer.from_pretrained(folder / "tokenizer", model_max_length=16)
    image_processor = Owlv2ImageProcessor(size={"height": 64, "width": 64})
    Owlv2Processor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(folder)
