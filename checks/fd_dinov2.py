"""FD-DINOv2: the Fréchet distance between a run's images and a reference set in DINOv2
ViT-L/14 features (Stein et al., NeurIPS 2023, "Exposing flaws of generative model evaluation
metrics"; their dgm-eval computes it). Lower is better.

The same steps and guarantees as FID (``t2iqa.checks.distribution``): clean resize (PIL bicubic,
to 224x224), streaming float64 statistics with memory constant in N, reference statistics
cached by backbone and model, a bootstrap interval, the backbone named in every result. Only
the feature space differs (``t2iqa.checks.backbones``). Values are not on FID's scale: they
run to hundreds for close sets, so compare FD-DINOv2 only with FD-DINOv2 of the same model,
reference and N.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from t2iqa.checks.backbones import DEFAULT_DINOV2, DINOV2_SIZE, DINOV2_WEIGHTS, EMBEDDED_DINOV2
from t2iqa.checks.distribution import FrechetModelDistance
from t2iqa.checks.features import FeatureSpec
from t2iqa.checks.options import NonNegativeInt, PositiveInt


class FrechetDinoDistanceMetric(FrechetModelDistance):
    label = "FD-DINOv2"
    name = "fd_dinov2"
    version = "1"
    description = (
        "Frechet distance in DINOv2 ViT-L/14 features to a reference set (lower is better)"
    )
    packages = ("transformers",)
    weights = (DINOV2_WEIGHTS,)
    # Seed-to-seed spread of FD-DINOv2 at a few thousand images is a few tens of points
    # (it runs about 10-30x FID's values); 20 keeps the gate from firing on noise.
    gate_tolerance = 20.0
    embedded_options = MappingProxyType({"model": EMBEDDED_DINOV2})

    @dataclass(frozen=True)
    class Config:
        reference: str | None = None  # a folder of real images or an .npz of statistics
        # A hub id (facebook/dinov2-large: ViT-L/14; facebook/dinov2-base: ViT-B/14), a local
        # folder, or "embedded" (tiny random weights: plumbing only).
        model: str = DEFAULT_DINOV2
        resize_mode: Literal["clean"] = "clean"  # PIL bicubic, as dgm-eval
        resolution: PositiveInt = DINOV2_SIZE
        batch_size: PositiveInt = 32
        bootstrap: NonNegativeInt = 20  # resamples for the 95% interval (0: none)

    def feature_spec(self) -> FeatureSpec:
        c = self.config
        return FeatureSpec("dinov2", c.resize_mode, c.resolution, c.model)
