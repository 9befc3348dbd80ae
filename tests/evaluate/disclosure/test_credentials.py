"""C2PA content credentials signed with a certificate made in the test, then read back:
valid, trusted, tampered (one byte), invalid signature, stripped."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from t2iqa.benchmarks.signing import SigningFiles, make_signer
from t2iqa.disclosure import credentials as creds
from t2iqa.disclosure.xmp import DisclosureError


def photo(fmt: str = "PNG") -> bytes:
    pixels = np.random.default_rng(1).integers(0, 256, (64, 80, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, fmt)
    return buf.getvalue()


@pytest.fixture(scope="module")
def signed(test_signer: SigningFiles) -> bytes:
    key = creds.load_signing_key(test_signer.cert, test_signer.key)
    return creds.sign(photo(), key, "trainedAlgorithmicMedia", "cat.png")


def test_a_signed_image_reads_valid_with_what_it_declares(signed: bytes) -> None:
    read = creds.read_credentials(signed)
    assert read.state == creds.VALID and read.verified
    assert read.source_type.endswith("/trainedAlgorithmicMedia")
    assert read.claim_generator.startswith("t2iqa ")
    assert "t2iqa test signer" in read.signer
    assert "signingCredential.untrusted" in read.failures  # no trust list given


def test_the_root_as_trust_list_makes_it_trusted(signed: bytes, test_signer) -> None:
    read = creds.read_credentials(signed, test_signer.root.read_text())
    assert read.state == creds.TRUSTED


def test_another_root_does_not(signed: bytes, tmp_path) -> None:
    other = make_signer(tmp_path)
    assert creds.read_credentials(signed, other.root.read_text()).state == creds.VALID


def test_one_changed_pixel_byte_reads_tampered(signed: bytes) -> None:
    at = signed.index(b"IDAT") + 40
    tampered = signed[:at] + bytes([signed[at] ^ 0x01]) + signed[at + 1 :]
    read = creds.read_credentials(tampered)
    assert read.state == creds.TAMPERED
    assert "assertion.dataHash.mismatch" in read.failures


def test_a_changed_signature_reads_invalid(signed: bytes) -> None:
    # The last bytes of the manifest store are the COSE signature's.
    box = signed.index(b"caBX")
    length = int.from_bytes(signed[box - 4 : box], "big")
    at = box + 4 + length - 20
    forged = signed[:at] + bytes([signed[at] ^ 0xFF]) + signed[at + 1 :]
    assert creds.read_credentials(forged).state == creds.INVALID


def test_a_stripped_manifest_reads_absent(signed: bytes) -> None:
    stripped = io.BytesIO()
    Image.open(io.BytesIO(signed)).save(stripped, "PNG")  # re-saved: metadata dropped
    assert creds.read_credentials(stripped.getvalue()).state == creds.ABSENT
    assert creds.read_credentials(photo("JPEG")).state == creds.ABSENT


def test_jpeg_is_signed_too(test_signer: SigningFiles) -> None:
    key = creds.load_signing_key(test_signer.cert, test_signer.key)
    read = creds.read_credentials(creds.sign(photo("JPEG"), key, "trainedAlgorithmicMedia", "x"))
    assert read.state == creds.VALID


def test_a_key_that_is_not_the_certificates_is_refused(test_signer, tmp_path) -> None:
    other = make_signer(tmp_path)
    with pytest.raises(DisclosureError, match="is not the key of the first certificate"):
        creds.load_signing_key(test_signer.cert, other.key)
    with pytest.raises(DisclosureError, match="not a PEM certificate"):
        creds.load_signing_key(test_signer.key, test_signer.key)
    with pytest.raises(DisclosureError, match="not an unencrypted PEM private key"):
        creds.load_signing_key(test_signer.cert, test_signer.cert)
