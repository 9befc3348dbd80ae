"""The content_credentials check: each state of a file's credentials and XMP, the policy's
``disclosure: required``, and files only (never a run's own PNGs)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from t2iqa.benchmarks.signing import SigningFiles
from t2iqa.checks import DEFAULT_CHECKS, QA_DEFAULT_CHECKS, build_checks
from t2iqa.checks.base import ImageUnderTest
from t2iqa.core.errors import T2IQAError
from t2iqa.core.prompts import PromptSpec
from t2iqa.disclosure import credentials as creds
from t2iqa.disclosure.xmp import with_source_type

SPEC = PromptSpec("p1", "a photo of a cat")


def png() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(2).integers(0, 256, (48, 48, 3), np.uint8)).save(
        buf, "PNG"
    )
    return buf.getvalue()


def judge(data: bytes | None, **options: object):
    check = build_checks(["content_credentials"], {"content_credentials": options})[0]
    image = Image.new("RGB", (48, 48))  # the check reads the bytes, never the pixels
    return check.check(ImageUnderTest(image, "h", SPEC, encoded=data))


@pytest.fixture(scope="module")
def signing(test_signer: SigningFiles) -> creds.SigningKey:
    return creds.load_signing_key(test_signer.cert, test_signer.key)


def test_signed_ai_image_passes_and_names_signer_and_generator(signing) -> None:
    r = judge(creds.sign(png(), signing, "trainedAlgorithmicMedia", "x.png"))
    assert (r.verdict, r.passed) == ("ok", True)
    assert r.details["credentials"] == "valid" and r.details["source_type"] == (
        "trainedAlgorithmicMedia"
    )
    assert "t2iqa test signer" in r.reason and "not on a trust list" in r.reason


def test_trust_anchors_option(signing, test_signer: SigningFiles) -> None:
    r = judge(creds.sign(png(), signing, "trainedAlgorithmicMedia", "x"),
              trust_anchors=str(test_signer.root))  # fmt: skip
    assert r.details["credentials"] == "trusted" and "on the trust list" in r.reason
    with pytest.raises(T2IQAError, match="no PEM certificate"):
        judge(png(), trust_anchors=str(test_signer.key))


def test_tampered_fails_whatever_the_policy(signing) -> None:
    signed = creds.sign(png(), signing, "trainedAlgorithmicMedia", "x")
    at = signed.index(b"IDAT") + 30
    r = judge(signed[:at] + bytes([signed[at] ^ 4]) + signed[at + 1 :])
    assert (r.verdict, r.passed) == ("tampered", False)
    assert "changed after its content credentials were signed" in r.reason


def test_xmp_only_passes_as_unsigned() -> None:
    r = judge(with_source_type(png(), "trainedAlgorithmicMedia"))
    assert (r.verdict, r.passed) == ("xmp_only", True) and "unsigned" in r.reason


@pytest.mark.parametrize(("disclosure", "passed"), [("optional", True), ("required", False)])
def test_no_disclosure_passes_unless_required(disclosure: str, passed: bool) -> None:
    r = judge(png(), disclosure=disclosure)
    assert r.passed is passed
    assert r.verdict == ("absent" if passed else "not_disclosed")
    assert "no content credentials or XMP say it is AI-made" in r.reason


def test_a_camera_capture_claim_is_not_a_disclosure(signing) -> None:
    r = judge(creds.sign(png(), signing, "digitalCapture", "x"), disclosure="required")
    assert not r.passed and "declares digitalCapture" in r.reason


def test_only_files_are_judged() -> None:
    r = judge(None)
    assert r.verdict == "not_applicable"
    assert "content_credentials" in QA_DEFAULT_CHECKS
    assert "content_credentials" not in DEFAULT_CHECKS  # a run's PNGs are t2iqa's own
