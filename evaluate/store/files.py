"""Image files of a store, named by content hash, in a local folder or any fsspec location.

A store keeps ``images/ab/abcdef....png`` paths relative to its image base: the store folder
for a local store, ``--images-at`` (``s3://bucket/prefix``, a shared file system path) for a
team store. A file is written before the row that names it is committed, and written whole
(a temporary name renamed into place locally; one PUT on object storage, which is atomic), so
a reader never sees half an image.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from functools import cached_property
from pathlib import Path
from typing import Any

from t2iqa.core.errors import StoreError


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def is_remote(location: str) -> bool:
    """Whether ``location`` names an fsspec URL other than a local path (``file://`` is local)."""
    scheme, sep, _ = str(location).partition("://")
    return bool(sep) and scheme not in ("file", "local")


class ImageFiles:
    """Where a store's image files live: ``base`` is a local folder or an fsspec URL."""

    def __init__(self, base: str | Path) -> None:
        text = str(base)
        self.remote = is_remote(text)
        if self.remote:
            self.base = text.rstrip("/")
        else:
            self.base = str(Path(text.removeprefix("file://")).expanduser().absolute())

    def __repr__(self) -> str:
        return f"ImageFiles({self.base!r})"

    @staticmethod
    def relative(image_hash: str, suffix: str = ".png") -> str:
        return f"images/{image_hash[:2]}/{image_hash}{suffix}"

    @cached_property
    def _fs(self) -> Any:
        import fsspec  # only a remote location needs it

        try:
            fs, _ = fsspec.core.url_to_fs(self.base)
        except (ImportError, ValueError) as exc:
            raise StoreError(
                f"cannot use {self.base} for images: {exc}; install the file system's fsspec "
                "package (s3fs for s3://, gcsfs for gs://) or pass --images-at with a folder"
            ) from None
        return fs

    def url(self, file: str) -> str:
        """Where a stored file is: a local path, or an fsspec URL."""
        return f"{self.base}/{file}" if self.remote else str(Path(self.base) / file)

    def put(self, data: bytes, suffix: str = ".png") -> tuple[str, str]:
        """Write image bytes by content hash (once); returns (hash, path relative to base)."""
        digest = content_hash(data)
        file = self.relative(digest, suffix)
        if not self.remote:
            path = Path(self.base) / file
            if not path.is_file():
                atomic_write(path, data)
        elif not self._fs.exists(self.url(file)):
            try:
                self._fs.pipe_file(self.url(file), data)
            except OSError as exc:
                raise StoreError(f"cannot write {self.url(file)}: {exc}") from None
        return digest, file

    def read(self, file: str) -> bytes:
        """A stored file's bytes; StoreError naming it when it cannot be read."""
        try:
            if not self.remote:
                return (Path(self.base) / file).read_bytes()
            return bytes(self._fs.cat_file(self.url(file)))
        except FileNotFoundError:
            raise StoreError(
                f"image {self.url(file)} is missing; its store's images were moved or deleted "
                "(pass --images-at with where they are now)"
            ) from None
        except OSError as exc:
            raise StoreError(f"cannot read {self.url(file)}: {exc}") from None

    def exists(self, file: str) -> bool:
        if not self.remote:
            return (Path(self.base) / file).is_file()
        return bool(self._fs.exists(self.url(file)))
