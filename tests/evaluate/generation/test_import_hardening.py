"""Imports (``t2iqa run --images``): manifest paths stay inside the folder, seeds are whole
numbers, and a bad file is listed at the end instead of stopping the import."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from t2iqa.store.db import Store
from t2iqa.suites.files import load_suite
from tests.evaluate.test_cli import cli


def image(path: Path, color: tuple[int, int, int] = (200, 30, 30), size=(48, 36)) -> Path:
    Image.new("RGB", size, color).save(path)
    return path


def run_import(monkeypatch, capsys, folder: Path, store: Path, *extra: str):
    return cli(
        monkeypatch, capsys, "run", "--suite", "smoke", "--images", str(folder),
        "--model", "imported", "--check", "image_sanity", "--store", str(store), *extra,
    )  # fmt: skip


def test_an_import_goes_past_bad_files_and_lists_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ids = [p.id for p in load_suite("smoke").prompts]
    folder = tmp_path / "imgs"
    folder.mkdir()
    image(folder / f"{ids[0]}.png")
    image(folder / f"{ids[1]}.png", size=(1, 1))  # `t2iqa check` refuses it: so does import
    good = image(tmp_path / "whole.png").read_bytes()
    (folder / f"{ids[2]}.png").write_bytes(good[: len(good) // 2])  # truncated
    image(folder / f"{ids[3]}.png", (10, 200, 10))
    code, out, _ = run_import(monkeypatch, capsys, folder, tmp_path / "store")
    assert code == 1
    text = " ".join(out.split())
    assert f"{ids[1]}.png" in text and "too small to judge" in text
    assert f"{ids[2]}.png" in text and "truncated or corrupt" in text
    with Store(tmp_path / "store", read_only=True) as store:
        [run] = store.list_runs()
        kept = {r.prompt_id for r in store.result_rows(run.run_id)}
    assert kept == {ids[0], ids[3]} and run.status == "incomplete"


def test_manifest_paths_stay_inside_the_folder(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pid = load_suite("smoke").prompts[0].id
    folder, outside = tmp_path / "imgs", tmp_path / "secret"
    folder.mkdir()
    outside.mkdir()
    image(outside / "x.png")
    os.symlink(outside / "x.png", folder / "link.png")
    rows = ["../secret/x.png", str(outside / "x.png"), "link.png"]
    (folder / "manifest.csv").write_text(
        "file,prompt_id,seed\n" + "".join(f"{f},{pid},{n}\n" for n, f in enumerate(rows))
    )
    code, _, err = run_import(monkeypatch, capsys, folder, tmp_path / "store")
    text = " ".join(err.split())
    assert code == 2 and "3 problem(s)" in text and text.count("is outside") == 3
    assert not (tmp_path / "store" / "images").exists()  # nothing was copied in
    code, _, _ = run_import(
        monkeypatch, capsys, folder, tmp_path / "store", "--allow-outside-paths"
    )
    assert code == 0


@pytest.mark.parametrize("seed", ["true", "2.9", "-7", "1e3", '"x"'])
def test_manifest_seeds_are_whole_numbers(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    seed: str,
) -> None:
    pid = load_suite("smoke").prompts[0].id
    image(tmp_path / "a.png")
    (tmp_path / "manifest.jsonl").write_text(
        f'{{"file": "a.png", "prompt_id": "{pid}", "seed": {seed}}}\n'
    )
    code, _, err = run_import(monkeypatch, capsys, tmp_path, tmp_path / "store")
    assert code == 2 and "seed must be a whole number" in " ".join(err.split())
