"""Reading users' image files: every mode converted faithfully, every bad file a clear error."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from t2iqa.core.images import ImageInputError, decode_image, images_in, read_image_file


def encode(img: Image.Image, fmt: str = "PNG", **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def test_rgb_passes_through_with_file_hash() -> None:
    data = encode(Image.new("RGB", (40, 40), (10, 20, 30)))
    loaded = decode_image(data)
    assert loaded.image.mode == "RGB" and loaded.note is None
    assert loaded.image.getpixel((0, 0)) == (10, 20, 30)
    assert len(loaded.sha256) == 64


def test_16_bit_is_scaled_not_clipped() -> None:
    arr = np.full((40, 40), 32896, dtype=np.uint16)  # 50% grey in 16 bits
    loaded = decode_image(encode(Image.fromarray(arr)))
    assert loaded.image.getpixel((0, 0)) == (128, 128, 128)
    assert "8 bits" in (loaded.note or "")


def test_rgba_and_palette_transparency_composite_on_white() -> None:
    rgba = Image.new("RGBA", (40, 40), (255, 0, 0, 0))
    assert decode_image(encode(rgba)).image.getpixel((0, 0)) == (255, 255, 255)
    pal = Image.new("P", (40, 40), 0)
    pal.putpalette([0, 0, 0] * 256)
    pal.info["transparency"] = 0
    assert decode_image(encode(pal, transparency=0)).image.getpixel((0, 0)) == (255, 255, 255)


@pytest.mark.parametrize("mode", ["L", "CMYK", "LA", "1"])
def test_other_modes_become_rgb(mode: str) -> None:
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    loaded = decode_image(encode(Image.new(mode, (40, 40)), fmt))
    assert loaded.image.mode == "RGB" and loaded.image.size == (40, 40)


def test_exif_rotation_applied() -> None:
    img = Image.new("RGB", (60, 40))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 on display
    assert decode_image(encode(img, "JPEG", exif=exif)).image.size == (40, 60)


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims a size its data does not have (a decompression bomb)."""
    data = encode(Image.new("L", (1, 1)))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    patched = struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return data[:8] + patched + data[8 + 25 :]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"hello, not an image", "not an image"),
        (encode(Image.new("RGB", (64, 64)))[:60], "truncated or corrupt"),
        (_png_claiming(100_000, 100_000), "decompression bomb"),
        (_png_claiming(9_000, 9_000), "above the 64 MP limit"),
        (encode(Image.new("RGB", (16, 16))), "too small"),
    ],
)
def test_bad_input_is_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(ImageInputError, match=message):
        decode_image(data, "x.png")


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ImageInputError, match="no such file"):
        read_image_file(tmp_path / "nope.png")
    with pytest.raises(ImageInputError, match="is a folder"):
        read_image_file(tmp_path)


def test_images_in_lists_images_only(tmp_path: Path) -> None:
    for name in ("b.png", "a.JPG", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in images_in(tmp_path)] == ["a.JPG", "b.png"]
