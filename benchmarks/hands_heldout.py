"""A held-out set for the hand check: the real hand photographs Debian's opencv-doc ships,
warped copies of them (must pass), and copies with one planted deformation (must fail).

Deformations, each drawn on a real photo by our own code: an extra finger (a finger copied
and rotated out from its knuckle beside the index or little finger), a missing finger (cut
out and in-painted with the background), a finger stretched 1.5-2x along its axis, and a
finger bent sideways at its middle joint (40-70 degrees in the image plane; on a hand seen
palm-on that is sideways, which no finger joint does). A finger is cut out along its own
silhouette: the landmarks of the undeformed photo and ``t2iqa.checks.hand_pixels``'s skin
mask. The check then judges each edited image from scratch.

Each photo is also made to look painted and drawn (``t2iqa.benchmarks.stylised``; added after
the limits were set): those must pass too.

Backward bending cannot be drawn in a photo seen palm-on (it moves the finger toward the
camera); the landmark tests' joint-angle limits cover it and are not measured here.

Splits with separate random parameters and warps: ``dev`` (may be looked at), ``heldout``
(the default; reported in the README, never tuned on) and ``heldout-2026`` (the previous
report's split, since looked at). Both use the same four
photographs: they are all the real hand photos available offline.

    python -m t2iqa.benchmarks.hands_heldout [--split heldout] [--show-errors] [--landmarks-only]
"""

from __future__ import annotations

import argparse
import itertools
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageEnhance

from t2iqa.benchmarks.qa_samples import hand_photos
from t2iqa.benchmarks.stylised import STYLES, stylised

# "heldout-2026" was the reported split until its errors were read (a false alarm explained
# in the README); limits changed after that were set on "dev" and extra warped copies, and
# "heldout" is a fresh draw, judged once for the README.
SEEDS = {"dev": 11, "heldout-2026": 2026, "heldout": 7919}
KINDS = ("none", "warped", "extra finger", "missing finger", "stretched finger", "bent finger",
         *STYLES)  # fmt: skip
MUST_PASS = ("none", "warped", *STYLES)  # the rest carry a planted deformation


@dataclass(frozen=True)
class Case:
    photo: str
    kind: str
    detail: str
    image: np.ndarray

    @property
    def should_pass(self) -> bool:
        return self.kind in MUST_PASS


# ---------------------------------------------------------------- editing a photo


def finger_mask(rgb: np.ndarray, pts: np.ndarray, name: str, start: int) -> np.ndarray:
    """The finger's silhouette from landmark ``start`` of its chain (0 the knuckle, 1 the
    middle joint) to its real tip, as a full-image bool mask."""
    import cv2

    from t2iqa.checks.hand_pixels import FINGER_CHAINS, measure_finger, segment_hand

    sil = segment_hand(rgb, pts)
    assert sil is not None
    chain = FINGER_CHAINS[name]
    finger = measure_finger(sil, pts, name)
    tip, dip = pts[chain[3], :2], pts[chain[2], :2]
    end = tip + (tip - dip) / np.linalg.norm(tip - dip) * ((finger.beyond_tip or 0) + 3)
    band = np.zeros(rgb.shape[:2], np.uint8)
    path = [pts[chain[k], :2] for k in range(start, 4)] + [end]
    if start == 0:  # from a little past the knuckle: the palm stays
        path[0] = path[0] + 0.25 * (path[1] - path[0])
    width = max(int(0.22 * sil.palm), 3)
    for p, q in itertools.pairwise(path):
        cv2.line(band, tuple(np.round(p).astype(int)), tuple(np.round(q).astype(int)), 1, width)
    skin = np.zeros(rgb.shape[:2], bool)
    (x0, y0), (h, w) = sil.origin, sil.mask.shape
    skin[y0 : y0 + h, x0 : x0 + w] = sil.mask
    return (band > 0) & skin


def erase(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    import cv2

    grown = cv2.dilate(mask.astype(np.uint8), np.ones((7, 7), np.uint8))
    return cv2.inpaint(np.ascontiguousarray(rgb), grown, 9, cv2.INPAINT_TELEA)


def paste(base: np.ndarray, src: np.ndarray, mask: np.ndarray, m: np.ndarray) -> np.ndarray:
    """``src`` under ``mask`` moved by the 2x3 affine ``m`` onto ``base``, edges feathered."""
    import cv2

    h, w = base.shape[:2]
    moved = cv2.warpAffine(src, m, (w, h), flags=cv2.INTER_LINEAR)
    alpha = cv2.warpAffine(mask.astype(np.float32), m, (w, h), flags=cv2.INTER_LINEAR)
    alpha = cv2.GaussianBlur(alpha, (5, 5), 1.2)[..., None]
    return (alpha * moved + (1 - alpha) * base).astype(np.uint8)


def rotation_about(centre: np.ndarray, degrees: float, stretch: float = 1.0,
                   axis: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """2x3 affine: scale by ``stretch`` along ``axis`` then rotate, both about ``centre``."""
    import cv2

    m = np.eye(3)
    if axis is not None and stretch != 1.0:
        u = axis / np.linalg.norm(axis)
        m[:2, :2] = np.eye(2) + (stretch - 1.0) * np.outer(u, u)
    r = np.vstack([cv2.getRotationMatrix2D((0.0, 0.0), degrees, 1.0), [0, 0, 1]])
    shift, back = np.eye(3), np.eye(3)
    shift[:2, 2], back[:2, 2] = -centre, centre
    return (back @ r @ m @ shift)[:2]


def make_room(rgb: np.ndarray, point: np.ndarray, margin: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """The image grown (edge pixels repeated) until ``point`` lies inside it, and the shift
    that moves old coordinates into the new image."""
    import cv2

    h, w = rgb.shape[:2]
    left = max(0, int(np.ceil(-point[0])) + margin)
    top = max(0, int(np.ceil(-point[1])) + margin)
    right = max(0, int(np.ceil(point[0] - (w - 1))) + margin) if point[0] > w - 1 else 0
    bottom = max(0, int(np.ceil(point[1] - (h - 1))) + margin) if point[1] > h - 1 else 0
    left, top = (left if point[0] < 0 else 0), (top if point[1] < 0 else 0)
    grown = cv2.copyMakeBorder(np.ascontiguousarray(rgb), top, bottom, left, right,
                               cv2.BORDER_REPLICATE)  # fmt: skip
    return grown, np.array([left, top], dtype=np.float64)


def outward(pts: np.ndarray, name: str, degrees: float) -> float:
    """``degrees`` with the sign that turns the finger away from its inner neighbour."""
    from t2iqa.checks.hand_pixels import FINGER_CHAINS

    chain = FINGER_CHAINS[name]
    neighbour = FINGER_CHAINS["middle" if name == "index" else "ring"]
    knuckle, tip = pts[chain[0], :2], pts[chain[3], :2]
    away = tip - pts[neighbour[3], :2]
    turned = rotation_about(knuckle, degrees) @ np.array([*tip, 1.0])
    return degrees if np.dot(turned - tip, away) > 0 else -degrees


# ---------------------------------------------------------------- the cases


def deformed(photo: str, rgb: np.ndarray, pts: np.ndarray, rng: random.Random) -> Iterator[Case]:
    from t2iqa.checks.hand_pixels import FINGER_CHAINS, LONG

    for name in ("index", "little"):
        angle = outward(pts, name, rng.uniform(18, 30))
        knuckle = pts[FINGER_CHAINS[name][0], :2]
        mask = finger_mask(rgb, pts, name, 0)
        out = paste(rgb, rgb, mask, rotation_about(knuckle, angle))
        yield Case(photo, "extra finger", f"{name} copied, {angle:+.0f} deg", out)
    for name in LONG:
        yield Case(photo, "missing finger", name, erase(rgb, finger_mask(rgb, pts, name, 0)))
    for name in LONG:
        s = rng.uniform(1.5, 2.0)
        chain = FINGER_CHAINS[name]
        # Room for the longer finger: the canvas grown with its own edge pixels (a wider
        # shot of the same scene), so the stretch stays in the picture.
        axis = pts[chain[3], :2] - pts[chain[0], :2]
        grown, shift = make_room(rgb, pts[chain[0], :2] + (s + 0.15) * axis)
        moved = pts.copy()
        moved[:, :2] += shift
        mask = finger_mask(grown, moved, name, 0)
        m = rotation_about(moved[chain[0], :2], 0.0, s, axis)
        yield Case(photo, "stretched finger", f"{name} x{s:.2f}",
                   paste(erase(grown, mask), grown, mask, m))  # fmt: skip
    for name in LONG:
        angle = rng.choice((-1, 1)) * rng.uniform(40, 70)
        chain = FINGER_CHAINS[name]
        mask = finger_mask(rgb, pts, name, 1)
        m = rotation_about(pts[chain[1], :2], angle)
        yield Case(photo, "bent finger", f"{name} {angle:+.0f} deg at the middle joint",
                   paste(erase(rgb, mask), rgb, mask, m))  # fmt: skip


def warped(photo: str, image: Image.Image, rng: random.Random, n: int) -> Iterator[Case]:
    """Copies a real photo could have been: mirrored, turned, scaled, lit differently."""
    for k in range(n):
        img = image.transpose(Image.FLIP_LEFT_RIGHT) if k % 2 else image
        angle, scale = rng.uniform(-15, 15), rng.uniform(0.75, 1.3)
        size = (round(img.width * scale), round(img.height * scale))
        img = img.resize(size, Image.BICUBIC).rotate(angle, Image.BICUBIC, fillcolor=(128,) * 3)
        img = ImageEnhance.Brightness(img).enhance(rng.uniform(0.8, 1.2))
        img = ImageEnhance.Contrast(img).enhance(rng.uniform(0.8, 1.2))
        detail = f"{'mirrored, ' if k % 2 else ''}{angle:+.0f} deg, x{scale:.2f}"
        yield Case(photo, "warped", detail, np.asarray(img))


def cases(split: str, warps: int = 4) -> list[Case]:
    from t2iqa.checks.hand_landmarks import detect_hands, load_landmarker

    rng = random.Random(SEEDS[split])
    landmarker = load_landmarker(None, 2, 0.5)
    out = []
    for path in hand_photos():
        image = Image.open(path).convert("RGB")
        rgb = np.asarray(image)
        out.append(Case(path.name, "none", "the photo", rgb))
        out.extend(warped(path.name, image, rng, warps))
        # Drawn-looking copies (no random draw: the other cases are as they were).
        out.extend(Case(path.name, style, "the photo " + style, stylised(rgb, style))
                   for style in STYLES)  # fmt: skip
        hands = detect_hands(landmarker, rgb)
        if len(hands) == 1:
            out.extend(deformed(path.name, rgb, hands[0].points, rng))
    return out


@dataclass(frozen=True)
class Judged:
    """One case as the check judged it."""

    case: Case
    passed: bool
    verdict: str
    reason: str


def judge(split: str, pixels: bool = True) -> list[Judged]:
    """Each case with the check's result."""
    from t2iqa.checks.base import ImageUnderTest
    from t2iqa.checks.hand_anatomy import HandAnatomyCheck
    from t2iqa.core.expectations import Expectations
    from t2iqa.core.prompts import PromptSpec

    check = HandAnatomyCheck.from_options({"pixels": pixels})
    spec = PromptSpec("p", "a photo of one open hand", "hands", None, Expectations(hands=1),
                      "hands_heldout")  # fmt: skip
    out = []
    for case in cases(split):
        result = check.check(ImageUnderTest(Image.fromarray(case.image), "-", spec))
        out.append(Judged(case, bool(result.passed), result.verdict, result.reason))
    return out


def report(results: list[Judged], show_errors: bool) -> str:
    right, total = Counter(), Counter()
    by_photo, n_photo = Counter(), Counter()
    wrong = []
    for judged in results:
        case = judged.case
        ok = judged.passed == case.should_pass
        right[case.kind] += ok
        total[case.kind] += 1
        by_photo[case.photo] += ok
        n_photo[case.photo] += 1
        if not ok:
            wrong.append(f"  {case.photo} {case.kind} ({case.detail}): "
                         f"{judged.verdict}: {judged.reason}")  # fmt: skip
    planted = [k for k in KINDS if total[k] and k not in MUST_PASS]
    caught = sum(right[k] for k in planted)
    n_planted = sum(total[k] for k in planted)
    alarms = sum(total[k] - right[k] for k in ("none", "warped"))
    drawn = [j.verdict for j in results if j.case.kind in STYLES]
    lines = [f"planted deformations caught: {caught} of {n_planted} "
             f"({100 * caught / max(n_planted, 1):.1f}%); false alarms on real photos and "
             f"their warped copies: {alarms} of {total['none'] + total['warped']}; "
             f"painted and cartoon copies (must pass): {dict(Counter(drawn))}", "",
             "| case | right verdicts | of |", "|---|---:|---:|"]  # fmt: skip
    lines += [f"| {k} | {right[k]} | {total[k]} |" for k in KINDS if total[k]]
    lines += ["", "| photo | right verdicts | of |", "|---|---:|---:|"]
    lines += [f"| {p} | {by_photo[p]} | {n_photo[p]} |" for p in n_photo]
    if show_errors and wrong:
        lines += ["", "wrong verdicts:", *wrong]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=sorted(SEEDS), default="heldout")
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--save", metavar="DIR", help="also write every case's image here")
    parser.add_argument("--landmarks-only", action="store_true",
                        help="the check as it was: landmark tests only")  # fmt: skip
    args = parser.parse_args()
    results = judge(args.split, pixels=not args.landmarks_only)
    if args.save:
        from pathlib import Path

        folder = Path(args.save)
        folder.mkdir(parents=True, exist_ok=True)
        for k, judged in enumerate(results):
            case = judged.case
            name = f"{k:03d}-{case.kind.replace(' ', '-')}-{case.photo}"
            Image.fromarray(case.image).save(folder / name.replace(".jpg", ".png"))
    print(f"# hand_anatomy on the {args.split} split: {len(results)} images")
    print(report(results, args.show_errors))


if __name__ == "__main__":
    main()
