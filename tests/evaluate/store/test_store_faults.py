"""Faults of the machine under a store: a folder where the database should be, a damaged
database, a full disk, a read-only file system. Each is a sentence naming the file and what
to do (exit 2), never a traceback; a run stopped by one is shown as interrupted."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from t2iqa.benchmarks.synthetic_store import write_synthetic_run
from t2iqa.store.db import DB_NAME, Store
from t2iqa.suites.files import load_suite
from tests.evaluate.test_cli import cli


@contextlib.contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    """A real file system of ``size`` bytes (tmpfs; needs root, as CI runs here)."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True, check=False,
    )  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.decode()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def one_run_store(root: Path) -> Path:
    with Store(root) as store:
        write_synthetic_run(store, "base", load_suite("smoke"), seeds=(0,), side=32)
    return root


def test_a_folder_named_like_the_database(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "store" / DB_NAME).mkdir(parents=True)
    for args in (["runs"], ["export", "x"], ["run", "--suite", "smoke", "--scorers", "embedded"]):
        code, _, err = cli(monkeypatch, capsys, *args, "--store", str(tmp_path / "store"))
        assert code == 2 and "is a folder, not a database file" in " ".join(err.split()), args


def test_a_damaged_database_is_named_with_how_to_recover(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = one_run_store(tmp_path / "store")
    db = root / DB_NAME
    data = bytearray(db.read_bytes())
    page = 4096
    data[page * 2 : len(data) - page] = b"\xa5" * (len(data) - 3 * page)  # header intact
    db.write_bytes(bytes(data))
    code, out, err = cli(monkeypatch, capsys, "export", "base", "--store", str(root))
    text = " ".join(err.split())
    assert code == 2 and "is damaged" in text and ".recover" in text, err
    assert "Traceback" not in out + err


def test_a_full_disk_while_creating_the_store(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with small_disk(tmp_path / "disk", "8k") as disk:
        code, _, err = cli(
            monkeypatch, capsys, "run", "--suite", "smoke", "--scorers", "embedded",
            "--store", str(disk / "store"),
        )  # fmt: skip
    text = " ".join(err.split())
    assert code == 2 and "is full" in text and "run the same command again" in text, err


def test_a_disk_that_fills_during_a_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with small_disk(tmp_path / "disk", "320k") as disk:  # room for the run, not its images
        store = disk / "store"
        # In its own process: a process that is gone is how readers know the run stopped.
        done = subprocess.run(
            [sys.executable, "-c", "from t2iqa.cli import main; main()", "run",
             "--suite", "core", "--scorers", "embedded", "--check", "image_sanity",
             "--seeds", "4", "--store", str(store)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        text = " ".join(done.stderr.split())
        assert done.returncode == 2 and "is full" in text and "Traceback" not in text, text
        saved = tmp_path / "saved"
        shutil.copytree(store, saved)
    with Store(saved, read_only=True) as st:
        [run] = st.list_runs()
    assert run.status == "interrupted"  # not "running" forever


def test_a_read_only_store(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with small_disk(tmp_path / "disk", "4m") as disk:
        one_run_store(disk / "store")
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        code, _, err = cli(
            monkeypatch, capsys, "run", "--suite", "smoke", "--scorers", "embedded",
            "--store", str(disk / "store"),
        )  # fmt: skip
        text = " ".join(err.split())
        assert code == 2 and "read-only" in text.lower() and "not a t2iqa store" not in text
        code, out, _ = cli(monkeypatch, capsys, "runs", "--store", str(disk / "store"))
        assert code == 0 and "base" in out  # reading still works
