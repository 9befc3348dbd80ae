"""Image sanity: catches the broken outputs that make every other score meaningless.

- NaN-decoded output (fp16 VAE overflow): the generator saw NaN pixels; they save as black.
- A safety checker's replacement image (diffusers returns black for flagged images).
- All-black or blank (one flat colour) images.
- The wrong size (the pipeline ignored width/height, or an imported file was resized).

Score: 1.0 when the image passes, else 0.0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from t2iqa.checks.base import Check, ImageUnderTest
from t2iqa.checks.options import GreyLevel
from t2iqa.core.results import OK, CheckResult


class ImageSanityCheck(Check):
    name = "image_sanity"
    version = "1"
    description = "NaN output, safety-filter black, blank or wrong-size images"

    @dataclass(frozen=True)
    class Config:
        # Grey-level standard deviation (0-255) below which an image counts as blank.
        blank_std: GreyLevel = 2.0
        # Mean grey level (0-255) below which a blank image is called black.
        black_mean: GreyLevel = 8.0
        check_size: bool = True

    def check(self, item: ImageUnderTest) -> CheckResult:
        grey = np.asarray(item.image.convert("L"), dtype=np.float64)
        mean, std = float(grey.mean()), float(grey.std())
        size = item.image.size
        measures = {"mean": round(mean, 3), "std": round(std, 3), "size": list(size)}
        nan_pixels = int(item.generation.get("nan_pixels", 0) or 0)
        if nan_pixels:
            total = size[0] * size[1]
            return self.result(
                "nan_output", False, 0.0,
                f"the decoder produced NaN in {nan_pixels} of {total} pixels (saved as black); "
                "typical of an fp16 VAE overflow: try --dtype float32 or an fp16-fixed VAE",
                **measures, nan_pixels=nan_pixels,
            )  # fmt: skip
        if item.generation.get("safety_flagged"):
            return self.result(
                "safety_filtered", False, 0.0,
                "the pipeline's safety checker flagged this image and replaced it",
                **measures,
            )  # fmt: skip
        if std < self.config.blank_std:
            if mean < self.config.black_mean:
                return self.result(
                    "black", False, 0.0,
                    f"all black (mean grey {mean:.1f}/255, std {std:.2f}): what a safety "
                    "filter or a NaN decode produces",
                    **measures,
                )  # fmt: skip
            return self.result(
                "blank", False, 0.0,
                f"blank: one flat colour (mean grey {mean:.1f}/255, std {std:.2f})",
                **measures,
            )  # fmt: skip
        if self.config.check_size and item.expected_size and tuple(size) != item.expected_size:
            w, h = item.expected_size
            return self.result(
                "wrong_size", False, 0.0,
                f"size {size[0]}x{size[1]}, expected {w}x{h}",
                **measures, expected_size=[w, h],
            )  # fmt: skip
        return self.result(OK, True, 1.0, f"{size[0]}x{size[1]}, grey std {std:.1f}", **measures)
