"""The steps before a distribution metric's distance, as in clean-fid: resize -> features ->
statistics, and the reference set's statistics (``t2iqa.checks.distribution`` holds the
metrics that use them).

- Resize. ``clean`` (default): PIL bicubic on each channel in float, as clean-fid does;
  ``legacy``: the extractor's own bilinear resize (the original TF FID behaviour).
- Features. Inception-v3 (torch-fidelity's port, which torchmetrics uses), DINOv2 or a CLIP
  (``t2iqa.checks.backbones``), each at its own input size; ``embedded`` is a tiny seeded
  random CNN for plumbing checks only.
- Statistics. Streaming float64 sums (count, sum, sum of outer products), so memory does
  not grow with N; features are also spooled to a temporary file for the bootstrap interval.
- Reference statistics come from a folder of real images or a saved ``.npz`` (``mu``,
  ``sigma``, optionally ``features``), cached by (reference, extractor, resize mode,
  resolution) under the t2iqa cache.
"""

from __future__ import annotations

import functools
import hashlib
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from t2iqa.core.errors import Unavailable
from t2iqa.core.prefetched import WeightSource, fetch_hint, prefetched
from t2iqa.core.weights import read_state_dict, state_dict_buffer

INCEPTION_SIZE = 299


# ---------------------------------------------------------------- resize


def clean_resize(image: Image.Image, size: int = INCEPTION_SIZE) -> np.ndarray:
    """clean-fid's resize: each channel as a float image, PIL bicubic, no uint8 rounding
    between steps. Returns HxWx3 float32 in [0, 255]."""
    arr = np.asarray(image.convert("RGB"), dtype=np.float32)
    channels = [
        np.asarray(Image.fromarray(arr[:, :, c], mode="F").resize((size, size), Image.BICUBIC))
        for c in range(3)
    ]
    return np.clip(np.stack(channels, axis=2), 0, 255)


def to_batch(images: Sequence[Image.Image], resize_mode: str, size: int) -> torch.Tensor:
    """uint8 NCHW batch for the Inception port, resized by the chosen mode."""
    if resize_mode == "clean":
        arrays = [np.round(clean_resize(im, size)).astype(np.uint8) for im in images]
    elif resize_mode == "legacy":  # the extractor resizes; inputs must share a size
        arrays = [np.asarray(im.convert("RGB").resize((size, size), Image.NEAREST)
                             if im.size != images[0].size else im.convert("RGB"))
                  for im in images]  # fmt: skip
    else:
        raise ValueError(f"resize_mode must be 'clean' or 'legacy', not {resize_mode!r}")
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()


# ---------------------------------------------------------------- features


class EmbeddedFeatures(torch.nn.Module):
    """A tiny seeded random CNN (64 features): the plumbing stand-in for Inception."""

    dims = 64

    def __init__(self) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(0)
        self.conv = torch.nn.Conv2d(3, self.dims, 8, stride=8)
        with torch.no_grad():
            self.conv.weight.copy_(torch.randn(self.conv.weight.shape, generator=gen) * 0.05)
            self.conv.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float() / 255.0
        return torch.relu(self.conv(x)).mean(dim=(2, 3))


# torch-fidelity's port of the TF Inception used by the FID reference code; torch.hub checks
# that the download's sha256 starts with the prefix in its name.
INCEPTION_URL = (
    "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/"
    "weights-inception-2015-12-05-6726825d.pth"
)
INCEPTION_SHA256_PREFIX = "6726825d"
INCEPTION_WEIGHTS = WeightSource(INCEPTION_URL, "Inception-v3 of torch-fidelity (FID, KID), 91 MB")


def inception_weights_file(weights: str | None) -> Path:
    """The file given, or the release file in torch's hub cache (downloaded once)."""
    if weights:
        return Path(weights)
    if (local := prefetched(INCEPTION_URL)) is not None:  # `t2iqa weights prefetch`, checked
        return Path(local)
    cached = Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_URL.rsplit("/", 1)[1]
    if cached.is_file():
        return cached
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(
            INCEPTION_URL, str(cached), hash_prefix=INCEPTION_SHA256_PREFIX, progress=False
        )
    except Exception as exc:  # no network, or a corrupted download
        raise Unavailable(
            f"cannot download the Inception weights ({type(exc).__name__}: {str(exc)[:160]}); "
            f"with no network: {fetch_hint('fid')}; or download "
            f"{INCEPTION_URL.rsplit('/', 1)[1]} once elsewhere and pass inception_weights=PATH"
        ) from exc
    return cached


def load_inception(weights: str | None) -> torch.nn.Module:
    """torchmetrics' Inception-v3 (torch-fidelity port): 2048 pool features.

    The weights are read here as tensors only (``read_state_dict``): torch-fidelity would
    ``torch.load(path, weights_only=False)`` a path, which runs any code a crafted file holds.
    It is handed the checked tensors instead."""
    try:
        from torchmetrics.image.fid import NoTrainInceptionV3
    except ImportError as exc:
        raise Unavailable("FID needs torchmetrics[image] (torch-fidelity)") from exc
    path = inception_weights_file(weights)
    state = read_state_dict(path)
    try:
        return NoTrainInceptionV3(
            name="inception-v3-compat", features_list=["2048"],
            feature_extractor_weights_path=state_dict_buffer(state),  # type: ignore[arg-type]
        ).eval()  # fmt: skip
    except RuntimeError as exc:  # load_state_dict: other names or shapes
        raise Unavailable(
            f"{path} does not hold the Inception-v3 FID weights ({str(exc).splitlines()[0]})"
        ) from None


@dataclass(frozen=True)
class FeatureSpec:
    """What decides the features: cached reference statistics are keyed by it."""

    extractor: str  # "inception", "dinov2", "clip" or "embedded"
    resize_mode: str
    resolution: int
    # Inception's weights file; DINOv2's model (hub id or folder); CLIP's ARCH/TAG
    weights: str | None = None

    def key(self) -> str:
        base = f"{self.extractor}-{self.resize_mode}-{self.resolution}"
        if self.extractor not in ("dinov2", "clip"):
            return base
        # ViT-L and ViT-B (or a fine-tune) see different spaces: their statistics differ.
        model = hashlib.sha256(str(self.weights).encode()).hexdigest()[:12]
        return f"{base}-{model}"


def backbone_spec(backbone: str, model: str | None, inception_weights: str | None) -> FeatureSpec:
    """The features of a named backbone at its own input size, clean-resized: Inception at
    299, DINOv2 at 224, a CLIP at its model's size (loaded to read it); ``model`` picks the
    DINOv2 (hub id or folder) or the CLIP (``ARCH/TAG``), None each one's default."""
    from t2iqa.checks.backbones import (
        DEFAULT_CLIP_BACKBONE,
        DEFAULT_DINOV2,
        DINOV2_SIZE,
        load_clip_backbone,
    )

    if backbone == "dinov2":
        return FeatureSpec("dinov2", "clean", DINOV2_SIZE, model or DEFAULT_DINOV2)
    if backbone == "clip":
        name = model or DEFAULT_CLIP_BACKBONE
        return FeatureSpec("clip", "clean", load_clip_backbone(name)[1], name)
    return FeatureSpec(backbone, "clean", INCEPTION_SIZE, inception_weights)


class FeatureExtractor:
    def __init__(self, spec: FeatureSpec) -> None:
        self.spec = spec
        if spec.extractor == "embedded":
            self.net: torch.nn.Module = EmbeddedFeatures().eval()
        elif spec.extractor == "inception":
            self.net = load_inception(spec.weights)
        elif spec.extractor == "dinov2":
            from t2iqa.checks.backbones import load_dinov2

            self.net = load_dinov2(spec.weights)
        elif spec.extractor == "clip":
            from t2iqa.checks.backbones import load_clip_backbone

            self.net = load_clip_backbone(spec.weights)[0]
        else:
            raise Unavailable(f"unknown feature extractor {spec.extractor!r}")

    @torch.no_grad()
    def __call__(self, images: Sequence[Image.Image]) -> np.ndarray:
        batch = to_batch(images, self.spec.resize_mode, self.spec.resolution)
        out = self.net(batch)
        return out.reshape(len(images), -1).double().numpy()


@functools.cache
def feature_extractor(spec: FeatureSpec) -> FeatureExtractor:
    """One network per process and spec, shared by FID and KID."""
    return FeatureExtractor(spec)


class LastBatchFeatures:
    """The features of the most recent batch, keyed by (spec, image hashes).

    The runner hands FID and KID the same batch one after the other; the second reads the
    first's features instead of running Inception again, which halves the feature time of a
    run that asks for both. One batch is kept, so memory stays constant in N.
    """

    def __init__(self) -> None:
        self.key: tuple[FeatureSpec, tuple[str, ...]] | None = None
        self.features: np.ndarray | None = None

    def get(self, spec: FeatureSpec, items: Sequence[Any], batch_size: int) -> np.ndarray:
        hashes = tuple(getattr(it, "image_hash", None) or "" for it in items)
        key = (spec, hashes) if all(hashes) else None
        if key is not None and key == self.key and self.features is not None:
            return self.features
        extract = feature_extractor(spec)
        images = load_items(items)
        features = np.concatenate(
            [extract(images[i : i + batch_size]) for i in range(0, len(images), batch_size)]
        )
        self.key, self.features = key, features
        return features


LAST_BATCH = LastBatchFeatures()


# ---------------------------------------------------------------- statistics


class FeatureSpool:
    """Streaming float64 statistics plus a float32 spool file of the rows (for the bootstrap),
    so memory stays constant in N."""

    def __init__(self) -> None:
        self.n = 0
        self.total: np.ndarray | None = None
        self.outer: np.ndarray | None = None
        # Lives as long as the metric; closed (and deleted) with it.
        self._file = tempfile.TemporaryFile()  # noqa: SIM115

    def add(self, features: np.ndarray) -> None:
        f = np.asarray(features, dtype=np.float64)
        if self.total is None:
            self.total = np.zeros(f.shape[1])
            self.outer = np.zeros((f.shape[1], f.shape[1]))
        assert self.outer is not None
        self.n += len(f)
        self.total += f.sum(axis=0)
        self.outer += f.T @ f
        self._file.write(f.astype(np.float32).tobytes())

    def rows(self, chunk: int = 4096) -> Iterator[np.ndarray]:
        assert self.total is not None
        dim = len(self.total)
        self._file.seek(0)
        while data := self._file.read(chunk * dim * 4):
            yield np.frombuffer(data, dtype=np.float32).reshape(-1, dim).astype(np.float64)
        self._file.seek(0, 2)

    def all_rows(self) -> np.ndarray:
        return np.concatenate(list(self.rows()))

    def mean_cov(self) -> tuple[np.ndarray, np.ndarray]:
        if self.n < 2 or self.total is None or self.outer is None:
            raise Unavailable(f"{self.n} image(s): a covariance needs at least 2")
        mu = self.total / self.n
        sigma = (self.outer - self.n * np.outer(mu, mu)) / (self.n - 1)
        return mu, sigma


# ---------------------------------------------------------------- reference statistics


@dataclass
class Reference:
    """Reference statistics: mean and covariance, and the features where known (for KID)."""

    name: str
    mu: np.ndarray
    sigma: np.ndarray
    n: int
    features: np.ndarray | None = None

    def save(self, path: Path) -> None:
        extra: dict[str, Any] = {} if self.features is None else {"features": self.features}
        np.savez(path, mu=self.mu, sigma=self.sigma, n=self.n, name=self.name, **extra)


def load_reference_npz(path: Path) -> Reference:
    try:
        data = np.load(path, allow_pickle=False)
        mu, sigma = data["mu"], data["sigma"]
    except (OSError, KeyError, ValueError) as exc:
        raise Unavailable(
            f"{path}: not a reference statistics file (an .npz with mu and sigma): {exc}"
        ) from exc
    features = data["features"] if "features" in data.files else None
    n = int(data["n"]) if "n" in data.files else (len(features) if features is not None else 0)
    return Reference(str(path), mu.astype(np.float64), sigma.astype(np.float64), n, features)


def reference_cache_path(reference: Path, spec_key: str, cache_dir: Path) -> Path:
    files = sorted(p for p in reference.rglob("*") if p.is_file())
    listing = "\n".join(f"{p.relative_to(reference)}:{p.stat().st_size}" for p in files)
    digest = hashlib.sha256(f"{reference.resolve()}\n{listing}".encode()).hexdigest()[:16]
    return cache_dir / "reference-stats" / f"{reference.name}-{spec_key}-{digest}.npz"


def reference_from_folder(
    folder: Path, embed: Any, spec_key: str, cache_dir: Path, batch_size: int = 32
) -> Reference:
    """Statistics of a folder of real images, computed once and cached by (folder contents,
    extractor, resize mode, resolution)."""
    from t2iqa.core.images import ImageInputError, images_in, read_image_file

    cached = reference_cache_path(folder, spec_key, cache_dir)
    if cached.is_file():
        ref = load_reference_npz(cached)
        ref.name = str(folder)
        return ref
    files = images_in(folder)
    if len(files) < 2:
        raise Unavailable(f"reference folder {folder} has {len(files)} image(s); need 2+")
    spool = FeatureSpool()
    for start in range(0, len(files), batch_size):
        batch = []
        for path in files[start : start + batch_size]:
            try:
                batch.append(read_image_file(path).image)
            except ImageInputError:
                continue  # unreadable reference files are skipped, the count says how many
        if batch:
            spool.add(embed(batch))
    mu, sigma = spool.mean_cov()
    ref = Reference(str(folder), mu, sigma, spool.n, spool.all_rows())
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(".tmp.npz")
    ref.save(tmp)
    tmp.replace(cached)
    return ref


def load_items(items: Sequence[Any]) -> list[Image.Image]:
    return [it.image for it in items]
