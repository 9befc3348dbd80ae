"""Perceived skin tone of a face: the Individual Typology Angle over its skin pixels, placed
on the Monk Skin Tone scale. Offline; no learned weights beyond MediaPipe's face mesh.

Steps, each a small function: the face mesh's landmarks -> a skin mask (the face oval less
eyes, brows and lips) -> CIELAB (D65) -> the middle 80% by lightness (drops hair, shadow
and specular highlights) -> ITA = atan((L* - 50) / b*) in degrees, from the medians
(Chardon et al. 1991, Int J Cosmet Sci 13:191) -> the Monk band whose swatch's ITA is
nearest (Monk 2019; swatch sRGB values as Google publishes them at skintone.google).

What it can say: the tone the *picture* shows, a property of the pixels under that picture's
light. It is not anyone's identity, and lighting and white balance move it (the README gives
how far, measured). The Monk swatches span ITA 83 deg (MST 1) to -84 deg (MST 10).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

# The ten Monk Skin Tone swatches, lightest (MST 1) to darkest (MST 10), sRGB.
MONK_HEX = ("f6ede4", "f3e7db", "f7ead0", "eadaba", "d7bd96",
            "a07e56", "825c43", "604134", "3a312a", "292420")  # fmt: skip
MONK_BANDS = tuple(f"MST {k}" for k in range(1, 11))
TRIM = (10.0, 90.0)  # percentiles of L* kept
MIN_SKIN_PIXELS = 200  # fewer (a tiny or hidden face) is not judged
# Skin's b* is positive (yellow) under any plausible light: melanin and carotene absorb blue.
# A median b* below this means a colour cast, not a skin tone, and ITA (an angle whose
# denominator is b*) would swing wildly: not judged.
MIN_SKIN_B = 2.0
EXCLUDED_PARTS = ("LEFT_EYE", "RIGHT_EYE", "LEFT_EYEBROW", "RIGHT_EYEBROW", "LIPS")
# Exclusion hulls grown by this share of the face oval's width: lashes, brow hair and the
# lips' edge lie just outside the landmarks.
EXCLUSION_GROWTH = 0.03


def ita(lightness: float, b: float) -> float:
    """Individual Typology Angle in degrees from L* and b*: larger is lighter."""
    return float(np.degrees(np.arctan2(lightness - 50.0, b)))


@functools.cache
def monk_itas() -> np.ndarray:
    """Each Monk swatch's ITA (degrees), from its sRGB value in CIELAB."""
    from skimage.color import rgb2lab

    swatches = np.array([[int(h[i : i + 2], 16) for i in (0, 2, 4)] for h in MONK_HEX], np.uint8)
    lab = rgb2lab(swatches[None])[0]
    return np.array([ita(L, b) for L, _, b in lab])


def monk_band(angle: float) -> int:
    """1-10: the Monk swatch whose ITA is nearest."""
    return int(np.argmin(np.abs(monk_itas() - angle))) + 1


def skin_mask(shape: tuple[int, int], points: np.ndarray) -> np.ndarray:
    """Pixels inside the face oval but outside the eyes, brows and lips (bool, ``shape``)."""
    import cv2

    from t2iqa.checks.face_landmarks import mesh_part

    mask = np.zeros(shape, np.uint8)
    oval = points[mesh_part("FACE_OVAL")]
    cv2.fillConvexPoly(mask, cv2.convexHull(oval.astype(np.int32)), 1)
    grow = EXCLUSION_GROWTH * float(np.ptp(oval[:, 0]))
    for part in EXCLUDED_PARTS:
        pts = points[mesh_part(part)]
        centre = pts.mean(axis=0)
        away = pts - centre
        norms = np.maximum(np.linalg.norm(away, axis=1, keepdims=True), 1e-6)
        grown = pts + away / norms * grow
        cv2.fillConvexPoly(mask, cv2.convexHull(grown.astype(np.int32)), 0)
    return mask.astype(bool)


@dataclass(frozen=True)
class SkinTone:
    ita: float  # degrees
    band: int  # Monk Skin Tone, 1-10
    lightness: float  # median L* of the kept skin pixels
    b: float  # median b* (yellow-blue)
    pixels: int  # skin pixels kept

    @property
    def label(self) -> str:
        return MONK_BANDS[self.band - 1]


def skin_tone(rgb: np.ndarray, mask: np.ndarray) -> SkinTone | None:
    """The tone of the masked pixels, or None when too few are skin or a colour cast leaves
    no skin hue (median b* < ``MIN_SKIN_B``)."""
    from skimage.color import rgb2lab

    lab = rgb2lab(rgb[mask])
    if len(lab) < MIN_SKIN_PIXELS:
        return None
    lo, hi = np.percentile(lab[:, 0], TRIM)
    kept = lab[(lab[:, 0] >= lo) & (lab[:, 0] <= hi)]
    lightness, b = float(np.median(kept[:, 0])), float(np.median(kept[:, 2]))
    if b < MIN_SKIN_B:
        return None
    angle = ita(lightness, b)
    return SkinTone(angle, monk_band(angle), lightness, b, len(kept))


def face_tones(rgb: np.ndarray) -> list[SkinTone | None]:
    """The perceived skin tone of every face in an image, None for faces not judged (too
    small, or the mesh found no face in the crop)."""
    from t2iqa.checks.face_landmarks import faces_with_landmarks

    out: list[SkinTone | None] = []
    for face in faces_with_landmarks(rgb):
        if face.points is None:
            out.append(None)
            continue
        out.append(skin_tone(face.crop, skin_mask(face.crop.shape[:2], face.points)))
    return out
