"""Scorer weights fetched once into a folder, with the size and SHA-256 of every file, and
verified wherever they are used.

Each check and set metric names the weights its defaults need (``weights`` on its class:
a hub id, ``hf-hub:REPO/FILE``, ``open_clip:ARCH/TAG`` or a URL). ``t2iqa weights prefetch
DIR`` downloads them on a connected machine and records each file in ``DIR/t2iqa-weights.json``;
with ``T2IQA_WEIGHTS=DIR`` (or ``--weights DIR``) every scorer loads from there before the
hub's cache, after checking the files against that record: a truncated or altered file is
refused, naming the file and the hash expected.

The hashes are recorded when the files are fetched (trust on first use): no published
SHA-256 of these repositories could be read from here, where the hub is unreachable. The
record still tells a good copy from a truncated or altered one, which is what moving
gigabytes between machines breaks.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from t2iqa.core.errors import T2IQAError, Unavailable, first_line

WEIGHTS_ENV = "T2IQA_WEIGHTS"
RECORD = "t2iqa-weights.json"
CHUNK = 8 << 20  # bytes read at a time while hashing


@dataclass(frozen=True)
class WeightSource:
    """Weights a scorer's defaults load: ``key`` is what its loader asks for."""

    key: str  # a hub id, "hf-hub:REPO/FILE", "open_clip:ARCH/TAG" or an https URL
    what: str  # for people: "PickScore model"
    patterns: tuple[str, ...] | None = None  # which files of a hub repo (None: all)

    @property
    def folder(self) -> str:
        """Where it lives inside the weights folder (relative)."""
        if self.key.startswith(("http://", "https://")):
            return "urls"
        if self.key.startswith("hf-hub:"):
            return self.key.removeprefix("hf-hub:").rpartition("/")[0]
        if self.key.startswith("open_clip:"):
            return "open_clip/" + self.key.removeprefix("open_clip:").replace("/", "--")
        return self.key


def fetch_hint(scorer: str) -> str:
    """How to get a scorer's weights onto a machine without network, for its messages."""
    return (f"t2iqa weights prefetch DIR --only {scorer} on a connected machine, then "
            "--weights DIR (or T2IQA_WEIGHTS=DIR) here")  # fmt: skip


@contextmanager
def loading(what: str, scorer: str, otherwise: str) -> Iterator[None]:
    """Load a model inside: the model libraries' notices silenced, and any failure (offline
    and not cached, an unknown id, a folder of the wrong model, the library missing) raised
    as Unavailable naming ``what``, the library's first line, how to prefetch the scorer's
    weights and ``otherwise`` (a manual way)."""
    from t2iqa.core.tiny_models import quiet_model_libraries

    try:
        with quiet_model_libraries():
            yield
    except Exception as exc:
        raise Unavailable(
            f"cannot load {what}: {first_line(exc)}. With no network: {fetch_hint(scorer)}; "
            f"or {otherwise}"
        ) from None


def weights_dir() -> Path | None:
    value = os.environ.get(WEIGHTS_ENV)
    return Path(value).expanduser() if value else None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def read_record(folder: Path) -> dict[str, Any]:
    """The folder's record (key -> entry), empty when it has none."""
    path = folder / RECORD
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise T2IQAError(f"{path}: not a readable weights record ({exc})") from None
    return raw.get("weights", {}) if isinstance(raw, dict) else {}


def record(folder: Path, source: WeightSource, local: str, revision: str | None) -> dict:
    """Hash what prefetch put at ``folder/local`` (a file or a folder) and add it to the
    folder's record."""
    root = folder / local
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    entry = {
        "what": source.what, "local": local, "revision": revision,
        "files": [{"path": str(p.relative_to(folder)), "size": p.stat().st_size,
                   "sha256": sha256_file(p)} for p in files],
    }  # fmt: skip
    entries = read_record(folder)
    entries[source.key] = entry
    tmp = folder / (RECORD + ".tmp")
    tmp.write_text(json.dumps({"version": 1, "weights": entries}, indent=2), encoding="utf-8")
    tmp.replace(folder / RECORD)
    return entry


def problems(folder: Path, entry: dict[str, Any]) -> list[str]:
    """What is wrong with an entry's files: missing, truncated or altered."""
    out = []
    for f in entry.get("files", []):
        path = folder / f["path"]
        if not path.is_file():
            out.append(f"{path}: missing")
        elif path.stat().st_size != f["size"]:
            out.append(f"{path}: {path.stat().st_size} bytes, {f['size']} expected (truncated "
                       "or replaced)")  # fmt: skip
        elif (found := sha256_file(path)) != f["sha256"]:
            out.append(f"{path}: altered: sha256 {found}, expected {f['sha256']}")
    return out


def prefetched(key: str) -> str | None:
    """The local copy of ``key`` under ``T2IQA_WEIGHTS``, checked against its record (once
    per process and folder); None when there is no such folder or entry. A bad copy raises
    Unavailable: loading it would give wrong scores or a confusing error."""
    folder = weights_dir()
    return None if folder is None else _checked_copy(str(folder), key)


@functools.cache
def _checked_copy(folder_name: str, key: str) -> str | None:
    folder = Path(folder_name)
    entry = read_record(folder).get(key)
    if entry is None:
        return None
    if found := problems(folder, entry):
        raise Unavailable(f"refused the prefetched weights for {key}: {found[0]}; fetch them "
                          f"again: t2iqa weights prefetch {folder}")  # fmt: skip
    return str(folder / entry["local"])


def forget_checks() -> None:
    """Check the files again on next use (after they were replaced)."""
    _checked_copy.cache_clear()


# ---------------------------------------------------------------- fetching (needs the network)


def fetch(source: WeightSource, folder: Path) -> tuple[str, str | None]:
    """Download ``source`` into ``folder``: (its path relative to ``folder``, the hub
    revision it came from)."""
    if source.key.startswith(("http://", "https://")):
        import torch

        name = source.key.rsplit("/", 1)[1]
        (folder / "urls").mkdir(parents=True, exist_ok=True)
        # A release file named by its hash ("...-6726825d.pth", torch-fidelity's) is checked
        # against that published prefix as it downloads.
        published = re.search(r"-([0-9a-f]{8,64})\.\w+$", name)
        prefix = published.group(1) if published else None
        target = str(folder / "urls" / name)
        torch.hub.download_url_to_file(source.key, target, hash_prefix=prefix, progress=False)
        return f"urls/{name}", None
    from huggingface_hub import HfApi, hf_hub_download, snapshot_download

    repo, filename = _hub_file(source)
    revision = HfApi().model_info(repo).sha
    if filename is not None:
        path = hf_hub_download(repo, filename, revision=revision, local_dir=folder / source.folder)
        return str(Path(path).relative_to(folder)), revision
    patterns = list(source.patterns) if source.patterns else None
    if (
        patterns
        and "*.safetensors" in patterns
        and not any(
            f.endswith(".safetensors") for f in HfApi().list_repo_files(repo, revision=revision)
        )
    ):
        patterns.append("*.bin")  # no safetensors: the pickled files, loaded weights_only
    snapshot_download(repo, revision=revision, local_dir=folder / source.folder,
                      allow_patterns=patterns)  # fmt: skip
    return source.folder, revision


def _hub_file(source: WeightSource) -> tuple[str, str | None]:
    """(repo, one file or None for a folder) of a hub source."""
    if source.key.startswith("hf-hub:"):
        repo, _, filename = source.key.removeprefix("hf-hub:").rpartition("/")
        return repo, filename
    if source.key.startswith("open_clip:"):
        import open_clip
        from huggingface_hub import HfApi

        arch, _, tag = source.key.removeprefix("open_clip:").partition("/")
        repo = open_clip.get_pretrained_cfg(arch, tag).get("hf_hub", "").rstrip("/")
        if not repo:
            raise T2IQAError(f"open_clip has no hub copy of {arch}/{tag}")
        files = HfApi().list_repo_files(repo)
        preferred = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")
        return repo, next((f for f in preferred if f in files), preferred[1])
    return source.key, None


def where_cached(source: WeightSource) -> str | None:
    """Whether the usual caches hold it already (the hub's, torch's), for ``weights list``."""
    if source.key.startswith(("http://", "https://")):
        import torch

        path = Path(torch.hub.get_dir()) / "checkpoints" / source.key.rsplit("/", 1)[1]
        return str(path) if path.is_file() else None
    from huggingface_hub import constants

    repo = source.folder if not source.key.startswith("open_clip:") else None
    if repo is None:
        import open_clip

        arch, _, tag = source.key.removeprefix("open_clip:").partition("/")
        repo = open_clip.get_pretrained_cfg(arch, tag).get("hf_hub", "").rstrip("/")
    path = Path(constants.HF_HUB_CACHE) / f"models--{repo.replace('/', '--')}"
    return str(path) if repo and path.is_dir() else None
