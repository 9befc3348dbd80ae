from __future__ import annotations

from pathlib import Path

import open_clip
from transformers import CLIPTokenizer

from t2iqa.core.tiny_models import write_clip_tokenizer_files
from t2iqa.generation.embedded import build_embedded_pipeline, ensure_embedded_model


def test_tokenizer_built_from_open_clip_vocabulary_gives_the_same_ids(tmp_path: Path) -> None:
    write_clip_tokenizer_files(tmp_path)
    ours = CLIPTokenizer.from_pretrained(tmp_path)
    reference = open_clip.get_tokenizer("ViT-B-32")
    for text in [
        'A neon sign that says "OPEN 24/7"',
        "three red apples!",
        "Café déjà vu",
        "x" * 300,
    ]:
        ids = ours(text, truncation=True, max_length=77).input_ids
        expected = reference([text])[0].tolist()
        assert ids == expected[: len(ids)]
        assert all(v == 0 for v in expected[len(ids) :])  # open_clip pads with 0
    assert ours.model_max_length == 77


def test_embedded_model_is_small_and_rebuilds_identically(tmp_path: Path) -> None:
    folder = ensure_embedded_model()
    assert (folder / "model_index.json").is_file()
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    assert size < 12 * 2**20, f"embedded model is {size / 2**20:.1f} MB"
    again = build_embedded_pipeline(tmp_path / "again")
    weights = sorted(p.relative_to(folder) for p in folder.rglob("*.safetensors"))
    assert weights
    for rel in weights:
        assert (folder / rel).read_bytes() == (again / rel).read_bytes(), rel
