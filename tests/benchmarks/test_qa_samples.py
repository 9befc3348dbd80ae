"""The README demo's QA samples: t2iqa's verdict on each is the verdict it should give."""

from __future__ import annotations

from pathlib import Path

from t2iqa.benchmarks.qa_samples import FONT_DIRS, hand_photos, write_samples
from t2iqa.qa.entries import read_manifest
from t2iqa.qa.verdicts import Policy, check_entries
from tests.conftest import require_system_files


def test_demo_verdicts_are_right(tmp_path: Path) -> None:
    require_system_files([FONT_DIRS[0] / "DejaVuSans-Bold.ttf"], "fonts-dejavu-core")
    samples = write_samples(tmp_path)
    verdicts = check_entries(read_manifest(tmp_path / "manifest.jsonl"), Policy())
    got = {Path(v.image).name: v.verdict for v in verdicts}
    assert got == {s.file: s.expected_verdict for s in samples}
    assert len(samples) == 11 + len(hand_photos())
