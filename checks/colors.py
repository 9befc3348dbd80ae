"""The colour of a detected object, named among GenEval's ten.

Two methods, recorded with every verdict since they do not agree everywhere:

- ``clip`` (GenEval's): the object's crop, its background painted GenEval's grey (#999)
  where a mask says which pixels are the object, classified zero-shot by open_clip
  (ViT-L-14 / openai by default) over the ten colours with GenEval's three templates, each
  colour's text embeddings averaged (clip_benchmark's ``zero_shot_classifier``).
- ``cielab`` (ours, weightless): the object's pixels (its mask; without one, the box's
  pixels that differ from the box's border) each named by the nearest colour the xkcd colour
  survey gives a name ending in one of the ten (its greys as white or black by lightness),
  and the most common name wins. Its accuracy on rendered objects of known colour is in the
  README (``python -m t2iqa.benchmarks.colors_heldout``).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from t2iqa.checks.detections import Detection, box_pixels
from t2iqa.core.expectations import COLORS

GENEVAL_BACKGROUND = (153, 153, 153)  # GenEval's bgcolor "#999" behind a masked object
GENEVAL_TEMPLATES = ("a photo of a {c} {noun}", "a photo of a {c}-colored {noun}",
                     "a photo of a {c} object")  # fmt: skip
# Box without a mask: pixels further than this from the border's median colour (CIE76
# delta E; 2.3 is a just-noticeable difference) are the object. Set on the dev split.
BACKGROUND_DELTA_E = 12.0
BACKGROUND_COLORS = 4  # main colours of the border, each taken as background
BORDER_SHARE = 0.08  # the box's outer 8% on each side is taken as background
MIN_OBJECT_SHARE = 0.05  # fewer object pixels than this share: use the box's centre instead
GREY_LIGHTNESS = 50.0  # xkcd greys lighter than this L* name white, darker black
MAX_SIDE = 96  # px: crops are shrunk to this before their pixels are named


def box_crop(image: Image.Image, det: Detection) -> tuple[np.ndarray, np.ndarray | None]:
    """The box's RGB pixels (h, w, 3) and the part of its mask inside the image (or None)."""
    w, h = image.size
    x0, y0, x1, y1 = box_pixels(det.box)
    cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    crop = np.array(image.convert("RGB").crop((cx0, cy0, cx1, cy1)))
    if det.mask is None:
        return crop, None
    mask = np.asarray(det.mask, bool)[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
    return crop, mask


def object_crop(image: Image.Image, det: Detection) -> Image.Image:
    """The detection's box, with everything outside its mask painted GenEval's grey."""
    crop, mask = box_crop(image, det)
    if mask is not None:
        crop[~mask] = GENEVAL_BACKGROUND
    return Image.fromarray(crop)


# ---------------------------------------------------------------------- CIELAB fallback


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """8-bit sRGB (..., 3) as CIE L*a*b* (D65), L* in 0-100."""
    from skimage.color import rgb2lab

    return rgb2lab(np.asarray(rgb, np.uint8).reshape(-1, 1, 3)).reshape(-1, 3)


@functools.cache
def prototypes() -> tuple[np.ndarray, tuple[str, ...]]:
    """Lab values and basic names of the xkcd survey colours whose name ends in one of the
    ten (949 names from 222,500 people, public domain; shipped with matplotlib)."""
    from matplotlib.colors import XKCD_COLORS, to_rgb

    names, rgb = [], []
    for key, value in XKCD_COLORS.items():
        last = key.split(":")[1].split()[-1]
        if last in COLORS or last in ("grey", "gray"):
            names.append(last)
            rgb.append([round(255 * v) for v in to_rgb(value)])
    lab = to_lab(np.array(rgb))
    named = tuple(
        n if n in COLORS else ("white" if lab[k, 0] >= GREY_LIGHTNESS else "black")
        for k, n in enumerate(names)
    )
    return lab, named


def object_pixels(image: Image.Image, det: Detection) -> np.ndarray:
    """The object's pixels (n, 3): its mask's, or the box's that stand out from its border."""
    crop, mask = small(*box_crop(image, det))
    if mask is not None and mask.any():
        return crop[mask]
    h, w = crop.shape[:2]
    lab = to_lab(crop).reshape(h, w, 3)
    bx, by = max(1, round(w * BORDER_SHARE)), max(1, round(h * BORDER_SHARE))
    border = np.ones((h, w), bool)
    border[by : h - by, bx : w - bx] = False
    inside = ~border & (background_distance(lab, lab[border]) > BACKGROUND_DELTA_E)
    if inside.sum() < MIN_OBJECT_SHARE * h * w:
        inside = np.zeros((h, w), bool)
        inside[h // 4 : h - h // 4 or h, w // 4 : w - w // 4 or w] = True
    return crop[inside]


def small(crop: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """The crop (and mask) shrunk to at most ``MAX_SIDE`` pixels a side: a colour vote needs
    thousands of pixels, not a megapixel (0.3 s of CPU for a 350-pixel box before)."""
    h, w = crop.shape[:2]
    if max(h, w) <= MAX_SIDE:
        return crop, mask
    size = (max(1, round(w * MAX_SIDE / max(h, w))), max(1, round(h * MAX_SIDE / max(h, w))))
    shrunk = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.BOX))
    if mask is None:
        return shrunk, None
    return shrunk, np.asarray(Image.fromarray(mask).resize(size, Image.Resampling.NEAREST))


def background_distance(lab: np.ndarray, border: np.ndarray) -> np.ndarray:
    """Each pixel's CIE76 distance to the nearest of the border's main colours (k-means,
    ``BACKGROUND_COLORS`` of them): a photo behind an object is rarely one colour."""
    import warnings

    from scipy.cluster.vq import kmeans2

    centres = np.unique(border.round(1), axis=0)
    if len(centres) > BACKGROUND_COLORS:
        with warnings.catch_warnings():  # a cluster left empty is just one colour fewer
            warnings.simplefilter("ignore")
            centres, _ = kmeans2(border.astype(np.float64), BACKGROUND_COLORS, minit="++", seed=0)
    return np.linalg.norm(lab[..., None, :] - centres, axis=-1).min(axis=-1)


def dominant_color(pixels: np.ndarray) -> tuple[str, float]:
    """The most common basic name among the pixels, and the share of pixels it has."""
    from scipy.spatial import cKDTree

    lab, names = prototypes()
    _, nearest = cKDTree(lab).query(to_lab(pixels))
    votes = Counter(names[k] for k in np.asarray(nearest).ravel())
    name, n = votes.most_common(1)[0]
    return name, n / max(1, len(pixels))


class LabColors:
    method = "cielab"
    key = "cielab (xkcd survey names)"

    def classify(self, image: Image.Image, dets: Sequence[Detection], noun: str) -> list[str]:
        return [dominant_color(object_pixels(image, d))[0] for d in dets]


# ---------------------------------------------------------------------- GenEval's CLIP


@dataclass
class ClipColors:
    """GenEval's zero-shot colour classifier on a loaded open_clip model."""

    scorer: Any  # t2iqa.checks.clip_alignment.ClipScorer
    method = "clip"

    def __post_init__(self) -> None:
        self.key = f"clip {self.scorer.key}"
        self._classifiers: dict[str, Any] = {}

    def classifier(self, noun: str) -> Any:
        """(10, d): per colour, the mean of its unit template embeddings, made unit again."""
        if noun not in self._classifiers:
            texts = [t.format(c=c, noun=noun) for c in COLORS for t in GENEVAL_TEMPLATES]
            emb = self.scorer.embed_texts(texts).reshape(len(COLORS), len(GENEVAL_TEMPLATES), -1)
            mean = emb.mean(dim=1)
            self._classifiers[noun] = mean / mean.norm(dim=-1, keepdim=True)
        return self._classifiers[noun]

    def classify(self, image: Image.Image, dets: Sequence[Detection], noun: str) -> list[str]:
        import torch

        if not dets:
            return []
        pixels = torch.stack([self.scorer.preprocess(object_crop(image, d)) for d in dets])
        with torch.no_grad():
            feats = self.scorer.model.encode_image(pixels.to(self.scorer.device)).float().cpu()
        feats = feats / feats.norm(dim=-1, keepdim=True)
        return [COLORS[k] for k in (feats @ self.classifier(noun).T).argmax(dim=1).tolist()]


ColorNamer = LabColors | ClipColors


@functools.cache
def color_namer(
    method: str, clip_model: str, clip_pretrained: str | None, clip_checkpoint: str | None,
    device: str,
) -> tuple[ColorNamer, str]:  # fmt: skip
    """The colour method the options ask for, and a note when GenEval's CLIP could not be
    loaded and the CIELAB fallback stands in for it (the verdicts are then not GenEval's)."""
    from t2iqa.checks.clip_alignment import load_clip
    from t2iqa.core.errors import Unavailable

    if method == "cielab":
        return LabColors(), ""
    try:
        return ClipColors(load_clip(clip_model, clip_pretrained, clip_checkpoint, None, device)), ""
    except Unavailable as exc:
        return LabColors(), (
            f"colours named by the CIELAB fallback, not GenEval's CLIP method ({exc})"
        )
