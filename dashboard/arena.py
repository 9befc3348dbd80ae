"""The Arena page: blind votes between two runs' images of one prompt and seed.

Sides are random and the runs' names stay hidden until the vote is in. Keys: Left / Right
arrow (that side is better), Down (tie), Up (both bad). A vote is written at once in its own
short transaction (the store is opened for writing only for it); its id is the pair's token,
so a repeated request stores it once, and a vote within ``MIN_SECONDS`` of its pair
appearing (the second click of a double click) is ignored. The next pair is drawn, and its
pictures read, inside the vote's callback, so the page redraws straight into it.
"""

from __future__ import annotations

import random
import time
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from t2iqa.arena import paired_images, prompt_categories, record_vote, summarise
from t2iqa.arena.agreement import CheckAgreement
from t2iqa.arena.pairs import Shown, next_pair
from t2iqa.arena.ratings import rate, win_probability
from t2iqa.core.errors import StoreError
from t2iqa.dashboard import PAGE_TITLES, data
from t2iqa.dashboard.widgets import pick_runs, runs_table
from t2iqa.reports.arena import (
    AGREEMENT_TITLE,
    RATINGS_TITLE,
    agreement_rows,
    notes,
    rater_rows,
    rating_rows,
)
from t2iqa.store.db import Store
from t2iqa.store.votes import read_votes

KEYS = (("left", "Left is better", "Left"), ("right", "Right is better", "Right"),
        ("tie", "Tie", "Down"), ("both_bad", "Both bad", "Up"))  # fmt: skip
ALL = "(all categories)"
# A vote sooner than this after its pair appeared is not a judgement: it is the second click
# of a double click, landing on the pair the first click brought up.
MIN_SECONDS = 0.25


def _draw(root: str, runs: list[str], category: str, rater: str) -> Shown | None:
    with Store(root, read_only=True) as store:
        images = paired_images(store, runs)
        categories = prompt_categories(store, runs)
        votes = read_votes(store, runs)
    if category != ALL:
        images = {k: v for k, v in images.items() if categories.get(k[1]) == category}
    closeness = {}
    counted = [v for v in votes if v.kind == "pair"]
    if counted:
        ratings = rate(counted, runs, replicates=0)
        by_run = ratings.by_run()
        for a in runs:
            for b in runs:
                if a < b:
                    p, tie = win_probability(by_run[a].rating, by_run[b].rating,
                                             ratings.tie_parameter)  # fmt: skip
                    decided = max(1 - tie, 1e-9)
                    closeness[(a, b)] = (p / decided) * (1 - p / decided)
    return next_pair(images, runs, votes, closeness, rater, random.Random())


def _vote(root: str, token: str, winner: str, runs: list[str], category: str) -> None:
    """The buttons' callback: store the vote on the pair the button was drawn with."""
    shown: Shown | None = st.session_state.get("arena_shown")
    if shown is None or shown.token != token:  # a second click on a pair already voted on
        return
    rater = st.session_state.get("arena_rater", "")
    seconds = time.monotonic() - st.session_state.get("arena_shown_at", 0.0)
    if seconds < MIN_SECONDS:
        return
    try:
        with Store(root) as store:
            record_vote(store, shown, winner, rater, seconds)
    except StoreError as exc:
        st.session_state["arena_error"] = str(exc)
        return
    st.session_state["arena_last"] = (shown, winner)
    st.session_state["arena_shown"] = _draw(root, runs, category, rater)
    st.session_state["arena_shown_at"] = time.monotonic()


def _choose(root: str, token: tuple) -> tuple[list[str], str] | None:
    chosen = pick_runs(runs_table(root, token), "Runs to compare (paired by prompt and "
                       "seed)", "arena_runs")  # fmt: skip
    if len(chosen) < 2:
        st.info("Pick two or more runs of the same suite: the arena shows their images of "
                "the same prompt and seed side by side.")  # fmt: skip
        return None
    with Store(root, read_only=True) as store:
        categories = prompt_categories(store, chosen)
    category = st.selectbox("Category", [ALL, *sorted(set(categories.values()))],
                            key="arena_category")  # fmt: skip
    st.text_input("Your name (optional; it marks your votes)", key="arena_rater")
    return chosen, category


def page_arena(root: str, token: tuple) -> None:
    st.header(PAGE_TITLES["arena"])
    picked = _choose(root, token)
    if picked is None:
        return
    runs, category = picked
    setting = (tuple(runs), category)
    if st.session_state.get("arena_setting") != setting or "arena_shown" not in st.session_state:
        st.session_state["arena_setting"] = setting
        rater = st.session_state.get("arena_rater", "")
        st.session_state["arena_shown"] = _draw(root, runs, category, rater)
        st.session_state["arena_shown_at"] = time.monotonic()
    if error := st.session_state.pop("arena_error", None):
        st.error(f"The vote was not saved: {error}")
    shown: Shown | None = st.session_state["arena_shown"]
    if shown is None:
        st.info("These runs share no prompt and seed in this category: pick runs of one suite.")
        return
    _show_pair(root, shown, runs, category)
    _show_last(root, runs)
    show_people(root, runs, token, "No votes between these runs yet: vote on the pair above to "
                "start. Ratings, rater agreement and how far each check agrees with people "
                "appear here.")  # fmt: skip


def _show_pair(root: str, shown: Shown, runs: list[str], category: str) -> None:
    with Store(root, read_only=True) as store:
        prompt = next((s.prompt for s in store.run_prompts(shown.run_left)
                       if s.id == shown.prompt_id), shown.prompt_id)  # fmt: skip
    st.markdown(f"**Prompt:** {prompt}")
    st.caption(
        "Which picture fits the prompt better? Keys: Left, Right, Down (tie), Up (both bad)."
    )
    files = data.image_files(root)
    for column, file, side in zip(st.columns(2), (shown.file_left, shown.file_right),
                                  ("Left", "Right"), strict=True):  # fmt: skip
        try:
            column.image(files.read(file), caption=side, width="stretch")
        except StoreError as exc:
            column.warning(str(exc))
    cols = st.columns(len(KEYS))
    for col, (winner, label, key) in zip(cols, KEYS, strict=True):
        col.button(label, key=f"arena_{winner}", shortcut=key, on_click=_vote, width="stretch",
                   args=(root, shown.token, winner, runs, category))  # fmt: skip


def _show_last(root: str, runs: list[str]) -> None:
    with Store(root, read_only=True) as store:
        st.caption(f"Votes between these runs so far: {len(read_votes(store, runs))}")
    last = st.session_state.get("arena_last")
    if last is None:
        return
    shown, winner = last
    said = {"left": "left was better", "right": "right was better", "tie": "a tie",
            "both_bad": "both bad"}[winner]  # fmt: skip
    st.caption(f"Last vote: {said}. Left was **{shown.run_left}**, right was "
               f"**{shown.run_right}**.")  # fmt: skip


@st.cache_data(show_spinner=False, max_entries=8)
def _summary_tables(root: str, runs: tuple[str, ...], token: tuple) -> dict[str, Any] | None:
    with Store(root, read_only=True) as store:
        summary = summarise(store, list(runs), replicates=100)
    if summary is None:
        return None
    chart = pd.DataFrame([_chart_row(c) for c in summary.checks if c.accuracy is not None])
    return {"ratings": pd.DataFrame(rating_rows(summary.ratings)), "notes": notes(summary),
            "raters": pd.DataFrame(rater_rows(summary)),
            "checks": pd.DataFrame(agreement_rows(summary)), "chart": chart}  # fmt: skip


def _chart_row(c: CheckAgreement) -> dict[str, Any]:
    def pct(value: float | None) -> float:
        return 100 * (c.accuracy if value is None else value)  # no interval: the point

    return {"check": c.check, "agrees": pct(c.accuracy), "low": pct(c.accuracy_low),
            "high": pct(c.accuracy_high), "votes": c.decided_votes}  # fmt: skip


def show_people(root: str, runs: list[str], token: tuple, empty: str | None = None) -> None:
    """People's ratings of ``runs``, rater agreement, and which check predicts people (a
    table and a chart); ``empty``: what to say when there are no votes (None: nothing)."""
    tables = _summary_tables(root, tuple(runs), token)
    if tables is None:
        if empty:
            st.subheader(RATINGS_TITLE)
            st.info(empty)
        return
    st.subheader(RATINGS_TITLE)
    st.dataframe(tables["ratings"], hide_index=True)
    for line in tables["notes"]:
        st.caption(line)
    st.dataframe(tables["raters"], hide_index=True)
    if len(tables["checks"]):
        st.subheader(AGREEMENT_TITLE)
        st.caption("Share of decided votes (no ties) whose winner the check also scores "
                   "higher, with 95% intervals over prompts; 50% is a coin toss.")  # fmt: skip
        st.dataframe(tables["checks"], hide_index=True)
        chart = tables["chart"]
        if len(chart):
            base = alt.Chart(chart).encode(y=alt.Y("check:N", sort="-x", title=None))
            x = alt.X("agrees:Q", title="agrees with people %", scale=alt.Scale(domain=[0, 100]))
            bars = base.mark_bar().encode(x=x, tooltip=["check", "agrees", "low", "high", "votes"])
            rules = base.mark_rule(color="black").encode(x="low:Q", x2="high:Q")
            st.altair_chart(bars + rules, width="stretch")
