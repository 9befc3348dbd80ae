"""Image sources: a diffusers pipeline (hub id, local folder, or the embedded model) or a folder
of images made elsewhere (Midjourney, DALL-E, Imagen, Ideogram, Firefly, ...).

Both answer the same two questions: which (prompt, seed) images a run holds (``plan``), and the
images for a batch of those requests (``generate``). An image depends only on (prompt, seed,
settings): every image gets its own seeded CPU generator, so batch composition and device do
not change the starting noise.
"""

from __future__ import annotations

import csv
import inspect
import io
import json
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from t2iqa.core.devices import pick_device
from t2iqa.core.errors import ModelLoadError, T2IQAError
from t2iqa.core.prompts import PromptSpec
from t2iqa.generation.embedded import EMBEDDED_MODEL_ID, EMBEDDED_RESOLUTION, ensure_embedded_model
from t2iqa.suites.files import Suite

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif")

SCHEDULER_ALIASES = {
    "euler": "EulerDiscreteScheduler",
    "euler-a": "EulerAncestralDiscreteScheduler",
    "ddim": "DDIMScheduler",
    "dpm++": "DPMSolverMultistepScheduler",
    "dpm++-karras": "DPMSolverMultistepScheduler+karras",
    "unipc": "UniPCMultistepScheduler",
    "lcm": "LCMScheduler",
    "pndm": "PNDMScheduler",
    "heun": "HeunDiscreteScheduler",
    "lms": "LMSDiscreteScheduler",
    "flow-euler": "FlowMatchEulerDiscreteScheduler",
}
DTYPES = ("auto", "float32", "float16", "bfloat16")
# How huggingface_hub / requests / httpx say "no network" or "not cached while offline".
UNREACHABLE_ERRORS = {
    "LocalEntryNotFoundError", "OfflineModeIsEnabled", "ConnectionError", "ConnectTimeout",
    "ConnectError", "ReadTimeout", "MaxRetryError", "NameResolutionError",
}  # fmt: skip
UNREACHABLE_TEXT = ("couldn't connect", "connection", "offline", "cannot find the requested files")


@dataclass(frozen=True)
class GenerationSettings:
    """Everything besides prompt and seed that decides an image. ``None`` = pipeline default."""

    steps: int | None = None
    guidance: float | None = None
    width: int | None = None
    height: int | None = None
    scheduler: str | None = None
    negative_prompt: str | None = None  # a suite prompt's own negative prompt wins
    dtype: str = "auto"
    device: str = "auto"
    batch_size: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def image_settings(self) -> dict[str, Any]:
        """The settings that define the images. Batch size and device are how they are made
        (recorded in provenance), so resuming on another GPU or batch size continues the run."""
        d = self.to_dict()
        d.pop("batch_size")
        d.pop("device")
        return d


@dataclass(frozen=True)
class GenerationRequest:
    spec: PromptSpec
    seed: int

    @property
    def key(self) -> tuple[str, int]:
        return (self.spec.id, self.seed)


@dataclass
class GeneratedImage:
    request: GenerationRequest
    data: bytes  # encoded file bytes, as stored
    suffix: str  # ".png" for generated images; the original suffix for imported ones
    width: int
    height: int
    seconds: float | None
    flags: dict[str, Any] = field(default_factory=dict)


class ImageSource(ABC):
    """Where a run's images come from."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """Identity of the source, saved with the run (model id, revision, fingerprint)."""

    @abstractmethod
    def plan(self, suite: Suite, seeds: Sequence[int]) -> list[GenerationRequest]:
        """The (prompt, seed) images this run holds, in order."""

    @abstractmethod
    def generate(self, requests: Sequence[GenerationRequest]) -> list[GeneratedImage]:
        """Images for one batch of requests, in the same order."""

    def expected_size(self) -> tuple[int, int] | None:
        return None

    def prepare(self) -> None:  # noqa: B027 - optional hook
        """Load what generation needs (model weights), raising a clear error if it cannot."""

    def close(self) -> None:  # noqa: B027 - optional hook; most sources hold nothing
        """Release model memory (GPU) when the run is done."""


def encode_png(image: Image.Image) -> bytes:
    """PNG bytes with no metadata, so the same pixels always give the same bytes and hash."""
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


# ----------------------------------------------------------------------- diffusers backend


def pick_dtype(requested: str, device: str) -> Any:
    import torch

    if requested not in DTYPES:
        raise T2IQAError(f"unknown --dtype {requested!r}; use one of {', '.join(DTYPES)}")
    if requested != "auto":
        return getattr(torch, requested)
    if device.startswith("cuda"):
        # bfloat16 has float32's range, so VAEs do not overflow to NaN as they can in fp16.
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "mps":
        return torch.float16
    return torch.float32


def is_out_of_memory(exc: BaseException) -> bool:
    import torch

    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def explain_load_error(model: str, exc: BaseException) -> ModelLoadError:
    """A message that says what went wrong loading ``model`` and what to do about it."""
    chain: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and len(chain) < 10:
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    names = {type(e).__name__ for e in chain}
    text = " ".join(str(e) for e in chain).lower()
    local_hint = (
        "pass a local folder instead (--model /path/to/model, a diffusers folder with "
        "model_index.json), or fetch it once on a connected machine with "
        f"`hf download {model}` and point HF_HOME at that cache"
    )
    if "GatedRepoError" in names or "gated" in text:
        return ModelLoadError(
            f"model {model!r} is gated on the Hugging Face hub: accept its licence on the "
            "model page and log in (`hf auth login`), or " + local_hint
        )
    if "RepositoryNotFoundError" in names or ("404" in text and "not found" in text):
        return ModelLoadError(
            f"no model {model!r} on the Hugging Face hub (check the id's spelling), and no "
            f"local folder of that name; {local_hint}"
        )
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
    unreachable = bool(names & UNREACHABLE_ERRORS) or any(s in text for s in UNREACHABLE_TEXT)
    if offline or unreachable:
        why = "HF_HUB_OFFLINE is set" if offline else "the hub is unreachable"
        return ModelLoadError(
            f"cannot load {model!r}: it is not in the local Hugging Face cache and {why} "
            f"(this machine looks offline); {local_hint}"
        )
    return ModelLoadError(f"cannot load model {model!r}: {type(exc).__name__}: {exc}")


def resolve_model_source(model: str) -> tuple[str, str]:
    """(what to pass to from_pretrained, kind) where kind is embedded / local / hub."""
    if model == EMBEDDED_MODEL_ID:
        return str(ensure_embedded_model()), "embedded"
    path = Path(model).expanduser()
    if path.exists():
        if not (path / "model_index.json").is_file():
            raise ModelLoadError(
                f"{path} exists but is not a diffusers pipeline folder (it has no "
                "model_index.json); pass the folder that holds model_index.json, or use "
                "--images to import pictures made elsewhere"
            )
        return str(path), "local"
    # A hub id is "name" or "org/name"; anything path-like that does not exist is a typo.
    if model.startswith((".", "/", "~")) or model.count("/") > 1:
        raise ModelLoadError(f"no such model folder: {model}")
    return model, "hub"


def folder_fingerprint(path: Path) -> str:
    """Cheap identity of a local model folder: file names, sizes and the JSON configs."""
    import hashlib

    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        rel = f.relative_to(path).as_posix()
        h.update(f"{rel}:{f.stat().st_size}\n".encode())
        if f.suffix == ".json":
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


class DiffusersSource(ImageSource):
    """Any diffusers text-to-image pipeline, loaded with AutoPipelineForText2Image."""

    def __init__(self, model: str, settings: GenerationSettings) -> None:
        self.model = model
        self.settings = settings
        self.source, self.kind = resolve_model_source(model)
        self._pipe: Any = None
        self.device: str | None = None
        self.revision: str | None = None

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {"backend": "diffusers", "model": self.model, "kind": self.kind}
        if self.kind in ("local", "embedded"):
            info["fingerprint"] = folder_fingerprint(Path(self.source))
        if self.revision:
            info["revision"] = self.revision
        if self._pipe is not None:
            info["pipeline_class"] = type(self._pipe).__name__
            info["scheduler_class"] = type(self._pipe.scheduler).__name__
        return info

    def expected_size(self) -> tuple[int, int] | None:
        w, h = self.settings.width, self.settings.height
        if self.kind == "embedded":
            w, h = w or EMBEDDED_RESOLUTION, h or EMBEDDED_RESOLUTION
        return (w, h) if w and h else None

    def plan(self, suite: Suite, seeds: Sequence[int]) -> list[GenerationRequest]:
        return [GenerationRequest(spec, seed) for spec in suite.prompts for seed in seeds]

    @property
    def pipe(self) -> Any:
        self.prepare()
        return self._pipe

    def prepare(self) -> None:
        if self._pipe is None:
            self._pipe = self._load()

    def _load(self) -> Any:
        import torch
        from diffusers import AutoPipelineForText2Image
        from diffusers.utils import logging as diffusers_logging
        from transformers.utils import logging as transformers_logging

        # Our own progress bars cover loading and generation.
        diffusers_logging.disable_progress_bar()
        transformers_logging.disable_progress_bar()

        self.device = pick_device(self.settings.device)
        dtype = pick_dtype(self.settings.dtype, self.device)
        try:
            pipe = AutoPipelineForText2Image.from_pretrained(self.source, dtype=dtype)
        except (KeyboardInterrupt, MemoryError):
            raise
        except Exception as exc:
            raise explain_load_error(self.model, exc) from None
        self.revision = _hub_commit(pipe)
        if self.settings.scheduler:
            pipe.scheduler = make_scheduler(self.settings.scheduler, pipe.scheduler)
        pipe.set_progress_bar_config(disable=True)
        pipe = pipe.to(self.device)
        if self.device == "cpu":
            torch.set_grad_enabled(False)
        self._accepted = set(inspect.signature(pipe.__call__).parameters)
        return pipe

    def _call_kwargs(self, requests: Sequence[GenerationRequest]) -> dict[str, Any]:
        import torch

        s = self.settings
        kwargs: dict[str, Any] = {
            "prompt": [r.spec.prompt for r in requests],
            # CPU generators: the starting noise is the same on every device.
            "generator": [torch.Generator("cpu").manual_seed(r.seed) for r in requests],
            "output_type": "np",
        }
        negatives = [r.spec.negative_prompt or s.negative_prompt for r in requests]
        if any(negatives):
            kwargs["negative_prompt"] = [n or "" for n in negatives]
        if s.steps is not None:
            kwargs["num_inference_steps"] = s.steps
        if s.guidance is not None:
            kwargs["guidance_scale"] = s.guidance
        size = self.expected_size()
        if size:
            kwargs["width"], kwargs["height"] = size
        unsupported = [k for k in kwargs if k not in self._accepted]
        if unsupported:
            raise T2IQAError(
                f"{type(self.pipe).__name__} does not take {unsupported}; drop the matching "
                "option(s) (e.g. --negative-prompt for pipelines without one)"
            )
        return kwargs

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GeneratedImage]:
        import numpy as np

        pipe = self.pipe
        kwargs = self._call_kwargs(requests)
        start = time.perf_counter()
        out = pipe(**kwargs)
        seconds = (time.perf_counter() - start) / len(requests)
        arrays = np.asarray(out.images)
        nsfw = getattr(out, "nsfw_content_detected", None) or [False] * len(requests)
        images = []
        for req, arr, flagged in zip(requests, arrays, nsfw, strict=True):
            nan_pixels = int(np.isnan(arr).any(axis=-1).sum())
            pixels = (np.nan_to_num(arr, nan=0.0).clip(0, 1) * 255).round().astype("uint8")
            pil = Image.fromarray(pixels)
            flags: dict[str, Any] = {"batch_size": len(requests)}
            if nan_pixels:
                flags["nan_pixels"] = nan_pixels
            if flagged:
                flags["safety_flagged"] = True
            data = encode_png(pil)
            images.append(GeneratedImage(req, data, ".png", pil.width, pil.height, seconds, flags))
        return images

    def close(self) -> None:
        self._pipe = None
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:
            pass


def _hub_commit(pipe: Any) -> str | None:
    """The hub commit a pipeline was loaded from, read from its snapshot folder name."""
    name = str(pipe.config.get("_name_or_path", ""))
    parts = Path(name).parts
    if "snapshots" in parts and parts.index("snapshots") + 1 < len(parts):
        return parts[parts.index("snapshots") + 1]
    return None


def make_scheduler(name: str, current: Any) -> Any:
    import diffusers

    target = SCHEDULER_ALIASES.get(name.lower(), name)
    karras = target.endswith("+karras")
    target = target.removesuffix("+karras")
    cls = getattr(diffusers, target, None)
    if cls is None or not target.endswith("Scheduler"):
        raise T2IQAError(
            f"unknown --scheduler {name!r}; use a diffusers scheduler class name or one of "
            f"{', '.join(SCHEDULER_ALIASES)}"
        )
    extra = {"use_karras_sigmas": True} if karras else {}
    return cls.from_config(current.config, **extra)


# --------------------------------------------------------------------------- folder import


@dataclass(frozen=True)
class ManifestRow:
    where: str
    file: Path
    prompt_id: str
    seed: int


FILE_COLUMNS = ("file", "image", "path", "filename")
ID_COLUMNS = ("prompt_id", "id")


def read_manifest(images_dir: Path, manifest: Path | None, suite: Suite) -> list[ManifestRow]:
    """Map image files to prompt ids.

    With a manifest (CSV or JSONL: ``file``, ``prompt_id``, optional ``seed``), its rows. Without
    one, file names: ``<prompt_id>.png`` or ``<prompt_id>__<seed>.png``. Seeds not given are
    numbered 0, 1, ... per prompt in file order.
    """
    if not images_dir.is_dir():
        raise T2IQAError(f"--images {images_dir}: no such folder")
    if manifest is None:
        for candidate in ("manifest.csv", "manifest.jsonl"):
            if (images_dir / candidate).is_file():
                manifest = images_dir / candidate
    raw: list[tuple[str, str, str, Any]] = []  # where, file, prompt id, seed
    if manifest is None:
        for f in sorted(images_dir.iterdir()):
            if f.suffix.lower() in IMAGE_SUFFIXES:
                stem, _, seed = f.stem.partition("__")
                raw.append((f.name, f.name, stem, seed or None))
    elif manifest.suffix.lower() == ".jsonl":
        for n, line in enumerate(manifest.read_text(encoding="utf-8-sig").splitlines(), 1):
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise T2IQAError(f"{manifest} line {n}: invalid JSON ({exc.msg})") from None
                raw.append(_manifest_fields(row, f"{manifest.name} line {n}"))
    else:
        text = manifest.read_text(encoding="utf-8-sig")
        reader = csv.DictReader(
            io.StringIO(text), delimiter="\t" if manifest.suffix == ".tsv" else ","
        )
        for n, row in enumerate(reader, start=2):
            raw.append(_manifest_fields(row, f"{manifest.name} row {n}"))
    if not raw:
        raise T2IQAError(
            f"no images found in {images_dir}: add a manifest.csv (file,prompt_id[,seed]) or "
            "name files <prompt_id>.png"
        )
    known = suite.by_id()
    problems: list[str] = []
    rows: list[ManifestRow] = []
    next_seed: dict[str, int] = {}
    seen: dict[tuple[str, int], str] = {}
    for where, file, pid, seed in raw:
        path = (images_dir / file) if not Path(file).is_absolute() else Path(file)
        if pid not in known:
            problems.append(f"{where}: prompt id {pid!r} is not in suite {suite.name!r}")
            continue
        if not path.is_file():
            problems.append(f"{where}: no such file {path}")
            continue
        if seed in (None, ""):
            seed_value = next_seed.get(pid, 0)
        else:
            try:
                seed_value = int(seed)
            except (TypeError, ValueError):
                problems.append(f"{where}: seed must be a whole number, got {seed!r}")
                continue
        next_seed[pid] = max(next_seed.get(pid, 0), seed_value + 1)
        if (pid, seed_value) in seen:
            first = seen[(pid, seed_value)]
            problems.append(f"{where}: prompt {pid!r} seed {seed_value} already given by {first}")
            continue
        seen[(pid, seed_value)] = where
        rows.append(ManifestRow(where, path, pid, seed_value))
    if problems:
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        raise T2IQAError(f"{len(problems)} problem(s) importing {images_dir}:\n{shown}{more}")
    return rows


def _manifest_fields(row: Any, where: str) -> tuple[str, str, str, Any]:
    if not isinstance(row, dict):
        raise T2IQAError(f"{where}: expected an object with file and prompt_id")
    lower = {str(k).strip().lower(): v for k, v in row.items()}
    file = next((lower[c] for c in FILE_COLUMNS if lower.get(c)), None)
    pid = next((lower[c] for c in ID_COLUMNS if lower.get(c)), None)
    if not file or not pid:
        raise T2IQAError(f"{where}: needs a file column ({'/'.join(FILE_COLUMNS)}) and a prompt_id")
    return where, str(file), str(pid), lower.get("seed")


class FolderSource(ImageSource):
    """Images made elsewhere, imported with their original bytes (a JPEG stays a JPEG)."""

    def __init__(self, images_dir: Path, manifest: Path | None, label: str) -> None:
        self.images_dir = images_dir
        self.manifest = manifest
        self.label = label
        self._rows: dict[tuple[str, int], ManifestRow] = {}

    def describe(self) -> dict[str, Any]:
        return {
            "backend": "folder",
            "model": self.label,
            "images_dir": str(self.images_dir.resolve()),
            "manifest": str(self.manifest) if self.manifest else None,
        }

    def plan(self, suite: Suite, seeds: Sequence[int]) -> list[GenerationRequest]:
        rows = read_manifest(self.images_dir, self.manifest, suite)
        by_id = suite.by_id()
        self._rows = {(r.prompt_id, r.seed): r for r in rows}
        return [GenerationRequest(by_id[r.prompt_id], r.seed) for r in rows]

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GeneratedImage]:
        out = []
        for req in requests:
            row = self._rows[req.key]
            data = row.file.read_bytes()
            try:
                with Image.open(io.BytesIO(data)) as img:
                    img.verify()
                with Image.open(io.BytesIO(data)) as img:
                    width, height = img.size
            except Exception as exc:
                raise T2IQAError(
                    f"{row.where}: {row.file} is not a readable image ({exc})"
                ) from None
            flags = {"source_file": row.file.name}
            out.append(
                GeneratedImage(req, data, row.file.suffix.lower(), width, height, None, flags)
            )
        return out


# --------------------------------------------------------------------------- OOM back-off


def generate_with_backoff(
    source: ImageSource,
    requests: Sequence[GenerationRequest],
    batch_size: int,
    on_images: Callable[[list[GeneratedImage]], None],
    warn: Callable[[str], None],
) -> int:
    """Generate ``requests`` in batches, halving the batch on out-of-memory and retrying.

    Returns the batch size that worked, so the caller can keep using it. Raises T2IQAError
    when even a batch of one does not fit.
    """
    i = 0
    while i < len(requests):
        batch = list(requests[i : i + batch_size])
        try:
            images = source.generate(batch)
        except Exception as exc:
            if not is_out_of_memory(exc):
                raise
            _free_accelerator_memory()
            if batch_size == 1:
                raise T2IQAError(
                    "out of memory even at batch size 1; try --dtype float16/bfloat16, smaller "
                    "--width/--height, or a machine with more GPU memory"
                ) from None
            batch_size = max(1, batch_size // 2)
            warn(f"out of memory at batch size {len(batch)}; retrying at batch size {batch_size}")
            continue
        on_images(images)
        i += len(batch)
    return batch_size


def _free_accelerator_memory() -> None:
    import gc

    gc.collect()
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
