"""How far the perceived skin tone (``t2iqa.checks.skin_tone``) moves when only the light
changes: real photographs under brightness and white-balance shifts.

Faces: scikit-image's ``astronaut`` (Eileen Collins) and the face the detector finds in
opencv-doc's ``messi5.jpg`` (the other photos the tests use have no colour face). Each
shift is applied to the whole photograph in sRGB (brightness: every channel times a factor;
white balance: red and blue moved in opposite directions, as a camera's wrong colour
temperature does; gamma: a tone curve). Nothing is tuned on these figures: the skin mask and
the trimming were fixed before this script was written.

    python -m t2iqa.benchmarks.skin_tone_shifts
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

OPENCV = Path("/usr/share/doc/opencv-doc/examples/data")
Shift = Callable[[np.ndarray], np.ndarray]


def _scale(r: float, g: float, b: float) -> Shift:
    def apply(rgb: np.ndarray) -> np.ndarray:
        out = rgb.astype(np.float64) * np.array([r, g, b])
        return np.clip(np.round(out), 0, 255).astype(np.uint8)

    return apply


def _gamma(g: float) -> Shift:
    return lambda rgb: np.clip(np.round(255.0 * (rgb / 255.0) ** g), 0, 255).astype(np.uint8)


def _jpeg(quality: int) -> Shift:
    def apply(rgb: np.ndarray) -> np.ndarray:
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
        return np.asarray(Image.open(buf).convert("RGB"))

    return apply


SHIFTS: dict[str, Shift] = {
    "brightness x0.7": _scale(0.7, 0.7, 0.7),
    "brightness x0.85": _scale(0.85, 0.85, 0.85),
    "brightness x1.15": _scale(1.15, 1.15, 1.15),
    "brightness x1.3": _scale(1.3, 1.3, 1.3),
    "gamma 0.8 (lighter mid-tones)": _gamma(0.8),
    "gamma 1.25 (darker mid-tones)": _gamma(1.25),
    "white balance warm 10% (R x1.1, B x0.9)": _scale(1.1, 1.0, 0.9),
    "white balance cool 10% (R x0.9, B x1.1)": _scale(0.9, 1.0, 1.1),
    "white balance warm 20%": _scale(1.2, 1.0, 0.8),
    "white balance cool 20%": _scale(0.8, 1.0, 1.2),
    "JPEG quality 60 (no light change)": _jpeg(60),
}


def photos() -> dict[str, np.ndarray]:
    from skimage import data

    out = {"astronaut": data.astronaut()}
    if (OPENCV / "messi5.jpg").is_file():
        out["messi5"] = np.asarray(Image.open(OPENCV / "messi5.jpg").convert("RGB"))
    return out


def measure() -> tuple[dict[str, tuple[float, int]], dict[str, list[tuple[float, int]]]]:
    """Each photo's first judged face as shot (ITA, band), and under each shift."""
    from t2iqa.checks.skin_tone import face_tones

    base, shifted = {}, {}
    for name, rgb in photos().items():
        tones = [t for t in face_tones(rgb) if t is not None]
        if not tones:
            continue
        base[name] = (tones[0].ita, tones[0].band)
        for shift_name, shift in SHIFTS.items():
            found = [t for t in face_tones(shift(rgb)) if t is not None]
            if found:
                change = (found[0].ita - tones[0].ita, found[0].band - tones[0].band)
                shifted.setdefault(shift_name, []).append(change)
    return base, shifted


def main() -> None:
    base, shifted = measure()
    for name, (angle, band) in base.items():
        print(f"{name}: ITA {angle:.1f} deg, MST {band}")
    print("\n| shift | faces | ITA change (deg), each face | Monk band change, each face |")
    print("| --- | --- | --- | --- |")
    for shift_name in SHIFTS:
        rows = shifted.get(shift_name, [])
        d_ita = ", ".join(f"{d:+.1f}" for d, _ in rows) or "-"
        d_band = ", ".join(f"{b:+d}" for _, b in rows) or "-"
        print(f"| {shift_name} | {len(rows)} | {d_ita} | {d_band} |")


if __name__ == "__main__":
    main()
