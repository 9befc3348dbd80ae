"""ImageReward: the authors' checkpoint layout read into transformers' BLIP modules (the
vision renaming checked against timm's ViT, whose names BLIP's ViT shares), batching that does
not change a score, the prompt cut at 35 tokens, and missing or wrong weights unavailable."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
import torch
from PIL import Image

from t2iqa.checks import DEFAULT_CHECKS, OPT_IN, build_checks
from t2iqa.checks.base import ImageUnderTest
from t2iqa.checks.image_reward import embedded_architecture, load_image_reward
from t2iqa.checks.image_reward_net import ImageRewardNet, load_net, to_checkpoint
from t2iqa.core.prompts import PromptSpec

EMBEDDED = {"image_reward": {"checkpoint": "embedded"}}


def items(n: int = 3) -> list[ImageUnderTest]:
    out = []
    for k in range(n):
        image = Image.new("RGB", (64 + 8 * k, 48), (200, 40 * k, 30))
        spec = PromptSpec(f"p{k}", f"a photo of {k + 1} red apples on a table")
        out.append(ImageUnderTest(image, f"h{k}", spec))
    return out


def test_blip_vision_tensors_land_where_transformers_expects_them() -> None:
    from timm.models.vision_transformer import VisionTransformer

    arch = embedded_architecture()
    torch.manual_seed(3)
    vit = VisionTransformer(
        img_size=arch.image_size, patch_size=arch.patch_size, embed_dim=arch.vision_width,
        depth=arch.vision_layers, num_heads=arch.vision_heads, mlp_ratio=4.0, qkv_bias=True,
        num_classes=0, global_pool="", norm_layer=partial(torch.nn.LayerNorm, eps=1e-6),
    ).eval()  # fmt: skip
    state = {k: v for k, v in to_checkpoint(ImageRewardNet(arch)).items()
             if not k.startswith("blip.visual_encoder.")}  # fmt: skip
    state |= {f"blip.visual_encoder.{k}": v for k, v in vit.state_dict().items()}
    net = load_net(state, arch)
    pixels = torch.randn(2, 3, arch.image_size, arch.image_size)
    with torch.no_grad():
        ours = net.vision(pixel_values=pixels).last_hidden_state
        theirs = vit.forward_features(pixels)
    assert torch.allclose(ours, theirs, atol=1e-5)


def test_a_batch_scores_each_image_as_alone_and_a_threshold_makes_verdicts() -> None:
    (check,) = build_checks(["image_reward"], EMBEDDED)
    together = check.check_batch(items())
    alone = [check.check(it) for it in items()]
    assert [r.verdict for r in together] == ["scored"] * 3
    assert [r.score for r in together] == pytest.approx([r.score for r in alone], abs=1e-5)
    assert together[0].details["image_reward"] == pytest.approx(together[0].score, abs=1e-4)
    cut = sorted(r.score for r in together)[1]
    opts = {"image_reward": {"checkpoint": "embedded", "min_score": cut}}
    (judged,) = build_checks(["image_reward"], opts)
    results = judged.check_batch(items())
    assert sorted(r.passed for r in results) == [False, True, True]
    assert {r.verdict for r in results} == {"ok", "dispreferred"}


def test_prompts_are_cut_at_35_tokens_as_the_authors_do() -> None:
    net, tokenizer, _ = load_image_reward("embedded", "ignored", "cpu")
    # The tiny vocabulary spells words letter by letter: 33 letters + [CLS] + [SEP] = 35.
    base = "abcdefghijklmnopqrstuvwxyzabcdefg"
    image = items(1)[0].image
    scores = []
    for prompt in (base, base + "hijk", base + "zzzz"):
        (check,) = build_checks(["image_reward"], EMBEDDED)
        scores.append(check.check(ImageUnderTest(image, "h", PromptSpec("p", prompt))).score)
    assert scores[0] == pytest.approx(scores[1], abs=1e-6) == pytest.approx(scores[2], abs=1e-6)
    shorter = build_checks(["image_reward"], EMBEDDED)[0].check(
        ImageUnderTest(image, "h", PromptSpec("p", base[:-3]))
    )
    assert shorter.score != pytest.approx(scores[0], abs=1e-7)
    assert len(tokenizer(base)["input_ids"]) == 35 and net.text.config.vocab_size == len(tokenizer)


def test_missing_or_wrong_weights_are_unavailable_never_a_score(tmp_path: Path) -> None:
    (result,) = build_checks(["image_reward"])[0].check_batch(items(1))
    assert result.verdict == "unavailable" and result.score is None
    assert "t2iqa weights prefetch DIR --only image_reward" in result.reason
    assert "huggingface-cli download THUDM/ImageReward ImageReward.pt" in result.reason
    missing = {"image_reward": {"checkpoint": str(tmp_path / "no.pt")}}
    assert "does not exist" in build_checks(["image_reward"], missing)[0].check(items()[0]).reason
    wrong = tmp_path / "not-imagereward.pt"
    torch.save({"visual.proj": torch.zeros(2, 2)}, wrong)
    bad = build_checks(["image_reward"], {"image_reward": {"checkpoint": str(wrong)}})[0]
    result = bad.check(items()[0])
    assert result.verdict == "unavailable" and "not an ImageReward checkpoint" in result.reason


def test_a_checkpoint_of_another_size_is_refused_naming_the_tensor() -> None:
    arch = embedded_architecture()
    state = to_checkpoint(ImageRewardNet(arch))
    state["mlp.layers.0.weight"] = torch.zeros(1024, 48)
    with pytest.raises(ValueError, match=r"mlp.layers.0.weight is \(1024, 48\)"):
        load_net(state, arch)


def test_opt_in_and_listed_with_its_weights() -> None:
    from t2iqa.checks import REGISTRY

    assert "image_reward" in OPT_IN and "image_reward" not in DEFAULT_CHECKS
    keys = [w.key for w in REGISTRY["image_reward"].weights]
    assert keys == ["hf-hub:THUDM/ImageReward/ImageReward.pt", "google-bert/bert-base-uncased"]


def test_a_checkpoint_that_would_run_code_is_refused_and_never_runs(tmp_path: Path) -> None:
    from tests.evaluate.core.test_weights import malicious_weights

    evil, marker = malicious_weights(tmp_path, "ImageReward.pt")
    (check,) = build_checks(["image_reward"], {"image_reward": {"checkpoint": str(evil)}})
    result = check.check(items(1)[0])
    assert result.verdict == "unavailable" and "refused to load" in result.reason
    assert not marker.exists()
