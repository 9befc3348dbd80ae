"""Every kind of bad input in ``bad_inputs.CASES`` gets its exit code and a message that
names the problem, never a traceback (the README's exit codes)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.evaluate.bad_inputs import CASES, Case
from tests.evaluate.test_cli import cli


def test_the_table_covers_at_least_72_kinds() -> None:
    assert len({case.kind for case in CASES}) == len(CASES) >= 72


@pytest.mark.parametrize("case", CASES, ids=[case.kind for case in CASES])
def test_bad_input(
    case: Case,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(monkeypatch, capsys, *case.build(tmp_path))
    # Words as a reader sees them: table borders and line wraps removed.
    said = " ".join(re.sub("[\u2500-\u257f]", " ", out + err).split())
    assert "Traceback" not in said and "internal error" not in said, said[-2000:]
    assert (code, case.message in said) == (case.code, True), said[-1500:]
