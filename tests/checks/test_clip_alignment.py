"""CLIP alignment on a tiny open_clip model built from a config with random weights: the real
loading and scoring path, and our CLIPScore against torchmetrics' formula."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from t2iqa.checks.base import ImageUnderTest, run_check
from t2iqa.checks.clip_alignment import (
    EMBEDDED_CLIP,
    ClipAlignmentCheck,
    clip_score,
    load_clip,
    register_embedded_clip,
)
from t2iqa.core.expectations import Expectations
from t2iqa.core.prompts import PromptSpec
from t2iqa.core.results import OK, UNAVAILABLE


def spec(pid: str, prompt: str) -> PromptSpec:
    return PromptSpec(pid, prompt, "alignment", None, Expectations(), "suite")


def item(k: int, prompt: str) -> ImageUnderTest:
    image = Image.effect_noise((64, 64), 40 + 10 * k).convert("RGB")
    return ImageUnderTest(image, f"hash{k}", spec(f"p{k}", prompt))


def embedded(**kw: object) -> ClipAlignmentCheck:
    return ClipAlignmentCheck(ClipAlignmentCheck.Config(model=EMBEDDED_CLIP, **kw))


def test_clip_score_matches_torchmetrics_formula() -> None:
    torch.manual_seed(0)
    img, txt = torch.randn(5, 64), torch.randn(5, 64)
    img, txt = img / img.norm(dim=-1, keepdim=True), txt / txt.norm(dim=-1, keepdim=True)
    # torchmetrics.functional.multimodal.clip_score: 100 * cosine, clamped at 0, per pair.
    expected = torch.clamp(100 * torch.nn.functional.cosine_similarity(img, txt), min=0)
    assert torch.allclose(clip_score(img, txt), expected, atol=1e-5)


def test_rank_among_the_suite_prompts() -> None:
    prompts = ["a red apple", "a blue car", "a dog on grass"]
    check = embedded().bind([spec(f"p{k}", p) for k, p in enumerate(prompts)])
    items = [item(k, p) for k, p in enumerate(prompts)]
    results = run_check(check, items)
    scorer = check.scorer()
    sims = scorer.embed_images(items, 8) @ scorer.embed_texts(prompts).T
    for k, r in enumerate(results):
        expected_rank = 1 + int((sims[k] > sims[k, k]).sum())
        assert r.details["rank"] == expected_rank and r.details["candidates"] == 3
        assert r.verdict == (OK if expected_rank == 1 else "misaligned")
        assert r.score == pytest.approx(max(100 * float(sims[k, k]), 0), abs=1e-3)
    assert set(scorer.image_cache) >= {"hash0", "hash1", "hash2"}  # kept for CMMD


def test_binding_changes_the_cache_key() -> None:
    check = embedded()
    before = check.config_hash()
    bound = check.bind([spec("a", "x"), spec("b", "y")])
    assert bound.config_hash() != before


def test_binding_returns_a_copy_and_leaves_the_check_alone() -> None:
    """One check object can serve several runs: binding never changes it, so its config
    hash does not depend on which run bound it last (the dashboard needs no lock)."""
    check = embedded()
    before = check.config_hash()
    first = check.bind([spec("a", "x"), spec("b", "y")])
    second = check.bind([spec("c", "z"), spec("d", "w")])
    assert check.config_hash() == before and check.candidates == []
    assert first.candidates == ["x", "y"] and second.candidates == ["z", "w"]
    assert first.config_hash() == check.bind([spec("a", "x"), spec("b", "y")]).config_hash()


def test_no_candidates_uses_threshold_or_only_scores() -> None:
    [scored] = run_check(embedded(), [item(0, "a cat")])
    assert scored.verdict == "scored" and scored.passed is None and scored.score is not None
    [judged] = run_check(embedded(min_score=101.0), [item(0, "a cat")])
    assert judged.verdict == "misaligned" and "min_score 101" in judged.reason


def test_long_prompts_are_truncated_and_flagged() -> None:
    long_prompt = "a very detailed painting of " + "red apples and " * 40 + "a cat"
    [r] = run_check(embedded(), [item(0, long_prompt)])
    assert r.details["truncated"] and r.details["prompt_tokens"] > 77
    assert "cut to 77 tokens" in r.reason


def test_local_checkpoint_loads(tmp_path: Path) -> None:
    name, weights = register_embedded_clip()
    copy = tmp_path / "my-clip.pt"
    copy.write_bytes(weights.read_bytes())
    scorer = load_clip(name, None, str(copy), None, "cpu")
    reference = load_clip(EMBEDDED_CLIP, None, None, None, "cpu")
    t = ["a cat"]
    assert torch.allclose(scorer.embed_texts(t), reference.embed_texts(t))
    # Built without random draws: every tensor is the file's, none left as it was allocated.
    saved = torch.load(copy, weights_only=True)
    state = scorer.model.state_dict()
    assert set(state) == set(saved) and all(torch.equal(state[k], saved[k]) for k in saved)


def test_missing_weights_are_unavailable(tmp_path: Path) -> None:
    # The default ViT-L-14/openai is not cached here and the hub is off: no score invented.
    check = ClipAlignmentCheck(ClipAlignmentCheck.Config(cache_dir=str(tmp_path)))
    [r] = run_check(check, [item(0, "a cat")])
    assert r.verdict == UNAVAILABLE and r.score is None
    assert "checkpoint=PATH" in r.reason
    bad = ClipAlignmentCheck(ClipAlignmentCheck.Config(checkpoint=str(tmp_path / "none.pt")))
    assert "does not exist" in run_check(bad, [item(0, "a cat")])[0].reason


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_cuda_device_on_a_machine_without_one_is_unavailable_and_says_so() -> None:
    check = embedded(device="cuda")
    [r] = run_check(check, [item(0, "a cat")])
    assert r.verdict == UNAVAILABLE and r.score is None
    assert "clip_alignment.device cuda" in r.reason and "sees no CUDA GPU" in r.reason
