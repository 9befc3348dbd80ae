from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from t2iqa.checks import DEFAULT_CHECKS, REGISTRY
from t2iqa.checks.image_sanity import ImageSanityCheck
from t2iqa.cli import main
from t2iqa.core.errors import ModelLoadError, T2IQAError
from t2iqa.generation.base import GenerationSettings
from t2iqa.generation.diffusers_source import DiffusersSource
from t2iqa.runs.runner import RunConfig, RunInterrupted, default_run_id, execute_run
from t2iqa.store.db import Store
from t2iqa.suites.files import load_suite

FAST = GenerationSettings(steps=2)


def config(**kw: Any) -> RunConfig:
    base: dict[str, Any] = {
        "suite": "smoke", "seeds": (0, 1), "settings": FAST, "limit": 3,
        "checks": ("image_sanity",),  # the plumbing tests; every check is run below
    }  # fmt: skip
    return RunConfig(**{**base, **kw})


def test_run_scores_and_a_second_run_reuses_everything(store_dir: Path) -> None:
    with Store(store_dir) as store:
        first = execute_run(config(), store)
        assert (first.generated, first.skipped, first.scored, first.cached) == (6, 0, 6, 0)
        assert first.plumbing_only and not first.failures
        run = store.get_run(first.run_id)
        assert run.status == "complete" and run.planned_images == 6
        assert (
            run.provenance["packages"]["torch"] and run.provenance["source"]["kind"] == "embedded"
        )
        assert run.provenance["source"]["pipeline_class"] == "StableDiffusionPipeline"
        assert run.config["run_config"]["settings"]["steps"] == 2
        rows = list(store.result_rows(first.run_id))
        assert len(rows) == 6 and all(r.verdict == "ok" for r in rows)
        second = execute_run(config(), store)
        assert second.run_id == first.run_id and second.resumed
        assert (second.generated, second.skipped, second.scored, second.cached) == (0, 6, 0, 6)


def test_a_rerun_with_nothing_to_do_loads_no_model_library(store_dir: Path) -> None:
    """Only what the work needs is imported: an unchanged re-run (the CI case) pays for no
    torch, pandas or scipy; and it keeps the hardware the working process recorded."""
    args = ["run", "--suite", "smoke", "--limit", "2", "--steps", "2", "--check",
            "image_sanity", "--check", "clip_alignment", "--scorers", "embedded",
            "--store", str(store_dir)]  # fmt: skip
    probe = (
        "import sys; sys.argv = ['t2iqa', *sys.argv[1:]]\nfrom t2iqa.cli import main\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "print(sorted(m for m in ('torch', 'pandas', 'scipy') if m in sys.modules))"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    runs = [subprocess.run([sys.executable, "-c", probe, *args], capture_output=True,
                           text=True, env=env, check=True) for _ in range(2)]  # fmt: skip
    assert "'torch'" in runs[0].stdout.splitlines()[-1]
    assert runs[1].stdout.splitlines()[-1] == "[]", runs[1].stdout[-500:]
    with Store(store_dir, read_only=True) as store:
        [run] = store.list_runs()
        assert "torch_threads" in run.provenance["hardware"]


def test_default_run_scores_with_every_default_check(store_dir: Path) -> None:
    with Store(store_dir) as store:
        outcome = execute_run(config(checks=None, seeds=(0,), limit=None), store)
        rows = list(store.result_rows(outcome.run_id))
    assert {r.check for r in rows} == set(DEFAULT_CHECKS)
    by_check = {(r.prompt_id, r.check): r for r in rows}
    text_prompt = next(p for p, c in by_check if p.startswith("text"))
    # A text prompt is judged by ocr_text, the others by unexpected_text.
    assert by_check[(text_prompt, "unexpected_text")].verdict == "not_applicable"
    assert by_check[(text_prompt, "ocr_text")].verdict != "not_applicable"
    assert not [r for r in rows if r.verdict == "error"]


def test_config_round_trips_and_names_the_run() -> None:
    cfg = config(check_options={"image_sanity": {"blank_std": 3.0}})
    assert RunConfig.from_dict(cfg.to_dict()) == cfg
    suite = load_suite("smoke").limited(3)
    assert default_run_id(cfg, suite).startswith("embedded--smoke--")
    # Batch size and device do not change images, so they do not make another run.
    same = config(settings=GenerationSettings(steps=2, batch_size=4, device="cpu"))
    assert default_run_id(same, suite) == default_run_id(cfg, suite)
    assert default_run_id(config(seeds=(0, 2)), suite) != default_run_id(cfg, suite)


def test_checks_only_rescore_when_their_config_changes(store_dir: Path) -> None:
    with Store(store_dir) as store:
        execute_run(config(), store)
        changed = execute_run(config(check_options={"image_sanity": {"blank_std": 5.0}}), store)
        assert (changed.generated, changed.scored, changed.cached) == (0, 6, 0)


def test_bad_inputs_fail_before_any_work(store_dir: Path) -> None:
    with Store(store_dir) as store:
        with pytest.raises(T2IQAError, match="unknown check"):
            execute_run(config(checks=("nope",)), store)
        with pytest.raises(ModelLoadError, match="offline"):
            execute_run(config(model="stabilityai/sdxl-turbo"), store)
        with pytest.raises(T2IQAError, match="no seeds"):
            execute_run(config(seeds=()), store)
        assert store.list_runs() == []


class InterruptingSource(DiffusersSource):
    """Presses Ctrl-C after a number of batches."""

    def __init__(self, after: int) -> None:
        super().__init__("embedded", FAST)
        self.after = after

    def generate(self, requests: Any) -> Any:
        if self.after == 0:
            raise KeyboardInterrupt
        self.after -= 1
        return super().generate(requests)


def test_ctrl_c_keeps_finished_images_and_resume_completes(store_dir: Path) -> None:
    with Store(store_dir) as store:
        with pytest.raises(RunInterrupted) as info:
            execute_run(config(), store, source=InterruptingSource(after=4))
        assert info.value.images_kept == 4
        assert store.get_run(info.value.run_id).status == "interrupted"
        resumed = execute_run(config(), store)
        assert (resumed.generated, resumed.skipped) == (2, 4)
        assert len(store.images(resumed.run_id)) == 6


def test_a_run_killed_mid_way_resumes_without_regenerating_or_duplicating(tmp_path: Path) -> None:
    """SIGKILL (no clean-up at all) a real `t2iqa run`, then run the same command again."""
    store_dir = tmp_path / "store"
    cmd = [sys.executable, "-c", "from t2iqa.cli import main; main()", "run", "--suite", "core",
           "--limit", "40", "--steps", "2", "--check", "image_sanity",
           "--store", str(store_dir)]  # fmt: skip
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy()
    )
    db = store_dir / "t2iqa.sqlite"
    deadline = time.monotonic() + 240
    kept: list[tuple[str, int, str]] = []
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        if db.exists():
            try:
                with sqlite3.connect(db) as conn:
                    kept = conn.execute("SELECT prompt_id, seed, image_hash FROM images").fetchall()
            except sqlite3.OperationalError:
                continue
            if len(kept) >= 5:
                break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 5 <= len(kept) < 40, "the run should be stopped mid-way"
    with Store(store_dir) as store:
        (killed,) = store.list_runs()
        before = {(r.prompt_id, r.seed): r.image_hash for r in store.images(killed.run_id)}
        outcome = execute_run(
            RunConfig(suite="core", limit=40, settings=FAST, checks=("image_sanity",)), store
        )
        assert outcome.skipped == len(before) and outcome.generated == 40 - len(before)
        after = {(r.prompt_id, r.seed): r.image_hash for r in store.images(outcome.run_id)}
        assert len(after) == 40
        assert all(after[k] == h for k, h in before.items())  # finished images untouched
        assert store.get_run(outcome.run_id).status == "complete"
        assert len(list(store.result_rows(outcome.run_id))) == 40


def test_folder_import_run(tmp_path: Path, store_dir: Path) -> None:
    from PIL import Image

    suite = load_suite("smoke")
    images = tmp_path / "mj"
    images.mkdir()
    # 48x36: imports obey `t2iqa check`'s limits (at least 32 px a side).
    Image.new("RGB", (48, 36), (0, 0, 0)).save(images / f"{suite.prompts[0].id}.png")
    Image.effect_noise((48, 36), 60).convert("RGB").save(images / f"{suite.prompts[1].id}.jpg")
    with Store(store_dir) as store:
        outcome = execute_run(
            RunConfig(
                suite="smoke",
                model="midjourney-v7",
                images_dir=str(images),
                checks=("image_sanity",),
            ),
            store,
        )
        assert outcome.generated == 2 and not outcome.plumbing_only
        rows = {r.prompt_id: r for r in store.result_rows(outcome.run_id)}
        assert rows[suite.prompts[0].id].verdict == "black"
        assert rows[suite.prompts[1].id].verdict == "ok"
        assert rows[suite.prompts[1].id].file.endswith(".jpg")


class CrashingCheck(ImageSanityCheck):
    name = "crashing"
    version = "1"

    def check(self, item: Any) -> Any:
        raise RuntimeError("detector exploded")


def test_a_crashing_check_becomes_an_error_row_and_exit_1(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(REGISTRY, "crashing", CrashingCheck)
    with Store(store_dir) as store:
        outcome = execute_run(config(checks=("image_sanity", "crashing")), store)
        rows = list(store.result_rows(outcome.run_id))
    assert {r.check: r.verdict for r in rows} == {"image_sanity": "ok", "crashing": "error"}
    crashed = [r for r in rows if r.check == "crashing"]
    assert len(crashed) == 6
    assert crashed[0].reason == "check crashed: RuntimeError: detector exploded"
    args = ["t2iqa", "run", "--limit", "3", "--seeds", "2", "--steps", "2", "--store", str(store_dir),
            "--check", "image_sanity", "--check", "crashing"]  # fmt: skip
    monkeypatch.setattr(sys, "argv", args)
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 1
    assert "detector exploded" in capsys.readouterr().out


def test_set_metrics_are_stored_shown_and_reused(store_dir: Path, tmp_path: Path) -> None:
    reference = tmp_path / "real"
    reference.mkdir()
    for k in range(6):
        Image.effect_noise((64, 64), 30 + 5 * k).convert("RGB").save(reference / f"{k}.png")
    cfg = config(
        set_metrics=("fid", "cmmd", "kid"),
        set_options={
            "fid": {"reference": str(reference), "feature_extractor": "embedded", "bootstrap": 3},
            "cmmd": {"reference": str(reference), "model": "embedded", "bootstrap": 5},
            "kid": {"feature_extractor": "embedded"},  # no reference: a warning, no value
        },
    )
    with Store(store_dir) as store:
        first = execute_run(cfg, store)
        results = {r.metric: r for r in store.set_results(first.run_id)}
        assert set(results) == {"fid", "cmmd"} and results["fid"].n == 6
        assert results["fid"].details["resize_mode"] == "clean"
        assert any("kid needs a reference" in w for w in first.warnings)
        again = execute_run(cfg, store)
        assert again.scored == 0  # images and settings unchanged: nothing recomputed
        assert store.set_results(first.run_id)[1].value == results["fid"].value
