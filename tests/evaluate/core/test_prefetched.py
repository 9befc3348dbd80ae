"""Weights fetched once into T2IQA_WEIGHTS: scorers load their defaults from there before the
hub, and a truncated or altered file is refused naming the file and the hash expected. The
folders are laid out here as `t2iqa weights prefetch` lays them out (this machine has no
network to fetch from), with the tiny embedded models in place of the real weights."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from PIL import Image

from t2iqa.checks import build_checks
from t2iqa.checks.backbones import DINOV2_WEIGHTS, build_embedded_dinov2, load_dinov2
from t2iqa.checks.base import ImageUnderTest
from t2iqa.checks.clip_alignment import EMBEDDED_CLIP, register_embedded_clip
from t2iqa.checks.hps import HPS_FILE, HPS_WEIGHTS
from t2iqa.core.errors import Unavailable
from t2iqa.core.prefetched import RECORD, WEIGHTS_ENV, forget_checks, record
from t2iqa.core.prompts import PromptSpec
from tests.evaluate.test_cli import cli


@pytest.fixture
def weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "weights"
    build_embedded_dinov2(folder / DINOV2_WEIGHTS.folder)
    record(folder, DINOV2_WEIGHTS, DINOV2_WEIGHTS.folder, "0123abc")
    (folder / HPS_WEIGHTS.folder).mkdir(parents=True)
    state = torch.load(register_embedded_clip()[1], weights_only=True)
    torch.save({"state_dict": state}, folder / HPS_WEIGHTS.folder / HPS_FILE)
    record(folder, HPS_WEIGHTS, f"{HPS_WEIGHTS.folder}/{HPS_FILE}", None)
    monkeypatch.setenv(WEIGHTS_ENV, str(folder))
    forget_checks()
    yield folder
    forget_checks()


def test_default_weights_load_from_the_prefetched_folder(weights: Path) -> None:
    # The default model ids, with no hub: only the prefetched copies can answer.
    net = load_dinov2(None)
    assert net(torch.zeros(1, 3, 224, 224)).shape[0] == 1
    [hps] = build_checks(["hps_v21"], {"hps_v21": {"model": EMBEDDED_CLIP}})
    item = ImageUnderTest(Image.new("RGB", (64, 64), (9, 90, 200)), "h", PromptSpec("p", "a"))
    assert hps.check(item).verdict == "scored"


def test_verify_and_list(weights: Path, monkeypatch, capsys) -> None:
    code, out, _ = cli(monkeypatch, capsys, "weights", "verify", str(weights))
    assert code == 0 and "2 of 2 weights intact" in out
    from huggingface_hub import constants

    from t2iqa.cli.weights_cmd import sources

    # Empty caches, whatever this machine holds, so that only the folder can answer.
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(weights.parent / "hub"))
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(weights.parent / "torch"))
    code, out, _ = cli(monkeypatch, capsys, "weights", "list")
    assert code == 0 and out.count("not here") == len(sources()) - 2  # the two laid out here


@pytest.mark.parametrize("damage", ["truncated", "altered"])
def test_a_damaged_file_is_refused_by_name_and_hash(
    weights: Path, damage: str, monkeypatch, capsys
) -> None:
    target = next((weights / DINOV2_WEIGHTS.folder).glob("*.safetensors"))
    data = target.read_bytes()
    target.write_bytes(data[:-100] if damage == "truncated" else data[:-1] + b"\x00")
    code, _, err = cli(monkeypatch, capsys, "weights", "verify", str(weights))
    err = " ".join(err.split())
    assert code == 1 and target.name in err
    assert ("truncated" in err) if damage == "truncated" else ("altered: sha256" in err)
    forget_checks()
    with pytest.raises(Unavailable, match="refused the prefetched weights for facebook/dinov2"):
        load_dinov2(None)


def test_prefetch_without_network_says_so_per_source(tmp_path: Path, monkeypatch, capsys) -> None:
    code, out, err = cli(monkeypatch, capsys, "weights", "prefetch", str(tmp_path / "w"),
                         "--only", "hps_v21")  # fmt: skip
    assert code == 1 and "not fetched hf-hub:xswu/HPSv2" in " ".join(err.split())
    assert "nothing fetched" in out and not (tmp_path / "w" / RECORD).exists()
    code, _, err = cli(monkeypatch, capsys, "weights", "verify", str(tmp_path / "w"))
    assert code == 2 and "t2iqa weights prefetch" in " ".join(err.split())


def test_check_takes_the_folder_as_an_option(tmp_path: Path, monkeypatch, capsys) -> None:
    import json

    folder = tmp_path / "w"
    (folder / HPS_WEIGHTS.folder).mkdir(parents=True)
    state = torch.load(register_embedded_clip()[1], weights_only=True)
    torch.save(state, folder / HPS_WEIGHTS.folder / HPS_FILE)
    record(folder, HPS_WEIGHTS, f"{HPS_WEIGHTS.folder}/{HPS_FILE}", None)
    Image.new("RGB", (64, 64), (200, 10, 10)).save(tmp_path / "a.png")
    (tmp_path / "policy.yaml").write_text("checks: [hps_v21]\n")
    monkeypatch.delenv(WEIGHTS_ENV, raising=False)
    forget_checks()
    code, out, _ = cli(monkeypatch, capsys, "check", str(tmp_path / "a.png"), "--prompt", "a",
                       "--policy", str(tmp_path / "policy.yaml"), "--weights", str(folder),
                       "--check-option", "hps_v21.model=embedded", "--json")  # fmt: skip
    assert code == 0
    assert json.loads(out)["images"][0]["checks"]["hps_v21"]["verdict"] == "scored"
    forget_checks()
    code, _, err = cli(monkeypatch, capsys, "check", str(tmp_path / "a.png"), "--prompt", "a",
                       "--weights", str(tmp_path))  # fmt: skip
    assert code == 2 and "no t2iqa-weights.json there" in " ".join(err.split())
