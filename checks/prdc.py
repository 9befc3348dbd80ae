"""Precision, recall, density and coverage (Naeem et al., ICML 2020, "Reliable Fidelity and
Diversity Metrics for Generative Models") of a run's images against a reference set, in a
named feature space: DINOv2 by default (as dgm-eval), Inception, or the embedded stand-in.

Each real and each generated image gets a ball reaching its k-th nearest neighbour in its own
set (k = 5, the paper's choice). Precision: the share of generated images inside some real
ball (fidelity). Recall: the share of real images inside some generated ball (diversity).
Density: how many real balls hold each generated image, over k, averaged (fidelity that
outliers do not inflate). Coverage: the share of real balls holding a generated image
(diversity that outliers do not inflate). All four: higher is better; density may pass 1.

Steps as clean-fid's: features (``t2iqa.checks.distribution``'s extractors and reference
cache) -> radii -> membership -> the four numbers; each a small function on arrays. The 95%
interval resamples the generated images (the real radii held fixed; the generated radii of
recall held at the full set's, since a resample's duplicates would have no radius).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, Literal

import numpy as np

from t2iqa.checks.backbones import DINOV2_WEIGHTS, EMBEDDED_DINOV2
from t2iqa.checks.distribution import _FeatureMetric
from t2iqa.checks.features import FeatureSpec, backbone_spec
from t2iqa.checks.options import NonNegativeInt, PositiveInt
from t2iqa.core.errors import Unavailable
from t2iqa.core.results import SetResult

NAMES = ("precision", "recall", "density", "coverage")
CHUNK = 2048  # rows of a distance matrix computed at once (2048 x N float64)
# Up to this many (real x generated) pairs, the membership matrices are kept for the interval.
INTERVAL_PAIRS = 25_000_000


def distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Euclidean distances between the rows of ``x`` and of ``y``, in float64."""
    sq = (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2.0 * x @ y.T
    return np.sqrt(np.maximum(sq, 0.0))


def _chunks(x: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    for start in range(0, len(x), CHUNK):
        yield start, x[start : start + CHUNK]


def radii(x: np.ndarray, k: int) -> np.ndarray:
    """Each row's distance to its k-th nearest other row."""
    if len(x) <= k:
        raise Unavailable(f"PRDC with k={k} needs more than {k} images in each set")
    out = np.empty(len(x))
    for start, part in _chunks(x):
        d = distances(part, x)
        out[start : start + len(part)] = np.partition(d, k, axis=1)[:, k]  # [0] is itself
    return out


@dataclass(frozen=True)
class Membership:
    """Which generated images lie in which real balls (``in_real``: real x generated) and
    which real images lie in which generated balls (``in_fake``)."""

    in_real: np.ndarray
    in_fake: np.ndarray
    k: int

    @classmethod
    def of(cls, real: np.ndarray, fake: np.ndarray, k: int) -> Membership:
        r_real, r_fake = radii(real, k), radii(fake, k)
        in_real = np.empty((len(real), len(fake)), dtype=bool)
        in_fake = np.empty_like(in_real)
        for start, part in _chunks(real):
            d = distances(part, fake)
            in_real[start : start + len(part)] = d < r_real[start : start + len(part), None]
            in_fake[start : start + len(part)] = d < r_fake[None, :]
        return cls(in_real, in_fake, k)

    def values(self, weights: np.ndarray | None = None) -> dict[str, float]:
        """The four numbers; ``weights``: how often each generated image is drawn (a
        bootstrap resample), None for the set itself."""
        w = np.ones(self.in_real.shape[1]) if weights is None else weights
        present = w > 0
        counts = self.in_real.sum(axis=0)
        return {
            "precision": float((counts > 0) @ w / w.sum()),
            "recall": float(self.in_fake[:, present].any(axis=1).mean()),
            "density": float(counts @ w / (self.k * w.sum())),
            "coverage": float(self.in_real[:, present].any(axis=1).mean()),
        }


def prdc(real: np.ndarray, fake: np.ndarray, k: int = 5) -> dict[str, float]:
    """Naeem et al.'s four numbers of ``fake`` against ``real`` (rows are features)."""
    return Membership.of(real, fake, k).values()


def bootstrap(member: Membership, replicates: int, seed: int = 0) -> dict[str, tuple[float, float]]:
    """95% percentile intervals over resamples of the generated images."""
    n = member.in_real.shape[1]
    rng = np.random.default_rng(seed)
    draws = [member.values(rng.multinomial(n, np.full(n, 1.0 / n)).astype(float))
             for _ in range(replicates)]  # fmt: skip
    return {name: tuple(np.percentile([d[name] for d in draws], [2.5, 97.5]))  # type: ignore[misc]
            for name in NAMES}  # fmt: skip


class _PrdcMetric(_FeatureMetric):
    """One of the four numbers; all four share features and the computation."""

    key: ClassVar[str]
    higher_is_better = True
    gate_tolerance = 0.02
    packages = ("transformers",)
    weights = (DINOV2_WEIGHTS,)
    embedded_options = MappingProxyType({"model": EMBEDDED_DINOV2, "backbone": "dinov2"})
    comparable_details = ("feature_extractor", "model", "resolution", "reference", "reference_n",
                          "k")  # fmt: skip
    extractor_detail = "feature_extractor"
    _last: ClassVar[dict[str, Any]] = {}  # the last computation, shared by the four

    @dataclass(frozen=True)
    class Config:
        reference: str | None = None  # a folder of real images or an .npz with features
        backbone: Literal["dinov2", "inception", "clip", "embedded"] = "dinov2"
        # DINOv2: hub id, local folder or "embedded"; CLIP: ARCH/TAG or "embedded"; None:
        # the backbone's default (facebook/dinov2-large, ViT-L-14/openai)
        model: str | None = None
        inception_weights: str | None = None
        k: PositiveInt = 5  # nearest neighbours (Naeem et al.'s choice)
        batch_size: PositiveInt = 32
        bootstrap: NonNegativeInt = 20

    def feature_spec(self) -> FeatureSpec:
        c = self.config
        return backbone_spec(c.backbone, c.model, c.inception_weights)

    def provenance(self, ref: Any) -> dict[str, Any]:
        spec = self.feature_spec()
        model = spec.weights if spec.extractor in ("dinov2", "clip") else spec.extractor
        return {**super().provenance(ref), "model": model, "k": self.config.k}

    def compute(self) -> SetResult:
        ref = self.reference()
        if ref.features is None:
            raise Unavailable(f"{self.name} needs the reference's features; {ref.name} holds "
                              "only mu and sigma (use a folder of images)")  # fmt: skip
        fake = self.spool.all_rows().astype(np.float64)
        token = (self.feature_spec(), ref.name, len(fake), float(fake.sum()), self.config.k,
                 self.config.bootstrap)  # fmt: skip
        if _PrdcMetric._last.get("token") != token:
            member = Membership.of(ref.features.astype(np.float64), fake, self.config.k)
            pairs = member.in_real.size
            ci = bootstrap(member, self.config.bootstrap) if (
                self.config.bootstrap and pairs <= INTERVAL_PAIRS) else {}  # fmt: skip
            _PrdcMetric._last = {"token": token, "values": member.values(), "ci": ci}
        values, ci = _PrdcMetric._last["values"], _PrdcMetric._last["ci"]
        low, high = ci.get(self.key, (None, None))
        details = {**self.provenance(ref), **{f"all_{k}": v for k, v in values.items()}}
        if len(fake) < 1000:
            details["warning"] = (f"{self.name} on {len(fake)} images: Naeem et al. use 10,000 "
                                  "a side; with few images the balls are wide and the numbers "
                                  "coarse")  # fmt: skip
        return SetResult(self.name, values[self.key], len(fake), low, high, details)


class PrecisionMetric(_PrdcMetric):
    key = name = "precision"
    version = "1"
    description = "Precision (Naeem et al. 2020): generated images inside the real manifold"


class RecallMetric(_PrdcMetric):
    key = name = "recall"
    version = "1"
    description = "Recall (Naeem et al. 2020): real images inside the generated manifold"


class DensityMetric(_PrdcMetric):
    key = name = "density"
    version = "1"
    description = "Density (Naeem et al. 2020): real neighbourhoods around each generated image"


class CoverageMetric(_PrdcMetric):
    key = name = "coverage"
    version = "1"
    description = "Coverage (Naeem et al. 2020): real neighbourhoods holding a generated image"
