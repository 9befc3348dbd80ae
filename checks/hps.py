"""HPS v2.1 (Wu et al. 2023, "Human Preference Score v2"): how much people would prefer an
image for its prompt, from open_clip's ViT-H/14 fine-tuned on HPD v2's 798k human choices.
The score is the cosine of the image and prompt embeddings, as the authors' ``score.py``
computes it (about 0.2-0.35 for real models; differences of 0.01 between models are what
their leaderboard ranks by). The authors report 83.3% agreement with people's choices on
HPD v2's test pairs for v2.0.

Every image is scored; a verdict only when ``min_score`` is set. Weights: the checkpoint
``HPS_v2.1_compressed.pt`` of the hub repo ``xswu/HPSv2`` (or a local file; loaded with
``weights_only=True``), on open_clip's ViT-H-14; or ``embedded``: the tiny seeded CLIP the
other embedded scorers use, through the same checkpoint path.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from t2iqa.checks.base import ImageUnderTest, remember_failure
from t2iqa.checks.clip_alignment import load_clip
from t2iqa.checks.scored import ScorerConfig, ScoringCheck, checkpoint_file
from t2iqa.core.prefetched import WeightSource

HPS_REPO, HPS_FILE = "xswu/HPSv2", "HPS_v2.1_compressed.pt"
HPS_CHECKPOINT = f"hf-hub:{HPS_REPO}/{HPS_FILE}"
EMBEDDED = "embedded"
HPS_WEIGHTS = WeightSource(HPS_CHECKPOINT, "HPS v2.1 checkpoint (ViT-H/14), about 2 GB")


@remember_failure
@functools.cache
def load_hps(model: str, checkpoint: str, device: str) -> Any:
    """The ClipScorer of the fine-tuned model, once per process."""
    from t2iqa.checks.clip_alignment import EMBEDDED_CLIP, register_embedded_clip

    if checkpoint == EMBEDDED:
        model, weights = EMBEDDED_CLIP, str(register_embedded_clip()[1])
    else:
        weights = checkpoint_file(checkpoint, "hps_v21", "HPS")
    return load_clip(model, None, weights, None, device)


class HpsCheck(ScoringCheck):
    name = "hps_v21"
    version = "1"
    description = "HPS v2.1: predicted human preference for the image given its prompt"
    label, detail, digits = "HPS v2.1", "hps", 4
    weights = (HPS_WEIGHTS,)
    packages = ("open-clip-torch",)
    model_mib = 3761  # open_clip ViT-H/14: 986M parameters in float32
    loaders = (load_hps, load_clip)
    embedded_options = MappingProxyType({"checkpoint": EMBEDDED})
    score_unit = "HPS (cosine)"
    # Models on the authors' leaderboard differ by 0.005-0.02: a drop beyond 0.005 is news.
    gate_tolerance = 0.005

    @dataclass(frozen=True)
    class Config(ScorerConfig):
        checkpoint: str = HPS_CHECKPOINT  # hf-hub:REPO/FILE, a local file, or "embedded"
        model: str = "ViT-H-14"  # the open_clip architecture the checkpoint fits

    def scores(self, items: Sequence[ImageUnderTest]) -> list[float]:
        c = self.config
        scorer = load_hps(c.model, c.checkpoint, c.device)
        images = scorer.embed_images(items, c.batch_size)
        texts = scorer.embed_texts([it.spec.prompt for it in items])
        return [float(s) for s in (images * texts).sum(-1)]

    def source(self) -> dict[str, Any]:
        return {"checkpoint": self.config.checkpoint}
