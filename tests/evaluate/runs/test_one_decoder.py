"""`t2iqa check` and `t2iqa run --images` judge the same pixels: one decoder for both.

A sign stored sideways with an EXIF orientation, on a transparent (RGBA) background, and the
same sign as 16-bit greyscale: read with a bare ``convert("RGB")`` the first is sideways and
black where it is transparent, the second all white. Both paths must give identical verdicts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

import t2iqa
from t2iqa.benchmarks.qa_samples import render_sign
from t2iqa.suites.files import build_suite, dump_suite_yaml
from tests.conftest import require_system_files

CHECKS = ["image_sanity", "ocr_text"]


def rotated_rgba(path: Path) -> None:
    sign = render_sign("OPEN").convert("RGBA")
    alpha = np.where(np.asarray(sign.convert("L")) > 128, 0, 255).astype(np.uint8)
    sign.putalpha(Image.fromarray(alpha))  # ink opaque, background transparent
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the viewer turns it 90 degrees clockwise
    sign.transpose(Image.Transpose.ROTATE_90).save(path, exif=exif)


def grey16(path: Path) -> None:
    grey = np.asarray(render_sign("OPEN").convert("L"), dtype=np.uint16) * 257
    Image.fromarray(grey, "I;16").save(path)


def test_check_and_import_give_identical_verdicts(tmp_path: Path) -> None:
    from t2iqa.benchmarks.qa_samples import font_path

    require_system_files([Path(font_path())], "fonts-dejavu-core")
    folder = tmp_path / "imports"
    folder.mkdir()
    rotated_rgba(folder / "rotated.png")
    grey16(folder / "grey16.png")
    prompt = 'a shop sign that says "OPEN"'
    entries = [
        {"id": k, "prompt": prompt, "expect": {"text": "OPEN"}} for k in ("rotated", "grey16")
    ]
    suite = build_suite({"name": "decoder", "version": "1"}, list(enumerate(entries)), "test")
    (tmp_path / "suite.yaml").write_text(dump_suite_yaml(suite), encoding="utf-8")

    result = t2iqa.run(suite=tmp_path / "suite.yaml", model="imported", images=folder,
                       checks=CHECKS, store=tmp_path / "store")  # fmt: skip
    imported = result.frame().set_index(["prompt_id", "check"])
    for name in ("rotated", "grey16"):
        report = t2iqa.check(folder / f"{name}.png", prompt, policy={"checks": CHECKS})
        checked = {r.check: r for r in report.verdicts[0].results}
        for check in CHECKS:
            row = imported.loc[(name, check)]
            assert row.verdict == checked[check].verdict, (name, check)
            assert row.score == checked[check].score, (name, check)
        assert checked["ocr_text"].verdict == "ok", (name, checked["ocr_text"].reason)
