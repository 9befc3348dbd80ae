"""Images made elsewhere (Midjourney, DALL-E, Imagen, Ideogram, Firefly, ...): a folder plus
a manifest mapping files to prompt ids, imported with their original bytes and checked by the
same decoder and limits as ``t2iqa check``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from t2iqa.core.errors import T2IQAError
from t2iqa.core.images import IMAGE_SUFFIXES, MAX_FILE_BYTES, ImageInputError, decode_image
from t2iqa.core.parsing import json_value
from t2iqa.core.paths import path_in_folder
from t2iqa.generation.base import (
    MAX_SEED,
    GeneratedImage,
    GenerationRequest,
    ImageSource,
    RejectedImage,
    SourceConfig,
)

if TYPE_CHECKING:
    from t2iqa.suites.files import Suite


@dataclass(frozen=True)
class ManifestRow:
    where: str
    file: Path
    prompt_id: str
    seed: int


FILE_COLUMNS = ("file", "image", "path", "filename")
ID_COLUMNS = ("prompt_id", "id")


def read_manifest(
    images_dir: Path, manifest: Path | None, suite: Suite, allow_outside: bool = False
) -> list[ManifestRow]:
    """Map image files to prompt ids.

    With a manifest (CSV or JSONL: ``file``, ``prompt_id``, optional ``seed``), its rows. Without
    one, GenEval's own layout when the folder has it (``00000/metadata.jsonl``,
    ``00000/samples/0000.png``: folder = prompt id, as in the bundled ``geneval`` suite, sample
    = seed), else file names: ``<prompt_id>.png`` or ``<prompt_id>__<seed>.png``. Seeds not
    given are numbered 0, 1, ... per prompt in file order. Every problem is listed at once.
    """
    if not images_dir.is_dir():
        raise T2IQAError(f"--images {images_dir}: no such folder")
    if manifest is None:
        for candidate in ("manifest.csv", "manifest.jsonl"):
            if (images_dir / candidate).is_file():
                manifest = images_dir / candidate
    problems: list[str] = []
    if manifest is not None:
        raw = _manifest_rows(manifest)
    elif geneval_layout(images_dir):
        raw = _geneval_rows(images_dir, suite, problems)
    else:
        raw = _file_name_rows(images_dir)
    if not raw and not problems:
        raise T2IQAError(
            f"no images found in {images_dir}: add a manifest.csv (file,prompt_id[,seed]) or "
            "name files <prompt_id>.png"
        )
    rows, more_problems = _resolve_rows(raw, images_dir, suite, allow_outside)
    problems += more_problems
    if problems:
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        raise T2IQAError(f"{len(problems)} problem(s) importing {images_dir}:\n{shown}{more}")
    return rows


RawRow = tuple[str, str, str, Any]  # where, file, prompt id, seed as written


def _file_name_rows(images_dir: Path) -> list[RawRow]:
    """``<prompt_id>.png`` or ``<prompt_id>__<seed>.png``, in file-name order."""
    raw: list[RawRow] = []
    for f in sorted(images_dir.iterdir()):
        if f.suffix.lower() in IMAGE_SUFFIXES:
            stem, _, seed = f.stem.partition("__")
            raw.append((f.name, f.name, stem, seed or None))
    return raw


def geneval_layout(images_dir: Path) -> bool:
    """Whether a folder holds GenEval's image layout: numbered folders with ``samples/``."""
    return any(
        d.is_dir() and d.name.isdigit() and (d / "samples").is_dir() for d in images_dir.iterdir()
    )


def _geneval_rows(images_dir: Path, suite: Suite, problems: list[str]) -> list[RawRow]:
    """``NNNNN/samples/SSSS.png`` as (prompt id NNNNN, seed SSSS). A folder whose
    ``metadata.jsonl`` names another prompt than the suite's NNNNN is a problem: images made
    for other prompts would be judged against the wrong ones."""
    known = suite.by_id()
    raw: list[RawRow] = []
    for folder in sorted(d for d in images_dir.iterdir() if d.is_dir() and d.name.isdigit()):
        meta = folder / "metadata.jsonl"
        if meta.is_file() and folder.name in known:
            try:
                prompt = json_value(meta.read_text(encoding="utf-8"), str(meta)).get("prompt")
            except (json.JSONDecodeError, AttributeError):
                prompt = None
            if prompt is not None and prompt != known[folder.name].prompt:
                problems.append(f"{folder.name}/metadata.jsonl: prompt {prompt!r} is not the "
                                f"suite's {known[folder.name].prompt!r}")  # fmt: skip
                continue
        for image in sorted((folder / "samples").glob("*.png")):
            if image.stem.isdigit():
                name = f"{folder.name}/samples/{image.name}"
                raw.append((name, name, folder.name, str(int(image.stem))))
    return raw


def _manifest_rows(manifest: Path) -> list[RawRow]:
    """The rows of a JSONL, CSV or TSV manifest."""
    text = manifest.read_text(encoding="utf-8-sig")
    if manifest.suffix.lower() == ".jsonl":
        raw = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    row = json_value(line, f"{manifest} line {n}")
                except json.JSONDecodeError as exc:
                    raise T2IQAError(f"{manifest} line {n}: invalid JSON ({exc.msg})") from None
                raw.append(_manifest_fields(row, f"{manifest.name} line {n}"))
        return raw
    delimiter = "\t" if manifest.suffix == ".tsv" else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    return [_manifest_fields(row, f"{manifest.name} row {n}") for n, row in enumerate(reader, 2)]


def seed_value(seed: Any) -> int:
    """A seed as a manifest writes it: a whole number from 0 to 2**63 - 1 (JSON number or
    text). ``true``, ``2.9`` and ``-7`` are mistakes, not seeds 1, 2 and -7."""
    if isinstance(seed, str) and seed.strip().isdigit():
        seed = int(seed)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be a whole number, got {seed!r} (0 to {MAX_SEED})")
    return seed


def _resolve_rows(
    raw: Sequence[RawRow], images_dir: Path, suite: Suite, allow_outside: bool
) -> tuple[list[ManifestRow], list[str]]:
    """Rows whose prompt is in the suite and whose file exists inside ``images_dir``, each
    (prompt, seed) once; and the problems with the rest."""
    known = suite.by_id()
    problems: list[str] = []
    rows: list[ManifestRow] = []
    next_seed: dict[str, int] = {}
    seen: dict[tuple[str, int], str] = {}
    for where, file, pid, seed in raw:
        if pid not in known:
            problems.append(f"{where}: prompt id {pid!r} is not in suite {suite.name!r}")
            continue
        try:
            path = path_in_folder(images_dir, file, where, allow_outside)
            number = next_seed.get(pid, 0) if seed in (None, "") else seed_value(seed)
        except (T2IQAError, ValueError) as exc:
            problems.append(str(exc) if isinstance(exc, T2IQAError) else f"{where}: {exc}")
            continue
        if not path.is_file():
            problems.append(f"{where}: no such file {path}")
            continue
        next_seed[pid] = max(next_seed.get(pid, 0), number + 1)
        if (pid, number) in seen:
            first = seen[(pid, number)]
            problems.append(f"{where}: prompt {pid!r} seed {number} already given by {first}")
            continue
        seen[(pid, number)] = where
        rows.append(ManifestRow(where, path, pid, number))
    return rows, problems


def _manifest_fields(row: Any, where: str) -> tuple[str, str, str, Any]:
    if not isinstance(row, dict):
        raise T2IQAError(f"{where}: expected an object with file and prompt_id")
    lower = {str(k).strip().lower(): v for k, v in row.items()}
    file = next((lower[c] for c in FILE_COLUMNS if lower.get(c)), None)
    pid = next((lower[c] for c in ID_COLUMNS if lower.get(c)), None)
    if not file or not pid:
        raise T2IQAError(f"{where}: needs a file column ({'/'.join(FILE_COLUMNS)}) and a prompt_id")
    return where, str(file), str(pid), lower.get("seed")


class FolderSource(ImageSource):
    """Images made elsewhere, imported with their original bytes (a JPEG stays a JPEG)."""

    name = "folder"
    stage = "importing"

    @classmethod
    def from_config(cls, config: SourceConfig) -> FolderSource:
        if not config.images_dir:
            raise T2IQAError("a folder import needs --images DIR")
        manifest = Path(config.manifest) if config.manifest else None
        return cls(Path(config.images_dir), manifest, config.model, config.allow_outside_paths)

    def __init__(
        self, images_dir: Path, manifest: Path | None, label: str, allow_outside: bool = False
    ) -> None:
        self.images_dir = images_dir
        self.manifest = manifest
        self.label = label
        self.allow_outside = allow_outside
        self._rows: dict[tuple[str, int], ManifestRow] = {}

    def describe(self) -> dict[str, Any]:
        return {
            "backend": "folder",
            "model": self.label,
            "images_dir": str(self.images_dir.resolve()),
            "manifest": str(self.manifest) if self.manifest else None,
        }

    def plan(self, suite: Suite, seeds: Sequence[int]) -> list[GenerationRequest]:
        rows = read_manifest(self.images_dir, self.manifest, suite, self.allow_outside)
        by_id = suite.by_id()
        self._rows = {(r.prompt_id, r.seed): r for r in rows}
        return [GenerationRequest(by_id[r.prompt_id], r.seed) for r in rows]

    def generate(
        self, requests: Sequence[GenerationRequest]
    ) -> list[GeneratedImage | RejectedImage]:
        return [self._import(self._rows[req.key], req) for req in requests]

    @staticmethod
    def _import(row: ManifestRow, req: GenerationRequest) -> GeneratedImage | RejectedImage:
        """One file with its original bytes, or why it cannot be imported. The decoder and
        limits are `t2iqa check`'s, so an imported file is judged on the same pixels (EXIF
        rotation, alpha on white, 16-bit scaling) and refused for the same reasons."""
        try:
            size = row.file.stat().st_size
            if size > MAX_FILE_BYTES:
                raise ImageInputError(
                    f"{size / 2**20:.0f} MiB is above the {MAX_FILE_BYTES // 2**20} MiB limit"
                )
            data = row.file.read_bytes()
            width, height = decode_image(data).image.size
        except (ImageInputError, OSError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            reason = str(reason or exc).removeprefix("image: ")
            return RejectedImage(req, f"{row.where}: {row.file} is not a readable image: {reason}")
        flags = {"source_file": row.file.name}
        return GeneratedImage(req, data, row.file.suffix.lower(), width, height, None, flags)
