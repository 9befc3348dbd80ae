"""Object detectors behind one interface, and the one detection pass per image that every
detector-reading check shares (object counts, composition, colours).

A backend is a class with ``backend``, ``default_model``, ``load(source, device, key)`` and
``detect(image, nouns, floor) -> [Detection]``, plus one line in ``BACKENDS``:

- ``owl`` (default): OWLv2 / OWL-ViT, open vocabulary (any noun);
- ``mask2former``: COCO instance segmentation, GenEval's detector family, with masks;
- ``yolo``: an ultralytics model (COCO classes), when ultralytics is installed.

The shared pass: checks ask ``DetectorOptions.detections(item, floor)``. The first asker runs
the detector once on the image for every noun the prompt names, at ``SHARED_FLOOR``; later
askers (another check, another threshold) filter that answer. OWL scores each query against
the image on its own and the closed-vocabulary backends ignore the query, so the filtered
answer is the one a separate call would give.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from PIL import Image

from t2iqa.checks.base import ImageUnderTest, brief
from t2iqa.checks.detections import Detection
from t2iqa.core.errors import T2IQAError, Unavailable
from t2iqa.core.expectations import Expectations
from t2iqa.core.hub import prepare_hub
from t2iqa.core.prefetched import fetch_hint
from t2iqa.core.registry import LazyRegistry

EMBEDDED_DETECTOR = "embedded"
BACKENDS: LazyRegistry[Any] = LazyRegistry({
    "owl": "t2iqa.checks.detectors.owl:OwlDetector",
    "mask2former": "t2iqa.checks.detectors.mask2former:Mask2FormerDetector",
    "yolo": "t2iqa.checks.detectors.yolo:YoloDetector",
})  # fmt: skip
EMBEDDED_BUILDERS = {
    "owl": ("t2iqa.checks.detectors.owl", "embedded-owlv2"),
    "mask2former": ("t2iqa.checks.detectors.mask2former", "embedded-mask2former"),
}
# Detections kept by the shared pass: below every threshold a check uses (object_count's
# 0.3 - 0.05 margin, GenEval's 0.3), so any later asker finds what it needs.
SHARED_FLOOR = 0.1
# Images whose detections are kept: scoring goes check by check over chunks of 16 images
# (t2iqa run and t2iqa check), so two chunks' worth lets every check find the pass.
SHARED_IMAGES = 32


class Detector(Protocol):
    key: str

    def detect(self, image: Image.Image, nouns: list[str], floor: float) -> list[Detection]: ...


def expected_nouns(expect: Expectations) -> list[str]:
    """Every object ``expect`` names: listed, coloured or in a relation, each once."""
    related = (n for r in expect.relations for n in (r.subject, r.object))
    return list(dict.fromkeys([*expect.objects, *expect.colors, *related]))


def detector_nouns(expect: Expectations) -> list[str]:
    """Every noun a detector-reading check may ask about for this prompt (the counted ones
    too), each once."""
    return list(dict.fromkeys([*expect.counts, *expected_nouns(expect)]))


def class_lookup(names: dict[str, int], nouns: Sequence[str], model: str) -> dict[int, str]:
    """Class id -> noun for a closed-vocabulary detector (``names``: its class names), or
    ``Unavailable`` naming the nouns it has no class for."""
    unknown = [n for n in nouns if n not in names]
    if unknown:
        raise Unavailable(
            f"{model} has no class {unknown}; use the open-vocabulary backend (backend=owl)"
        )
    return {names[n]: n for n in nouns}


@functools.cache
def load_detector(
    backend: str, model: str, device: str, trust_weights_file: bool = False
) -> Detector:
    """The named detector, loaded once per process; ``Unavailable`` saying why and what to do
    when it cannot be."""
    from t2iqa.core.devices import pick_device
    from t2iqa.core.paths import default_cache_dir
    from t2iqa.core.tiny_models import quiet_model_libraries

    try:
        dev = pick_device(device, "object_count.device")
    except T2IQAError as exc:
        raise Unavailable(str(exc)) from exc
    cls = BACKENDS[backend]
    source = model or cls.default_model
    if model == EMBEDDED_DETECTOR and backend in EMBEDDED_BUILDERS:
        module, folder = EMBEDDED_BUILDERS[backend]
        build = importlib.import_module(module).build_embedded
        source = str(build(default_cache_dir() / folder))
    # The tiny stand-ins load without a progress bar; a real checkpoint keeps its own.
    quiet = quiet_model_libraries() if model == EMBEDDED_DETECTOR else contextlib.nullcontext()
    source = prepare_hub(source)
    try:
        with quiet:
            if backend == "yolo":
                return cls.load(source, dev, source, trust_weights_file)
            return cls.load(source, dev, model or source)
    except Unavailable:
        raise
    except Exception as exc:  # offline and not cached, unknown id, not a detector folder
        raise Unavailable(
            f"cannot load detector {source}: {brief(exc)}. With no network: "
            f"{fetch_hint('object_count')}; or download it once elsewhere (huggingface-cli "
            f"download {cls.default_model} --local-dir DIR) and pass object_count.model=DIR "
            "(composition.model=DIR likewise)"
        ) from exc


class SharedPass:
    """Detections per (detector, image, prompt nouns), for the images scored last."""

    def __init__(self, size: int = SHARED_IMAGES) -> None:
        self.size = size
        self.passes = 0  # detector calls made, for the speed benchmark
        # (detector, image hash, image object) -> (nouns asked, floor asked, detections,
        # the image: held so that its id is not reused while the entry lives). The object's
        # id joins the hash so that two pictures a caller gave one hash stay apart.
        self._kept: OrderedDict[
            tuple[int, str, int], tuple[frozenset[str], float, list[Detection], Image.Image]
        ]
        self._kept = OrderedDict()
        self._lock = threading.Lock()

    def detections(
        self, detector: Detector, item: ImageUnderTest, nouns: list[str], floor: float
    ) -> list[Detection]:
        key = (id(detector), item.image_hash, id(item.image))
        with self._lock:
            hit = self._kept.get(key)
        if hit is None or not hit[0].issuperset(nouns) or floor < hit[1]:
            asked = list(dict.fromkeys([*nouns, *detector_nouns(item.spec.expect)]))
            lowest = min(floor, SHARED_FLOOR)
            found = detector.detect(item.image, asked, lowest)
            hit = (frozenset(asked), lowest, found, item.image)
            with self._lock:
                self.passes += 1
                self._kept[key] = hit
                while len(self._kept) > self.size:
                    self._kept.popitem(last=False)
        return [d for d in hit[2] if d.label in nouns and d.score >= floor]


SHARED = SharedPass()


@dataclass(frozen=True)
class DetectorOptions:
    """The detector options every detector-reading check shares (its Config's base)."""

    backend: Literal["owl", "mask2former", "yolo"] = "owl"
    # Hub id, local folder or file, or "embedded" (tiny random weights: plumbing only);
    # empty: the backend's default (OWLv2 base ensemble; Mask2Former Swin-S COCO).
    model: str = ""
    device: str = "auto"
    # backend=yolo: load a pickled .pt model (it can run code when loaded). Off by default.
    trust_weights_file: bool = False

    def detector(self) -> Detector:
        """The detector these options name, loaded once per process."""
        return load_detector(self.backend, self.model, self.device, self.trust_weights_file)

    def detections(self, item: ImageUnderTest, nouns: list[str], floor: float) -> list[Detection]:
        """Detections of ``nouns`` scoring ``floor`` or more, from the image's one pass."""
        return SHARED.detections(self.detector(), item, nouns, floor)
