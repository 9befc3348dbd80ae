from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from evaluate.cli import main, parse_check_options, parse_seeds
from evaluate.errors import T2IQAError


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
    assert len(frame) == 2 and set(frame["verdict"]) == {"ok"} and Path(frame["file"][0]).is_file()
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
    assert code == 0 and "count-umbrella-2" in out
    src = tmp_path / "mine.txt"
    src.write_text('three cats\na sign that says "HI"\n')
    dest = tmp_path / "mine.yaml"
    code, out, _ = cli(monkeypatch, capsys, "suites", "import", str(src), "--out", str(dest))
    assert code == 0 and dest.is_file()
    code, out, _ = cli(monkeypatch, capsys, "suites", "show", str(dest))
    assert code == 0 and '"counts": {"cat": 3}' in out and '"text": "HI"' in out
