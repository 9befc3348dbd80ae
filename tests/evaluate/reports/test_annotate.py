"""The overlay renderer draws what checks put in details["overlay"], plus a verdict panel."""

from __future__ import annotations

from PIL import Image

from t2iqa.core.results import CheckResult
from t2iqa.reports.annotate import BAD, GOOD, annotate, display_scale


def test_small_images_are_enlarged_and_large_reduced() -> None:
    assert display_scale((64, 64)) == 8.0
    assert display_scale((2048, 1024)) == 0.5
    assert display_scale((640, 480)) == 1.0


def test_overlays_and_panel_are_drawn() -> None:
    image = Image.new("RGB", (512, 512), (128, 128, 128))
    skeleton = {
        "kind": "skeleton", "points": [[100, 100], [200, 200], [300, 100]],
        "connections": [[0, 1], [1, 2]], "bad_points": [1], "label": "hand 1", "ok": False,
    }  # fmt: skip
    polygon = {"kind": "polygon", "points": [[300, 300], [400, 300], [400, 350], [300, 350]],
               "label": 'read "OPFN"', "ok": True}  # fmt: skip
    box = {"kind": "box", "box": [20, 400, 120, 500], "label": "dog 0.91", "ok": True}
    results = [
        CheckResult("hand_anatomy", "malformed", False, 0.5, "bent", {"overlay": [skeleton]}),
        CheckResult("ocr_text", "ok", True, 1.0, "fine", {"overlay": [polygon, box]}),
    ]
    out = annotate(image, results, "a.png: a hand", "fail")
    assert out.width == 512 and out.height > 512 + 3 * 20
    assert out.getpixel((200, 200)) == BAD  # the failing joint, marked red
    assert out.getpixel((400, 325)) == GOOD  # the OCR box edge
    assert out.getpixel((20, 450)) == GOOD  # the detection box edge
    assert out.getpixel((5, 5)) == (128, 128, 128)  # the picture itself untouched elsewhere
