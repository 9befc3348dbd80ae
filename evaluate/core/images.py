"""Reading a user's image file into the 8-bit RGB pixels every check expects.

User files come in every form: 16-bit PNGs, CMYK JPEGs, palette GIFs with transparency,
RGBA, greyscale, phone photos with an EXIF rotation. Each is converted faithfully (16-bit
scaled, not clipped; transparency composited on white; EXIF rotation applied). What cannot
be judged (not an image, truncated, a decompression bomb, too small) raises
``ImageInputError`` with a sentence saying what is wrong and what to do.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from t2iqa.core.errors import T2IQAError

MAX_PIXELS = 64_000_000  # 64 MP: larger files are scans or decompression bombs
MIN_SIDE = 32  # below this no check can see anything
MAX_FILE_BYTES = 200 * 1024 * 1024
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")


class ImageInputError(T2IQAError):
    """This file cannot be judged; the message names the problem and the fix."""


@dataclass(frozen=True)
class LoadedImage:
    image: Image.Image  # RGB, 8 bits per channel
    sha256: str  # of the file's bytes, so the same file always has the same identity
    original_mode: str
    note: str | None = None  # how the pixels were converted, when they were
    data: bytes = field(default=b"", repr=False)  # the file's bytes (metadata checks read them)


def to_rgb8(img: Image.Image) -> tuple[Image.Image, str | None]:
    """8-bit RGB from any PIL mode, saying how it was converted when it was not plain RGB."""
    mode = img.mode
    if mode == "RGB":
        return img, None
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        # 16-bit data scaled by the full 16-bit range; float/32-bit by their own range.
        top = 65535.0 if mode.startswith("I;16") or arr.max() > 255 else 255.0
        if mode == "F":
            top = max(float(arr.max()), 1e-12) if arr.max() > 1.0 else 1.0
        grey = np.clip(np.round(arr / top * 255.0), 0, 255).astype(np.uint8)
        return Image.fromarray(grey, "L").convert("RGB"), f"{mode} scaled to 8 bits"
    if mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if mode in ("RGBA", "LA", "PA") or img.mode == "RGBA":
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB"), f"{mode} alpha on white"
    return img.convert("RGB"), f"{mode} converted to RGB"


def decode_image(data: bytes, name: str = "image") -> LoadedImage:
    """Decode image bytes, or raise ImageInputError saying why they cannot be judged."""
    digest = hashlib.sha256(data).hexdigest()
    if not data:
        raise ImageInputError(f"{name}: the file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise ImageInputError(
            f"{name}: not an image PIL can read (formats: PNG, JPEG, WebP, BMP, GIF, TIFF)"
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageInputError(
            f"{name}: the header claims an enormous image (a decompression bomb?); "
            f"at most {MAX_PIXELS // 1_000_000} MP is accepted"
        ) from None
    checked_size(img.size, name)
    try:
        img.load()
        if getattr(img, "n_frames", 1) > 1:
            img.seek(0)  # animations: the first frame is the picture
        img = ImageOps.exif_transpose(img) or img
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageInputError(f"{name}: the file is truncated or corrupt ({exc})") from None
    rgb, note = to_rgb8(img)
    return LoadedImage(rgb, digest, img.mode, note, data)


def checked_size(size: tuple[int, int], name: str = "image") -> None:
    """Raise ImageInputError when an image of ``size`` (width, height) cannot be judged: too
    large (a scan or a decompression bomb) or too small for any check to see anything."""
    w, h = size
    if w * h > MAX_PIXELS:
        raise ImageInputError(
            f"{name}: {w}x{h} is {w * h / 1e6:.0f} MP, above the {MAX_PIXELS // 1_000_000} MP "
            "limit; downscale it first"
        )
    if min(w, h) < MIN_SIDE:
        raise ImageInputError(
            f"{name}: {w}x{h} is too small to judge; at least {MIN_SIDE}x{MIN_SIDE} pixels"
        )


def read_image_file(path: Path | str) -> LoadedImage:
    """Read and decode one file (a path, or an fsspec URL such as a team store's
    ``s3://...``); every failure is an ImageInputError naming the file."""
    if "://" in str(path):
        return _read_url(str(path))
    path = Path(path)
    if not path.exists():
        raise ImageInputError(f"{path}: no such file")
    if path.is_dir():
        raise ImageInputError(f"{path}: is a folder; pass image files, or the folder alone")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ImageInputError(
            f"{path}: {size / 2**20:.0f} MiB is above the {MAX_FILE_BYTES // 2**20} MiB limit"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImageInputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return decode_image(data, str(path))


def _read_url(url: str) -> LoadedImage:
    import fsspec

    try:
        with fsspec.open(url, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ImageInputError(f"{url}: no such file") from None
    except (OSError, ValueError, ImportError) as exc:
        raise ImageInputError(f"{url}: cannot read ({exc})") from None
    if len(data) > MAX_FILE_BYTES:
        raise ImageInputError(f"{url}: above the {MAX_FILE_BYTES // 2**20} MiB limit")
    return decode_image(data, url)


def images_in(folder: Path) -> list[Path]:
    """The image files directly inside a folder, sorted by name."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
