"""C2PA content credentials, through the ``c2pa-python`` library: read and classify a
file's manifest, and sign a new one into a copy.

A manifest is signed by its maker's certificate; it binds a hash of the file's bytes, so
any change after signing shows (``assertion.dataHash.mismatch``). Reading is offline: no
remote manifest, OCSP or trust list is fetched. Whether the signer is *trusted* depends on
a trust list the user supplies (``trust_anchors``, a PEM bundle); without one, a valid
signature from an unknown signer is reported as valid and untrusted.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from t2iqa.disclosure.xmp import SOURCE_TYPE_URI, DisclosureError, image_format, short_source_type

VALID, TRUSTED, TAMPERED, INVALID, ABSENT, REMOTE = (
    "valid", "trusted", "tampered", "invalid", "absent", "remote",
)  # fmt: skip
# C2PA 2.x validation codes meaning the asset's bytes changed after signing (a hard binding
# no longer matches), as opposed to a manifest or signature that does not verify.
TAMPER_CODES = frozenset({
    "assertion.dataHash.mismatch", "assertion.bmffHash.mismatch",
    "assertion.boxesHash.mismatch", "assertion.collectionHash.mismatch",
})  # fmt: skip
# Failures that say nothing about integrity: no trust list was given, or no revocation
# check was made (offline).
TRUST_CODES = frozenset({"signingCredential.untrusted", "signingCredential.ocsp.skipped"})
MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


@dataclass(frozen=True)
class Credentials:
    """What a file's content credentials say, and whether they hold."""

    state: str  # VALID, TRUSTED, TAMPERED, INVALID, ABSENT or REMOTE
    source_type: str | None = None  # the digitalSourceType the manifest's actions declare
    claim_generator: str | None = None  # the software that made the manifest
    signer: str | None = None  # the certificate's common name and organisation
    failures: tuple[str, ...] = ()  # C2PA validation codes that failed
    detail: str = ""  # a library message, for a manifest that could not be read
    codes: dict[str, Any] = field(default_factory=dict)

    @property
    def verified(self) -> bool:
        return self.state in (VALID, TRUSTED)


def _context(trust_anchors: str | None) -> Any:
    import c2pa

    verify = {"remote_manifest_fetch": False, "ocsp_fetch": False}
    settings: dict[str, Any] = {"verify": verify}
    if trust_anchors:
        settings["trust"] = {"trust_anchors": trust_anchors}
        verify["verify_trust"] = True
    return c2pa.Context(c2pa.Settings.from_dict(settings))


def read_credentials(data: bytes, trust_anchors: str | None = None) -> Credentials:
    """Classify the file's C2PA manifest (``trust_anchors``: a PEM bundle of trusted roots)."""
    import c2pa

    fmt = image_format(data)
    try:
        reader = c2pa.Reader(MIME.get(fmt or ""), io.BytesIO(data), context=_context(trust_anchors))
    except c2pa.C2paError as exc:
        kind = type(exc).__name__
        if "ManifestNotFound" in kind or "no JUMBF" in str(exc):
            return Credentials(ABSENT)
        if "RemoteManifest" in kind:
            return Credentials(REMOTE, detail=str(exc))
        if "NotSupported" in kind:
            return Credentials(ABSENT, detail=f"the format cannot carry a manifest ({exc})")
        return Credentials(INVALID, detail=str(exc).splitlines()[0][:200])
    with reader:
        if not reader.is_embedded():
            return Credentials(REMOTE, detail=f"manifest at {reader.get_remote_url()}")
        return _classify(reader)


def _classify(reader: Any) -> Credentials:
    manifest = reader.get_active_manifest() or {}
    results = (reader.get_validation_results() or {}).get("activeManifest", {})
    failures = tuple(f.get("code", "?") for f in results.get("failure", []))
    real = [c for c in failures if c not in TRUST_CODES]
    if any(c in TAMPER_CODES for c in real):
        state = TAMPERED
    elif real or reader.get_validation_state() == "Invalid":
        state = INVALID
    else:
        state = TRUSTED if reader.get_validation_state() == "Trusted" else VALID
    info = manifest.get("signature_info") or {}
    signer = ", ".join(str(v) for v in (info.get("common_name"), info.get("issuer")) if v)
    return Credentials(
        state, _declared_source_type(manifest), _claim_generator(manifest), signer or None,
        failures,
    )  # fmt: skip


def _declared_source_type(manifest: dict[str, Any]) -> str | None:
    for assertion in manifest.get("assertions") or []:
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            for action in (assertion.get("data") or {}).get("actions") or []:
                if action.get("digitalSourceType"):
                    return str(action["digitalSourceType"])
    return None


def _claim_generator(manifest: dict[str, Any]) -> str | None:
    info = manifest.get("claim_generator_info") or []
    if info and isinstance(info[0], dict) and info[0].get("name"):
        return " ".join(str(info[0][k]) for k in ("name", "version") if info[0].get(k))
    return manifest.get("claim_generator")


# ---------------------------------------------------------------- signing


@dataclass(frozen=True)
class SigningKey:
    """A certificate chain (PEM, the signer's certificate first) and its private key."""

    chain_pem: bytes
    key_pem: bytes
    algorithm: str  # es256, es384, es512, ps256 or ed25519, from the key's type


def load_signing_key(cert: Path, key: Path) -> SigningKey:
    """Read and match a certificate chain and key, or say what is wrong with them."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        chain_pem, key_pem = cert.read_bytes(), key.read_bytes()
    except OSError as exc:
        raise DisclosureError(f"cannot read {exc.filename}: {exc.strerror}") from None
    try:
        leaf = x509.load_pem_x509_certificates(chain_pem)[0]
    except ValueError:
        raise DisclosureError(f"{cert}: not a PEM certificate chain") from None
    try:
        private = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise DisclosureError(f"{key}: not an unencrypted PEM private key ({exc})") from None
    der, spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if leaf.public_key().public_bytes(der, spki) != private.public_key().public_bytes(der, spki):
        raise DisclosureError(f"{key} is not the key of the first certificate in {cert}")
    return SigningKey(chain_pem, key_pem, _algorithm(private))


def _algorithm(private: Any) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(private, ec.EllipticCurvePrivateKey):
        # C2PA pairs each curve with its hash: P-256/SHA-256, P-384/SHA-384, P-521/SHA-512.
        by_curve = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}
        if private.curve.name in by_curve:
            return by_curve[private.curve.name]
    if isinstance(private, rsa.RSAPrivateKey):
        return "ps256"
    if isinstance(private, ed25519.Ed25519PrivateKey):
        return "ed25519"
    raise DisclosureError(
        "C2PA signs with EC P-256/384/521, RSA (PSS) or Ed25519 keys; this key is none of those"
    )


def sign(
    data: bytes, signing: SigningKey, source_type: str, title: str, tsa_url: str | None = None
) -> bytes:
    """A copy of the image with a signed manifest declaring it created as ``source_type``
    (``tsa_url``: an RFC 3161 time-stamp authority, which needs the network)."""
    from importlib.metadata import version

    import c2pa

    fmt = image_format(data)
    if fmt is None:
        raise DisclosureError("only PNG, JPEG and WebP files are signed here")
    manifest = {
        "claim_generator_info": [{"name": "t2iqa", "version": version("t2iqa")}],
        "title": title,
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [{
            "action": "c2pa.created",
            "digitalSourceType": SOURCE_TYPE_URI + (short_source_type(source_type) or ""),
        }]}}],
    }  # fmt: skip
    info = c2pa.C2paSignerInfo(signing.algorithm, signing.chain_pem, signing.key_pem, tsa_url)
    out = io.BytesIO()
    try:
        with c2pa.Signer.from_info(info) as signer, c2pa.Builder(manifest) as builder:
            builder.sign(signer, MIME[fmt], io.BytesIO(data), out)
    except c2pa.C2paError as exc:
        raise DisclosureError(f"C2PA signing failed: {str(exc).splitlines()[0][:300]}") from None
    return out.getvalue()
