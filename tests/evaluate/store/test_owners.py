"""A run whose process is gone is shown as interrupted, not running forever."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from t2iqa.store.db import Store
from t2iqa.store.owners import process_alive, this_process
from t2iqa.suites.files import load_suite
from tests.evaluate.test_cli import cli


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def start_run(store: Store, run_id: str, process: dict[str, object]) -> None:
    suite = load_suite("smoke")
    store.create_or_resume_run(
        run_id=run_id, model="m", suite_name=suite.name, suite_version=suite.version,
        suite_hash=suite.content_hash(), prompts=suite.prompts, planned_images=1,
        config={"identity": run_id}, provenance={"process": process},
    )  # fmt: skip


def test_running_means_a_live_process(tmp_path: Path) -> None:
    me = this_process()
    with Store(tmp_path / "s") as store:
        start_run(store, "alive", me)
        start_run(store, "killed", {**me, "pid": dead_pid()})
        start_run(store, "elsewhere", {**me, "host": "another-" + socket.gethostname()})
        start_run(store, "reused", {**me, "started": -1})  # same pid, another process
        status = {r.run_id: r.status for r in store.list_runs()}
    assert status == {
        "alive": "running", "killed": "interrupted", "elsewhere": "running",
        "reused": "interrupted",
    }  # fmt: skip
    assert process_alive(None) is None


def test_a_killed_run_reads_interrupted_everywhere(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with Store(tmp_path / "s") as store:
        start_run(store, "killed", {**this_process(), "pid": dead_pid()})
    code, out, _ = cli(monkeypatch, capsys, "runs", "--store", str(tmp_path / "s"))
    assert code == 0 and "interrupted" in out and "running" not in out


def test_a_bug_is_reported_as_one_with_exit_70(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], comparison_store: Path
) -> None:
    from t2iqa import api

    def broken(*args: object, **kwargs: object) -> None:
        return {}["missing"]  # type: ignore[return-value]

    monkeypatch.setattr(api, "compare", broken)
    code, _, err = cli(
        monkeypatch, capsys, "compare", "base", "worse", "--store", str(comparison_store)
    )
    text = " ".join(err.split())
    assert code == 70 and "internal error: KeyError: 'missing'" in text
    assert "This is a bug in t2iqa" in text and "Traceback" not in err
