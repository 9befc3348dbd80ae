"""HPS v2.1: the cosine the authors' score.py computes, through a real checkpoint file
(the embedded CLIP's), a hub id that is not cached, and a local file that is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from t2iqa.checks import DEFAULT_CHECKS, OPT_IN, build_checks
from t2iqa.checks.base import ImageUnderTest
from t2iqa.checks.clip_alignment import EMBEDDED_CLIP, load_clip, register_embedded_clip
from t2iqa.core.prompts import PromptSpec


def items() -> list[ImageUnderTest]:
    out = []
    for k, colour in enumerate(((200, 30, 30), (30, 200, 30), (30, 30, 200))):
        spec = PromptSpec(f"p{k}", f"a photo of thing {k}")
        out.append(ImageUnderTest(Image.new("RGB", (64, 64), colour), f"h{k}", spec))
    return out


def test_scores_are_the_embedding_cosine_and_a_threshold_makes_verdicts(tmp_path: Path) -> None:
    # The embedded CLIP's weights saved as the HPS checkpoint is laid out: {"state_dict": ...}.
    _, weights = register_embedded_clip()
    checkpoint = tmp_path / "hps.pt"
    torch.save({"state_dict": torch.load(weights, weights_only=True)}, checkpoint)
    check = build_checks(["hps_v21"], {"hps_v21": {"checkpoint": str(checkpoint),
                                                   "model": EMBEDDED_CLIP}})[0]  # fmt: skip
    results = check.check_batch(items())
    scorer = load_clip(EMBEDDED_CLIP, None, str(weights), None, "cpu")
    expected = (scorer.embed_images(items(), 8) * scorer.embed_texts(
        [it.spec.prompt for it in items()])).sum(-1)  # fmt: skip
    assert [r.verdict for r in results] == ["scored"] * 3
    assert [r.score for r in results] == pytest.approx(expected.tolist(), abs=1e-5)
    assert all(-1.0 <= r.score <= 1.0 for r in results)
    cut = sorted(r.score for r in results)[1]
    judged = build_checks(["hps_v21"], {"hps_v21": {"checkpoint": str(checkpoint),
                                                    "model": EMBEDDED_CLIP, "min_score": cut}})[0]  # fmt: skip
    assert sorted(r.passed for r in judged.check_batch(items())) == [False, True, True]


def test_missing_weights_are_unavailable_with_the_download_command(tmp_path: Path) -> None:
    (result,) = build_checks(["hps_v21"])[0].check_batch(items()[:1])
    assert result.verdict == "unavailable" and result.score is None
    assert "huggingface-cli download xswu/HPSv2 HPS_v2.1_compressed.pt" in result.reason
    assert "t2iqa weights prefetch DIR --only hps_v21" in result.reason
    missing = build_checks(["hps_v21"], {"hps_v21": {"checkpoint": str(tmp_path / "no.pt")}})
    assert "does not exist" in missing[0].check(items()[0]).reason


def test_opt_in_but_in_every_embedded_run() -> None:
    assert "hps_v21" in OPT_IN and "hps_v21" not in DEFAULT_CHECKS
    (embedded,) = build_checks(["hps_v21"], {"hps_v21": {"checkpoint": "embedded"}})
    assert embedded.check(items()[0]).verdict == "scored"


def test_an_embedded_run_scores_every_preference_model(tmp_path: Path) -> None:
    import t2iqa

    (tmp_path / "imgs").mkdir()
    Image.new("RGB", (64, 64), (90, 120, 40)).save(tmp_path / "imgs" / "count-bicycle-3.png")
    result = t2iqa.run("smoke", "imported", images=tmp_path / "imgs", limit=1,
                       scorers="embedded", store=tmp_path / "store")  # fmt: skip
    with t2iqa.open_store(tmp_path / "store", read_only=True) as store:
        scored = {row.check: row.verdict for row in store.result_rows(result.run_id)}
    preference = ("hps_v21", "pick_score", "image_reward", "hps_v3")
    assert [scored[name] for name in preference] == ["scored"] * 4
