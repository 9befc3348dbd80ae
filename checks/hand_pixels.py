"""A hand's own pixels, to test what 21 landmarks cannot: how many fingers there are and
where each really ends.

Landmark models fit a five-fingered template: a sixth finger gets no landmarks, a missing
finger gets landmarks on background, and a stretched finger's tip landmark stops short of
the real tip. So the hand is segmented in its box with a skin-colour model seeded from the
landmarks themselves (pixels on the bones and inside the palm are skin; pixels far from
every bone are background; a two-Gaussian quadratic classifier in CIELAB splits them), and
the silhouette is read along each finger:

- ``finger_present``: the share of a finger's bone line that lies on skin;
- ``finger_length``: from the knuckle along the bones, then past the tip landmark for as
  long as the silhouette goes on (following the finger's centreline), against the other long
  fingers (proportions from anthropometry: index 0.93, ring 0.95, little 0.77 of the middle
  finger's length), and the skin past the tip landmark alone (at most 0.18 palm lengths);
- ``finger_count``: skin runs crossing lines through the fingers' middle and outer joints,
  each of which must hold a landmark finger: a run holding none is a finger too many; two
  landmark fingers within one finger's width on one run are one finger (the other missing);
- ``sideways_bend``: the middle and outer joints are hinges; a finger turned sideways there
  (about the palm's normal) is not a human finger. From the landmarks.

Limits were set on the ``dev`` split of ``benchmarks/hands_heldout.py`` and on anatomy; the
README reports the ``heldout`` split.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

WRIST = 0
FINGER_CHAINS: dict[str, tuple[int, int, int, int]] = {  # MediaPipe's 21-landmark numbering
    # name: (knuckle / base, first joint, second joint, tip)
    "thumb": (1, 2, 3, 4),
    "index": (5, 6, 7, 8),
    "middle": (9, 10, 11, 12),
    "ring": (13, 14, 15, 16),
    "little": (17, 18, 19, 20),
}
LONG = ("index", "middle", "ring", "little")
PALM = (0, 1, 5, 9, 13, 17)
# Finger length (knuckle to tip) over the middle finger's: means from hand anthropometry
# (e.g. Alexander & Viktor 2010, index/middle 0.93, ring/middle 0.95, little/middle 0.77).
PROPORTION = {"index": 0.93, "middle": 1.0, "ring": 0.95, "little": 0.77}
# Sampling distances in palm lengths (wrist to middle knuckle).
SKIN_SEED = 0.04  # pixels this close to a bone line are skin samples
BACKGROUND = 0.45  # pixels this far from every bone are background samples
ROI_MARGIN = 0.9  # the box searched: the landmarks' box grown by this much
MIN_SKIN_SAMPLES = 50
# Share of the skin and of the background samples that must be classified as their own.
MIN_SEPARATION = 0.8
STEP = 0.01  # sampling step along lines


@dataclass(frozen=True)
class Silhouette:
    """The hand's skin mask inside its box, and the box's origin in the image."""

    mask: np.ndarray  # bool, (h, w)
    origin: tuple[int, int]  # (x, y) of the mask's top-left pixel
    palm: float  # palm length in pixels

    def on_skin(self, xy: np.ndarray) -> np.ndarray:
        """Whether image points (N x 2) fall on the mask (outside the box: no)."""
        x = np.round(xy[:, 0] - self.origin[0]).astype(int)
        y = np.round(xy[:, 1] - self.origin[1]).astype(int)
        h, w = self.mask.shape
        inside = (x >= 0) & (y >= 0) & (x < w) & (y < h)
        out = np.zeros(len(xy), dtype=bool)
        out[inside] = self.mask[y[inside], x[inside]]
        return out


def _segment_distance(shape: tuple[int, int], origin: tuple[int, int], pts: np.ndarray,
                      segments: list[tuple[int, int]]) -> np.ndarray:  # fmt: skip
    """Per pixel of a box, the distance in pixels to the nearest of the landmark segments."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    xx += origin[0]
    yy += origin[1]
    best = np.full(shape, np.inf, dtype=np.float32)
    for a, b in segments:
        p, q = pts[a, :2], pts[b, :2]
        d = q - p
        length2 = float(d @ d) + 1e-9
        t = np.clip(((xx - p[0]) * d[0] + (yy - p[1]) * d[1]) / length2, 0.0, 1.0)
        best = np.minimum(best, np.hypot(xx - (p[0] + t * d[0]), yy - (p[1] + t * d[1])))
    return best


def bone_segments() -> list[tuple[int, int]]:
    chains = FINGER_CHAINS.values()
    return [(WRIST, c[0]) for c in chains] + [(c[k], c[k + 1]) for c in chains for k in range(3)]


def segment_hand(rgb: np.ndarray, points: np.ndarray) -> Silhouette | None:
    """The hand's silhouette in its box, or None when its colours cannot be told apart
    from the background (too few samples either side)."""
    import cv2

    pts = np.asarray(points, dtype=np.float64)
    palm = float(np.linalg.norm(pts[9, :2] - pts[WRIST, :2]))
    if palm < 8:
        return None
    lo = np.floor(pts[:, :2].min(axis=0) - ROI_MARGIN * palm).astype(int)
    hi = np.ceil(pts[:, :2].max(axis=0) + ROI_MARGIN * palm).astype(int)
    x0, y0 = max(lo[0], 0), max(lo[1], 0)
    x1, y1 = min(hi[0], rgb.shape[1]), min(hi[1], rgb.shape[0])
    box = np.ascontiguousarray(rgb[y0:y1, x0:x1])
    lab = cv2.cvtColor(box, cv2.COLOR_RGB2Lab).astype(np.float64)
    lab[..., 0] *= 0.3  # lightness varies with shading more than skin's chroma does
    distance = _segment_distance(box.shape[:2], (x0, y0), pts, bone_segments()) / palm
    palm_area = np.zeros(box.shape[:2], np.uint8)
    hull = cv2.convexHull((pts[list(PALM), :2] - (x0, y0)).astype(np.float32))
    cv2.fillConvexPoly(palm_area, hull.astype(np.int32), 1)
    skin = lab[(distance < SKIN_SEED) | (palm_area > 0)]
    background = lab[distance > BACKGROUND]
    if len(skin) < MIN_SKIN_SAMPLES or len(background) < MIN_SKIN_SAMPLES:
        return None
    skin_model, background_model = _gaussian(skin), _gaussian(background)
    # The samples themselves must come out on their own side, else hand and background
    # share their colours and no silhouette can be trusted (a beige hand on a beige wall).
    if (_nll(skin, *skin_model) < _nll(skin, *background_model)).mean() < MIN_SEPARATION or (
        _nll(background, *background_model) < _nll(background, *skin_model)
    ).mean() < MIN_SEPARATION:
        return None
    mask = (_nll(lab, *skin_model) < _nll(lab, *background_model)).reshape(box.shape[:2])
    mask = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    # Keep the skin connected to the palm: other skin (a face, another hand) is not this hand.
    _, labels = cv2.connectedComponents(mask)
    centre = np.round(pts[list(PALM), :2].mean(axis=0) - (x0, y0)).astype(int)
    cy, cx = np.clip(centre[1], 0, mask.shape[0] - 1), np.clip(centre[0], 0, mask.shape[1] - 1)
    keep = labels[cy, cx]
    return Silhouette(labels == keep if keep else mask > 0, (x0, y0), palm)


def _gaussian(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(mean, inverse covariance, log determinant) of a Gaussian fitted to ``samples``."""
    cov = np.cov(samples.reshape(-1, 3).T) + np.eye(3)  # +1 per axis: 8-bit quantisation
    return samples.reshape(-1, 3).mean(axis=0), np.linalg.inv(cov), float(np.linalg.slogdet(cov)[1])


def _nll(pixels: np.ndarray, mean: np.ndarray, inverse: np.ndarray, logdet: float) -> np.ndarray:
    """Negative log-likelihood (up to a constant) of every pixel under a Gaussian."""
    x = pixels.reshape(-1, 3) - mean
    return 0.5 * np.einsum("ij,jk,ik->i", x, inverse, x) + 0.5 * logdet


def polyline(pts: np.ndarray, chain: tuple[int, ...], step: float) -> np.ndarray:
    """Points every ``step`` pixels along the landmark chain (N x 2)."""
    out = []
    for a, b in itertools.pairwise(chain):
        p, q = pts[a, :2], pts[b, :2]
        n = max(int(np.linalg.norm(q - p) / step), 1)
        out.append(p + (q - p) * np.linspace(0, 1, n, endpoint=False)[:, None])
    out.append(pts[chain[-1], :2][None])
    return np.concatenate(out)


# ---------------------------------------------------------------- measurements

# A run of silhouette must be this wide (x the typical finger's run) to count as a finger.
MIN_RUN = 0.3
# A finger is where its landmarks are when this share of its bone line is on skin.
MIN_PRESENT = 0.7
# Skin past the tip landmark, in palm lengths: MediaPipe puts the tip landmark at the pad,
# about half a distal phalanx (0.05-0.07 palm) short of the real end; more is finger it did
# not see. In palm lengths, not the finger's own: the gap is about the same on every finger,
# so on the shortest (little) finger a share of its own length ran up to 0.21 on real photos
# (the dev split and extra warped copies); in palm lengths the most was 0.15.
MAX_BEYOND_TIP = 0.18
# A finger's length (over its anthropometric proportion) against the other long fingers'.
MAX_LENGTH_RATIO = 1.3
# Two landmark fingers on one run closer than this many finger widths are one finger.
MIN_FINGER_SPACING = 0.9
# Sideways turn at the middle and outer joints, degrees: human joints there are hinges with
# a few degrees of play; landmark noise on real photos stays under 11.
MAX_SIDEWAYS = 15.0
GAP = 3  # pixels off the silhouette that end a march or a run (anti-aliasing, JPEG)
RECENTRE = 4  # pixels between a march's re-centrings on the finger
# Half the widest finger, x palm length: long fingers are about 0.16-0.2 palm lengths wide.
FINGER_HALF_WIDTH = 0.15


def march(sil: Silhouette, start: np.ndarray, direction: np.ndarray, limit: float) -> float:
    """How far (pixels, along the finger) the silhouette goes on from ``start``.

    The march follows the finger's centreline: every ``RECENTRE`` pixels it moves to the
    middle of the skin run across its path and turns toward where that middle has been
    heading, so a long finger (or one whose last bone the landmarks misjudge by a few
    degrees) is followed to its end instead of being left through its side. Where the run is
    wider than a finger (the march is on the palm or a blob) it goes straight on."""
    pos = np.asarray(start, dtype=np.float64)
    heading = np.asarray(direction, dtype=np.float64)
    reach = max(int(FINGER_HALF_WIDTH * sil.palm), 2)
    offsets = np.arange(-reach, reach + 1, dtype=np.float64)
    last_on, off_run, centres = 0, 0, [pos.copy()]
    for step in range(1, max(int(limit), 1) + 1):
        pos = pos + heading
        if not sil.on_skin(pos[None])[0]:
            off_run += 1
            if off_run >= GAP:  # GAP consecutive off-skin steps end the finger
                break
            continue
        off_run, last_on = 0, step
        if step % RECENTRE:
            continue
        normal = np.array([-heading[1], heading[0]])
        on = sil.on_skin(pos + offsets[:, None] * normal)
        lo = hi = reach
        while lo > 0 and on[lo - 1]:
            lo -= 1
        while hi < len(on) - 1 and on[hi + 1]:
            hi += 1
        if lo == 0 and hi == len(on) - 1:
            continue  # wider than a finger: not following one
        pos = pos + ((lo + hi) / 2 - reach) * normal
        centres.append(pos.copy())
        if len(centres) > 2:
            turn = centres[-1] - centres[-3]
            heading = heading + 0.5 * turn / (np.linalg.norm(turn) + 1e-9)
            heading /= np.linalg.norm(heading)
    return float(last_on if off_run >= GAP else step)


def curled(pts: np.ndarray, chain: tuple[int, int, int, int]) -> bool:
    """A finger whose tip is not beyond its middle joint, seen from the wrist: folded."""
    wrist = pts[WRIST, :2]
    return np.linalg.norm(pts[chain[3], :2] - wrist) < 1.05 * np.linalg.norm(
        pts[chain[1], :2] - wrist
    )


@dataclass(frozen=True)
class FingerPixels:
    name: str
    present: float  # share of the bone line (knuckle to tip) on the silhouette
    length: float | None  # knuckle to the silhouette's tip in pixels; None when folded
    beyond_tip: float | None  # pixels the silhouette goes on past the tip landmark

    def to_dict(self) -> dict[str, object]:
        r = lambda v: None if v is None else round(v, 1)  # noqa: E731
        return {"present": round(self.present, 3), "length_px": r(self.length),
                "beyond_tip_px": r(self.beyond_tip)}  # fmt: skip


def measure_finger(sil: Silhouette, pts: np.ndarray, name: str) -> FingerPixels:
    chain = FINGER_CHAINS[name]
    line = polyline(pts, chain, 1.0)
    present = float(sil.on_skin(line[len(line) // 5 :]).mean())  # past the knuckle's edge
    if curled(pts, chain) or present < 0.5:
        return FingerPixels(name, present, None, None)
    tip, dip = pts[chain[3], :2], pts[chain[2], :2]
    direction = (tip - dip) / (np.linalg.norm(tip - dip) + 1e-9)
    beyond = march(sil, tip, direction, 1.5 * sil.palm)
    bones = float(np.sum(np.linalg.norm(np.diff(pts[list(chain), :2], axis=0), axis=1)))
    return FingerPixels(name, present, bones + beyond, beyond)


def crossing_runs(sil: Silhouette, pts: np.ndarray, joint: int) -> list[dict[str, object]]:
    """Skin runs along the line through the long fingers' joints at one level (``joint``:
    1 the middle joints, 2 the outer ones), extended by one finger spacing each side; each
    run with the fingers whose joint or thumb bone lies in it."""
    anchors = np.array([pts[FINGER_CHAINS[f][joint], :2] for f in LONG])
    spacing = float(np.mean(np.linalg.norm(np.diff(anchors, axis=0), axis=1)))
    if spacing < 2:
        return []
    ends = [anchors[0] + (anchors[0] - anchors[1]) / np.linalg.norm(anchors[0] - anchors[1])
            * spacing, *anchors,
            anchors[-1] + (anchors[-1] - anchors[-2]) / np.linalg.norm(anchors[-1] - anchors[-2])
            * spacing]  # fmt: skip
    line = polyline(np.array(ends), tuple(range(len(ends))), 1.0)
    on = sil.on_skin(line)
    runs, start = [], None
    for k, v in enumerate([*on, False]):
        if v and start is None:
            start = k
        elif not v and start is not None:
            runs.append((start, k))
            start = None
    thumb = polyline(pts, FINGER_CHAINS["thumb"][1:], 1.0)
    out = []
    for a, b in runs:
        seg = line[a:b]
        held = [f for f, p in zip(LONG, anchors, strict=True)
                if np.min(np.linalg.norm(seg - p, axis=1)) <= 1.5]  # fmt: skip
        near_thumb = np.min(np.linalg.norm(thumb[:, None] - seg[None], axis=2)) <= 2.0
        out.append({"from": line[a].tolist(), "to": line[b - 1].tolist(), "width": b - a,
                    "fingers": held + (["thumb"] if near_thumb else [])})  # fmt: skip
    return out


def lateral_bend(pts: np.ndarray, chain: tuple[int, int, int, int], joint: int,
                 normal: np.ndarray) -> float:  # fmt: skip
    """Sideways bend (degrees) at ``joint`` (1 the middle joint, 2 the outer one): the turn
    from the bone before to the bone after, about the palm's normal. Finger joints beyond
    the knuckle are hinges: they flex toward the palm and do not turn sideways."""
    a, b, c = (pts[chain[joint - 1]], pts[chain[joint]], pts[chain[joint + 1]])
    u, v = b - a, c - b
    side = np.cross(normal, u)
    side /= np.linalg.norm(side) + 1e-12
    along = np.dot(v, u) / (np.linalg.norm(u) + 1e-12)
    return float(np.degrees(np.arctan2(np.dot(v, side), along)))


# ---------------------------------------------------------------- the tests


@dataclass(frozen=True)
class PixelTest:
    """One test's outcome, in the shape the hand check turns into findings."""

    test: str
    finger: str
    ok: bool
    message: str
    landmarks: tuple[int, ...]


def pixel_tests(rgb: np.ndarray, pts: np.ndarray, normal: np.ndarray) -> tuple[
    list[PixelTest], dict[str, object]
]:  # fmt: skip
    """Every silhouette and sideways-bend test on one hand, with what was measured."""
    out = [_sideways(pts, normal, name, joint) for name in LONG for joint in (1, 2)]
    sil = segment_hand(rgb, pts)
    if sil is None:
        return out, {"silhouette": None}
    fingers = {name: measure_finger(sil, pts, name) for name in FINGER_CHAINS}
    out += [_present(f) for f in fingers.values()]
    out += _lengths(fingers, sil.palm)
    runs = {level: crossing_runs(sil, pts, joint) for level, joint in (("middle", 1),
                                                                         ("outer", 2))}  # fmt: skip
    out += _counts(runs, pts)
    measures = {"silhouette": {"fingers": {n: f.to_dict() for n, f in fingers.items()},
                               "runs": runs}}  # fmt: skip
    return out, measures


def _sideways(pts: np.ndarray, normal: np.ndarray, name: str, joint: int) -> PixelTest:
    angle = lateral_bend(pts, FINGER_CHAINS[name], joint, normal)
    where = "middle" if joint == 1 else "outer"
    return PixelTest("sideways_bend", name, abs(angle) <= MAX_SIDEWAYS,
                     f"{name} finger turned {abs(angle):.0f} deg sideways at its {where} joint "
                     f"(human <= {MAX_SIDEWAYS:.0f})", (FINGER_CHAINS[name][joint],))  # fmt: skip


def _present(f: FingerPixels) -> PixelTest:
    chain = FINGER_CHAINS[f.name]
    return PixelTest("finger_present", f.name, f.present >= MIN_PRESENT,
                     f"no {f.name} finger where its landmarks are: {100 * f.present:.0f}% of "
                     f"its line on skin (>= {100 * MIN_PRESENT:.0f}%)", chain)  # fmt: skip


def _lengths(fingers: dict[str, FingerPixels], palm: float) -> list[PixelTest]:
    out = []
    for f in fingers.values():
        if f.length is None or f.beyond_tip is None or f.name == "thumb":
            continue
        share = f.beyond_tip / max(palm, 1.0)
        out.append(PixelTest("finger_length", f.name, share <= MAX_BEYOND_TIP,
                             f"{f.name} finger goes on {share:.2f} palm lengths past its tip "
                             f"landmark (<= {MAX_BEYOND_TIP:.2f}): too long",
                             (FINGER_CHAINS[f.name][3],)))  # fmt: skip
    scaled = {n: f.length / PROPORTION[n] for n, f in fingers.items()
              if n in LONG and f.length is not None}  # fmt: skip
    if len(scaled) >= 3:
        typical = float(np.median(list(scaled.values())))
        for name, value in scaled.items():
            ratio = value / typical
            out.append(PixelTest("finger_length", name, ratio <= MAX_LENGTH_RATIO,
                                 f"{name} finger {ratio:.2f} x the length the other fingers "
                                 f"imply (human <= {MAX_LENGTH_RATIO:.2f})",
                                 (FINGER_CHAINS[name][0], FINGER_CHAINS[name][3])))  # fmt: skip
    return out


def _counts(runs: dict[str, list[dict[str, object]]], pts: np.ndarray) -> list[PixelTest]:
    """A run no finger holds (a finger too many); two fingers' joints closer than one
    finger's width on one run (two sets of landmarks on one finger: one finger missing)."""
    out = []
    for level, level_runs in runs.items():
        singles = [r["width"] for r in level_runs if len(r["fingers"]) == 1]
        if not singles:
            continue
        width = float(np.median(singles))
        extra = [r for r in level_runs if not r["fingers"] and r["width"] >= MIN_RUN * width]
        where = ", ".join(f"at ({r['from'][0]:.0f}, {r['from'][1]:.0f})" for r in extra)
        out.append(PixelTest("finger_count", "hand", not extra,
                             f"{len(extra)} finger(s) too many across the {level} joints "
                             f"{where}: skin no landmark finger holds", ()))  # fmt: skip
        joint = 1 if level == "middle" else 2
        for r in level_runs:
            held = [f for f in r["fingers"] if f != "thumb"]
            for a, b in itertools.pairwise(held):
                ja, jb = FINGER_CHAINS[a][joint], FINGER_CHAINS[b][joint]
                gap = float(np.linalg.norm(pts[ja, :2] - pts[jb, :2])) / width
                message = (f"{a} and {b} landmarks on one finger: {gap:.2f} finger widths "
                           f"apart (>= {MIN_FINGER_SPACING})")  # fmt: skip
                out.append(PixelTest("finger_count", f"{a}/{b}", gap >= MIN_FINGER_SPACING,
                                     message, (ja, jb)))  # fmt: skip
    return out
