"""Whether an image says it is AI-made, and whether that statement holds.

Two marks are read from the file as given (``t2iqa.disclosure``): C2PA content credentials
(signed; valid, tampered after signing, invalid or absent) and the IPTC ``DigitalSourceType``
in its XMP packet (unsigned). A manifest that no longer verifies fails whatever the policy:
it tells viewers the file was changed or forged. With ``disclosure: required`` an image that
declares no AI source type, by either mark, fails too; by default it passes and says so.

Only files have these marks: in ``t2iqa check`` the check reads each file's bytes; a run's
images are t2iqa's own PNGs, so there it does not apply (``t2iqa disclose`` marks copies).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from t2iqa.checks.base import Check, ImageUnderTest
from t2iqa.core.errors import T2IQAError
from t2iqa.core.results import OK, UNAVAILABLE, CheckResult
from t2iqa.disclosure import credentials as c2pa_marks
from t2iqa.disclosure.xmp import discloses_ai, read_source_type, short_source_type


class ContentCredentialsCheck(Check):
    name = "content_credentials"
    version = "1"
    description = "C2PA content credentials and the XMP DigitalSourceType: present, valid, AI"
    packages = ("c2pa-python",)
    not_applicable_reason = "only image files carry credentials (a run's images are t2iqa's own)"

    @dataclass(frozen=True)
    class Config:
        # "required": an image that does not declare itself AI-made (trainedAlgorithmicMedia
        # or compositeWithTrainedAlgorithmicMedia, signed or in XMP) fails.
        disclosure: Literal["optional", "required"] = "optional"
        # A PEM bundle of trusted root certificates (a C2PA trust list); without it a valid
        # signature from an unknown signer is "valid, signer not on a trust list".
        trust_anchors: str | None = None

    def __init__(self, config: Config | None = None) -> None:
        super().__init__(config)
        self._anchors = self._read_anchors(self.config.trust_anchors)

    @staticmethod
    def _read_anchors(path: str | None) -> str | None:
        if path is None:
            return None
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise T2IQAError(f"content_credentials trust_anchors {path!r}: {exc}") from None
        if "-----BEGIN CERTIFICATE-----" not in text:
            raise T2IQAError(f"content_credentials trust_anchors {path!r}: no PEM certificate")
        return text

    def check(self, item: ImageUnderTest) -> CheckResult:
        if item.encoded is None:
            return self.not_applicable(self.not_applicable_reason)
        creds = c2pa_marks.read_credentials(item.encoded, self._anchors)
        xmp = read_source_type(item.encoded)
        details = {
            "credentials": creds.state, "source_type": short_source_type(creds.source_type),
            "xmp_source_type": short_source_type(xmp), "claim_generator": creds.claim_generator,
            "signer": creds.signer, "failures": list(creds.failures),
        }  # fmt: skip
        if creds.state == c2pa_marks.TAMPERED:
            changed = ", ".join(c for c in creds.failures if c in c2pa_marks.TAMPER_CODES)
            why = f"the file was changed after its content credentials were signed ({changed})"
            return self.result("tampered", False, 0.0, why, **details)
        if creds.state == c2pa_marks.INVALID:
            codes = ", ".join(c for c in creds.failures if c not in c2pa_marks.TRUST_CODES)
            why = f"its content credentials do not verify ({codes or creds.detail})"
            return self.result("invalid", False, 0.0, why, **details)
        if creds.state == c2pa_marks.REMOTE:
            why = f"its content credentials are remote, which is not fetched here ({creds.detail})"
            return self.result(UNAVAILABLE, None, None, why, **details)
        return self._disclosure(creds, xmp, details)

    def _disclosure(
        self, creds: c2pa_marks.Credentials, xmp: str | None, details: dict[str, object]
    ) -> CheckResult:
        signed = short_source_type(creds.source_type)
        if creds.verified and discloses_ai(signed):
            trusted = creds.state == c2pa_marks.TRUSTED
            trust = "signer on the trust list" if trusted else "signer not on a trust list"
            why = f"signed content credentials declare {signed} ({creds.signer}; "
            why += f"{creds.claim_generator}; {trust})"
            return self.result(OK, True, 1.0, why, **details)
        if discloses_ai(xmp):
            why = f"XMP declares {short_source_type(xmp)}, unsigned (anyone can write or strip it)"
            return self.result("xmp_only", True, 1.0, why, **details)
        declared = signed or short_source_type(xmp)
        said = (f"it declares {declared}, not AI-made media" if declared
                else "no content credentials or XMP say it is AI-made")  # fmt: skip
        if self.config.disclosure == "required":
            return self.result("not_disclosed", False, 0.0, f"{said}; the policy requires "
                               "disclosure (t2iqa disclose writes it)", **details)  # fmt: skip
        return self.result("absent", True, None, f"{said} (disclosure: optional)", **details)
