"""A throwaway C2PA signing certificate: a root CA and a leaf with the extensions C2PA asks
of a signer (digitalSignature, not a CA, an extended key usage), made fresh with
``cryptography``. The tests and the content-credentials benchmark sign with it; to try
``t2iqa disclose --cert --key`` without a real certificate:

    python -m t2iqa.benchmarks.signing DIR    # writes DIR/chain.pem, signer.key, root.pem

Signatures made with it read "valid, signer not on a trust list" everywhere but where
root.pem is given as a trust anchor.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PEM = serialization.Encoding.PEM


@dataclass(frozen=True)
class SigningFiles:
    cert: Path  # the chain: leaf, then root
    key: Path
    root: Path  # the root alone, as a trust list


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "t2iqa tests")])  # fmt: skip


def _usage(signer: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signer, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=not signer,
        crl_sign=not signer, encipher_only=False, decipher_only=False,
    )  # fmt: skip


def make_signer(folder: Path) -> SigningFiles:
    now = datetime.datetime.now(datetime.timezone.utc)
    valid = (now - datetime.timedelta(days=1), now + datetime.timedelta(days=7))
    root_key, leaf_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )

    def builder(subject: str, issuer: x509.Name, key: ec.EllipticCurvePrivateKey, ca: bool):
        return (
            x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(valid[0]).not_valid_after(valid[1])
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(_usage(not ca), critical=True)
        )  # fmt: skip

    root = builder("t2iqa test root", _name("t2iqa test root"), root_key, True).sign(
        root_key, hashes.SHA256()
    )
    leaf = (
        builder("t2iqa test signer", root.subject, leaf_key, False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
        .sign(root_key, hashes.SHA256())
    )
    signer = SigningFiles(folder / "chain.pem", folder / "signer.key", folder / "root.pem")
    signer.cert.write_bytes(leaf.public_bytes(PEM) + root.public_bytes(PEM))
    signer.root.write_bytes(root.public_bytes(PEM))
    signer.key.write_bytes(
        leaf_key.private_bytes(PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return signer


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 2:
        sys.exit("usage: python -m t2iqa.benchmarks.signing DIR")
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    made = make_signer(out)
    print(
        f"certificate chain: {made.cert}\nprivate key: {made.key}\nroot (trust anchor): {made.root}"
    )
