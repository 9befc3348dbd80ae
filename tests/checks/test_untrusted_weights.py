"""Every weights file a user names is read as tensors only: a crafted file is refused with a
sentence, and its code never runs (issue: fid.inception_weights reached torch-fidelity's
``torch.load(weights_only=False)``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torchmetrics.image.fid import NoTrainInceptionV3

from t2iqa.checks import build_checks, build_set_metrics
from t2iqa.checks.detectors import load_detector
from t2iqa.checks.features import load_inception
from t2iqa.core.errors import Unavailable
from tests.checks.test_distribution import items
from tests.evaluate.core.test_weights import malicious_weights


def test_malicious_inception_weights_are_refused(tmp_path: Path) -> None:
    evil, marker = malicious_weights(tmp_path)
    [fid] = build_set_metrics(["fid"], {"fid": {"inception_weights": str(evil)}})
    with pytest.raises(Unavailable, match="refused to load"):
        fid.update(items(2, 0))
    assert not marker.exists()


def random_inception_state(monkeypatch: pytest.MonkeyPatch) -> dict[str, torch.Tensor]:
    """The Inception-v3 FID network's names and shapes with seeded random values (the real
    weights are a download away, which this machine has not)."""
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    with monkeypatch.context() as patch:  # build the module once without any weights
        patch.setattr(FeatureExtractorInceptionV3, "load_state_dict", lambda self, state: None)
        patch.setattr("torch.load", lambda *args, **kwargs: {})
        torch.manual_seed(0)
        module = NoTrainInceptionV3("inception-v3-compat", ["2048"], "unused")
    return {k: v.clone() for k, v in module.state_dict().items()}


def test_inception_weights_load_as_tensors_and_extract_features(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "inception.pth"
    torch.save(random_inception_state(monkeypatch), path)
    net = load_inception(str(path))
    images = torch.randint(0, 256, (2, 3, 299, 299), dtype=torch.uint8)
    with torch.no_grad():
        features = net(images)
    assert features.shape == (2, 2048) and torch.isfinite(features).all()
    torch.save({"fc.weight": torch.zeros(3, 3)}, tmp_path / "other.pth")
    with pytest.raises(Unavailable, match="does not hold the Inception-v3 FID weights"):
        load_inception(str(tmp_path / "other.pth"))


def test_malicious_clip_checkpoint_is_refused(tmp_path: Path) -> None:
    evil, marker = malicious_weights(tmp_path, "clip.pt")
    [clip] = build_checks(
        ["clip_alignment"], {"clip_alignment": {"model": "ViT-B-32", "checkpoint": str(evil)}}
    )
    result = clip.bind([]).check(items(1, 0)[0])
    assert result.verdict == "unavailable" and "clip.pt" in result.reason, result
    assert not marker.exists()


def test_pickled_yolo_files_need_the_users_word(tmp_path: Path) -> None:
    evil, marker = malicious_weights(tmp_path, "yolo.pt")
    with pytest.raises(Unavailable, match=r"refused to load .*trust_weights_file=true"):
        load_detector("yolo", str(evil), "cpu")
    assert not marker.exists()
    [count] = build_checks(["object_count"], {"object_count": {"backend": "yolo"}})
    assert count.config.trust_weights_file is False  # the default refuses


def test_malicious_hps_checkpoint_is_refused(tmp_path: Path) -> None:
    evil, marker = malicious_weights(tmp_path, "hps.pt")
    [hps] = build_checks(["hps_v21"], {"hps_v21": {"checkpoint": str(evil)}})
    result = hps.check(items(1, 0)[0])
    assert result.verdict == "unavailable" and "hps.pt" in result.reason, result
    assert not marker.exists()
