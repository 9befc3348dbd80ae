"""Scorers whose models do not fit on the accelerator together are run in groups, each
group's models released before the next loads; the results are those of one pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

import t2iqa
from t2iqa.checks import build_checks
from t2iqa.core.errors import T2IQAError
from t2iqa.runs.memory_plan import BUDGET_ENV, budget_mib, plan_passes

CHECKS = ["image_sanity", "clip_alignment", "pick_score", "hps_v21", "image_reward"]


def names(groups: list) -> list[list[str]]:
    return [[c.name for c in group] for group in groups]


def test_groups_pack_the_largest_first_and_light_checks_go_first() -> None:
    checks = build_checks([*CHECKS, "vqa_score", "vqa_atoms", "hand_anatomy"])
    assert names(plan_passes(checks, None)) == [[c.name for c in checks]]
    # 3,761 MiB each for the two ViT-H models, 1,700 ImageReward, 1,633 CLIP ViT-L, and one
    # 15,830 MiB VLM that both VQA checks share (counted once, kept together).
    assert names(plan_passes(checks, 20_000)) == [
        ["image_sanity", "pick_score", "vqa_score", "vqa_atoms", "hand_anatomy"],  # 19,591
        ["clip_alignment", "hps_v21", "image_reward"],
    ]
    assert names(plan_passes(checks, 4_000)) == [
        ["image_sanity", "vqa_score", "vqa_atoms", "hand_anatomy"],  # the VLM alone: > 4,000
        ["pick_score"], ["hps_v21"], ["clip_alignment", "image_reward"],
    ]  # fmt: skip
    light = build_checks(["image_sanity", "hand_anatomy"])
    assert names(plan_passes(light, 1)) == [["image_sanity", "hand_anatomy"]]


def test_the_budget_is_set_by_hand_or_is_none_on_a_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    checks = build_checks(CHECKS)
    monkeypatch.delenv(BUDGET_ENV, raising=False)
    assert budget_mib(checks) is None  # this machine has no CUDA device
    monkeypatch.setenv(BUDGET_ENV, "6000")
    assert budget_mib(checks) == 6000.0
    for bad in ("lots", "0", "-5", "nan"):
        monkeypatch.setenv(BUDGET_ENV, bad)
        with pytest.raises(T2IQAError, match=f"{BUDGET_ENV}='{bad}'.*positive number"):
            budget_mib(checks)


def run_scores(tmp_path: Path, name: str) -> tuple[dict, dict]:
    folder = tmp_path / "imgs"
    if not folder.is_dir():
        folder.mkdir()
        for k, prompt_id in enumerate(("count-bicycle-3", "count-bird-7")):
            Image.new("RGB", (64, 64), (90 + 40 * k, 120, 40)).save(folder / f"{prompt_id}.png")
    result = t2iqa.run("smoke", "imported", images=folder, limit=2, checks=CHECKS,
                       scorers="embedded", store=tmp_path / name)  # fmt: skip
    with t2iqa.open_store(tmp_path / name, read_only=True) as store:
        scores = {(r.prompt_id, r.check): r.score for r in store.result_rows(result.run_id)}
        provenance = store.get_run(result.run_id).provenance
    return scores, provenance


def test_a_run_in_groups_releases_each_groups_models_and_scores_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from t2iqa.checks.image_reward import load_image_reward
    from t2iqa.checks.pick_score import load_pickscore

    monkeypatch.delenv(BUDGET_ENV, raising=False)
    whole, provenance = run_scores(tmp_path, "whole")
    assert provenance["scoring_groups"] == [CHECKS]  # no plan: models stay loaded, as before
    assert load_pickscore.__wrapped__.cache_info().currsize >= 1  # type: ignore[attr-defined]
    monkeypatch.setenv(BUDGET_ENV, "4000")
    grouped, provenance = run_scores(tmp_path, "grouped")
    assert provenance["scoring_groups"] == [
        ["image_sanity", "pick_score"],
        ["hps_v21"],
        ["clip_alignment", "image_reward"],
    ]
    assert grouped.keys() == whole.keys() and len(grouped) == 2 * len(CHECKS)
    assert grouped == pytest.approx(whole, abs=1e-6)
    assert load_pickscore.__wrapped__.cache_info().currsize == 0  # type: ignore[attr-defined]
    assert load_image_reward.__wrapped__.cache_info().currsize == 0  # type: ignore[attr-defined]


def test_a_malformed_budget_stops_the_run_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BUDGET_ENV, "20GB")
    with pytest.raises(T2IQAError, match="T2IQA_MODEL_MEMORY_MIB='20GB'"):
        t2iqa.run("smoke", limit=1, checks=["image_sanity"], store=tmp_path / "store")
    assert not (tmp_path / "store").exists()
