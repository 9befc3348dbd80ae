"""CLIP text-image alignment with open-clip-torch.

Per image: CLIPScore = max(100 * cos(image, prompt), 0) (Hessel et al. 2021, the formula of
torchmetrics' CLIPScore), and an R-precision-style rank: is the image closer to its own prompt
than to every other prompt of the suite (or of the batch in ``t2iqa check``)? The rank is the
verdict: CLIPScore's scale differs between CLIP models, a rank does not.

Model: any open_clip architecture and pretrained tag (default ``ViT-L-14`` / ``openai``, the
model torchmetrics' CLIPScore uses), or a local checkpoint file (``checkpoint=``). Weights
come from open_clip's cache (``cache_dir``); with no network and no cached weights the result
is ``unavailable`` and says how to get them. ``model=embedded`` is a tiny random-weight CLIP
built from a config, for plumbing checks only.

Prompts longer than the text context are cut to it (CLIP was trained on 77 tokens); the
result says so in ``details["truncated"]``. Image embeddings are kept per image hash so CMMD
reuses them.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from t2iqa.checks.base import Check, ImageUnderTest, brief, remember_failure
from t2iqa.checks.options import NonNegative, PositiveInt
from t2iqa.core.devices import pick_device
from t2iqa.core.errors import T2IQAError, Unavailable
from t2iqa.core.hub import prepare_hub
from t2iqa.core.prefetched import WeightSource, fetch_hint, prefetched
from t2iqa.core.prompts import PromptSpec
from t2iqa.core.results import OK, UNAVAILABLE, CheckResult, stable_hash
from t2iqa.core.weights import without_random_init

if TYPE_CHECKING:  # torch loads with the model, not with the module: building the checks
    import torch  # of a run that has nothing left to score must not pay for it (~2.7 s)

EMBEDDED_CLIP = "embedded"
EMBEDDED_CLIP_CONFIG = {
    "embed_dim": 64,
    "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "patch_size": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}
EMBEDDED_CLIP_NAME = "t2iqa-embedded-clip"
CLIP_WEIGHTS = WeightSource("open_clip:ViT-L-14/openai", "CLIP ViT-L/14 (OpenAI), about 1.7 GB")


@contextmanager
def logging_disabled(level: int) -> Iterator[None]:
    """Drop log records at ``level`` and below while the block runs."""
    logging.disable(level)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def register_embedded_clip(cache_dir: Path | None = None) -> tuple[str, Path]:
    """Register the tiny embedded CLIP config with open_clip and build its seeded checkpoint."""
    import open_clip

    from t2iqa.core.paths import default_cache_dir

    folder = (cache_dir or default_cache_dir()) / "embedded-clip"
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / f"{EMBEDDED_CLIP_NAME}.json"
    if not config.is_file():
        config.write_text(json.dumps(EMBEDDED_CLIP_CONFIG))
    open_clip.add_model_config(config)
    weights = folder / "weights.pt"
    if not weights.is_file():
        import torch

        torch.manual_seed(0)
        # open_clip warns on the root logger that the model is randomly initialised: here
        # that is the point, and the banner of every embedded run says so.
        with logging_disabled(logging.WARNING):
            model = open_clip.create_model(EMBEDDED_CLIP_NAME, pretrained=None)
        tmp = weights.with_suffix(".tmp")
        torch.save(model.state_dict(), tmp)
        tmp.replace(weights)
    return EMBEDDED_CLIP_NAME, weights


class ClipScorer:
    """One loaded CLIP model with its text and image embedding caches."""

    def __init__(self, model: Any, preprocess: Any, tokenizer: Any, device: str, key: str) -> None:
        self.model, self.preprocess, self.tokenizer = model, preprocess, tokenizer
        self.device, self.key = device, key
        self.context_length = int(getattr(model, "context_length", 77) or 77)
        self.text_cache: dict[str, torch.Tensor] = {}
        self.image_cache: dict[str, torch.Tensor] = {}  # image hash -> unit embedding (CPU)

    def token_count(self, text: str) -> int | None:
        encode = getattr(self.tokenizer, "encode", None)
        return len(encode(text)) + 2 if callable(encode) else None  # + start and end tokens

    def embed_texts(self, texts: Sequence[str]) -> torch.Tensor:
        import torch

        missing = [t for t in dict.fromkeys(texts) if t not in self.text_cache]
        if missing:
            tokens = self.tokenizer(missing).to(self.device)
            with torch.no_grad():
                feats = self.model.encode_text(tokens).float()
            feats = feats / feats.norm(dim=-1, keepdim=True)
            for t, f in zip(missing, feats.cpu(), strict=True):
                self.text_cache[t] = f
        return torch.stack([self.text_cache[t] for t in texts])

    def embed_images(self, items: Sequence[ImageUnderTest], batch_size: int) -> torch.Tensor:
        import torch

        missing = [it for it in items if it.image_hash not in self.image_cache]
        for start in range(0, len(missing), batch_size):
            chunk = missing[start : start + batch_size]
            pixels = torch.stack([self.preprocess(it.image.convert("RGB")) for it in chunk])
            with torch.no_grad():
                feats = self.model.encode_image(pixels.to(self.device)).float()
            feats = feats / feats.norm(dim=-1, keepdim=True)
            for it, f in zip(chunk, feats.cpu(), strict=True):
                self.image_cache[it.image_hash] = f
        return torch.stack([self.image_cache[it.image_hash] for it in items])


@remember_failure
@functools.cache
def load_clip(
    model: str, pretrained: str | None, checkpoint: str | None, cache_dir: str | None, device: str
) -> ClipScorer:
    """Load once per process and settings; every failure is a Unavailable saying why."""
    try:
        import open_clip
    except ImportError as exc:
        raise Unavailable("open-clip-torch is not installed: pip install open-clip-torch") from exc
    try:
        dev = pick_device(device, "clip_alignment.device")
    except T2IQAError as exc:
        raise Unavailable(str(exc)) from exc
    source = checkpoint or pretrained
    if model == EMBEDDED_CLIP:
        model, weights = register_embedded_clip()
        source = str(weights)
    elif checkpoint and not Path(checkpoint).is_file():
        raise Unavailable(f"CLIP checkpoint {checkpoint} does not exist")
    elif pretrained and not checkpoint:  # a copy prefetched by `t2iqa weights prefetch`
        source = prefetched(f"open_clip:{model}/{pretrained}") or source
    if source:
        prepare_hub(str(source))
    if model not in open_clip.list_models():
        raise Unavailable(
            f"open_clip has no architecture {model!r}; see open_clip.list_models() "
            "(e.g. ViT-L-14, ViT-B-32, ViT-H-14)"
        )
    try:
        # open_clip logs a failed download at ERROR on the root logger before raising; the
        # result's reason says it once, in words the user can act on.
        # With weights to load (strictly), the random draws they replace are skipped: building
        # ViT-L/14 took 1.14 s instead of 1.71 on one thread (benchmarks/speed_loads.py).
        weights_follow = without_random_init() if source else nullcontext()
        with logging_disabled(logging.ERROR), weights_follow:
            net, _, preprocess = open_clip.create_model_and_transforms(
                model, pretrained=source, cache_dir=cache_dir, device=dev
            )
            tokenizer = open_clip.get_tokenizer(model)
    except Exception as exc:  # hub offline, weights not cached, bad file: say which
        raise Unavailable(
            f"cannot load CLIP {model}/{source}: {brief(exc)}. With no network: "
            f"{fetch_hint('clip_alignment')}; or download the weights once elsewhere into "
            "open_clip's cache (or --check-option clip_alignment.cache_dir=DIR), or pass a "
            "local file with clip_alignment.checkpoint=PATH"
        ) from exc
    net.eval()
    return ClipScorer(net, preprocess, tokenizer, dev, f"{model}/{source}")


def clip_score(image_emb: torch.Tensor, text_emb: torch.Tensor) -> torch.Tensor:
    """CLIPScore of paired rows: max(100 * cos, 0) (embeddings are unit-normalised)."""
    import torch

    return torch.clamp(100.0 * (image_emb * text_emb).sum(dim=-1), min=0.0)


class ClipAlignmentCheck(Check):
    name = "clip_alignment"
    uses_accelerator = True
    model_mib = 1633  # ViT-L/14: 428M parameters in float32
    loaders = (load_clip,)
    version = "1"
    description = "CLIPScore and rank of the image's own prompt among the suite's prompts"
    packages = ("open-clip-torch",)
    weights = (CLIP_WEIGHTS,)
    embedded_options = MappingProxyType({"model": EMBEDDED_CLIP})
    score_unit = "CLIPScore (0-100)"
    # CLIPScore moves by a few tenths between seeds of the same model: the gate judges its
    # mean with half a point of slack, not the rank verdict.
    gate_measure = "score"
    gate_tolerance = 0.5

    @dataclass(frozen=True)
    class Config:
        model: str = "ViT-L-14"  # open_clip architecture, or "embedded" (plumbing only)
        pretrained: str | None = "openai"  # open_clip pretrained tag
        checkpoint: str | None = None  # a local weights file instead of the tag
        cache_dir: str | None = None  # open_clip's download cache
        device: str = "auto"
        batch_size: PositiveInt = 32
        min_score: NonNegative | None = None  # CLIPScore threshold when there is nothing to rank

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        self.candidates: list[str] = []

    def bind(self, prompts: Sequence[PromptSpec]) -> ClipAlignmentCheck:
        """A copy that ranks an image's own prompt against these (the suite, or the batch)."""
        bound = copy.copy(self)
        bound.candidates = list(dict.fromkeys(p.prompt for p in prompts))
        return bound

    def config_hash(self) -> str:
        # The rank depends on the candidate prompts, so they are part of the cache key.
        return stable_hash({"base": super().config_hash(), "candidates": self.candidates})

    def scorer(self) -> ClipScorer:
        c = self.config
        return load_clip(c.model, c.pretrained, c.checkpoint, c.cache_dir, c.device)

    def check(self, item: ImageUnderTest) -> CheckResult:
        return self.check_batch([item])[0]

    def check_batch(self, items: Sequence[ImageUnderTest]) -> list[CheckResult]:
        try:
            scorer = self.scorer()
        except Unavailable as exc:
            return [self.result(UNAVAILABLE, None, None, str(exc)) for _ in items]
        images = scorer.embed_images(items, self.config.batch_size)
        prompts = [it.spec.prompt for it in items]
        own = scorer.embed_texts(prompts)
        scores = clip_score(images, own)
        candidates = self.candidates if len(self.candidates) >= 2 else []
        sims = images @ scorer.embed_texts(candidates).T if candidates else None
        return [
            self.judge(scorer, item.spec.prompt, float(scores[k]),
                       None if sims is None else sims[k], candidates)
            for k, item in enumerate(items)
        ]  # fmt: skip

    def judge(
        self,
        scorer: ClipScorer,
        prompt: str,
        score: float,
        sims: torch.Tensor | None,
        candidates: list[str],
    ) -> CheckResult:
        tokens = scorer.token_count(prompt)
        truncated = tokens is not None and tokens > scorer.context_length
        details: dict[str, Any] = {
            "clip_score": round(score, 4),
            "model": scorer.key,
            "truncated": truncated,
            "prompt_tokens": tokens,
            "context_length": scorer.context_length,
        }
        note = f" (prompt cut to {scorer.context_length} tokens)" if truncated else ""
        if sims is not None and prompt in candidates:
            own = candidates.index(prompt)
            rank = 1 + int((sims > sims[own]).sum())
            best = int(sims.argmax())
            details.update(rank=rank, candidates=len(candidates))
            if rank == 1:
                return self.result(
                    OK, True, score,
                    f"CLIPScore {score:.1f}; its own prompt ranks first of {len(candidates)}{note}",
                    **details,
                )  # fmt: skip
            closer = candidates[best]
            return self.result(
                "misaligned", False, score,
                f"CLIPScore {score:.1f}; closer to \"{closer[:60]}\" than to its own prompt "
                f"(rank {rank} of {len(candidates)}){note}",
                **details,
            )  # fmt: skip
        threshold = self.config.min_score
        if threshold is None:
            return self.result(
                "scored", None, score,
                f"CLIPScore {score:.1f} (no other prompts to rank against, no min_score){note}",
                **details,
            )  # fmt: skip
        passed = score >= threshold
        return self.result(
            OK if passed else "misaligned", passed, score,
            f"CLIPScore {score:.1f} {'>=' if passed else '<'} min_score {threshold:g}{note}",
            **details,
        )  # fmt: skip
