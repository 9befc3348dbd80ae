"""The README's Python API examples run as doctests, in a temporary folder."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_examples() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    return "\n".join(b for b in blocks if b.lstrip().startswith(">>>"))


def test_readme_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = readme_examples()
    assert text.count(">>>") >= 8
    test = doctest.DocTestParser().get_doctest(text, {}, "README", str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0 and runner.tries >= 8


def test_api_errors_are_user_errors(tmp_path: Path) -> None:
    import t2iqa

    with pytest.raises(t2iqa.T2IQAError, match="nothing to check"):
        t2iqa.check([])
    with pytest.raises(t2iqa.T2IQAError, match="prompt is required"):
        t2iqa.check(tmp_path / "a.png")
    with pytest.raises(t2iqa.T2IQAError, match="scorers"):
        t2iqa.run(scorers="tiny", store=tmp_path / "store")
