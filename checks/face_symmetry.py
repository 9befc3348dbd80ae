"""A face's left-right symmetry measured on its pixels, with the face mesh only as a guide.

Landmark models pull a face toward a plausible one: MediaPipe's mesh put an eye enlarged 1.5x
at 1.2x and one moved up by a third of the eye spacing nearly level (the dev split of
``benchmarks/face_heldout``). The mesh is still right about where the face is and where its
midline runs (forehead, nose bridge, nose: points a deformed eye or mouth does not move), so:

1. ``upright``: turn the face crop so its midline (a line fitted to the mesh's forehead and
   nose points) is vertical;
2. ``mirror``: reflect it about that line; a symmetric face maps onto itself;
3. ``eye_pair``: each eye's patch is matched against the reflected face over a range of
   scales and shifts (normalised cross-correlation): the best scale is how much larger the
   other eye is, the best vertical shift how much higher it sits. Both eyes are matched, and
   the two answers must agree (one eye 1.5x the other seen from both sides), or the pair is
   not judged (glasses, hair, shadow or a turned head make the eyes unlike);
4. ``mouth_axis``: the mouth's own axis of symmetry (the vertical line its edges mirror
   best about), against the face's midline.

Lengths are in IOD, the distance between the eye centres (about 63 mm on adults).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Landmark numbers of MediaPipe's canonical face mesh.
MIDLINE = (10, 151, 9, 8, 168, 6, 197, 195, 5, 4)  # forehead to nose tip
EYE_CORNERS = {"right eye": (33, 133), "left eye": (263, 362)}  # the person's own sides
CHEEKS = (234, 454)  # the face outline at the eyes' height, right and left
MOUTH = (61, 291, 0, 17)  # corners, upper lip top, lower lip bottom

EYE_HALF = (0.3, 0.17)  # an eye patch's half width and height, IOD
SEARCH = 0.45  # how far the reflected eye is looked for, IOD
SCALES = np.exp(np.linspace(np.log(0.45), np.log(2.2), 49))  # 3.3% steps
MOUTH_HALF = 0.35  # half the width of the strip the mouth's axis is sought in, IOD
MOUTH_SHIFTS = np.linspace(-0.6, 0.6, 61)  # candidate axes, IOD from the midline


@dataclass(frozen=True)
class UprightFace:
    gray: np.ndarray  # float32, the crop turned so the midline is the column ``axis``
    points: np.ndarray  # the mesh's points in ``gray``'s pixels
    axis: float  # x of the midline, px
    iod: float  # px
    angle: float  # degrees the crop was turned
    centre: tuple[float, float]  # the point it was turned about


def eye_centre(points: np.ndarray, eye: str) -> np.ndarray:
    a, b = EYE_CORNERS[eye]
    return (points[a] + points[b]) / 2


def upright(crop: np.ndarray, points: np.ndarray) -> UprightFace:
    """Step 1: the crop (RGB) turned so its midline is vertical."""
    import cv2

    mid = points[list(MIDLINE)]
    c = mid.mean(axis=0)
    _, _, vt = np.linalg.svd(mid - c)
    down = vt[0] if vt[0][1] > 0 else -vt[0]
    angle = float(np.degrees(np.arctan2(down[0], down[1])))
    m = cv2.getRotationMatrix2D((float(c[0]), float(c[1])), -angle, 1.0)
    h, w = crop.shape[:2]
    turned = cv2.warpAffine(crop, m, (w, h), borderMode=cv2.BORDER_REFLECT)
    pts = points @ m[:, :2].T + m[:, 2]
    iod = float(np.linalg.norm(eye_centre(pts, "left eye") - eye_centre(pts, "right eye")))
    gray = cv2.cvtColor(turned, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return UprightFace(gray, pts, float(c[0]), iod, angle, (float(c[0]), float(c[1])))


def mirror(gray: np.ndarray, axis: float) -> np.ndarray:
    """Step 2: the image reflected about the column ``axis``."""
    import cv2

    h, w = gray.shape
    m = np.float32([[-1, 0, 2 * axis], [0, 1, 0]])
    return cv2.warpAffine(gray, m, (w, h), borderMode=cv2.BORDER_REFLECT)


def _patch(img: np.ndarray, centre: np.ndarray, half_w: float, half_h: float) -> np.ndarray:
    x, y = centre
    y0, x0 = max(round(y - half_h), 0), max(round(x - half_w), 0)
    return img[y0 : round(y + half_h), x0 : round(x + half_w)]


@dataclass(frozen=True)
class EyeMatch:
    similarity: float  # normalised cross-correlation of the best match, -1 to 1
    scale: float  # the other eye's size over this one's
    dy: float  # the other eye's height above this one's (image y down, so minus), IOD

    @property
    def at_edge(self) -> bool:
        """Best at the smallest or largest scale tried: no real match."""
        return not SCALES[1] < self.scale < SCALES[-2]


def match_reflected(face: UprightFace, reflected: np.ndarray, eye: str) -> EyeMatch | None:
    """Step 3 for one eye: its patch sought in the reflected face, over scales and shifts."""
    import cv2

    c, iod = eye_centre(face.points, eye), face.iod
    hw, hh = EYE_HALF[0] * iod, EYE_HALF[1] * iod
    template = _patch(face.gray, c, hw, hh)
    if template.size == 0 or template.std() < 1.0:
        return None  # a flat patch matches anything
    best: EyeMatch | None = None
    for s in SCALES:
        scaled = cv2.resize(template, None, fx=s, fy=s,
                            interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)  # fmt: skip
        reach_w, reach_h = hw * s + SEARCH * iod, hh * s + SEARCH * iod
        region = _patch(reflected, c, reach_w, reach_h)
        if scaled.shape[0] >= region.shape[0] or scaled.shape[1] >= region.shape[1]:
            continue
        found = cv2.matchTemplate(region, scaled, cv2.TM_CCOEFF_NORMED)
        _, score, _, (_, ly) = cv2.minMaxLoc(found)
        if best is None or score > best.similarity:
            top = max(round(c[1] - reach_h), 0)
            y = top + ly + scaled.shape[0] / 2
            best = EyeMatch(float(score), float(s), float((y - c[1]) / iod))
    return best


@dataclass(frozen=True)
class EyePair:
    """Both eyes' matches: ``left`` (the left eye's patch finding the right eye, reflected)
    and ``right`` (the other way round)."""

    left: EyeMatch
    right: EyeMatch

    @property
    def size_ratio(self) -> float:
        """The left eye's size over the right's, from both sides."""
        return float(np.sqrt(self.right.scale / self.left.scale))

    @property
    def height(self) -> float:
        """How much higher the left eye sits than the right, IOD, from both sides. (A
        positive ``left.dy``: the reflected right eye sits lower than the left.)"""
        return (self.left.dy - self.right.dy) / 2

    @property
    def similarity(self) -> float:
        return min(self.left.similarity, self.right.similarity)

    @property
    def agreement(self) -> float:
        """The two scale estimates' product: 1.0 where they agree exactly."""
        return self.left.scale * self.right.scale

    @property
    def height_agreement(self) -> float:
        """The two height estimates' sum, IOD: 0.0 where they agree."""
        return self.left.dy + self.right.dy

    def one_sided(self) -> tuple[EyeMatch, float, float] | None:
        """Where exactly one match ended at the smallest or largest scale tried (no match:
        its patch is not an eye, e.g. an eye moved off the place the mesh gives), the other
        match with the left eye's size over the right's and its height from that side alone."""
        if self.left.at_edge == self.right.at_edge:
            return None
        if self.right.at_edge:
            return self.left, 1 / self.left.scale, self.left.dy
        return self.right, self.right.scale, -self.right.dy


def eye_pair(face: UprightFace) -> EyePair | None:
    """Step 3: both eyes matched against the reflected face; None where either finds nothing."""
    reflected = mirror(face.gray, face.axis)
    left = match_reflected(face, reflected, "left eye")  # finds the right eye: right/left
    right = match_reflected(face, reflected, "right eye")  # left/right
    return None if left is None or right is None else EyePair(left, right)


def mouth_axis(face: UprightFace) -> tuple[float, float]:
    """Step 4: the mouth's axis of symmetry as an offset from the midline (IOD, + toward the
    person's left) and how well the mouth mirrors about it (correlation of edges)."""
    import cv2

    p, iod = face.points, face.iod
    top = min(p[MOUTH[2], 1], p[MOUTH[0], 1], p[MOUTH[1], 1]) - 0.12 * iod
    bottom = max(p[MOUTH[3], 1], p[MOUTH[0], 1], p[MOUTH[1], 1]) + 0.12 * iod
    band = face.gray[max(round(top), 0) : round(bottom)]
    if band.shape[0] < 3:
        return 0.0, -1.0
    gx, gy = cv2.Sobel(band, cv2.CV_32F, 1, 0), cv2.Sobel(band, cv2.CV_32F, 0, 1)
    half = MOUTH_HALF * iod
    best = (0.0, -1.0)
    for d in MOUTH_SHIFTS:
        x0, x1 = round(face.axis + d * iod - half), round(face.axis + d * iod + half)
        if x0 < 0 or x1 > band.shape[1]:
            continue
        # Reflected, a horizontal edge stays one and a vertical edge changes sign.
        u = np.concatenate([gy[:, x0:x1].ravel(), gx[:, x0:x1].ravel()])
        v = np.concatenate([gy[:, x0:x1][:, ::-1].ravel(), -gx[:, x0:x1][:, ::-1].ravel()])
        u, v = u - u.mean(), v - v.mean()
        score = float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-9))
        if score > best[1]:
            best = (float(d), score)
    # The person's left is the image's right in a frontal photo: + d is toward it.
    return best


def turn(face: UprightFace) -> float:
    """How far the head is turned: the face outline's reach on the person's left of the
    midline over its reach on the right (1.0 frontal)."""
    p = face.points
    right, left = face.axis - p[CHEEKS[0], 0], p[CHEEKS[1], 0] - face.axis
    return float(left / right) if right > 0 and left > 0 else float("inf")
