"""The diffusers backend: any text-to-image pipeline by hub id, a local folder, or the
embedded model, loaded with AutoPipelineForText2Image."""

from __future__ import annotations

import functools
import inspect
import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from t2iqa.core.devices import pick_device
from t2iqa.core.errors import ModelLoadError, T2IQAError
from t2iqa.core.hub import offline_by_setting, prepare_hub, went_offline
from t2iqa.generation.base import (
    GeneratedImage,
    GenerationRequest,
    GenerationSettings,
    ImageSource,
    SourceConfig,
    encode_png,
)
from t2iqa.generation.embedded import EMBEDDED_MODEL_ID, EMBEDDED_RESOLUTION, ensure_embedded_model

if TYPE_CHECKING:
    from t2iqa.suites.files import Suite

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
    offline = offline_by_setting() and not went_offline()
    unreachable = bool(names & UNREACHABLE_ERRORS) or any(s in text for s in UNREACHABLE_TEXT)
    if offline or unreachable or went_offline():
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

    name = "diffusers"
    stage = "generating"

    @classmethod
    def from_config(cls, config: SourceConfig) -> DiffusersSource:
        return cls(config.model, config.settings)

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

    def on_accelerator(self) -> bool:
        return self.device is not None and self.device != "cpu"

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
        prepare_hub(self.source)
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
            # Tensors, left where they were made: see to_uint8.
            "output_type": "pt",
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
        pipe = self.pipe
        kwargs = self._call_kwargs(requests)
        start = time.perf_counter()
        out = pipe(**kwargs)
        seconds = (time.perf_counter() - start) / len(requests)
        nsfw = getattr(out, "nsfw_content_detected", None) or [False] * len(requests)
        pixels, nans = to_uint8(out.images)
        # PNG encoding (zlib, which releases the GIL) in threads, left running: the run
        # reads the bytes after the next batch is generated. Measured on an H200 at 512 px,
        # batch 4, serial encoding was a fifth of the batch's wall time.
        encoder = png_encoder()
        images = []
        for req, arr, nan_pixels, flagged in zip(requests, pixels, nans, nsfw, strict=True):
            pil, flags = self.finished(arr, nan_pixels, flagged)
            flags = {"batch_size": len(requests), **flags}
            data = encoder.submit(encode_png, pil)
            images.append(GeneratedImage(req, data, ".png", pil.width, pil.height, seconds,
                                         flags, pixels=pil))  # fmt: skip
        return images

    def finished(self, pixels: Any, nan_pixels: int,
                 flagged: bool) -> tuple[Image.Image, dict[str, Any]]:  # fmt: skip
        """One image from its 8-bit pixels, and its flags: NaN pixels (an fp16 VAE overflow,
        shown black) and the safety checker's flag."""
        flags: dict[str, Any] = {}
        if nan_pixels:
            flags["nan_pixels"] = nan_pixels
        if flagged:
            flags["safety_flagged"] = True
        return Image.fromarray(pixels), flags

    def close(self) -> None:
        if self._pipe is None:
            return  # nothing was loaded (nothing to make): torch need not be imported for this
        self._pipe = None
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def to_uint8(images: Any) -> tuple[Any, list[int]]:
    """8-bit pixels (N, H, W, 3) from a pipeline's floats in [0, 1] (NaN where an fp16 VAE
    overflowed, shown black), and each image's count of NaN pixels.

    A tensor (N, 3, H, W) is converted where it lies, on the GPU, and only 8-bit pixels cross
    to the CPU: a quarter of the float32 bytes, and no float passes on the CPU beside the next
    batch's generation. Float32 and round-half-even either way: the same pixels as numpy's.
    """
    import numpy as np
    import torch

    if isinstance(images, torch.Tensor):
        x = images.float()
        nans = torch.isnan(x).any(dim=1).sum(dim=(1, 2)).tolist()
        x = (x.nan_to_num(0.0).clamp(0, 1) * 255).round().to(torch.uint8)
        return x.permute(0, 2, 3, 1).contiguous().cpu().numpy(), nans
    arr = np.asarray(images)  # a pipeline that gives numpy floats, or PIL images, anyway
    if arr.dtype == np.uint8:
        return arr, [0] * len(arr)
    arr = arr.astype(np.float32, copy=False)
    nans = np.isnan(arr).any(axis=-1).sum(axis=(1, 2)).tolist()
    return (np.nan_to_num(arr, nan=0.0).clip(0, 1) * 255).round().astype("uint8"), nans


@functools.cache
def png_encoder() -> ThreadPoolExecutor:
    """Threads for encoding a batch's PNGs (the same bytes as serial encoding)."""
    return ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1),
                              thread_name_prefix="t2iqa-png")  # fmt: skip


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
