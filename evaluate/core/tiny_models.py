"""Helpers for models built locally from configs (the embedded generator and the embedded
scorers): a CLIP tokenizer folder from open_clip's bundled merges, and quiet model libraries
while building."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def write_clip_tokenizer_files(out_dir: Path) -> None:
    """Turn open_clip's bundled BPE merges into a Hugging Face CLIPTokenizer folder.

    Both tokenizers are OpenAI's CLIP BPE; they differ only in file layout and in the names
    of the two special tokens, so the ids come out identical.
    """
    from open_clip.tokenizer import bytes_to_unicode, default_bpe

    with gzip.open(default_bpe()) as fh:
        lines = fh.read().decode("utf-8").split("\n")
    merges = lines[1 : 49152 - 256 - 2 + 1]  # the slice open_clip's SimpleTokenizer uses
    byte_symbols = list(bytes_to_unicode().values())
    vocab = byte_symbols + [s + "</w>" for s in byte_symbols]
    vocab += ["".join(m.split()) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(vocab)}))
    (out_dir / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
    config = {
        "model_max_length": 77,
        "tokenizer_class": "CLIPTokenizer",
        "bos_token": "<|startoftext|>",
        "eos_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>",
        "pad_token": "<|endoftext|>",
        "do_lower_case": True,
    }
    (out_dir / "tokenizer_config.json").write_text(json.dumps(config, indent=2))


@contextmanager
def quiet_model_libraries() -> Iterator[None]:
    """Silence diffusers' and transformers' warnings and progress bars for a one-off local
    build: their advice (keep modules in float32, shard progress) is about loading real
    checkpoints, and on a newcomer's first `make demo` it reads like something went wrong."""
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    levels = diffusers_logging.get_verbosity(), transformers_logging.get_verbosity()
    diffusers_logging.set_verbosity_error()
    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        diffusers_logging.set_verbosity(levels[0])
        transformers_logging.set_verbosity(levels[1])
        transformers_logging.enable_progress_bar()


def build_once(folder: Path, save: Callable[[Path], None]) -> Path:
    """``folder`` as ``save`` writes it, built once: seeded, quietly, into a temporary folder
    renamed into place, so a build cut short is never taken for a finished one."""
    import torch

    if (folder / "config.json").is_file():
        return folder
    tmp = folder.with_name(folder.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    with quiet_model_libraries():
        save(tmp)
    tmp.replace(folder)
    return folder
