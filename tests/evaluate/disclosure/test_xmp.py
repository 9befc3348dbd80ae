"""The XMP DigitalSourceType: read and written in PNG, JPEG and WebP without touching pixels."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from t2iqa.disclosure.xmp import (
    DisclosureError,
    discloses_ai,
    image_format,
    read_packet,
    read_source_type,
    with_source_type,
)

AI = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def encoded(fmt: str, mode: str = "RGB", **save: object) -> bytes:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (48, 64, len(mode)), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels.squeeze(), mode).save(buf, fmt, **save)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("fmt", "save"),
    [("PNG", {}), ("JPEG", {"quality": 90}), ("WEBP", {"quality": 80}),
     ("WEBP", {"lossless": True})],
)  # fmt: skip
def test_writes_the_field_and_keeps_the_pixels_bit_for_bit(fmt: str, save: dict) -> None:
    data = encoded(fmt, **save)
    assert read_source_type(data) is None
    marked = with_source_type(data, "trainedAlgorithmicMedia")
    assert read_source_type(marked) == AI and discloses_ai(read_source_type(marked))
    before, after = Image.open(io.BytesIO(data)), Image.open(io.BytesIO(marked))
    assert np.array_equal(np.asarray(before), np.asarray(after))  # not re-encoded
    assert after.info.get("xmp") or after.info.get("XML:com.adobe.xmp")  # Pillow reads it too
    # Writing again replaces the one packet instead of adding a second.
    again = with_source_type(marked, "compositeWithTrainedAlgorithmicMedia")
    assert read_source_type(again).endswith("/compositeWithTrainedAlgorithmicMedia")
    assert read_packet(again).count("DigitalSourceType") == 1


def test_webp_with_alpha_keeps_its_alpha() -> None:
    data = encoded("WEBP", "RGBA", lossless=True)
    marked = with_source_type(data, "trainedAlgorithmicMedia")
    assert Image.open(io.BytesIO(marked)).mode == "RGBA"
    assert np.array_equal(
        np.asarray(Image.open(io.BytesIO(data))), np.asarray(Image.open(io.BytesIO(marked)))
    )


def test_an_existing_packet_keeps_its_other_fields() -> None:
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        'rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Ann'
        "</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", packet)
    data = encoded("PNG", pnginfo=info)
    marked = with_source_type(data, "trainedAlgorithmicMedia")
    assert read_source_type(marked) == AI
    assert "<dc:creator>Ann</dc:creator>" in read_packet(marked)


@pytest.mark.parametrize(
    "field",
    [
        f'Iptc4xmpExt:DigitalSourceType="{AI}"',
        f'<Iptc4xmpExt:DigitalSourceType rdf:resource="{AI}"/>',
        f"<Iptc4xmpExt:DigitalSourceType>{AI}</Iptc4xmpExt:DigitalSourceType>",
    ],
)
def test_reads_each_way_xmp_writes_the_field(field: str) -> None:
    attr, body = (field, "") if field.endswith('"') else ("", field)
    packet = f'<rdf:Description rdf:about="" {attr}>{body}</rdf:Description>'
    data = encoded("JPEG", xmp=packet.encode())
    assert read_source_type(data) == AI


def test_a_camera_photo_is_not_an_ai_disclosure() -> None:
    assert not discloses_ai("http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture")
    assert not discloses_ai(None)


def test_formats_that_cannot_carry_it_are_refused_by_name() -> None:
    data = encoded("BMP")
    assert image_format(data) is None and read_source_type(data) is None
    with pytest.raises(DisclosureError, match="PNG, JPEG and WebP"):
        with_source_type(data, "trainedAlgorithmicMedia")


def test_a_hostile_packet_is_read_in_bounded_time() -> None:
    import time

    # A run of letters before the field's name made an unbounded pattern quadratic.
    packet = "a" * 300_000 + ':DigitalSourceType="x" ' + "b" * 300_000
    data = encoded("JPEG", xmp=packet.encode()[:65000])
    start = time.process_time()
    read_source_type(data)
    read_source_type(encoded("PNG", pnginfo=_itxt(packet)))
    assert time.process_time() - start < 2.0


def _itxt(text: str) -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", text)
    return info
