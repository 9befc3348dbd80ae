"""Images in GenEval's own layout (NNNNN/metadata.jsonl, NNNNN/samples/SSSS.png) import as a
run of the bundled geneval suite: folder = prompt id, sample = seed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from t2iqa.core.errors import T2IQAError
from t2iqa.generation.folder_source import geneval_layout, read_manifest
from t2iqa.suites.files import load_suite


def geneval_folder(root: Path, prompts: dict[str, str], samples: int = 2) -> Path:
    for pid, prompt in prompts.items():
        (root / pid / "samples").mkdir(parents=True)
        (root / pid / "metadata.jsonl").write_text(json.dumps({"prompt": prompt}))
        for s in range(samples):
            Image.new("RGB", (64, 64), (40 * s, 90, 120)).save(
                root / pid / "samples" / f"{s:04d}.png"
            )
        (root / pid / "grid.png").write_bytes(b"")  # GenEval's grid image: not a sample
    return root


def test_geneval_layout_maps_folders_to_prompts_and_samples_to_seeds(tmp_path: Path) -> None:
    suite = load_suite("geneval")
    folder = geneval_folder(
        tmp_path, {"00000": "a photo of a bench", "00002": "a photo of a bicycle"}
    )
    assert geneval_layout(folder)
    rows = read_manifest(folder, None, suite)
    assert [(r.prompt_id, r.seed) for r in rows] == [("00000", 0), ("00000", 1), ("00002", 0),
                                                     ("00002", 1)]  # fmt: skip
    assert rows[1].file == folder / "00000" / "samples" / "0001.png"


def test_a_folder_made_for_another_prompt_is_named(tmp_path: Path) -> None:
    folder = geneval_folder(tmp_path, {"00000": "a photo of a bench", "00001": "a photo of a dog"})
    with pytest.raises(T2IQAError, match=r"00001/metadata.jsonl: prompt 'a photo of a dog' is "
                                         r"not the suite's 'a photo of a cow'"):  # fmt: skip
        read_manifest(folder, None, load_suite("geneval"))
