from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from t2iqa.checks import DEFAULT_CHECKS, REGISTRY, build_checks
from t2iqa.checks.base import ImageUnderTest
from t2iqa.checks.image_sanity import ImageSanityCheck
from t2iqa.core.errors import T2IQAError
from t2iqa.suites.files import load_suite

SPEC = load_suite("smoke").prompts[0]


def noise(size: tuple[int, int] = (64, 64)) -> Image.Image:
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))


def judge(image: Image.Image, expected: tuple[int, int] | None = (64, 64), **flags: object):
    item = ImageUnderTest(image, "h", SPEC, expected, flags)
    return ImageSanityCheck().check(item)


def test_a_normal_image_passes() -> None:
    result = judge(noise())
    assert (result.verdict, result.passed, result.score) == ("ok", True, 1.0)


@pytest.mark.parametrize(
    ("image", "verdict", "reason"),
    [
        (Image.new("RGB", (64, 64), (0, 0, 0)), "black", "all black"),
        (Image.new("RGB", (64, 64), (3, 2, 4)), "black", "all black"),
        (Image.new("RGB", (64, 64), (128, 128, 128)), "blank", "blank: one flat colour"),
        (noise((32, 48)), "wrong_size", "size 32x48, expected 64x64"),
    ],
)
def test_broken_images_fail_with_a_reason(image: Image.Image, verdict: str, reason: str) -> None:
    result = judge(image)
    assert (result.verdict, result.passed, result.score) == (verdict, False, 0.0)
    assert reason in result.reason


def test_generator_flags_explain_black_images() -> None:
    black = Image.new("RGB", (64, 64))
    nan = judge(black, nan_pixels=4096)
    assert nan.verdict == "nan_output" and "NaN in 4096 of 4096 pixels" in nan.reason
    assert "--dtype float32" in nan.reason
    assert judge(black, safety_flagged=True).verdict == "safety_filtered"


def test_size_is_only_checked_when_known_or_enabled() -> None:
    assert judge(noise((32, 48)), expected=None).passed
    check = ImageSanityCheck(ImageSanityCheck.Config(check_size=False))
    assert check.check(ImageUnderTest(noise((32, 48)), "h", SPEC, (64, 64))).passed


def test_config_changes_the_cache_key_and_options_are_validated() -> None:
    default = ImageSanityCheck()
    strict = ImageSanityCheck.from_options({"blank_std": 30.0})
    assert default.config_hash() != strict.config_hash()
    assert ImageSanityCheck().config_hash() == default.config_hash()
    assert (
        strict.check(ImageUnderTest(Image.new("RGB", (64, 64), 90), "h", SPEC)).verdict == "blank"
    )
    with pytest.raises(T2IQAError, match=r"has no option\(s\) \['blank'\]; its options are"):
        ImageSanityCheck.from_options({"blank": 1})


def test_registry() -> None:
    assert REGISTRY["image_sanity"] is ImageSanityCheck
    assert "image_sanity" in DEFAULT_CHECKS
    assert [c.name for c in build_checks(None)] == list(DEFAULT_CHECKS)
    with pytest.raises(
        T2IQAError, match=r"unknown check\(s\) \['nope'\]; available checks: image_sanity"
    ):
        build_checks(["nope"])
    with pytest.raises(T2IQAError, match="unknown check"):
        build_checks(None, {"nope": {}})


def test_registry_names_match_the_classes_and_load_lazily() -> None:
    from t2iqa.checks import SET_METRICS

    for registry in (REGISTRY, SET_METRICS):
        for name in registry:
            assert registry[name].name == name
