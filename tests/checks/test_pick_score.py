"""PickScore on a tiny config-built CLIP with seeded random weights: the real loading and
scoring path, its formula, verdicts only with a threshold, and missing weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from t2iqa.checks import DEFAULT_CHECKS, build_checks
from t2iqa.checks.base import ImageUnderTest, run_check
from t2iqa.checks.pick_score import load_pickscore
from t2iqa.core.expectations import Expectations
from t2iqa.core.prompts import PromptSpec


def item(prompt: str, seed: int) -> ImageUnderTest:
    pixels = np.random.default_rng(seed).integers(0, 256, (40, 56, 3), dtype=np.uint8)
    spec = PromptSpec(f"p{seed}", prompt, "c", None, Expectations(), "suite")
    return ImageUnderTest(Image.fromarray(pixels), f"h{seed}", spec)


def test_scores_are_the_logit_scale_times_the_cosine() -> None:
    [check] = build_checks(["pick_score"], {"pick_score": {"model": "embedded"}})
    items = [item("a red bicycle", 1), item("two cats on a sofa", 2)]
    results = run_check(check, items)
    assert [r.verdict for r in results] == ["scored", "scored"]
    assert all(r.passed is None and r.score is not None for r in results)
    net, proc, _ = load_pickscore("embedded", "embedded", "cpu")
    with torch.no_grad():
        image = net.get_image_features(**proc(images=[items[0].image], return_tensors="pt"))
        text = net.get_text_features(**proc(text=["a red bicycle"], return_tensors="pt"))
    image, text = image.pooler_output, text.pooler_output
    cos = torch.nn.functional.cosine_similarity(image, text).item()
    assert results[0].score == pytest.approx(net.logit_scale.exp().item() * cos, rel=1e-5)
    batched = run_check(check, items[::-1])  # batch order does not change a score
    assert batched[1].score == pytest.approx(results[0].score, rel=1e-5)


def test_a_threshold_gives_verdicts_and_it_is_opt_in() -> None:
    [check] = build_checks(["pick_score"], {"pick_score": {"model": "embedded",
                                                           "min_score": -1000.0}})  # fmt: skip
    [result] = run_check(check, [item("a lighthouse", 3)])
    assert result.verdict == "ok" and result.passed is True and "min_score" in result.reason
    assert "pick_score" not in DEFAULT_CHECKS  # a 4 GB download is asked for by name
    from t2iqa.qa.verdicts import Policy

    assert "pick_score" not in Policy().check_names()  # t2iqa check's default too


def test_missing_weights_say_how_to_get_them() -> None:
    [check] = build_checks(["pick_score"], {"pick_score": {"model": "/nonexistent/pickscore"}})
    [result] = run_check(check, [item("a lighthouse", 3)])
    assert result.verdict == "unavailable" and result.score is None
    assert "huggingface-cli download yuvalkirstain/PickScore_v1" in result.reason
