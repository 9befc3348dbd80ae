"""Object counting: does the image show as many of each object as the prompt asks for?

Expected counts come from the PromptSpec (``expect.counts``), which parses them from the
prompt when a suite does not state them ("three red apples", "2 cats and a dog").

Detectors sit behind one small interface (``detect(image, nouns) -> [Detection]``):

- ``owl`` (default): an open-vocabulary detector through transformers (OWLv2 or OWL-ViT; the
  default is ``google/owlv2-base-patch16-ensemble``), queried with "a photo of a <noun>".
- ``yolo``: an ultralytics YOLO model (COCO classes), when ultralytics is installed.

Per noun: detections at or above ``min_score`` after per-noun NMS (``nms_iou``) are counted.
GenEval's rule, "at least N found and not N+1", passes when the count is exactly N. A noun
whose verdict would change if the threshold moved by ``margin`` is flagged low-confidence.
Scores, threshold and NMS settings are saved with each result.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import torch
from PIL import Image

from t2iqa.checks.base import Check, ImageUnderTest, brief, remember_failure
from t2iqa.checks.detections import Detection
from t2iqa.checks.options import Fraction
from t2iqa.core.devices import pick_device
from t2iqa.core.errors import T2IQAError, Unavailable
from t2iqa.core.prompts import PromptSpec
from t2iqa.core.results import OK, UNAVAILABLE, CheckResult

DEFAULT_OWL = "google/owlv2-base-patch16-ensemble"
EMBEDDED_DETECTOR = "embedded"
QUERY_TEMPLATE = "a photo of a {}"


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def nms(detections: Sequence[Detection], iou_threshold: float) -> list[Detection]:
    """Greedy non-maximum suppression within each label (1.0 keeps everything)."""
    kept: list[Detection] = []
    for det in sorted(detections, key=lambda d: -d.score):
        if all(k.label != det.label or iou(k.box, det.box) <= iou_threshold for k in kept):
            kept.append(det)
    return kept


@dataclass(frozen=True)
class NounCount:
    noun: str
    expected: int
    found: int
    passed: bool  # GenEval: at least N and not N+1, i.e. exactly N
    low_confidence: bool
    scores: list[float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "noun": self.noun, "expected": self.expected, "found": self.found,
            "passed": self.passed, "at_least": self.found >= self.expected,
            "low_confidence": self.low_confidence, "scores": [round(s, 4) for s in self.scores],
        }  # fmt: skip


def count_objects(
    expected: dict[str, int],
    detections: Sequence[Detection],
    min_score: float,
    nms_iou: float,
    margin: float,
) -> list[NounCount]:
    """The counting rule on given detections, per expected noun."""
    kept = nms([d for d in detections if d.score >= min_score - margin], nms_iou)
    out = []
    for noun, n in expected.items():
        scores = sorted((d.score for d in kept if d.label == noun), reverse=True)
        found = sum(s >= min_score for s in scores)
        strict = sum(s >= min_score + margin for s in scores)
        loose = len(scores)  # everything at or above min_score - margin
        passed = found == n
        low = margin > 0 and ((strict == n) != passed or (loose == n) != passed)
        out.append(NounCount(noun, n, found, passed, low, scores[: max(found, n) + 2]))
    return out


# ---------------------------------------------------------------- detectors


class OwlDetector:
    """OWLv2 / OWL-ViT through transformers, from a hub id or a local folder."""

    def __init__(self, model: Any, processor: Any, device: str, key: str) -> None:
        self.model, self.processor, self.device, self.key = model, processor, device, key
        # OWLv2 pads images to a square at the bottom and right; OWL-ViT stretches them.
        self.pads = type(model).__name__.startswith("Owlv2")

    @torch.no_grad()
    def detect(self, image: Image.Image, nouns: Sequence[str], floor: float) -> list[Detection]:
        queries = [QUERY_TEMPLATE.format(n) for n in nouns]
        inputs = self.processor(text=[queries], images=image.convert("RGB"), return_tensors="pt")
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


def clip_box(
    cxcywh: Sequence[float], sx: float, sy: float, w: int, h: int
) -> tuple[float, float, float, float] | None:
    """A predicted (cx, cy, w, h) box in [0, 1] units as pixels clipped to the image, or None
    when nothing of it is inside: OWLv2 also predicts boxes in the grey padding that squares
    the image, and an object there is not in the picture."""
    cx, cy, bw, bh = cxcywh
    x0, x1 = max(0.0, (cx - bw / 2) * sx), min(float(w), (cx + bw / 2) * sx)
    y0, y1 = max(0.0, (cy - bh / 2) * sy), min(float(h), (cy + bh / 2) * sy)
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


class YoloDetector:
    """An ultralytics YOLO model; counts only nouns among its class names (COCO by default)."""

    def __init__(self, model: Any, key: str) -> None:
        self.model, self.key = model, key
        self.names = {str(v).lower(): int(k) for k, v in model.names.items()}

    def detect(self, image: Image.Image, nouns: Sequence[str], floor: float) -> list[Detection]:
        unknown = [n for n in nouns if n not in self.names]
        if unknown:
            raise Unavailable(
                f"YOLO model {self.key} has no class {unknown}; use the open-vocabulary "
                "backend (backend=owl)"
            )
        result = self.model.predict(np.asarray(image.convert("RGB")), conf=floor, verbose=False)[0]
        wanted = {self.names[n]: n for n in nouns}
        out = []
        for cls, conf, xyxy in zip(result.boxes.cls.tolist(), result.boxes.conf.tolist(),
                                   result.boxes.xyxy.tolist(), strict=True):  # fmt: skip
            if int(cls) in wanted:
                out.append(Detection(wanted[int(cls)], float(conf), tuple(xyxy)))
        return out


def build_embedded_owl(folder: Path) -> Path:
    """A tiny OWLv2 with seeded random weights and a real processor, for plumbing checks."""
    from transformers import (
        CLIPTokenizer,
        Owlv2Config,
        Owlv2ForObjectDetection,
        Owlv2ImageProcessor,
        Owlv2Processor,
    )

    from t2iqa.core.tiny_models import quiet_model_libraries, write_clip_tokenizer_files

    if (folder / "config.json").is_file():
        return folder
    tmp = folder.with_name(folder.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    config = Owlv2Config(
        text_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
                     "num_attention_heads": 2, "max_position_embeddings": 16},
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
                       "num_attention_heads": 2, "image_size": 64, "patch_size": 16},
        projection_dim=32,
    )  # fmt: skip
    with quiet_model_libraries():
        Owlv2ForObjectDetection(config).save_pretrained(tmp)
        write_clip_tokenizer_files(tmp / "tokenizer")
        tokenizer = CLIPTokenizer.from_pretrained(tmp / "tokenizer", model_max_length=16)
        image_processor = Owlv2ImageProcessor(size={"height": 64, "width": 64})
        Owlv2Processor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(tmp)
    tmp.replace(folder)
    return folder


@remember_failure
def refuse_pickled_yolo(model: str, trusted: bool) -> None:
    """ultralytics loads a ``.pt`` model with ``torch.load(weights_only=False)``: a crafted
    file runs code. Such files load only when the user vouches for them; exported formats
    (ONNX, TensorRT, TFLite) hold no code and need no vouching."""
    if Path(model).suffix.lower() in (".pt", ".pth") and not trusted:
        raise Unavailable(
            f"refused to load {model}: YOLO .pt files are Python pickles that ultralytics "
            "loads with code execution enabled. Export it to ONNX (`yolo export "
            f"model={model} format=onnx`) and pass the .onnx file, or set "
            "object_count.trust_weights_file=true for a file whose origin you trust"
        )


@functools.cache
def load_detector(
    backend: str, model: str, device: str, trust_weights_file: bool = False
) -> OwlDetector | YoloDetector:
    try:
        dev = pick_device(device, "object_count.device")
    except T2IQAError as exc:
        raise Unavailable(str(exc)) from exc
    if backend == "yolo":
        refuse_pickled_yolo(model, trust_weights_file)
        try:
            from ultralytics import YOLO
        except ImportError as exc:
            raise Unavailable("backend=yolo needs ultralytics: pip install ultralytics") from exc
        try:
            return YoloDetector(YOLO(model), model)
        except Exception as exc:
            raise Unavailable(f"cannot load YOLO model {model}: {exc}") from exc
    from transformers import AutoProcessor, Owlv2ForObjectDetection, OwlViTForObjectDetection

    from t2iqa.core.paths import default_cache_dir
    from t2iqa.core.tiny_models import quiet_model_libraries

    source = model
    if model == EMBEDDED_DETECTOR:
        source = str(build_embedded_owl(default_cache_dir() / "embedded-owlv2"))
    cls = OwlViTForObjectDetection if "owlvit" in source.lower() else Owlv2ForObjectDetection
    # The tiny stand-in loads without a progress bar; a real checkpoint keeps its own.
    quiet = quiet_model_libraries() if model == EMBEDDED_DETECTOR else contextlib.nullcontext()
    try:
        with quiet:
            net = cls.from_pretrained(source).to(dev).eval()
            processor = AutoProcessor.from_pretrained(source)
    except Exception as exc:  # offline and not cached, unknown id, not a detector folder
        raise Unavailable(
            f"cannot load detector {model}: {brief(exc)}. With no "
            "network, download it once elsewhere (huggingface-cli download "
            f"{DEFAULT_OWL} --local-dir DIR) and pass object_count.model=DIR"
        ) from exc
    return OwlDetector(net, processor, dev, model)


@dataclass(frozen=True)
class DetectorOptions:
    """The detector options every detector-reading check shares (its Config's base)."""

    backend: Literal["owl", "yolo"] = "owl"  # OWLv2 / OWL-ViT, or ultralytics
    model: str = DEFAULT_OWL  # hub id, local folder / file, or "embedded" (plumbing)
    device: str = "auto"
    # backend=yolo: load a pickled .pt model (it can run code when loaded). Off by default.
    trust_weights_file: bool = False

    def detector(self) -> OwlDetector | YoloDetector:
        """The detector these options name, loaded once per process."""
        return load_detector(self.backend, self.model, self.device, self.trust_weights_file)


# ---------------------------------------------------------------- the check


class ObjectCountCheck(Check):
    name = "object_count"
    verifies_expectations = True
    version = "1"
    description = "counts of the objects the prompt asks for, with an object detector"
    packages = ("transformers",)
    embedded_options = MappingProxyType({"model": "embedded"})
    not_applicable_reason = "the prompt asks for no counted objects"

    @dataclass(frozen=True)
    class Config(DetectorOptions):
        min_score: Fraction = 0.3  # detections counted at or above this score
        nms_iou: Fraction = 0.5  # boxes of one noun overlapping more than this are one object
        margin: Fraction = 0.05  # verdicts that flip within +-margin are flagged low-confidence

    def applies(self, spec: PromptSpec) -> bool:
        return bool(spec.expect.counts)

    def check(self, item: ImageUnderTest) -> CheckResult:
        cfg = self.config
        try:
            detector = cfg.detector()
            nouns = list(item.spec.expect.counts)
            detections = detector.detect(item.image, nouns, max(0.0, cfg.min_score - cfg.margin))
        except Unavailable as exc:
            return self.result(UNAVAILABLE, None, None, str(exc))
        return self.judge(item.spec.expect.counts, detections, detector.key)

    def judge(
        self, expected: dict[str, int], detections: Sequence[Detection], model: str = ""
    ) -> CheckResult:
        cfg = self.config
        counts = count_objects(expected, detections, cfg.min_score, cfg.nms_iou, cfg.margin)
        kept = nms([d for d in detections if d.score >= cfg.min_score], cfg.nms_iou)
        details = {
            "nouns": [c.to_dict() for c in counts],
            "detections": [d.to_dict() for d in kept],
            "settings": {"model": model, "backend": cfg.backend, "min_score": cfg.min_score,
                         "nms_iou": cfg.nms_iou, "margin": cfg.margin},
            "overlay": [{"kind": "box", "box": list(d.box), "label": f"{d.label} {d.score:.2f}",
                         "ok": next(c.passed for c in counts if c.noun == d.label)}
                        for d in kept],
        }  # fmt: skip
        parts = []
        for c in counts:
            flag = " (low confidence)" if c.low_confidence else ""
            mark = "ok" if c.passed else "wrong"
            parts.append(f"{c.noun}: expected {c.expected}, found {c.found} [{mark}]{flag}")
        reason = "; ".join(parts)
        score = sum(c.passed for c in counts) / len(counts) if counts else 0.0
        details["low_confidence"] = any(c.low_confidence for c in counts)
        if all(c.passed for c in counts):
            return self.result(OK, True, score, reason, **details)
        return self.result("wrong_count", False, score, reason, **details)
