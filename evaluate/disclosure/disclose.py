"""Marking copies of images as AI-made: the XMP field always, a signed C2PA manifest when a
certificate and key are given. The input is never written; a copy that would replace it,
or an existing file without ``overwrite``, is refused.

Order matters: the XMP packet is written first and the manifest signed last, because the
manifest binds a hash of every byte, XMP included (writing XMP after signing would read as
tampering).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from t2iqa.core.images import MAX_FILE_BYTES
from t2iqa.disclosure import credentials as c2pa_marks
from t2iqa.disclosure.xmp import (
    AI_SOURCE_TYPES,
    DisclosureError,
    image_format,
    read_source_type,
    short_source_type,
    with_source_type,
)
from t2iqa.store.files import atomic_write


@dataclass(frozen=True)
class Disclosed:
    """One image's outcome: where the copy went and what it now declares, or why not."""

    source: Path
    output: Path | None
    xmp_source_type: str | None = None
    credentials: str | None = None  # the copy's C2PA state as read back; None: not signed
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def disclose_files(
    paths: Iterable[Path],
    out_dir: Path,
    source_type: str = "trainedAlgorithmicMedia",
    signing: c2pa_marks.SigningKey | None = None,
    tsa_url: str | None = None,
    overwrite: bool = False,
) -> list[Disclosed]:
    """Mark a copy of each image in ``out_dir``; one file's problem never stops the rest."""
    if short_source_type(source_type) not in AI_SOURCE_TYPES:
        raise DisclosureError(f"source type {source_type!r}: use one of {list(AI_SOURCE_TYPES)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for path in paths:
        target = out_dir / path.name
        try:
            results.append(_disclose_one(path, target, source_type, signing, tsa_url, overwrite))
        except DisclosureError as exc:
            results.append(Disclosed(path, None, problem=str(exc)))
        except OSError as exc:  # the copy could not be written (permissions, disk full)
            results.append(Disclosed(path, None, problem=f"cannot write {target}: {exc}"))
    return results


def _disclose_one(
    path: Path,
    target: Path,
    source_type: str,
    signing: c2pa_marks.SigningKey | None,
    tsa_url: str | None,
    overwrite: bool,
) -> Disclosed:
    if target.exists() and target.resolve() == path.resolve():
        raise DisclosureError("the copy would replace the input; choose another --out folder")
    if target.exists() and not overwrite:
        raise DisclosureError(f"{target} exists; pass --overwrite to replace it")
    data = _read(path)
    if image_format(data) is None:
        raise DisclosureError("not a PNG, JPEG or WebP file, which are the formats marked here")
    existing = c2pa_marks.read_credentials(data)
    if existing.state != c2pa_marks.ABSENT:
        raise DisclosureError(
            f"it already carries content credentials ({existing.state}); changing the file "
            "would break them, and re-signing needs the original as an ingredient"
        )
    marked = with_source_type(data, source_type)
    if signing is not None:
        marked = c2pa_marks.sign(marked, signing, source_type, path.name, tsa_url)
    atomic_write(target, marked)
    target.chmod(0o644)  # a file to publish, not the private temporary file it was written as
    state = c2pa_marks.read_credentials(marked).state if signing is not None else None
    return Disclosed(path, target, short_source_type(read_source_type(marked)), state)


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise DisclosureError(f"above the {MAX_FILE_BYTES // 2**20} MiB limit")
        return path.read_bytes()
    except FileNotFoundError:
        raise DisclosureError("no such file") from None
    except IsADirectoryError:
        raise DisclosureError("is a folder; pass image files") from None
    except OSError as exc:
        raise DisclosureError(f"cannot read ({exc.strerror or exc})") from None
