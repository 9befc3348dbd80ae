"""Pre-publication QA: policies, manifests, verdicts, bad rows beside good ones, workers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from t2iqa.core.errors import SuiteError, T2IQAError
from t2iqa.core.results import ERROR, UNAVAILABLE, CheckResult
from t2iqa.qa.entries import entries_from_paths, make_entry, read_manifest
from t2iqa.qa.verdicts import (
    FAIL,
    INPUT_ERROR,
    PASS,
    UNVERIFIED,
    Policy,
    check_entries,
    decide,
    load_policy,
    policy_from_dict,
)

SANITY = Policy(checks=("image_sanity",))


def noise(path: Path, size: tuple[int, int] = (64, 64)) -> Path:
    Image.effect_noise(size, 60).convert("RGB").save(path)
    return path


def test_policy_file_round_trip_and_defaults(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "checks: [image_sanity, ocr_text]\nblocking: [ocr_text]\n"
        "options:\n  ocr_text: {max_ned: 0.2}\n"
    )
    policy = load_policy(path)
    assert policy.blocks("ocr_text") and not policy.blocks("image_sanity")
    assert policy.build()[1].config.max_ned == 0.2
    assert Policy().blocks("hand_anatomy") and not Policy().blocks("unexpected_text")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"checks": ["ocr"]}, "unknown check"),
        ({"block": ["ocr_text"]}, "unknown key"),
        ({"options": {"ocr_text": {"max_edits": 1}}}, "has no option"),
        ({"options": {"hand_anatomy": {"count_rule": "most"}}}, "count_rule"),
        ({"allow_unavailable": "yes"}, "true or false"),
        ([1, 2], "mapping"),
    ],
)
def test_bad_policies_name_the_problem(raw: object, message: str) -> None:
    with pytest.raises(SuiteError, match=message):
        policy_from_dict(raw, "policy.yaml")


def test_missing_policy_file(tmp_path: Path) -> None:
    with pytest.raises(T2IQAError, match="does not exist"):
        load_policy(tmp_path / "nope.yaml")


def result(check: str, passed: bool | None, verdict: str = "x") -> CheckResult:
    return CheckResult(check, verdict, passed, None, f"{check} says so")


def test_decide_blocking_warning_and_unavailable() -> None:
    policy = Policy(blocking=("ocr_text",))
    verdict, reasons, warnings = decide(
        policy, [result("ocr_text", True), result("hand_anatomy", False)]
    )
    assert verdict == PASS and reasons == [] and warnings == ["hand_anatomy: hand_anatomy says so"]
    # A check the prompt needs that cannot run: unverified, never pass (by default).
    verdict, reasons, _ = decide(policy, [result("ocr_text", None, UNAVAILABLE)])
    assert verdict == UNVERIFIED and "cannot run here" in reasons[0]
    lenient = Policy(blocking=("ocr_text",), allow_unavailable=True)
    verdict, _, warnings = decide(lenient, [result("ocr_text", None, UNAVAILABLE)])
    assert verdict == PASS and "cannot run here" in warnings[0]
    # A failure outranks it; a check no expectation needs (CLIP) is a warning either way.
    failing = [result("ocr_text", None, UNAVAILABLE), result("hand_anatomy", False)]
    verdict, reasons, warnings = decide(Policy(), failing)
    assert verdict == FAIL and reasons == ["hand_anatomy: hand_anatomy says so"]
    assert "cannot run here" in warnings[0]
    verdict, _, warnings = decide(Policy(), [result("clip_alignment", None, UNAVAILABLE)])
    assert verdict == PASS and "cannot run here" in warnings[0]
    assert decide(policy, [result("ocr_text", None, ERROR)])[0] == FAIL


def test_manifest_jsonl_and_csv(tmp_path: Path) -> None:
    noise(tmp_path / "a.png")
    (tmp_path / "m.jsonl").write_text(
        json.dumps({"image": "a.png", "prompt": "a cat", "expect": {"hands": 1}}) + "\n"
    )
    [entry] = read_manifest(tmp_path / "m.jsonl")
    assert entry.path == tmp_path / "a.png" and entry.spec and entry.spec.expect.hands == 1
    (tmp_path / "m.csv").write_text(
        'image,prompt,text,counts\na.png,"a sign, ""HI""",HI,apple=3;dog=1\n'
    )
    [entry] = read_manifest(tmp_path / "m.csv")
    assert entry.spec and entry.spec.expect.text == "HI"
    assert entry.spec.expect.counts == {"apple": 3, "dog": 1}


def test_manifest_problems_listed_together(tmp_path: Path) -> None:
    (tmp_path / "m.jsonl").write_text('{"prompt": "x"}\nnot json\n{"image": "a.png"}\n')
    with pytest.raises(SuiteError) as info:
        read_manifest(tmp_path / "m.jsonl")
    text = str(info.value)
    assert "line 1: no image path" in text and "line 2: not JSON" in text
    assert "line 3: no 'prompt'" in text
    with pytest.raises(T2IQAError, match=r"use \.jsonl or \.csv"):
        (tmp_path / "m.txt").write_text("x")
        read_manifest(tmp_path / "m.txt")


def test_bad_rows_do_not_stop_the_batch(tmp_path: Path) -> None:
    good = noise(tmp_path / "good.png")
    (tmp_path / "text.png").write_text("not an image")
    entries = [
        make_entry(good, "a cat"),
        make_entry(tmp_path / "text.png", "a cat"),
        make_entry(good, ""),
        make_entry(good, "x" * 3000),
        make_entry(good, "一只猫"),  # other scripts are fine prompts
        make_entry(good, "a cat", {"hands": "two"}),
    ]
    verdicts = check_entries(entries, SANITY)
    assert [v.verdict for v in verdicts] == [PASS, INPUT_ERROR, INPUT_ERROR, INPUT_ERROR, PASS,
                                             INPUT_ERROR]  # fmt: skip
    assert "not an image" in verdicts[1].reasons[0]
    assert "non-empty" in verdicts[2].reasons[0]
    assert "3000 characters" in verdicts[3].reasons[0]
    assert "hands" in verdicts[5].reasons[0]


def test_batches_give_the_verdicts_of_one_image_at_a_time(tmp_path: Path) -> None:
    (tmp_path / "text.png").write_text("not an image")
    prompts = ["a red apple", "a cat", "two dogs", "a hand"]
    entries = [make_entry(noise(tmp_path / f"{k}.png"), prompts[k % 4]) for k in range(7)]
    entries.insert(3, make_entry(tmp_path / "text.png", "a cat"))  # mid-batch: stays in place
    policy = Policy(
        checks=("image_sanity", "clip_alignment"), options={"clip_alignment": {"model": "embedded"}}
    )
    one = [v.to_dict() for v in check_entries(entries, policy, batch_size=1)]
    three = [v.to_dict() for v in check_entries(entries, policy, batch_size=3)]
    assert [v["image"] for v in three] == [str(e.path) for e in entries]
    assert [v["verdict"] for v in three] == [v["verdict"] for v in one]
    assert three[3]["verdict"] == INPUT_ERROR
    for a, b in zip(one, three, strict=True):  # batched CLIP rounds differently, barely
        if a["verdict"] != INPUT_ERROR:
            clip_a, clip_b = a["checks"]["clip_alignment"], b["checks"]["clip_alignment"]
            assert clip_a["verdict"] == clip_b["verdict"]
            assert clip_a["score"] == pytest.approx(clip_b["score"], abs=1e-3)


def test_folder_entries_and_empty_folder(tmp_path: Path) -> None:
    noise(tmp_path / "b.png")
    noise(tmp_path / "a.png")
    entries = entries_from_paths([tmp_path], "a cat")
    assert [e.path.name for e in entries] == ["a.png", "b.png"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(T2IQAError, match="no image files"):
        entries_from_paths([tmp_path / "empty"], "a cat")


def test_workers_give_the_same_verdicts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from t2iqa.qa import workers

    entries = [make_entry(noise(tmp_path / f"{k}.png"), "a hand") for k in range(4)]
    entries.append(make_entry(tmp_path / "missing.png", "a hand"))
    policy = Policy(checks=("image_sanity", "hand_anatomy"))
    one = [v.to_dict() for v in check_entries(entries, policy, workers=1)]
    with monkeypatch.context() as patch:  # five images: too few to start a worker for
        patch.setattr(workers, "ProcessPoolExecutor", None)
        assert [v.to_dict() for v in check_entries(entries, policy, workers=2)] == one
    monkeypatch.setattr(workers, "MIN_IMAGES_PER_WORKER", 1)
    two = [v.to_dict() for v in check_entries(entries, policy, workers=2)]
    assert one == two
    assert one[0]["checks"]["hand_anatomy"]["verdict"] == "no_hand_detected"
    assert one[-1]["verdict"] == INPUT_ERROR
