from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from t2iqa.checks import DEFAULT_CHECKS
from t2iqa.cli import main
from t2iqa.cli.common import parse_check_options, parse_seeds
from t2iqa.core.errors import T2IQAError


def cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["t2iqa", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_parse_seeds() -> None:
    assert parse_seeds("4") == (0, 1, 2, 3)
    assert parse_seeds("7,8") == (7, 8)
    assert parse_seeds("10-12") == (10, 11, 12)
    for bad in ("0", "x", "3,3", "-1", ""):
        with pytest.raises(T2IQAError, match="--seeds"):
            parse_seeds(bad)


def test_parse_check_options() -> None:
    assert parse_check_options(["image_sanity.blank_std=3", "image_sanity.check_size=false"]) == {
        "image_sanity": {"blank_std": 3, "check_size": False}
    }
    with pytest.raises(T2IQAError, match=r"CHECK\.OPTION=VALUE"):
        parse_check_options(["blank_std=3"])


def test_run_export_and_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    store = str(tmp_path / "store")
    code, out, _ = cli(monkeypatch, capsys, "run", "--limit", "2", "--steps", "2", "--store", store)
    assert code == 0
    assert "PLUMBING CHECK" in out and "image_sanity" in out and "status: complete" in out
    run_id = next(w for w in out.split() if w.startswith("embedded--smoke--"))
    code, out, _ = cli(monkeypatch, capsys, "runs", "--store", store)
    assert code == 0 and run_id in out and "2/2" in out
    target = tmp_path / "r.csv"
    code, out, _ = cli(
        monkeypatch, capsys, "export", run_id, "--store", store, "--out", str(target)
    )
    assert code == 0
    frame = pd.read_csv(target)
    assert len(frame) == 2 * len(DEFAULT_CHECKS)  # 2 images x every default check
    assert set(frame[frame["check"] == "image_sanity"]["verdict"]) == {"ok"}
    assert Path(frame["file"][0]).is_file()
    parquet = tmp_path / "r.parquet"
    code, _, _ = cli(
        monkeypatch,
        capsys,
        "export",
        run_id,
        "--store",
        store,
        "--format",
        "parquet",
        "--out",
        str(parquet),
    )
    assert code == 0
    from_parquet = pd.read_parquet(parquet)
    assert list(from_parquet.columns) == list(frame.columns)
    assert from_parquet["prompt_id"].tolist() == frame["prompt_id"].tolist()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--suite", "nope"], "no bundled suite of that name"),
        (["run", "--check", "nope"], "unknown check(s) ['nope']"),
        (["run", "--seeds", "x"], "--seeds 'x'"),
        (["run", "--limit", "0"], "--limit must be 1 or more"),
        (
            ["run", "--model", "stabilityai/sdxl-turbo", "--limit", "1"],
            "this machine looks offline",
        ),
        (["run", "--model", "./no/such/folder"], "no such model folder"),
        (["run", "--images", "/no/such/dir"], "no such folder"),
        (["run", "--dtype", "float8", "--limit", "1"], "unknown --dtype"),
        (["run", "--check-option", "image_sanity.nope=1"], "has no option(s) ['nope']"),
        (["export", "nope"], "no run 'nope'"),
        (["export", "x", "--format", "xlsx"], "--format 'xlsx'"),
        (["runs"], "no t2iqa store at"),
        (["suites", "show", "missing.yaml"], "no such file"),
        (["run", "--no-such-flag"], "No such option"),
    ],
)
def test_input_errors_exit_2_with_a_message(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    store = tmp_path / "store"
    if args[0] == "export" and args[1] == "nope":
        store.mkdir()
        cli(monkeypatch, capsys, "run", "--limit", "1", "--steps", "1", "--store", str(store))
    extra = ["--store", str(store)] if args[0] in ("run", "export", "runs") else []
    code, out, err = cli(monkeypatch, capsys, *args, *extra)
    assert code == 2
    assert message in " ".join((out + err).split())
    assert "Traceback" not in out + err


def test_unwritable_store(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = cli(monkeypatch, capsys, "run", "--store", str(blocker / "store"))
    assert code == 2 and "cannot write to the store folder" in err


def test_suites_list_show_and_import(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = cli(monkeypatch, capsys, "suites", "list")
    assert code == 0 and "core" in out and "smoke" in out
    code, out, _ = cli(monkeypatch, capsys, "suites", "show", "smoke")
    assert code == 0 and "count-bicycle-3" in out
    src = tmp_path / "mine.txt"
    src.write_text('three cats\na sign that says "HI"\n')
    dest = tmp_path / "mine.yaml"
    code, out, _ = cli(monkeypatch, capsys, "suites", "import", str(src), "--out", str(dest))
    assert code == 0 and dest.is_file()
    code, out, _ = cli(monkeypatch, capsys, "suites", "show", str(dest))
    assert code == 0 and '"counts": {"cat": 3}' in out and '"text": "HI"' in out


# ------------------------------------------------------------------ t2iqa check


def _sign(path: Path, text: str) -> Path:
    from t2iqa.benchmarks.qa_samples import render_sign

    render_sign(text).save(path)
    return path


def test_check_exit_codes_json_and_annotations(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import json

    right = _sign(tmp_path / "right.png", "OPEN")
    wrong = _sign(tmp_path / "wrong.png", "OPFN")
    prompt = 'a sign that says "OPEN"'
    code, out, _ = cli(monkeypatch, capsys, "check", str(right), "--prompt", prompt)
    assert code == 0 and "pass" in out
    annotated = tmp_path / "annotated"
    code, out, _ = cli(
        monkeypatch, capsys, "check", str(right), str(wrong), "--prompt", prompt, "--json",
        "--annotate", str(annotated),
    )  # fmt: skip
    assert code == 1
    report = json.loads(out)
    rows = {Path(r["image"]).name: r for r in report["images"]}
    assert rows["right.png"]["verdict"] == "pass"
    assert rows["wrong.png"]["verdict"] == "fail"
    assert 'expected "OPEN", read "OPFN"' in rows["wrong.png"]["reasons"][0]
    assert rows["wrong.png"]["checks"]["ocr_text"]["details"]["boxes"]
    assert sorted(p.name for p in annotated.iterdir()) == ["right.png", "wrong.png"]
    assert Image.open(annotated / "wrong.png").height > 320  # picture plus the verdict panel


def test_check_bad_file_is_exit_2_and_others_still_checked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    right = _sign(tmp_path / "right.png", "OPEN")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnope")
    code, out, _ = cli(
        monkeypatch, capsys, "check", str(right), str(tmp_path / "broken.png"),
        "--prompt", 'a sign that says "OPEN"', "--check-option", "ocr_text.max_ned=0.1",
    )  # fmt: skip
    assert code == 2
    assert "1 pass, 0 fail, 1 unreadable" in " ".join(out.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check"], "nothing to check"),
        (["check", "x.png"], "--prompt is required"),
        (["check", "x.png", "--manifest", "m.jsonl"], "not both"),
        (["check", "--manifest", "m.jsonl", "--prompt", "p"], "carries its own prompts"),
        (["check", "x.png", "--prompt", "p", "--policy", "nope.yaml"], "does not exist"),
        (["check", "x.png", "--prompt", "p", "--check-option", "ocr_text.nope=1"], "no option"),
    ],
)
def test_check_usage_errors(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(monkeypatch, capsys, *args)
    assert code == 2
    assert message in " ".join(err.split())


def test_compare_exit_codes_and_reports(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    comparison_store: Path,
) -> None:
    store = str(comparison_store)
    code, out, _ = cli(monkeypatch, capsys, "compare", "base", "same", "--store", store)
    assert code == 0 and "PASSED" in out
    junit, html_file, md = tmp_path / "r" / "j.xml", tmp_path / "r.html", tmp_path / "r.md"
    code, out, err = cli(
        monkeypatch, capsys, "compare", "base", "worse", "--store", store, "--junit", str(junit),
        "--html", str(html_file), "--markdown", str(md),
    )  # fmt: skip
    assert code == 1 and "REGRESSION" in out
    assert junit.is_file() and html_file.is_file() and md.is_file()
    assert str(html_file.resolve()) in err.replace("\n", "")
    code, out, _ = cli(
        monkeypatch, capsys, "compare", f"{store}:base", f"{store}:worse", "--markdown", "-"
    )
    assert code == 1 and out.startswith("## t2iqa compare")
    code, out, _ = cli(monkeypatch, capsys, "compare", "worse", "base", "better", "--store", store)
    assert code == 0 and "best model per category" in out
    # Two runs ranked, not gated: a leaderboard, and a worse second run is no failure.
    code, out, _ = cli(monkeypatch, capsys, "compare", "base", "worse", "--rank", "--store", store)
    assert code == 0 and "best model per category" in out and "REGRESSION" not in out


def test_compare_usage_errors_exit_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    comparison_store: Path,
) -> None:
    store = str(comparison_store)
    cases = [
        (["compare", "base", "--store", store], "baseline and a candidate"),
        (["compare", "a", "b", "c", "--junit", "x.xml", "--store", store], "exactly two"),
        (["compare", "a", "b", "--rank", "--junit", "x.xml", "--store", store], "without --rank"),
        (["compare", "base", "nope", "--store", store], "no run 'nope'"),
        (["compare", "base", "same", "--store", store, "--gate", str(tmp_path / "g.yaml")],
         "does not exist"),
        (["compare", "base", "same", "--store", str(tmp_path / "empty")], "no t2iqa store"),
    ]  # fmt: skip
    for args, message in cases:
        code, _, err = cli(monkeypatch, capsys, *args)
        assert code == 2, args
        assert message in err.replace("\n", " "), (args, err)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = cli(
        monkeypatch, capsys, "compare", "base", "same", "--store", store,
        "--html", str(blocker / "r.html"),
    )  # fmt: skip
    assert code == 2 and "cannot write" in err


def test_dashboard_refuses_a_bad_port(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = cli(monkeypatch, capsys, "dashboard", "--store", str(tmp_path), "--port", "0")
    assert code == 2 and "--port 0" in err


def test_nothing_checked_is_unverified_not_pass(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The prompt asks for three apples; the detector cannot run here (no weights offline)."""
    import numpy as np

    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(40, 220, (64, 96, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    args = ["check", str(tmp_path / "a.png"), "--prompt", "three apples on a table"]
    code, out, _ = cli(monkeypatch, capsys, *args)
    said = " ".join(out.split())
    assert code == 3 and "unverified" in said and "object_count cannot run here" in said
    (tmp_path / "lenient.yaml").write_text("allow_unavailable: true\n")
    code, out, _ = cli(monkeypatch, capsys, *args, "--policy", str(tmp_path / "lenient.yaml"))
    assert code == 0 and "1 pass, 0 fail" in " ".join(out.split())
