"""Every page through Streamlit's AppTest: what it shows, what filters change, error states."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from t2iqa.dashboard import APP_PATH
from tests.conftest import core_images

TIMEOUT = 180


def app(monkeypatch: pytest.MonkeyPatch, store: Path, page: str = "runs") -> AppTest:
    monkeypatch.setenv("T2IQA_STORE", str(store))
    at = AppTest.from_file(str(APP_PATH), default_timeout=TIMEOUT)
    at.query_params["page"] = page
    return at.run()


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [i.value for i in at.info] + [w.value for w in at.warning]
    parts += [e.value for e in at.error] + [s.value for s in at.success]
    return "\n".join(str(p) for p in parts)


def matching(at: AppTest) -> int:
    found = re.search(r"(\d+) images match", texts(at))
    assert found, texts(at)
    return int(found.group(1))


def test_runs_page(monkeypatch: pytest.MonkeyPatch, dashboard_store: Path) -> None:
    at = app(monkeypatch, dashboard_store)
    assert not at.exception
    assert at.header[0].value == "Runs"
    frame = at.dataframe[0].value
    assert list(frame["run"]) == ["model-a", "model-b"]
    assert [m.value for m in at.metric][:2] == ["2", str(2 * core_images())]
    assert len(at.dataframe) == 1  # the run details wait for their toggle
    at.toggle(key="runs_detail_on").set_value(True).run()
    details = at.dataframe[1].value  # how the first run was made and scored
    assert "model" in set(details["setting"]) and "synthetic-a" in set(details["value"])
    at.selectbox(key="runs_detail").set_value("model-b").run()
    assert "synthetic-b" in set(at.dataframe[1].value["value"])
    at.multiselect(key="runs_detail_kinds").set_value(["scorer"]).run()
    assert set(at.dataframe[1].value["kind"]) == {"scorer"}


def test_leaderboard_page(monkeypatch: pytest.MonkeyPatch, dashboard_store: Path) -> None:
    at = app(monkeypatch, dashboard_store, "leaderboard")
    assert not at.exception
    # bars with error bars, heatmap, then one chart per set metric (fid, kid)
    assert len(at.get("vega_lite_chart")) == 4
    sets = at.dataframe[-1].value
    assert set(sets["metric"]) == {"fid", "kid"} and "interval" in sets.columns
    assert at.selectbox(key="lb_check").value == "object_count"  # where the runs differ
    at.selectbox(key="lb_check").set_value("ocr_text").run()
    assert set(at.dataframe[0].value["category"]) == {"all", "text"}
    at.selectbox(key="lb_check").set_value("object_count").run()
    table = at.dataframe[0].value
    best = table[(table["category"] == "all") & (table["best"] == "★")]
    assert best["run"].tolist() == ["model-b"]
    at.multiselect(key="lb_runs").set_value(["model-a"]).run()
    assert set(at.dataframe[0].value["run"]) == {"model-a"}
    assert set(at.dataframe[-1].value["run"]) == {"model-a"}


def test_gallery_filters_change_what_is_shown(
    monkeypatch: pytest.MonkeyPatch, dashboard_store: Path
) -> None:
    at = app(monkeypatch, dashboard_store, "gallery")
    assert not at.exception
    assert matching(at) == core_images() and len(at.get("image")) == 24
    at.multiselect(key="gal_cat").set_value(["text"]).run()
    assert matching(at) == 96  # 48 text prompts x 2 seeds
    at.multiselect(key="gal_check").set_value(["ocr_text"]).run()
    at.multiselect(key="gal_verdict").set_value(["failed"]).run()
    failing = matching(at)
    assert 0 < failing < 96
    assert "FAIL" in texts(at) and "PASS" not in texts(at)
    low, high = at.slider(key="gal_score").value
    at.slider(key="gal_score").set_value((low, (low + high) / 2)).run()
    assert matching(at) < failing
    at.selectbox(key="gal_run").set_value("model-b").run()
    assert not at.exception


def test_gallery_enlarges_and_survives_a_missing_file(
    monkeypatch: pytest.MonkeyPatch, dashboard_store: Path
) -> None:
    conn = sqlite3.connect(dashboard_store / "t2iqa.sqlite")
    first = conn.execute(
        "SELECT file FROM images WHERE run_id='model-a' AND prompt_id='count-cup-1' AND seed=0"
    ).fetchone()[0]
    conn.close()
    (dashboard_store / first).unlink()
    at = app(monkeypatch, dashboard_store, "gallery")
    assert not at.exception
    assert any("image missing" in w.value for w in at.warning)
    assert len(at.get("image")) == 23
    at.button(key="enl-count-cup-1-1").click().run()
    assert not at.exception
    assert len(at.get("image")) == 24  # the dialog's enlarged picture


def test_compare_page_puts_verdict_changes_first(
    monkeypatch: pytest.MonkeyPatch, dashboard_store: Path
) -> None:
    at = app(monkeypatch, dashboard_store, "compare")
    assert not at.exception
    assert "verdict changes" in texts(at)
    assert len(at.get("image")) == 2 * 8
    first = next(m.value for m in at.markdown if "→" in m.value)
    assert first.startswith("pass → **FAIL**")
    at.selectbox(key="cmp_cand").set_value("model-a").run()
    assert "Pick two different runs" in texts(at)


def changes_shown(at: AppTest) -> tuple[int, list[str]]:
    """The number of verdict changes the page counts, and the arrows of the shown pairs."""
    found = re.search(r"\*\*(\d+) verdict changes\*\*", texts(at))
    assert found, texts(at)
    arrows = [m.value.split("\n")[0] for m in at.markdown if "`" in m.value and "seed" in m.value]
    return int(found.group(1)), arrows


def test_compare_filters_by_check_and_hides_unchanged_images(
    monkeypatch: pytest.MonkeyPatch, dashboard_store: Path
) -> None:
    at = app(monkeypatch, dashboard_store, "compare")
    total, _ = changes_shown(at)
    at.multiselect(key="cmp_checks").set_value(["object_count"]).run()
    assert not at.exception
    counted, arrows = changes_shown(at)
    assert 0 < counted < total
    # the first pairs are object_count changes; the images after them changed nothing chosen
    assert "`object_count`" in arrows[0]
    assert all("`object_count`" in a or a.startswith("no verdict changed") for a in arrows)
    at.toggle(key="cmp_only_changed").set_value(True).run()
    _, arrows = changes_shown(at)
    assert arrows and all("`object_count`" in a for a in arrows)


def test_empty_and_unusable_stores_say_what_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    at = app(monkeypatch, tmp_path / "nowhere")
    assert not at.exception and "no t2iqa store" in at.info[0].value
    from t2iqa.store.db import Store

    Store(tmp_path / "fresh").close()
    at = app(monkeypatch, tmp_path / "fresh", "gallery")
    assert not at.exception and "has no runs yet" in at.info[0].value
    newer = tmp_path / "newer"
    newer.mkdir()
    conn = sqlite3.connect(newer / "t2iqa.sqlite")
    conn.execute("PRAGMA user_version = 7")
    conn.close()
    at = app(monkeypatch, newer, "leaderboard")
    assert not at.exception and "newer t2iqa" in at.info[0].value


def sign_png(text: str) -> bytes:
    from t2iqa.benchmarks.qa_samples import render_sign

    buffer = io.BytesIO()
    render_sign(text).save(buffer, format="PNG")
    return buffer.getvalue()


def test_upload_and_check_matches_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from t2iqa.benchmarks.qa_samples import font_path
    from tests.conftest import require_system_files

    require_system_files([font_path()], "fonts-dejavu-core")
    prompt = 'a shop sign that says "OPEN 24/7"'
    content = sign_png("OPFN 24/7")
    at = app(monkeypatch, tmp_path / "no-store-needed", "check")
    assert not at.exception
    at.file_uploader(key="qa_file").set_value(("sign.png", content, "image/png"))
    at.text_input(key="qa_prompt").set_value(prompt)
    at.button(key="qa_go").click().run()
    assert not at.exception, at.exception
    shown = (at.error[0].value if at.error else at.success[0].value).split()[-1].lower()

    from t2iqa.cli import main

    image = tmp_path / "sign.png"
    image.write_bytes(content)
    monkeypatch.setattr(sys, "argv", ["t2iqa", "check", str(image), "--prompt", prompt, "--json"])
    with pytest.raises(SystemExit):
        main()
    cli_verdict = json.loads(capsys.readouterr().out)["images"][0]["verdict"]
    assert shown == cli_verdict == "fail"
    assert any("OPFN" in m.value for m in at.markdown)
    assert len(at.get("image")) == 1  # the upload with its OCR boxes drawn


def test_upload_without_prompt_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    at = app(monkeypatch, tmp_path, "check")
    at.button(key="qa_go").click().run()
    assert "Upload an image and type its prompt" in at.error[0].value


def test_leaderboard_starts_with_the_runs_that_pair(
    monkeypatch: pytest.MonkeyPatch, dashboard_store: Path
) -> None:
    from t2iqa.benchmarks.synthetic_store import write_synthetic_run
    from t2iqa.store.db import Store
    from t2iqa.suites.files import load_suite

    with Store(dashboard_store) as st:
        write_synthetic_run(st, "other-suite", load_suite("smoke"), side=32)
    at = app(monkeypatch, dashboard_store, "leaderboard")
    assert at.multiselect(key="lb_runs").value == ["model-a", "model-b"]
    at.multiselect(key="lb_runs").set_value(["model-a", "other-suite"]).run()
    assert any("UNPAIRED" in w.value for w in at.warning)
