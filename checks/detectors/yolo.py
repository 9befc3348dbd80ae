"""An ultralytics YOLO model (COCO classes by default): counts only nouns among its class
names."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from t2iqa.checks.base import remember_failure
from t2iqa.checks.detections import Detection
from t2iqa.checks.detectors import class_lookup
from t2iqa.core.errors import Unavailable


class YoloDetector:
    backend = "yolo"
    default_model = "yolov8n.onnx"

    def __init__(self, model: Any, key: str) -> None:
        self.model, self.key = model, key
        self.names = {str(v).lower(): int(k) for k, v in model.names.items()}

    @classmethod
    def load(cls, source: str, device: str, key: str, trusted: bool = False) -> YoloDetector:
        refuse_pickled_yolo(source, trusted)
        try:
            from ultralytics import YOLO
        except ImportError as exc:
            raise Unavailable("backend=yolo needs ultralytics: pip install ultralytics") from exc
        return cls(YOLO(source), key)

    def detect(self, image: Image.Image, nouns: Sequence[str], floor: float) -> list[Detection]:
        wanted = class_lookup(self.names, nouns, f"YOLO model {self.key}")
        result = self.model.predict(np.asarray(image.convert("RGB")), conf=floor, verbose=False)[0]
        out = []
        for cls, conf, xyxy in zip(result.boxes.cls.tolist(), result.boxes.conf.tolist(),
                                   result.boxes.xyxy.tolist(), strict=True):  # fmt: skip
            if int(cls) in wanted:
                out.append(Detection(wanted[int(cls)], float(conf), tuple(xyxy)))
        return out


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
