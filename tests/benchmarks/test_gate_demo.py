"""The demo's gate example end to end: two imported releases of sign images, the real OCR,
and `t2iqa compare` exiting 1 on the planted text regression and nothing else."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

from t2iqa.benchmarks.gate_demo import RELEASES, WORDS, misspell, write_gate_demo
from t2iqa.benchmarks.qa_samples import FONT_DIRS
from t2iqa.cli import main
from tests.conftest import require_system_files


def t2iqa(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["t2iqa", *args])
    with pytest.raises(SystemExit) as info:
        main()
    return int(info.value.code or 0)


def test_misspelling_changes_one_letter() -> None:
    assert misspell("OPEN") == "OPFN" and misspell("TAXI") == "TAYI"
    assert all(sum(a != b for a, b in zip(w, misspell(w), strict=True)) == 1 for w in WORDS)


def test_the_gate_catches_the_release_that_misspells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    require_system_files([FONT_DIRS[0] / "DejaVuSans-Bold.ttf"], "fonts-dejavu-core")
    demo, store = tmp_path / "demo", str(tmp_path / "store")
    # 16 prompts x 2 seeds per release: at 12, five of six misspelt prompts read as misspelt
    # are too few for the gate after Holm (an exact McNemar test agrees: p = 1/32 one-sided).
    write_gate_demo(demo, WORDS[:16])
    with (demo / "release-1" / "manifest.csv").open() as fh:
        assert len(list(csv.DictReader(fh))) == 32
    for k, release in enumerate(RELEASES, 1):
        code = t2iqa(
            monkeypatch, "run", "--suite", str(demo / "suite.yaml"), "--images",
            str(demo / release), "--manifest", str(demo / release / "manifest.csv"),
            "--model", release, "--run-id", f"r{k}", "--check", "image_sanity",
            "--check", "ocr_text", "--store", store,
        )  # fmt: skip
        assert code == 0
    capsys.readouterr()
    assert t2iqa(monkeypatch, "compare", "r1", "r2", "--store", store) == 1
    out = capsys.readouterr().out
    assert "REGRESSION: 2 gated result(s) got worse: ocr_text / all, ocr_text / text" in out
    assert t2iqa(monkeypatch, "compare", "r1", "r1", "--store", f"{store}") == 2  # same run twice
    assert t2iqa(monkeypatch, "compare", "r2", "r1", "--store", store) == 0  # the fix: improved
