"""Drawing the reasons on the picture.

Checks do not draw: they put overlay primitives in ``details["overlay"]`` (pixel
coordinates of the judged image), and this module renders them, so ``t2iqa check
--annotate``, the dashboard and every future check share one renderer. Primitives:

- ``{"kind": "polygon", "points": [[x, y], ...], "label": str, "ok": bool}`` (OCR boxes)
- ``{"kind": "box", "box": [x0, y0, x1, y1], "label": str, "ok": bool}`` (detections)
- ``{"kind": "skeleton", "points": [[x, y], ...], "connections": [[i, j], ...],
  "bad_points": [i, ...], "label": str, "ok": bool}`` (hand landmarks)

Below the picture a panel lists each check's verdict and reason.
"""

from __future__ import annotations

import io
import json
import math
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from PIL import Image, ImageDraw, ImageFont

from t2iqa.core.images import ImageInputError, read_image_file
from t2iqa.core.results import CheckResult

GOOD = (40, 200, 90)
BAD = (235, 50, 50)
NEUTRAL = (150, 150, 150)
DISPLAY_LONG_SIDE = (512, 1024)  # small images are enlarged, large ones reduced, to this range


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def display_scale(size: tuple[int, int]) -> float:
    long_side = max(size)
    lo, hi = DISPLAY_LONG_SIDE
    if long_side < lo:
        return lo / long_side
    if long_side > hi:
        return hi / long_side
    return 1.0


def _label(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, colour: Any) -> None:
    font = _font(14)
    x, y = xy
    left, top, right, bottom = draw.textbbox((x, y), text, font=font)
    y = max(0, y - (bottom - top) - 4)
    left, top, right, bottom = draw.textbbox((x, y), text, font=font)
    draw.rectangle((left - 2, top - 2, right + 2, bottom + 2), fill=(0, 0, 0))
    draw.text((x, y), text, fill=colour, font=font)


def draw_overlay(image: Image.Image, overlay: Sequence[dict[str, Any]], scale: float) -> None:
    """Draw primitives (in original pixel coordinates) on an image enlarged by ``scale``."""
    draw = ImageDraw.Draw(image)
    width = max(2, round(2 * scale**0.5))
    for prim in overlay:
        colour = GOOD if prim.get("ok") else BAD
        kind = prim.get("kind")
        if kind == "polygon":
            pts = [(x * scale, y * scale) for x, y in prim["points"]]
            draw.line([*pts, pts[0]], fill=colour, width=width)
            _label(draw, pts[0], str(prim.get("label", "")), colour)
        elif kind == "box":
            x0, y0, x1, y1 = (v * scale for v in prim["box"])
            draw.rectangle((x0, y0, x1, y1), outline=colour, width=width)
            _label(draw, (x0, y0), str(prim.get("label", "")), colour)
        elif kind == "skeleton":
            pts = [(x * scale, y * scale) for x, y in prim["points"]]
            bad = set(prim.get("bad_points", []))
            for i, j in prim["connections"]:
                bone_bad = i in bad and j in bad
                draw.line([pts[i], pts[j]], fill=BAD if bone_bad else GOOD, width=width)
            r = 2 + width
            for k, (x, y) in enumerate(pts):
                fill = BAD if k in bad else (255, 255, 255)
                rr = r * 2 if k in bad else r
                draw.ellipse((x - rr, y - rr, x + rr, y + rr), fill=fill, outline=(0, 0, 0))
            if pts:
                _label(draw, min(pts, key=lambda p: p[1]), str(prim.get("label", "")), colour)


def draw_reasons(
    image: Image.Image, results: Sequence[CheckResult], scale: float | None = None
) -> Image.Image:
    """A resized copy of the image with the checks' overlays drawn on it (no text panel)."""
    scale = display_scale(image.size) if scale is None else scale
    w, h = max(1, round(image.width * scale)), max(1, round(image.height * scale))
    shown = image.convert("RGB").resize((w, h), Image.Resampling.LANCZOS)
    for r in results:
        draw_overlay(shown, r.details.get("overlay", []), scale)
    return shown


def annotate(
    image: Image.Image,
    results: Sequence[CheckResult],
    title: str | None = None,
    verdict: str | None = None,
) -> Image.Image:
    """The image with every check's overlay drawn on it and a verdict panel below."""
    shown = draw_reasons(image, results)
    w, h = shown.size

    font = _font(15)
    chars = max(40, w // 8)
    lines: list[tuple[str, Any]] = []
    if title:
        lines += [(t, (255, 255, 255)) for t in textwrap.wrap(title, chars)]
    if verdict:
        colour = {"pass": GOOD, "unverified": NEUTRAL}.get(verdict, BAD)
        lines.append((f"VERDICT: {verdict.upper()}", colour))
    for r in results:
        colour = GOOD if r.passed else BAD if r.passed is False else NEUTRAL
        mark = "PASS" if r.passed else "FAIL" if r.passed is False else r.verdict.upper()
        text = f"[{mark}] {r.check}: {r.reason}"
        lines += [(t, colour) for t in textwrap.wrap(text, chars, subsequent_indent="    ")]
    line_h = 20
    panel = Image.new("RGB", (w, line_h * len(lines) + 12), (20, 20, 20))
    draw = ImageDraw.Draw(panel)
    for k, (text, colour) in enumerate(lines):
        draw.text((8, 6 + k * line_h), text, fill=colour, font=font)
    out = Image.new("RGB", (w, h + panel.height), (20, 20, 20))
    out.paste(shown, (0, 0))
    out.paste(panel, (0, h))
    return out


# ------------------------------------------------------------ stored results, drawn


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


class StoredResult(Protocol):
    """A ``ResultRow``, or a row of a table made from them (a pandas row: ``details`` may be
    JSON text, and NaN means missing)."""

    check: str
    verdict: str | None
    passed: Any
    score: Any
    reason: str | None
    details: Any


def result_from_row(row: StoredResult | Mapping[str, Any]) -> CheckResult:
    """A stored result (a row, or its fields as a dict: the dashboard's cache key) as the
    CheckResult the overlays are drawn from."""
    get = row.get if isinstance(row, Mapping) else lambda name: getattr(row, name)
    details = get("details")
    if isinstance(details, str):
        details = json.loads(details)
    passed, score = get("passed"), get("score")
    return CheckResult(
        get("check"), get("verdict") or "pending",
        None if _missing(passed) else bool(passed), None if _missing(score) else float(score),
        get("reason") or "", details or {},
    )  # fmt: skip


def read_with_reasons(
    path: Path | str, results: Sequence[CheckResult], side: int | None
) -> Image.Image | str:
    """The image file with the results' overlays drawn, its long side ``side`` pixels (None:
    full size with the verdict panel), or a sentence saying why it cannot be shown."""
    try:
        loaded = read_image_file(path)
    except ImageInputError as exc:
        return f"image missing or unreadable ({path}): {exc}"
    except OSError as exc:
        return f"image missing or unreadable ({path}): {exc.strerror or exc}"
    if side is None:
        return annotate(loaded.image, results)
    return draw_reasons(loaded.image, results, side / max(loaded.image.size))


def jpeg_bytes(image: Image.Image, quality: int = 88) -> bytes:
    """Thumbnails: JPEG encodes ~50x faster than PNG here, which decides a gallery's time."""
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()
