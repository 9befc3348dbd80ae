"""FD-CLIP: the Fréchet distance between a run's images and a reference set in CLIP image
features (Kynkäänniemi et al., ICLR 2023, "The Role of ImageNet Classes in Fréchet Inception
Distance": FID can be moved by matching ImageNet class statistics without the images getting
better; in CLIP's space it cannot). Lower is better.

The same steps and guarantees as FID and FD-DINOv2 (``t2iqa.checks.distribution``): clean
resize to the CLIP's input size, streaming float64 statistics, reference statistics cached by
backbone and model, a bootstrap interval, the model named in every result. Only the feature
space differs (``t2iqa.checks.backbones``: the projected, unnormalised image embedding of any
open_clip model). Not on FID's scale: compare it only with itself, same model, reference, N.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from t2iqa.checks.backbones import DEFAULT_CLIP_BACKBONE
from t2iqa.checks.clip_alignment import CLIP_WEIGHTS
from t2iqa.checks.distribution import FrechetModelDistance
from t2iqa.checks.features import FeatureSpec, backbone_spec
from t2iqa.checks.options import NonNegativeInt, PositiveInt


class FrechetClipDistanceMetric(FrechetModelDistance):
    label = "FD-CLIP"
    name = "fd_clip"
    version = "1"
    description = "Frechet distance in CLIP image features to a reference set (lower is better)"
    packages = ("open-clip-torch",)
    weights = (CLIP_WEIGHTS,)
    # Not calibrated here (no real weights or images): ViT-L/14 embeddings have norms near 20,
    # and the distance runs on their squares; set the gate from your own seed-to-seed spread.
    gate_tolerance = 1.0
    embedded_options = MappingProxyType({"model": "embedded"})

    @dataclass(frozen=True)
    class Config:
        reference: str | None = None  # a folder of real images or an .npz of statistics
        model: str = DEFAULT_CLIP_BACKBONE  # open_clip ARCH/TAG, or "embedded" (plumbing only)
        batch_size: PositiveInt = 32
        bootstrap: NonNegativeInt = 20  # resamples for the 95% interval (0: none)

    def feature_spec(self) -> FeatureSpec:
        return backbone_spec("clip", self.config.model, None)
