"""t2iqa disclose, then t2iqa check on its copies: valid, tampered, absent and XMP-only,
through the command line as a user runs them."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from t2iqa.benchmarks.signing import SigningFiles
from t2iqa.disclosure.disclose import disclose_files
from t2iqa.disclosure.xmp import DisclosureError
from tests.evaluate.test_cli import cli

PROMPT = "a photo of a red kite"


def photo(path: Path) -> Path:
    pixels = np.random.default_rng(3).integers(0, 256, (64, 96, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def check(monkeypatch, capsys, tmp_path: Path, *images: Path, required: bool = False) -> dict:
    policy = tmp_path / "policy.yaml"
    policy.write_text("checks: [content_credentials]\n")
    extra = ["--check-option", "content_credentials.disclosure=required"] if required else []
    code, out, _ = cli(monkeypatch, capsys, "check", *map(str, images), "--prompt", PROMPT,
                       "--policy", str(policy), "--json", *extra)  # fmt: skip
    rows = json.loads(out)["images"]
    return {"code": code, **{Path(r["image"]).name: r["checks"]["content_credentials"]
                             for r in rows}}  # fmt: skip


def test_signed_copies_check_valid_then_tampered_and_stripped(
    monkeypatch, capsys, tmp_path: Path, test_signer: SigningFiles
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    inputs = [photo(src / "kite.png"), photo(src / "kite.jpg")]
    before = [hashlib.sha256(p.read_bytes()).hexdigest() for p in inputs]
    out = tmp_path / "out"
    code, stdout, _ = cli(monkeypatch, capsys, "disclose", *map(str, inputs), "--out", str(out),
                          "--cert", str(test_signer.cert), "--key", str(test_signer.key))  # fmt: skip
    stdout = " ".join(stdout.split())
    assert code == 0 and "marked 2 of 2" in stdout and "C2PA manifest valid" in stdout
    assert [hashlib.sha256(p.read_bytes()).hexdigest() for p in inputs] == before

    found = check(monkeypatch, capsys, tmp_path, out / "kite.png", out / "kite.jpg")
    assert found["code"] == 0
    assert found["kite.png"]["verdict"] == found["kite.jpg"]["verdict"] == "ok"

    # One byte of the JPEG's compressed pixels changed: still a picture, no longer signed.
    data = (out / "kite.jpg").read_bytes()
    at = data.rindex(b"\xff\xda") + 200
    (tmp_path / "tampered.jpg").write_bytes(data[:at] + bytes([data[at] ^ 0x10]) + data[at + 1 :])
    stripped = tmp_path / "stripped.png"
    Image.open(out / "kite.png").save(stripped)  # re-saved: every mark gone
    found = check(monkeypatch, capsys, tmp_path, tmp_path / "tampered.jpg", stripped)
    assert found["code"] == 1
    assert found["tampered.jpg"]["verdict"] == "tampered"
    assert found["stripped.png"]["verdict"] == "absent" and found["stripped.png"]["passed"]
    found = check(monkeypatch, capsys, tmp_path, stripped, required=True)
    assert found["code"] == 1 and found["stripped.png"]["verdict"] == "not_disclosed"


def test_xmp_only_copies_and_every_refusal_named(monkeypatch, capsys, tmp_path: Path) -> None:
    good = photo(tmp_path / "good.webp")
    bmp = photo(tmp_path / "old.bmp")
    code, stdout, err = cli(monkeypatch, capsys, "disclose", str(good), str(bmp),
                            str(tmp_path / "missing.png"), "--out", str(tmp_path / "o"))  # fmt: skip
    assert code == 1 and "marked 1 of 3" in " ".join(stdout.split())
    err = " ".join(err.split())
    assert "old.bmp: not a PNG, JPEG or WebP" in err and "missing.png: no such file" in err
    found = check(monkeypatch, capsys, tmp_path, tmp_path / "o" / "good.webp", required=True)
    assert found["code"] == 0 and found["good.webp"]["verdict"] == "xmp_only"
    # Never the input, and an existing copy only with --overwrite.
    code, _, err = cli(monkeypatch, capsys, "disclose", str(good), "--out", str(tmp_path))
    assert code == 1 and "would replace the input" in err
    code, _, err = cli(monkeypatch, capsys, "disclose", str(good), "--out", str(tmp_path / "o"))
    assert code == 1 and "pass --overwrite" in " ".join(err.split())


def test_usage_errors(monkeypatch, capsys, tmp_path: Path, test_signer: SigningFiles) -> None:
    good = photo(tmp_path / "a.png")
    code, _, err = cli(monkeypatch, capsys, "disclose", str(good), "--out", str(tmp_path / "o"),
                       "--cert", str(test_signer.cert))  # fmt: skip
    assert code == 2 and "--cert and --key go together" in err
    with pytest.raises(DisclosureError, match="use one of"):
        disclose_files([good], tmp_path / "o", source_type="digitalCapture")


def test_signed_images_are_not_marked_again(tmp_path: Path, test_signer: SigningFiles) -> None:
    from t2iqa.disclosure.credentials import load_signing_key

    key = load_signing_key(test_signer.cert, test_signer.key)
    first = disclose_files([photo(tmp_path / "a.png")], tmp_path / "one", signing=key)[0]
    again = disclose_files([first.output], tmp_path / "two")[0]
    assert not again.ok and "already carries content credentials (valid)" in again.problem
    assert Image.open(io.BytesIO(first.output.read_bytes())).size == (96, 64)
