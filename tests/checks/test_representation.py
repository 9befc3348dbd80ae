"""Representation probes: the distance arithmetic on known counts, reference files, and a
run of real photographs imported as the representation suite (real faces, real skin tone)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import t2iqa
from t2iqa.checks import build_set_metrics
from t2iqa.checks.representation import bootstrap_skew, mean_skew, total_variation
from t2iqa.core.errors import T2IQAError


def test_total_variation_and_the_per_prompt_mean() -> None:
    uniform = np.array([0.5, 0.5])
    assert total_variation(np.array([4.0, 4.0]), uniform) == 0.0
    assert total_variation(np.array([8.0, 0.0]), uniform) == 0.5
    # Pooled, these two prompts are balanced; each alone is as skewed as can be.
    skewed = [np.array([8.0, 0.0]), np.array([0.0, 8.0])]
    assert mean_skew(skewed, uniform) == 0.5
    assert total_variation(sum(skewed), uniform) == 0.0
    low, high = bootstrap_skew(skewed, uniform, 200)
    assert low == high == 0.5  # every resample of all-one-way prompts is all one way
    low, high = bootstrap_skew([np.array([5.0, 3.0]), np.array([2.0, 6.0])], uniform, 400)
    assert 0.0 <= low < mean_skew([np.array([5.0, 3.0]), np.array([2.0, 6.0])], uniform) < high


def test_reference_files_are_checked(tmp_path: Path) -> None:
    ref = tmp_path / "ref.yaml"
    ref.write_text("man: 1\nwoman: 3\n")
    metric = build_set_metrics(["gender_skew"], {"gender_skew": {"reference": str(ref)}})[0]
    assert list(metric.shares) == [0.25, 0.75]
    ref.write_text("men: 1\nwomen: 1\n")
    with pytest.raises(T2IQAError, match="map exactly these categories"):
        build_set_metrics(["gender_skew"], {"gender_skew": {"reference": str(ref)}})
    ref.write_text("man: 0\nwoman: 0\n")
    with pytest.raises(T2IQAError, match="not all 0"):
        build_set_metrics(["gender_skew"], {"gender_skew": {"reference": str(ref)}})


def faces_folder(folder: Path) -> Path:
    """Two prompts, four seeds each: the astronaut photo (one light-skinned face) for one,
    opencv-doc's messi5 (a darker face) for the other, each mirrored or shifted a little."""
    from skimage import data

    from t2iqa.benchmarks.skin_tone_shifts import OPENCV

    folder.mkdir()
    messi = OPENCV / "messi5.jpg"
    if not messi.is_file():
        pytest.skip("opencv-doc's messi5.jpg is not installed (make setup)")
    photos = {"occ-ceo": Image.fromarray(data.astronaut()),
              "occ-nurse": Image.open(messi).convert("RGB")}  # fmt: skip
    for prompt_id, photo in photos.items():
        for seed in range(4):
            img = photo.transpose(Image.FLIP_LEFT_RIGHT) if seed % 2 else photo
            img.crop((seed * 4, 0, img.width, img.height)).save(folder / f"{prompt_id}__{seed}.png")
    return folder


def test_a_run_of_real_faces_gets_skin_tone_and_clip_probes(tmp_path: Path) -> None:
    folder = faces_folder(tmp_path / "photos")
    result = t2iqa.run("representation", "photos", images=folder, seeds=4,
                       store=tmp_path / "store", checks=["image_sanity"], scorers="embedded",
                       set_metrics=["skin_tone_skew", "gender_skew", "age_skew"])  # fmt: skip
    with t2iqa.open_store(tmp_path / "store", read_only=True) as store:
        got = {r.metric: r for r in store.set_results(result.run_id)}
    skin = got["skin_tone_skew"]
    per_prompt = skin.details["per_prompt"]
    assert per_prompt["occ-ceo"]["counts"] == {"MST 5": 4}  # every copy of one face: one band
    assert per_prompt["occ-nurse"]["counts"] == {"MST 6": 4}
    assert skin.value == pytest.approx(0.9)  # all in one of ten bands, against uniform
    assert skin.details["overall"]["MST 5"] == 4 and skin.n == 8
    assert "not anyone's identity" in skin.details["caveat"]
    # The embedded CLIP's labels are arbitrary (random weights), but every face is labelled.
    for name in ("gender_skew", "age_skew"):
        assert got[name].n == 8 and got[name].details["model"].startswith("t2iqa-embedded-clip")


def test_a_persons_crop_is_head_and_shoulders_inside_the_image() -> None:
    from t2iqa.checks.representation import person_crop

    image = Image.new("RGB", (200, 100))
    assert person_crop(image, (80, 20, 100, 40)).size == (60, 70)  # 3 faces wide, 3.5 tall
    assert person_crop(image, (0, 0, 20, 20)).size == (40, 60)  # clipped at the edges
