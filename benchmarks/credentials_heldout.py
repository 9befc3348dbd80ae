"""A held-out set for ``content_credentials``: real photographs in PNG, JPEG and WebP, each
marked by ``t2iqa disclose`` (XMP, and a C2PA manifest signed with a throwaway certificate)
and then handled the ways files are handled between making and publishing.

Photographs: scikit-image's astronaut, coffee, chelsea and rocket, opencv-doc's fruits and
baboon. What is done to each marked file, and the verdict it should get under
``disclosure: required``:

- nothing (``ok``); XMP only (``xmp_only``); never marked (``not_disclosed``);
- signed as a camera capture, not AI (``not_disclosed``);
- one byte of the image data changed after signing, the XMP rewritten after signing, or a
  metadata block added after signing (``tampered``: any byte outside the manifest counts);
- one byte of the manifest's signature changed (``invalid``);
- opened and saved again by an image library, as upload pipelines do (``not_disclosed``:
  the credentials are stripped, which is what C2PA's soft bindings exist for).

Nothing here set a limit: the check has no threshold; the set shows how its verdicts hold
across containers.

    python -m t2iqa.benchmarks.credentials_heldout [--show-errors]
"""

from __future__ import annotations

import argparse
import io
import struct
import tempfile
import zlib
from collections import Counter
from pathlib import Path

from PIL import Image

from t2iqa.disclosure.xmp import with_source_type

OPENCV = Path("/usr/share/doc/opencv-doc/examples/data")
FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}


def photos() -> dict[str, Image.Image]:
    from skimage import data

    out = {n: Image.fromarray(getattr(data, n)()) for n in ("astronaut", "coffee", "chelsea",
                                                            "rocket")}  # fmt: skip
    for name in ("fruits.jpg", "baboon.jpg"):
        if (OPENCV / name).is_file():
            out[name.split(".")[0]] = Image.open(OPENCV / name).convert("RGB")
    return out


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def _pixel_byte(data: bytes) -> int:
    """An offset inside the image's own compressed data (not the manifest's thumbnail)."""
    from t2iqa.disclosure.xmp import _webp_chunks

    if data.startswith(b"RIFF"):
        start = next(a for kind, a, _ in _webp_chunks(data) if kind in (b"VP8 ", b"VP8L"))
        return start + 64
    marker = b"IDAT" if data.startswith(b"\x89PNG") else b"\xff\xda"  # the last SOS: the image
    return data.rfind(marker) + 64


def _signature_byte(data: bytes) -> int:
    """An offset inside the claim signature: the end of the CBOR box (COSE_Sign1) that
    follows the JUMBF label ``c2pa.signature``."""
    label = data.find(b"c2pa.signature\x00")
    box = data.find(b"cbor", label)
    size = struct.unpack(">I", data[box - 4 : box])[0]
    return box - 4 + size - 16  # within the last bytes: the ECDSA signature's


def _add_metadata(data: bytes) -> bytes:
    if data.startswith(b"\x89PNG"):
        body = b"Comment\x00edited"
        chunk = struct.pack(">I", len(body)) + b"tEXt" + body
        chunk += struct.pack(">I", zlib.crc32(b"tEXt" + body))
        return data[:33] + chunk + data[33:]  # after the 8-byte signature and 25-byte IHDR
    if data.startswith(b"\xff\xd8"):
        comment = b"edited"
        return data[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + data[2:]
    body = data[12:] + b"TEST" + struct.pack("<I", 6) + b"edited"  # an unknown RIFF chunk
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def _resave(data: bytes) -> bytes:
    img = Image.open(io.BytesIO(data))
    out = io.BytesIO()
    img.save(out, img.format)
    return out.getvalue()


def operations(
    plain: bytes, xmp: bytes, signed: bytes, camera: bytes
) -> dict[str, tuple[str, bytes]]:
    """What is done to a marked file -> (the verdict it should get, the file's bytes)."""
    return {
        "signed": ("ok", signed),
        "xmp only": ("xmp_only", xmp),
        "never marked": ("not_disclosed", plain),
        "signed as camera capture": ("not_disclosed", camera),
        "pixel byte changed": ("tampered", _flip(signed, _pixel_byte(signed))),
        "XMP rewritten after signing": (
            "tampered",
            with_source_type(signed, "compositeWithTrainedAlgorithmicMedia"),
        ),
        "metadata added after signing": ("tampered", _add_metadata(signed)),
        "signature byte changed": ("invalid", _flip(signed, _signature_byte(signed))),
        "re-saved by an image library": ("not_disclosed", _resave(signed)),
    }


def cases(folder: Path) -> list[tuple[str, str, str, bytes]]:
    """(photo.format, operation, expected verdict, file bytes)."""
    from t2iqa.benchmarks.signing import make_signer
    from t2iqa.disclosure import credentials as creds

    made = make_signer(folder)
    key = creds.load_signing_key(made.cert, made.key)
    out = []
    for name, photo in photos().items():
        for fmt in FORMATS:
            buf = io.BytesIO()
            photo.save(buf, fmt, quality=90) if fmt != "PNG" else photo.save(buf, fmt)
            plain = buf.getvalue()
            xmp = with_source_type(plain, "trainedAlgorithmicMedia")
            signed = creds.sign(xmp, key, "trainedAlgorithmicMedia", name)
            ops = operations(plain, xmp, signed, creds.sign(plain, key, "digitalCapture", name))
            out += [(f"{name}.{FORMATS[fmt]}", op, want, data) for op, (want, data) in ops.items()]
    return out


def main() -> None:
    from t2iqa.checks.base import ImageUnderTest
    from t2iqa.checks.content_credentials import ContentCredentialsCheck
    from t2iqa.core.prompts import PromptSpec

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args()
    check = ContentCredentialsCheck(ContentCredentialsCheck.Config(disclosure="required"))
    spec, blank = PromptSpec("p", "a photo"), Image.new("RGB", (32, 32))
    right, by_op, errors = Counter(), Counter(), []
    with tempfile.TemporaryDirectory() as tmp:
        found = cases(Path(tmp))
    for image, op, want, data in found:
        got = check.check(ImageUnderTest(blank, "-", spec, encoded=data)).verdict
        by_op[op] += 1
        right[op] += got == want
        if got != want:
            errors.append(f"{image} / {op}: expected {want}, got {got}")
    print("| what was done to the marked file | expected | right |\n| --- | --- | ---: |")
    wants = {op: want for _, op, want, _ in found}
    for op, n in by_op.items():
        print(f"| {op} | `{wants[op]}` | {right[op]}/{n} |")
    print(f"| all | | {sum(right.values())}/{len(found)} |")
    if args.show_errors:
        print("\n".join(errors))


if __name__ == "__main__":
    main()
