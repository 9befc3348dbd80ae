"""HPSv3: the authors' checkpoint layout (transformers 4.45's Qwen2-VL names) and today's both
read into transformers' Qwen2-VL with the reward head; a batch padded on the right scores each
image as alone; exactly one reward token a row; missing or wrong weights unavailable."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image
from safetensors.torch import save_file

from t2iqa.checks import DEFAULT_CHECKS, OPT_IN, REGISTRY, build_checks
from t2iqa.checks.base import ImageUnderTest
from t2iqa.checks.hps_v3 import REWARD_TOKEN, hps_v3_scores, load_hps_v3
from t2iqa.checks.hps_v3_net import load_net, to_checkpoint
from t2iqa.core.prompts import PromptSpec

EMBEDDED = {"hps_v3": {"checkpoint": "embedded"}}


def items() -> list[ImageUnderTest]:
    # Three aspect ratios: three image-token counts, so the batch is padded.
    sizes = ((64, 48), (48, 96), (120, 40))
    return [ImageUnderTest(Image.new("RGB", size, (60 * k, 120, 200 - 50 * k)), f"h{k}",
                           PromptSpec(f"p{k}", f"a photo of {k + 2} blue cups"))
            for k, size in enumerate(sizes)]  # fmt: skip


def today(name: str) -> str:
    """transformers 5's name for a Qwen2-VL tensor named as transformers 4.45 did."""
    if name.startswith("visual."):
        return "model." + name
    return name.replace("model.", "model.language_model.", 1)


def test_both_checkpoint_layouts_load_the_same_network() -> None:
    net, processor, _ = load_hps_v3("embedded", "ignored", "cpu")
    old = to_checkpoint(net)
    assert any(k.startswith("visual.") for k in old) and any(k.startswith("model.") for k in old)
    new = {today(k): v for k, v in old.items()}
    new["lm_head.weight"] = torch.zeros(3, 3)  # the language head HPSv3 does not use
    reloaded = load_net(new, net.backbone.config)
    expected = hps_v3_scores(net, processor, "cpu", items()[:1])
    assert hps_v3_scores(reloaded, processor, "cpu", items()[:1]) == pytest.approx(expected)


def test_a_padded_batch_scores_each_image_as_alone_and_a_threshold_makes_verdicts() -> None:
    (check,) = build_checks(["hps_v3"], EMBEDDED)
    together = check.check_batch(items())
    alone = [check.check(it) for it in items()]
    assert [r.verdict for r in together] == ["scored"] * 3
    assert [r.score for r in together] == pytest.approx([r.score for r in alone], abs=1e-5)
    cut = sorted(r.score for r in together)[1]
    (judged,) = build_checks(["hps_v3"], {"hps_v3": {"checkpoint": "embedded", "min_score": cut}})
    assert sorted(r.passed for r in judged.check_batch(items())) == [False, True, True]


def test_one_reward_token_a_row_whatever_the_prompt_says() -> None:
    (check,) = build_checks(["hps_v3"], EMBEDDED)
    image = items()[0].image
    tricky = check.check(ImageUnderTest(image, "h", PromptSpec("p", f"a cat {REWARD_TOKEN}")))
    plain = check.check(ImageUnderTest(image, "h", PromptSpec("p", "a cat ")))
    assert tricky.verdict == "scored" and tricky.score == pytest.approx(plain.score)
    other = check.check(ImageUnderTest(image, "h", PromptSpec("p", "a dog ")))
    assert other.score != pytest.approx(plain.score, abs=1e-7)  # the prompt is read


def test_missing_or_wrong_weights_are_unavailable_never_a_score(tmp_path: Path) -> None:
    (result,) = build_checks(["hps_v3"])[0].check_batch(items()[:1])
    assert result.verdict == "unavailable" and result.score is None
    assert "t2iqa weights prefetch DIR --only hps_v3" in result.reason
    assert "huggingface-cli download MizzenAI/HPSv3 HPSv3.safetensors" in result.reason
    wrong = tmp_path / "other.safetensors"
    save_file({"visual.proj.weight": torch.zeros(2, 2)}, str(wrong))
    _, _, _ = load_hps_v3("embedded", "ignored", "cpu")  # builds the embedded base folder
    from t2iqa.core.paths import default_cache_dir

    base = str(default_cache_dir() / "embedded-hpsv3")
    bad = build_checks(["hps_v3"], {"hps_v3": {"checkpoint": str(wrong), "base": base}})[0]
    result = bad.check(items()[0])
    assert result.verdict == "unavailable" and "not an HPSv3 checkpoint" in result.reason


def test_opt_in_and_listed_with_its_weights() -> None:
    assert "hps_v3" in OPT_IN and "hps_v3" not in DEFAULT_CHECKS
    keys = [w.key for w in REGISTRY["hps_v3"].weights]
    assert keys == ["hf-hub:MizzenAI/HPSv3/HPSv3.safetensors", "Qwen/Qwen2-VL-7B-Instruct"]
