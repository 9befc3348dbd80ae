from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from t2iqa.core.errors import ModelLoadError, T2IQAError
from t2iqa.generation.base import (
    GeneratedImage,
    GenerationRequest,
    GenerationSettings,
    ImageSource,
    RejectedImage,
    generate_with_backoff,
)
from t2iqa.generation.diffusers_source import DiffusersSource, explain_load_error, to_uint8
from t2iqa.generation.folder_source import FolderSource, read_manifest
from t2iqa.suites.files import Suite, load_suite

SETTINGS = GenerationSettings(steps=3, guidance=5.0)


@pytest.fixture(scope="module")
def embedded() -> DiffusersSource:
    return DiffusersSource("embedded", SETTINGS)


def pixels(img: GeneratedImage) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(img.data)))


def requests(suite: Suite, n: int, seeds: list[int]) -> list[GenerationRequest]:
    return [GenerationRequest(p, s) for p in suite.prompts[:n] for s in seeds]


def test_same_seed_same_pixels_and_seeds_differ(embedded: DiffusersSource) -> None:
    reqs = requests(load_suite("smoke"), 1, [0, 1])
    first = embedded.generate(reqs)
    second = embedded.generate(reqs)
    assert [i.data for i in first] == [i.data for i in second]
    assert not np.array_equal(pixels(first[0]), pixels(first[1]))
    assert first[0].width == first[0].height == 64
    assert first[0].seconds and first[0].seconds > 0


def test_batch_composition_does_not_change_an_image(embedded: DiffusersSource) -> None:
    """Each image draws its own noise from its own seed, so batching changes no input. The
    batched kernels still round differently (~1e-6), which can move a rare pixel by one grey
    level: that, and nothing more, is allowed. Batch size 1 (the default) is bit-exact."""
    reqs = requests(load_suite("smoke"), 3, [0, 5])  # 6 images, mixed prompts and seeds
    batched = embedded.generate(reqs)
    reordered = list(reversed(embedded.generate(list(reversed(reqs)))))
    for req, img, other in zip(reqs, batched, reordered, strict=True):
        alone = pixels(embedded.generate([req])[0]).astype(int)
        for candidate in (img, other):
            diff = np.abs(alone - pixels(candidate).astype(int))
            assert diff.max() <= 1, req.key
            assert (diff > 0).mean() < 1e-3, req.key


def test_negative_prompt_changes_the_image(embedded: DiffusersSource) -> None:
    req = requests(load_suite("smoke"), 1, [0])
    plain = embedded.generate(req)[0]
    other = DiffusersSource(
        "embedded", GenerationSettings(steps=3, guidance=5.0, negative_prompt="blurry")
    )
    assert other.generate(req)[0].data != plain.data


def test_scheduler_alias_and_unknown_scheduler() -> None:
    req = requests(load_suite("smoke"), 1, [0])
    ddim = DiffusersSource("embedded", GenerationSettings(steps=3, scheduler="ddim"))
    ddim.generate(req)
    assert ddim.describe()["scheduler_class"] == "DDIMScheduler"
    with pytest.raises(T2IQAError, match="unknown --scheduler 'nope'"):
        DiffusersSource("embedded", GenerationSettings(scheduler="nope")).prepare()


def test_options_the_pipeline_does_not_take_are_named(
    embedded: DiffusersSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedded.prepare()
    monkeypatch.setattr(embedded, "_accepted", {"prompt", "generator", "output_type"})
    with pytest.raises(T2IQAError, match=r"does not take \['num_inference_steps'"):
        embedded.generate(requests(load_suite("smoke"), 1, [0]))


def test_offline_hub_error_says_offline_and_how_to_pass_a_local_path() -> None:
    source = DiffusersSource("stabilityai/sdxl-turbo", SETTINGS)
    with pytest.raises(ModelLoadError) as info:
        source.prepare()
    message = str(info.value)
    assert "'stabilityai/sdxl-turbo'" in message
    assert "offline" in message and "HF_HUB_OFFLINE" in message
    assert "--model /path/to/model" in message


def test_load_error_explanations() -> None:
    class RepositoryNotFoundError(Exception):
        pass

    class GatedRepoError(Exception):
        pass

    assert "no model 'org/typo' on the Hugging Face hub" in str(
        explain_load_error("org/typo", RepositoryNotFoundError("404"))
    )
    assert "gated" in str(explain_load_error("org/gated", GatedRepoError("403")))


def test_local_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="not a diffusers pipeline folder"):
        DiffusersSource(str(tmp_path), SETTINGS)
    with pytest.raises(ModelLoadError, match="no such model folder"):
        DiffusersSource(str(tmp_path / "missing"), SETTINGS)


def test_bad_device_and_dtype() -> None:
    if not torch.cuda.is_available():
        with pytest.raises(T2IQAError, match="sees no CUDA GPU"):
            DiffusersSource("embedded", GenerationSettings(device="cuda")).prepare()
    with pytest.raises(T2IQAError, match="unknown --dtype"):
        DiffusersSource("embedded", GenerationSettings(dtype="float8")).prepare()


class OOMSource(ImageSource):
    """Runs out of memory above a batch size, like a GPU would."""

    def __init__(self, fits: int) -> None:
        self.fits = fits
        self.calls: list[int] = []

    def describe(self) -> dict[str, Any]:
        return {}

    def plan(self, suite: Suite, seeds: Any) -> list[GenerationRequest]:
        return []

    def generate(self, requests: Any) -> list[GeneratedImage]:
        self.calls.append(len(requests))
        if len(requests) > self.fits:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")
        return [GeneratedImage(r, b"x", ".png", 1, 1, 0.1) for r in requests]


def test_out_of_memory_halves_the_batch_and_says_so() -> None:
    reqs = requests(load_suite("core"), 10, [0])
    source, got, warnings = OOMSource(fits=2), [], []
    generate_with_backoff(source, reqs, 8, got.extend, warnings.append)
    assert [g.request for g in got] == reqs
    assert source.calls == [8, 4, 2, 2, 2, 2, 2]  # the batch that fitted is kept
    assert warnings == [
        "out of memory at batch size 8; retrying at batch size 4",
        "out of memory at batch size 4; retrying at batch size 2",
    ]
    with pytest.raises(T2IQAError, match="out of memory even at batch size 1"):
        generate_with_backoff(OOMSource(fits=0), reqs, 4, got.extend, warnings.append)


class InterruptedSource(OOMSource):
    """Fits everything; Ctrl-C while the third batch generates."""

    def generate(self, requests: Any) -> list[GeneratedImage]:
        if len(self.calls) == 2:
            raise KeyboardInterrupt
        return super().generate(requests)


def test_each_batch_is_handed_on_after_the_next_is_made_and_none_is_lost() -> None:
    reqs = requests(load_suite("core"), 5, [0])
    source, handed = OOMSource(fits=2), []

    def on_images(images: Any) -> None:  # what the source had made when a batch came
        handed.append((len(source.calls), [g.request for g in images]))

    generate_with_backoff(source, reqs, 2, on_images, print)
    # Batch k arrives once batch k + 1 is made (its encoding ran beside it); the last at
    # the end.
    assert handed == [(2, reqs[:2]), (3, reqs[2:4]), (3, reqs[4:])]
    got: list[GeneratedImage] = []
    with pytest.raises(KeyboardInterrupt):
        generate_with_backoff(InterruptedSource(fits=2), reqs, 2, got.extend, print)
    assert [g.request for g in got] == reqs[:4]  # both finished batches were handed on


def test_generated_pngs_are_encoded_beside_the_next_batch_and_keep_the_pixels(
    embedded: DiffusersSource,
) -> None:
    [img] = embedded.generate(requests(load_suite("smoke"), 1, [0]))
    assert isinstance(img, GeneratedImage) and img.pixels is not None
    assert (pixels(img) == np.asarray(img.pixels)).all()  # PNG is lossless
    assert img.data == img.data and isinstance(img.encoded, bytes)  # resolved once


def test_pixels_made_from_tensors_where_they_lie_equal_numpys() -> None:
    rng = np.random.default_rng(7)
    floats = rng.uniform(-0.1, 1.1, (3, 40, 50, 3)).astype(np.float32)
    floats[1, 0, :20, 0] = (np.arange(20) + 0.5) / 255  # halves: round half to even
    floats[0, 3, 4, 1] = np.nan  # an fp16 VAE overflow: black, and counted
    floats[2, 0, :2, :] = np.nan
    from_numpy, nans = to_uint8(floats)
    from_tensor, tensor_nans = to_uint8(torch.from_numpy(floats).permute(0, 3, 1, 2))
    assert from_numpy.dtype == from_tensor.dtype == np.uint8
    assert (from_numpy == from_tensor).all() and nans == tensor_nans == [1, 0, 2]
    assert from_numpy[0, 3, 4].tolist() == [from_numpy[0, 3, 4, 0], 0, from_numpy[0, 3, 4, 2]]
    pils = [Image.fromarray(a) for a in from_numpy]  # a pipeline that gives PIL anyway
    assert (to_uint8(pils)[0] == from_numpy).all() and to_uint8(pils)[1] == [0, 0, 0]


def save_image(path: Path, color: tuple[int, int, int], fmt: str = "PNG") -> None:
    # 48x36: imports obey `t2iqa check`'s limits (at least 32 px a side), so not 32x24.
    Image.new("RGB", (48, 36), color).save(path, format=fmt)


def test_folder_import_by_manifest_keeps_original_bytes(tmp_path: Path) -> None:
    suite = load_suite("smoke")
    a, b = suite.prompts[0].id, suite.prompts[1].id
    save_image(tmp_path / "one.jpg", (200, 10, 10), "JPEG")
    save_image(tmp_path / "two.png", (10, 200, 10))
    save_image(tmp_path / "three.png", (10, 10, 200))
    (tmp_path / "manifest.csv").write_text(
        f"file,prompt_id,seed\none.jpg,{a},\ntwo.png,{a},\nthree.png,{b},7\n"
    )
    source = FolderSource(tmp_path, None, "midjourney-v7")
    plan = source.plan(suite, [0])
    assert [r.key for r in plan] == [(a, 0), (a, 1), (b, 7)]
    images = source.generate(plan)
    assert images[0].data == (tmp_path / "one.jpg").read_bytes()
    assert (images[0].suffix, images[0].width, images[0].height) == (".jpg", 48, 36)
    assert source.describe()["model"] == "midjourney-v7"


def test_folder_import_by_file_names_and_jsonl(tmp_path: Path) -> None:
    suite = load_suite("smoke")
    pid = suite.prompts[2].id
    save_image(tmp_path / f"{pid}.png", (1, 2, 3))
    save_image(tmp_path / f"{pid}__4.png", (4, 5, 6))
    rows = read_manifest(tmp_path, None, suite)
    assert sorted((r.prompt_id, r.seed) for r in rows) == [(pid, 0), (pid, 4)]
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"image": f"{pid}.png", "id": pid, "seed": 3}) + "\n")
    assert [(r.prompt_id, r.seed) for r in read_manifest(tmp_path, manifest, suite)] == [(pid, 3)]


def test_folder_import_lists_every_problem(tmp_path: Path) -> None:
    suite = load_suite("smoke")
    pid = suite.prompts[0].id
    save_image(tmp_path / "a.png", (1, 1, 1))
    (tmp_path / "manifest.csv").write_text(
        f"file,prompt_id,seed\na.png,not-a-prompt,\nmissing.png,{pid},\na.png,{pid},x\na.png,{pid},1\na.png,{pid},1\n"
    )
    with pytest.raises(T2IQAError) as info:
        FolderSource(tmp_path, None, "x").plan(suite, [0])
    message = str(info.value)
    assert "4 problem(s)" in message
    assert "row 2: prompt id 'not-a-prompt' is not in suite 'smoke'" in message
    assert "row 3: no such file" in message
    assert "row 4: seed must be a whole number, got 'x'" in message
    assert f"row 6: prompt '{pid}' seed 1 already given by manifest.csv row 5" in message


def test_folder_import_rejects_unreadable_files_and_empty_folders(tmp_path: Path) -> None:
    suite = load_suite("smoke")
    with pytest.raises(T2IQAError, match="no images found"):
        FolderSource(tmp_path, None, "x").plan(suite, [0])
    (tmp_path / f"{suite.prompts[0].id}.png").write_bytes(b"not an image")
    source = FolderSource(tmp_path, None, "x")
    [rejected] = source.generate(source.plan(suite, [0]))
    assert isinstance(rejected, RejectedImage) and "is not a readable image" in rejected.reason
    with pytest.raises(T2IQAError, match="no such folder"):
        FolderSource(tmp_path / "nope", None, "x").plan(suite, [0])


def test_folder_import_refuses_what_check_refuses(tmp_path: Path) -> None:
    """One decoder and one set of limits: a 1x1 image `t2iqa check` rejects is not imported."""
    suite = load_suite("smoke")
    Image.new("RGB", (1, 1), (5, 5, 5)).save(tmp_path / f"{suite.prompts[0].id}.png")
    source = FolderSource(tmp_path, None, "tool")
    [rejected] = source.generate(source.plan(suite, [0]))
    assert isinstance(rejected, RejectedImage) and "too small to judge" in rejected.reason
