"""Distribution metrics of a set of images against a reference set: FID, KID, CMMD.

Each step is a small function, as in clean-fid: resize -> features -> statistics (those three,
and the reference statistics, in ``t2iqa.checks.features``) -> distance.

- Features. FID and KID use the standard Inception-v3 (torch-fidelity's port, which
  torchmetrics uses; weights downloaded on first use, or a local file through
  ``inception_weights``). CMMD uses CLIP image embeddings, shared with ``clip_alignment``.
  ``feature_extractor="embedded"`` is a tiny seeded random CNN for plumbing checks only.
- Resize. ``clean`` (default): PIL bicubic on each channel in float, as clean-fid does, to
  299x299; ``legacy``: the extractor's own bilinear resize (the original TF FID behaviour).
  The mode is recorded with every result: numbers from different modes are not comparable.
- Statistics. Streaming float64 sums (count, sum, sum of outer products), so memory does
  not grow with N; features are also spooled to a temporary file for the bootstrap interval.
- Reference statistics come from a folder of real images or a saved ``.npz`` (``mu``,
  ``sigma``, optionally ``features``), cached by (reference, extractor, resize mode,
  resolution) under the t2iqa cache.

Every metric reports N and a 95% bootstrap interval (resampling the generated images), and
warns when N is too small to mean much. The distances and intervals themselves are plain
functions on arrays in ``t2iqa.checks.distances``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import torch
from PIL import Image

from t2iqa.checks.base import SetMetric
from t2iqa.checks.clip_alignment import CLIP_WEIGHTS
from t2iqa.checks.distances import (
    CMMD_SCALE,
    CMMD_SIGMA,
    FrechetTarget,
    bootstrap_fid,
    bootstrap_rows,
    cmmd,
    frechet_to_target,
    kid,
)
from t2iqa.checks.features import (
    INCEPTION_SIZE,
    INCEPTION_WEIGHTS,
    LAST_BATCH,
    FeatureExtractor,
    FeatureSpec,
    FeatureSpool,
    Reference,
    backbone_spec,
    feature_extractor,
    load_reference_npz,
    reference_from_folder,
)
from t2iqa.checks.options import NonNegativeInt, PositiveInt
from t2iqa.core.errors import Unavailable
from t2iqa.core.results import SetResult

FID_MIN_RELIABLE = 2048  # below this FID is dominated by its bias (Chong & Forsyth 2020)


# ---------------------------------------------------------------- the set metrics


def _small_n_warning(metric: str, n: int, reliable: int) -> str | None:
    if n >= reliable:
        return None
    return (
        f"{metric} on {n} images: below {reliable} the estimate is dominated by its bias and "
        "variance; compare runs only with the same N, and read the interval"
    )


class _FeatureMetric(SetMetric):
    """Shared feature handling of the metrics on extracted features (FID, KID, FD-DINOv2, PRDC)."""

    packages = ("torchmetrics",)
    weights = (INCEPTION_WEIGHTS,)
    embedded_options = MappingProxyType({"feature_extractor": "embedded"})
    comparable_details = ("feature_extractor", "resize_mode", "resolution", "reference",
                          "reference_n")  # fmt: skip

    @dataclass(frozen=True)
    class Config:
        reference: str | None = None  # a folder of real images or an .npz of statistics
        feature_extractor: Literal["inception", "embedded"] = "inception"  # embedded: plumbing
        inception_weights: str | None = None  # a local weights-inception-2015-12-05 file
        # "clean": PIL bicubic, as clean-fid; "legacy": the extractor's own resize
        resize_mode: Literal["clean", "legacy"] = "clean"
        resolution: PositiveInt = INCEPTION_SIZE
        batch_size: PositiveInt = 32
        bootstrap: NonNegativeInt = 20  # resamples for the 95% interval (0: none)

    def reset(self) -> None:
        self.spool = FeatureSpool()

    def feature_spec(self) -> FeatureSpec:
        c = self.config
        return FeatureSpec(c.feature_extractor, c.resize_mode, c.resolution, c.inception_weights)

    def extractor(self) -> FeatureExtractor:
        return feature_extractor(self.feature_spec())

    def update(self, items: Sequence[Any]) -> None:
        if items:
            self.spool.add(LAST_BATCH.get(self.feature_spec(), items, self.config.batch_size))

    def reference(self) -> Reference:
        ref = self.config.reference
        if not ref:
            raise Unavailable(
                f"{self.name} needs a reference: --set-option {self.name}.reference=DIR "
                "(a folder of real images) or an .npz of statistics"
            )
        path = Path(ref)
        if path.suffix == ".npz":
            return load_reference_npz(path)
        if not path.is_dir():
            raise Unavailable(f"{self.name} reference {path} is neither a folder nor .npz")
        from t2iqa.core.paths import default_cache_dir

        return reference_from_folder(
            path, self.extractor(), self.feature_spec().key(), default_cache_dir(),
            self.config.batch_size,
        )  # fmt: skip

    def provenance(self, ref: Reference) -> dict[str, Any]:
        spec = self.feature_spec()
        return {"reference": ref.name, "reference_n": ref.n, "feature_extractor": spec.extractor,
                "resize_mode": spec.resize_mode, "resolution": spec.resolution}  # fmt: skip


class FrechetInceptionDistanceMetric(_FeatureMetric):
    label = "FID"  # how warnings name it
    name = "fid"
    version = "1"
    description = "Frechet Inception Distance to a reference set (lower is better)"
    gate_tolerance = 2.0  # FID points; seed-to-seed spread at a few thousand images

    def compute(self) -> SetResult:
        ref = self.reference()
        mu, sigma = self.spool.mean_cov()
        target = FrechetTarget.of(ref.mu, ref.sigma)  # once, for the value and the interval
        value = frechet_to_target(mu, sigma, target)
        ci = bootstrap_fid(self.spool, target, self.config.bootstrap)
        details = self.provenance(ref)
        if warning := _small_n_warning(self.label, self.spool.n, FID_MIN_RELIABLE):
            details["warning"] = warning
        return SetResult(self.name, value, self.spool.n, *(ci or (None, None)), details)


class FrechetModelDistance(FrechetInceptionDistanceMetric):
    """FID's steps in another model's features (FD-DINOv2, FD-CLIP): each subclass names the
    model in its ``Config.model``, which is shown beside the value, compared and recorded."""

    extractor_detail = "model"
    comparable_details = ("feature_extractor", "model", "resize_mode", "resolution", "reference",
                          "reference_n")  # fmt: skip

    def provenance(self, ref: Reference) -> dict[str, Any]:
        return {**super().provenance(ref), "model": self.config.model}


class KernelInceptionDistanceMetric(_FeatureMetric):
    name = "kid"
    version = "1"
    description = "Kernel Inception Distance to a reference set (lower is better)"
    gate_tolerance = 0.002

    comparable_details = (*_FeatureMetric.comparable_details, "model")

    @dataclass(frozen=True)
    class Config(_FeatureMetric.Config):
        # KID in another feature space: DINOv2 or a CLIP (each at its own input size).
        feature_extractor: Literal["inception", "dinov2", "clip", "embedded"] = "inception"
        model: str | None = None  # DINOv2: hub id or folder; CLIP: ARCH/TAG; None: default
        subsets: PositiveInt = 100
        subset_size: PositiveInt = 1000

    def feature_spec(self) -> FeatureSpec:
        c = self.config
        if c.feature_extractor in ("dinov2", "clip"):
            return backbone_spec(c.feature_extractor, c.model, None)
        return super().feature_spec()

    def provenance(self, ref: Reference) -> dict[str, Any]:
        spec = self.feature_spec()
        extra = {"model": spec.weights} if spec.extractor in ("dinov2", "clip") else {}
        return {**super().provenance(ref), **extra}

    def compute(self) -> SetResult:
        ref = self.reference()
        if ref.features is None:
            raise Unavailable(
                f"KID needs the reference's features; {ref.name} holds only mu and sigma"
            )
        fake = self.spool.all_rows()
        value, per_subset = kid(ref.features, fake, self.config.subsets, self.config.subset_size)
        lo, hi = np.percentile(per_subset, [2.5, 97.5])
        details = {**self.provenance(ref), "subsets": self.config.subsets,
                   "subset_size": min(self.config.subset_size, len(fake), len(ref.features)),
                   "std": float(per_subset.std())}  # fmt: skip
        if warning := _small_n_warning("KID", self.spool.n, 100):
            details["warning"] = warning
        return SetResult(self.name, value, self.spool.n, float(lo), float(hi), details)


class ClipMaximumMeanDiscrepancy(SetMetric):
    name = "cmmd"
    version = "1"
    description = "CMMD: RBF-kernel MMD on CLIP image embeddings to a reference (lower is better)"
    packages = ("open-clip-torch",)
    weights = (CLIP_WEIGHTS,)
    embedded_options = MappingProxyType({"model": "embedded"})
    comparable_details = ("model", "reference", "reference_n", "unbiased", "sigma")
    extractor_detail = "model"
    gate_tolerance = 0.05

    @dataclass(frozen=True)
    class Config:
        reference: str | None = None  # a folder of real images or an .npz with "features"
        model: str = "ViT-L-14"  # the CLIP of clip_alignment: embeddings are shared
        pretrained: str | None = "openai"
        checkpoint: str | None = None
        cache_dir: str | None = None
        device: str = "auto"
        batch_size: PositiveInt = 32
        unbiased: bool = False  # the authors' estimator is the biased one
        bootstrap: NonNegativeInt = 200

    def reset(self) -> None:
        self.rows: list[np.ndarray] = []  # CLIP embeddings are small (768 floats per image)

    def scorer(self) -> Any:
        from t2iqa.checks.clip_alignment import load_clip

        c = self.config
        try:
            return load_clip(c.model, c.pretrained, c.checkpoint, c.cache_dir, c.device)
        except Unavailable as exc:
            raise Unavailable(str(exc)) from exc

    def update(self, items: Sequence[Any]) -> None:
        scorer = self.scorer()
        self.rows.append(scorer.embed_images(items, self.config.batch_size).double().numpy())

    def reference(self) -> np.ndarray:
        ref = self.config.reference
        if not ref:
            raise Unavailable(
                "cmmd needs a reference: --set-option cmmd.reference=DIR (real images)"
            )
        path = Path(ref)
        if path.suffix == ".npz":
            loaded = load_reference_npz(path)
            if loaded.features is None:
                raise Unavailable(f"{path} holds no CLIP features for CMMD")
            return loaded.features
        from t2iqa.core.paths import default_cache_dir

        scorer = self.scorer()

        def embed(images: list[Image.Image]) -> np.ndarray:
            with torch.no_grad():
                pixels = torch.stack([scorer.preprocess(im.convert("RGB")) for im in images])
                f = scorer.model.encode_image(pixels.to(scorer.device)).float()
                return (f / f.norm(dim=-1, keepdim=True)).double().cpu().numpy()

        key = "clip-" + scorer.key.replace("/", "_")
        return reference_from_folder(path, embed, key, default_cache_dir()).features  # type: ignore[return-value]

    def compute(self) -> SetResult:
        if not self.rows:
            raise Unavailable("cmmd: no images")
        fake = np.concatenate(self.rows)
        real = self.reference()
        value = cmmd(real, fake, self.config.unbiased)
        ci = bootstrap_rows(
            lambda r, f: cmmd(r, f, self.config.unbiased), real, fake, self.config.bootstrap
        )
        details: dict[str, Any] = {
            "reference": self.config.reference, "reference_n": len(real),
            "model": self.scorer().key, "sigma": CMMD_SIGMA, "scale": CMMD_SCALE,
            "unbiased": self.config.unbiased,
        }  # fmt: skip
        if warning := _small_n_warning("CMMD", len(fake), 100):
            details["warning"] = warning
        return SetResult(self.name, value, len(fake), *(ci or (None, None)), details)
