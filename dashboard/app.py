"""The t2iqa dashboard: ``t2iqa dashboard --store PATH`` (or ``streamlit run dashboard/app.py``).

Reads the store named by ``T2IQA_STORE`` read-only (the Arena page writes people's votes,
each in its own short transaction). Pages: Runs, Leaderboard, Gallery, Compare, Check an
image, Arena. The page is in the URL (``?page=gallery``) so views can be shared.
Computation lives in ``dashboard/data.py``; this file and the page modules beside it
(``leaderboard``, ``arena``, ``representation``) only lay it out.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from t2iqa.dashboard import PAGE_TITLES, data
from t2iqa.dashboard.arena import page_arena
from t2iqa.dashboard.leaderboard import page_leaderboard
from t2iqa.dashboard.widgets import runs_table
from t2iqa.reports.annotate import jpeg_bytes, read_with_reasons, result_from_row
from t2iqa.store.location import is_store_url

PAGES = {
    "runs": "Runs",
    "leaderboard": "Leaderboard",
    "gallery": "Gallery",
    "compare": "Compare",
    "check": "Check an image",
    "arena": "Arena",
}  # URL name -> menu label (the headings are dashboard.PAGE_TITLES)
GALLERY_PAGE_SIZE = 24
COMPARE_PAGE_SIZE = 8
THUMBNAIL_SIDE = 320


# ---------------------------------------------------------------------------- cached reads


@st.cache_data(show_spinner=False, max_entries=32)
def run_details_table(root: str, run_id: str, token: tuple) -> pd.DataFrame:
    return data.run_details(root, run_id)


@st.cache_data(show_spinner=False, max_entries=32)
def results_table(root: str, run_ids: tuple[str, ...], token: tuple) -> pd.DataFrame:
    return data.results_frame(root, run_ids)


@st.cache_data(show_spinner=False, max_entries=32)
def changes_between(
    root: str, baseline: str, candidate: str, token: tuple
) -> tuple[bool, str, list[Any]]:
    from t2iqa.comparison.compare import pair_keys, verdict_changes

    base, cand = data.load_run_data(root, [baseline, candidate])
    paired, note = pair_keys(base, cand)
    return paired, note, verdict_changes(base, cand) if paired else []


@st.cache_data(show_spinner=False, max_entries=2048)
def picture(root: str, file: str, results_json: str, side: int | None) -> bytes | str:
    """The image with the results' reasons drawn (JPEG thumbnail, or PNG at full size), or a
    sentence saying why it cannot be shown."""
    results = [result_from_row(r) for r in json.loads(results_json)]
    shown = read_with_reasons(data.image_files(root).url(file), results, side)
    if isinstance(shown, str):
        return shown
    return data.png_bytes(shown) if side is None else jpeg_bytes(shown)


@st.cache_resource(show_spinner="Loading the scorer models (once per server)...")
def qa_checks() -> tuple[list[Any], Any]:
    """The default QA policy's checks; their models load on first use and stay loaded."""
    from t2iqa.qa.verdicts import Policy

    policy = Policy()
    return policy.build(), policy


# ---------------------------------------------------------------------------- helpers


def rows_json(rows: pd.DataFrame | list[dict[str, Any]]) -> str:
    """The check results of one image as JSON: a hashable cache key for `picture`."""
    records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else rows
    keep = ("check", "verdict", "passed", "score", "reason", "details")
    clean = []
    for r in records:
        item = {k: r.get(k) for k in keep}
        for k in ("passed", "score"):
            if item[k] is not None and pd.isna(item[k]):
                item[k] = None
        clean.append(item)
    return json.dumps(clean, default=str)


def show_picture(root: str, file: str, rows: Any, side: int | None = THUMBNAIL_SIDE) -> None:
    shown = picture(root, file, rows_json(rows), side)
    if isinstance(shown, str):
        st.warning(shown)
    else:
        st.image(shown, width="stretch" if side is None else "content")


def verdict_line(rows: pd.DataFrame) -> str:
    """One line per judged check: PASS/FAIL in colour, the verdict, the score."""
    parts = []
    for r in rows.itertuples():
        if r.verdict == "not_applicable":
            continue
        mark = (
            ":green[**PASS**]" if r.passed is True
            else ":red[**FAIL**]" if r.passed is False
            else f":gray[{r.verdict}]"
        )  # fmt: skip
        score = "" if pd.isna(r.score) else f" · {r.score:.2f}"
        parts.append(f"{mark} {r.check}{score}")
    return "  \n".join(parts)


def show_verdicts(rows: pd.DataFrame) -> None:
    """The verdict line, then the reason of every failing check in words."""
    st.markdown(verdict_line(rows))
    for r in rows.itertuples():
        if r.passed is False:
            st.caption(f"{r.check}: {r.reason}")


@st.dialog("Image", width="large")
def enlarge(root: str, file: str, rows_payload: str, title: str) -> None:
    st.caption(title)
    shown = picture(root, file, rows_payload, None)
    if isinstance(shown, str):
        st.warning(shown)
    else:
        st.image(shown, width="stretch")


# ---------------------------------------------------------------------------- pages


def page_runs(root: str, token: tuple) -> None:
    st.header(PAGE_TITLES["runs"])
    runs = runs_table(root, token)
    cols = st.columns(3)
    cols[0].metric("runs", len(runs))
    cols[1].metric("images", int(runs["images"].sum()))
    cols[2].metric("still running", int((runs["status"] == "running").sum()))
    st.dataframe(
        runs,
        hide_index=True,
        column_config={
            "progress": st.column_config.ProgressColumn("progress", min_value=0, max_value=1),
            "megapixels": st.column_config.NumberColumn("size (MP)"),
        },
    )
    if (runs["status"] == "running").any():
        live_progress(root)
    # A toggle, not an expander: an expander's content is built even while it is closed.
    if st.toggle("How a run was made and scored", key="runs_detail_on"):
        run = st.selectbox("Run", list(runs["run"]), key="runs_detail")
        details = run_details_table(root, run, token)
        kinds = sorted(details["kind"].unique())
        shown = st.multiselect("Kinds", kinds, default=kinds, key="runs_detail_kinds")
        st.dataframe(details[details["kind"].isin(shown)], hide_index=True)


@st.fragment(run_every=5)
def live_progress(root: str) -> None:
    """Re-read every few seconds while a run is going; only this part redraws."""
    runs = runs_table(root, data.store_token(root))
    for r in runs[runs["status"] == "running"].itertuples():
        st.progress(min(1.0, r.progress), text=f"{r.run}: {r.images}/{r.planned} images")


def page_gallery(root: str, token: tuple) -> None:
    st.header(PAGE_TITLES["gallery"])
    runs = runs_table(root, token)
    run = st.selectbox("Run", list(runs["run"]), key="gal_run")
    frame = results_table(root, (run,), token)
    if frame.empty:
        st.info("This run has no images yet.")
        return
    c1, c2, c3 = st.columns(3)
    categories = c1.multiselect("Category", data.categories_in(frame), key="gal_cat")
    checks = c2.multiselect("Check", sorted(frame["check"].unique()), key="gal_check")
    verdicts = c3.multiselect(
        "Verdict", sorted(frame["verdict"].dropna().unique()), key="gal_verdict"
    )
    # Scores are in each check's own unit, so a score range only makes sense for one check.
    scores = frame[frame["check"] == checks[0]]["score"].dropna() if len(checks) == 1 else None
    score_range = None
    if scores is None:
        st.caption("Pick one check to filter by its score.")
    elif not scores.empty and scores.min() < scores.max():
        low, high = float(scores.min()), float(scores.max())
        chosen = st.slider("Score", low, high, (low, high), key="gal_score")
        if chosen != (low, high):
            score_range = chosen
    shown = data.filter_results(frame, categories, checks, verdicts, score_range)
    images = shown.drop_duplicates(["prompt_id", "seed"])
    pages = max(1, -(-len(images) // GALLERY_PAGE_SIZE))
    page = st.number_input("Page", 1, pages, 1, key="gal_page") if pages > 1 else 1
    st.caption(f"{len(images)} images match ({len(shown)} check results).")
    start = (int(page) - 1) * GALLERY_PAGE_SIZE
    grid = st.columns(4)
    for k, img in enumerate(images.iloc[start : start + GALLERY_PAGE_SIZE].itertuples()):
        rows = shown[(shown["prompt_id"] == img.prompt_id) & (shown["seed"] == img.seed)]
        with grid[k % 4]:
            show_picture(root, img.file, rows)
            st.markdown(f"**{img.prompt_id}** · seed {img.seed}  \n{img.prompt}")
            show_verdicts(rows)
            if st.button("Enlarge", key=f"enl-{img.prompt_id}-{img.seed}"):
                enlarge(root, img.file, rows_json(rows), f"{img.prompt} (seed {img.seed})")


def page_compare(root: str, token: tuple) -> None:
    st.header(PAGE_TITLES["compare"])
    runs = list(runs_table(root, token)["run"])
    if len(runs) < 2:
        st.info("The store has one run; compare needs two.")
        return
    c1, c2 = st.columns(2)
    baseline = c1.selectbox("Baseline", runs, index=0, key="cmp_base")
    candidate = c2.selectbox("Candidate", runs, index=1, key="cmp_cand")
    if baseline == candidate:
        st.info("Pick two different runs.")
        return
    paired, note, changes = changes_between(root, baseline, candidate, token)
    st.caption(note)
    if not paired:
        st.warning("These runs share no (prompt, seed): nothing to put side by side.")
        return
    c1, c2 = st.columns([3, 1])
    changed_checks = sorted({c.check for c in changes})
    on_checks = c1.multiselect(
        "Verdict changed on (default: any check)", changed_checks, key="cmp_checks"
    )
    only_changed = c2.toggle("Only changed images", key="cmp_only_changed")
    if on_checks:
        changes = [c for c in changes if c.check in on_checks]
    failing = sum(c.newly_failing for c in changes)
    st.markdown(
        f"**{len(changes)} verdict changes**: {failing} newly failing, "
        f"{len(changes) - failing} newly passing; those images come first"
        f"{'' if only_changed else ', then the rest'}. For the statistics, run "
        f"`t2iqa compare {baseline} {candidate} --store {data.store_label(root)}`."
    )
    frame = results_table(root, (baseline, candidate), token)
    sides = {run: frame[frame["run_id"] == run] for run in (baseline, candidate)}
    keys = {run: list(dict.fromkeys(zip(f["prompt_id"], f["seed"], strict=True)))
            for run, f in sides.items()}  # fmt: skip
    in_candidate = set(keys[candidate])
    changed: dict[tuple[str, int], list[Any]] = {}
    for change in changes:
        changed.setdefault((change.prompt_id, change.seed), []).append(change)
    order = list(changed)
    if not only_changed:
        order += [k for k in keys[baseline] if k in in_candidate and k not in changed]
    if not order:
        st.info("No image changed its verdict on the chosen checks.")
        return
    pages = max(1, -(-len(order) // COMPARE_PAGE_SIZE))
    page = st.number_input("Page", 1, pages, 1, key="cmp_page") if pages > 1 else 1
    start = (int(page) - 1) * COMPARE_PAGE_SIZE
    for prompt_id, seed in order[start : start + COMPARE_PAGE_SIZE]:
        arrows = [
            f"{'pass → **FAIL**' if c.newly_failing else 'fail → **pass**'} `{c.check}`"
            for c in changed.get((prompt_id, seed), [])
        ] or [f"no verdict changed{' on ' + ', '.join(on_checks) if on_checks else ''}"]
        pair = {
            run: f[(f["prompt_id"] == prompt_id) & (f["seed"] == seed)] for run, f in sides.items()
        }
        prompt = pair[baseline]["prompt"].iloc[0]
        st.markdown(" · ".join(arrows) + f"  \n**{prompt_id}** seed {seed}: *{prompt}*")
        for col, (run, rows) in zip(st.columns(2), pair.items(), strict=True):
            with col:
                show_picture(root, rows["file"].iloc[0], rows)
                st.caption(run)
                show_verdicts(rows)
        st.divider()


def page_check(root: str, token: tuple) -> None:
    st.header(PAGE_TITLES["check"])
    st.caption(
        "The verdict `t2iqa check IMAGE --prompt PROMPT` gives, through the same code. "
        f"PNG, JPEG or WebP up to {data.MAX_UPLOAD_BYTES // 2**20} MB."
    )
    upload = st.file_uploader(
        "Image", type=list(data.UPLOAD_TYPES), key="qa_file",
        max_upload_size=data.MAX_UPLOAD_BYTES // 2**20,
    )  # fmt: skip
    prompt = st.text_input("Prompt", key="qa_prompt", placeholder='a sign that says "OPEN"')
    c1, c2 = st.columns(2)
    expect_text = c1.text_input("Expected text (optional; default: quoted in the prompt)")
    hands = c2.number_input("Expected hands (optional)", 0, 10, None, key="qa_hands")
    if not st.button("Check", type="primary", key="qa_go"):
        return
    if upload is None or not prompt.strip():
        st.error("Upload an image and type its prompt first.")
        return
    content = upload.getvalue()
    if problem := data.validate_upload(upload.name, content):
        st.error(problem.message)
        return
    checks, policy = qa_checks()
    with st.spinner("Checking..."):
        verdict, drawn = data.check_upload(
            checks, policy, upload.name, content, prompt, expect_text or None,
            None if hands is None else int(hands),
        )  # fmt: skip
    unverified = verdict.verdict == "unverified"  # a needed check could not run
    show = {"pass": st.success, "unverified": st.warning}.get(verdict.verdict, st.error)
    show(f"Verdict: {verdict.verdict.upper()}")
    for reason in verdict.reasons:
        st.markdown(f"- {'❔' if unverified else '❌'} {reason}")
    for warning in verdict.warnings:
        st.markdown(f"- ⚠️ {warning}")
    if drawn is not None:
        st.image(data.png_bytes(drawn), width="content")


RENDER = {
    "runs": page_runs,
    "leaderboard": page_leaderboard,
    "gallery": page_gallery,
    "compare": page_compare,
    "check": page_check,
    "arena": page_arena,
}


def main() -> None:
    st.set_page_config(page_title="t2iqa", layout="wide")
    spec = os.environ.get("T2IQA_STORE", "t2iqa-store")  # a folder or a team store's URL
    root = spec if is_store_url(spec) else str(Path(spec).expanduser())
    wanted = st.query_params.get("page", "runs")
    if wanted not in PAGES:
        wanted = "runs"
    with st.sidebar:
        st.title("t2iqa")
        page = st.radio(
            "Page", list(PAGES), index=list(PAGES).index(wanted),
            format_func=PAGES.__getitem__, key="page",
        )  # fmt: skip
        st.caption(f"store: `{data.store_label(root)}` (read-only)")
    if st.query_params.get("page") != page:  # setting it unchanged would rerun forever
        st.query_params["page"] = page
    if page != "check":  # checking an upload needs no store
        problem = data.store_problem(root)
        if problem:
            st.info(problem)
            return
    RENDER[page](root, data.store_token(root))


main()
