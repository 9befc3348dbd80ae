"""The IPTC ``DigitalSourceType`` in an image's XMP packet: read it, and write it into a copy.

Platforms read this field to label AI images (IPTC Photo Metadata 2023.1; Google, Meta).
It is unsigned: anyone can write or strip it, which is why C2PA content credentials exist
(``t2iqa.disclosure.credentials``). Both travel in the same file.

The packet is found and written at the byte level, container by container (PNG ``iTXt``,
JPEG ``APP1``, WebP ``XMP `` chunk), so the pixels are never re-encoded: a JPEG stays the
same JPEG. The packet is read with regular expressions, not an XML parser: it comes from
untrusted files, and the one field needed does not justify parsing entity declarations.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable

from t2iqa.core.errors import T2IQAError

IPTC_NS = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
SOURCE_TYPE_URI = "http://cv.iptc.org/newscodes/digitalsourcetype/"
# IPTC's terms for media made by a trained model, whole or in part (IPTC NewsCodes
# "digitalsourcetype"; the two its 2023 guidance names for generative AI).
AI_SOURCE_TYPES = ("trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia")
MAX_PACKET = 1 << 20  # 1 MiB: XMP packets are kilobytes; more is not read

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_XMP_KEYWORD = b"XML:com.adobe.xmp"
JPEG_XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"

# Every repetition is bounded: the packet comes from untrusted files, and an unbounded
# "[\w.-]+" before a literal is quadratic on a long run of letters (40,000 took 6 s).
_PREFIX = r"[\w.-]{1,64}"
_VALUE = r"""\s{0,20}=\s{0,20}["']([^"'<>]{1,300})["']"""
_ATTRIBUTE = re.compile(_PREFIX + ":DigitalSourceType" + _VALUE)
_RESOURCE = re.compile("<" + _PREFIX + r":DigitalSourceType\b[^>]{0,300}?rdf:resource" + _VALUE)
_ELEMENT = re.compile(
    "<(" + _PREFIX + r"):DigitalSourceType\s{0,20}>\s{0,20}([^<]{1,300}?)\s{0,20}"
    r"</\1:DigitalSourceType>"
)


class DisclosureError(T2IQAError):
    """An image whose disclosure cannot be written (format, existing credentials)."""


def short_source_type(value: str | None) -> str | None:
    """``trainedAlgorithmicMedia`` from its IPTC URI (or the term itself)."""
    return value.rstrip("/").rsplit("/", 1)[-1] if value else None


def discloses_ai(source_type: str | None) -> bool:
    return short_source_type(source_type) in AI_SOURCE_TYPES


def image_format(data: bytes) -> str | None:
    """ "png", "jpeg" or "webp" from the file's first bytes; None for anything else."""
    if data.startswith(PNG_SIGNATURE):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def read_source_type(data: bytes) -> str | None:
    """The DigitalSourceType the file's XMP declares (its URI as written), or None."""
    packet = read_packet(data)
    if packet is None or "DigitalSourceType" not in packet:
        return None
    for pattern in (_ATTRIBUTE, _RESOURCE):
        if match := pattern.search(packet):
            return match.group(1).strip()
    match = _ELEMENT.search(packet)
    return match.group(2).strip() if match else None


def read_packet(data: bytes) -> str | None:
    """The XMP packet's text, or None (no packet, or a container not read here)."""
    fmt = image_format(data)
    if fmt is None:
        return None
    found = _FINDERS[fmt](data)
    if found is None:
        return None
    return found[0][:MAX_PACKET].decode("utf-8", "replace")


def with_source_type(data: bytes, source_type: str) -> bytes:
    """A copy of the file whose XMP declares ``source_type`` (a term or URI); any other XMP
    the file carries is kept. The pixel data is not touched."""
    fmt = image_format(data)
    if fmt is None:
        raise DisclosureError("only PNG, JPEG and WebP files can carry the disclosure here")
    uri = SOURCE_TYPE_URI + short_source_type(source_type)  # type: ignore[operator]
    found = _FINDERS[fmt](data)
    packet = set_source_type(found[0].decode("utf-8", "replace") if found else None, uri)
    return _WRITERS[fmt](data, packet.encode("utf-8"), found)


def set_source_type(packet: str | None, uri: str) -> str:
    """``packet`` with its DigitalSourceType set to ``uri``, or a new packet."""
    if packet is None:
        return (
            '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
            ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
            f'  <rdf:Description rdf:about="" xmlns:Iptc4xmpExt="{IPTC_NS}"\n'
            f'   Iptc4xmpExt:DigitalSourceType="{uri}"/>\n'
            " </rdf:RDF>\n</x:xmpmeta>\n"
            '<?xpacket end="w"?>'
        )
    for pattern in (_ATTRIBUTE, _RESOURCE):
        if match := pattern.search(packet):
            return packet[: match.start(1)] + uri + packet[match.end(1) :]
    if match := _ELEMENT.search(packet):
        return packet[: match.start(2)] + uri + packet[match.end(2) :]
    description = re.search(r"<rdf:Description\b", packet)
    if description is None:
        raise DisclosureError("its XMP packet has no rdf:Description to add the field to")
    at = description.end()
    added = f' xmlns:Iptc4xmpExt="{IPTC_NS}" Iptc4xmpExt:DigitalSourceType="{uri}"'
    return packet[:at] + added + packet[at:]


# ---------------------------------------------------------------- containers
# Each finder returns (packet bytes, (start, end) of the chunk or segment holding it) or
# None; each writer returns the file with that span replaced, or the packet inserted.

Found = tuple[bytes, tuple[int, int]] | None


def _png_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """(type, start, end) of each chunk."""
    out, at = [], len(PNG_SIGNATURE)
    while at + 8 <= len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, end = data[at + 4 : at + 8], at + 12 + length
        out.append((kind, at, min(end, len(data))))
        if kind == b"IEND":
            break
        at = end
    return out


def _png_find(data: bytes) -> Found:
    for kind, start, end in _png_chunks(data):
        body = data[start + 8 : end - 4]
        if kind == b"iTXt" and body.startswith(PNG_XMP_KEYWORD + b"\x00"):
            rest = body[len(PNG_XMP_KEYWORD) + 1 :]
            compressed = rest[:1] == b"\x01"
            text = rest[2:].split(b"\x00", 2)[-1]  # after language tag and translated keyword
            if compressed:
                text = zlib.decompressobj().decompress(text, MAX_PACKET)
            return text, (start, end)
    return None


def _png_write(data: bytes, packet: bytes, found: Found) -> bytes:
    body = PNG_XMP_KEYWORD + b"\x00\x00\x00\x00\x00" + packet  # uncompressed, no language
    chunk = struct.pack(">I", len(body)) + b"iTXt" + body
    chunk += struct.pack(">I", zlib.crc32(b"iTXt" + body) & 0xFFFFFFFF)
    if found:
        start, end = found[1]
    else:  # right after IHDR, before the image data, as the XMP specification asks
        chunks = _png_chunks(data)
        start = end = chunks[0][2] if chunks and chunks[0][0] == b"IHDR" else len(PNG_SIGNATURE)
    return data[:start] + chunk + data[end:]


def _jpeg_segments(data: bytes) -> list[tuple[int, int, int]]:
    """(marker, start, end) of each segment before the image data (SOS)."""
    out, at = [], 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xDA:  # start of scan: the compressed image follows
            break
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        out.append((marker, at, at + 2 + length))
        at += 2 + length
    return out


def _jpeg_find(data: bytes) -> Found:
    for marker, start, end in _jpeg_segments(data):
        body = data[start + 4 : end]
        if marker == 0xE1 and body.startswith(JPEG_XMP_HEADER):
            return body[len(JPEG_XMP_HEADER) :], (start, end)
    return None


def _jpeg_write(data: bytes, packet: bytes, found: Found) -> bytes:
    body = JPEG_XMP_HEADER + packet
    if len(body) + 2 > 0xFFFF:
        raise DisclosureError("its XMP packet is too large for one JPEG segment (64 KiB)")
    segment = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    if found:
        start, end = found[1]
    else:  # after the JFIF/Exif headers, which must come first
        heads = [s for s in _jpeg_segments(data) if s[0] in (0xE0, 0xE1)]
        start = end = heads[-1][2] if heads and heads[0][1] == 2 else 2
    return data[:start] + segment + data[end:]


def _webp_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    out, at = [], 12
    while at + 8 <= len(data):
        kind, (size,) = data[at : at + 4], struct.unpack("<I", data[at + 4 : at + 8])
        end = at + 8 + size + (size & 1)
        out.append((kind, at, min(end, len(data))))
        at = end
    return out


def _webp_find(data: bytes) -> Found:
    for kind, start, end in _webp_chunks(data):
        if kind == b"XMP ":
            (size,) = struct.unpack("<I", data[start + 4 : start + 8])
            return data[start + 8 : start + 8 + size], (start, end)
    return None


def _webp_write(data: bytes, packet: bytes, found: Found) -> bytes:
    chunk = b"XMP " + struct.pack("<I", len(packet)) + packet + b"\x00" * (len(packet) & 1)
    if found:
        start, end = found[1]
        body = data[12:start] + chunk + data[end:]
    else:
        body = _webp_extended(data)[12:] + chunk
    vp8x = body.find(b"VP8X")
    flags = body[vp8x + 8] | 0x04  # the "XMP metadata" flag of the extended header
    body = body[: vp8x + 8] + bytes([flags]) + body[vp8x + 9 :]
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def _webp_extended(data: bytes) -> bytes:
    """The file in WebP's extended layout (a VP8X header first), which metadata needs."""
    chunks = _webp_chunks(data)
    if chunks and chunks[0][0] == b"VP8X":
        return data
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(data)) as img:
        (w, h), alpha = img.size, img.mode in ("RGBA", "LA")
    header = bytes([0x10 if alpha else 0, 0, 0, 0])
    header += (w - 1).to_bytes(3, "little") + (h - 1).to_bytes(3, "little")
    return data[:12] + b"VP8X" + struct.pack("<I", len(header)) + header + data[12:]


_FINDERS: dict[str, Callable[[bytes], Found]] = {
    "png": _png_find, "jpeg": _jpeg_find, "webp": _webp_find,
}  # fmt: skip
_WRITERS: dict[str, Callable[[bytes, bytes, Found], bytes]] = {
    "png": _png_write, "jpeg": _jpeg_write, "webp": _webp_write,
}  # fmt: skip
