"""The leaderboard page: pass rates (or mean scores) per check and category with their
intervals, the set metrics, the representation probes, GenEval's table and people's votes
for the runs picked."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from t2iqa.checks import metric_label
from t2iqa.dashboard import PAGE_TITLES, data
from t2iqa.dashboard.arena import show_people
from t2iqa.dashboard.representation import show_representation
from t2iqa.dashboard.widgets import pick_runs, runs_table
from t2iqa.reports.geneval import GENEVAL_TITLE


@st.cache_data(show_spinner=False, max_entries=32)
def leaderboard_table(
    root: str, run_ids: tuple[str, ...], token: tuple
) -> tuple[pd.DataFrame, list[str]]:
    return data.leaderboard_frame(root, run_ids)


@st.cache_data(show_spinner=False, max_entries=32)
def set_metrics_table(
    root: str, run_ids: tuple[str, ...], token: tuple
) -> tuple[pd.DataFrame, list[str]]:
    return data.set_metrics_frame(root, run_ids)


@st.cache_data(show_spinner=False, max_entries=32)
def geneval_table_of(root: str, run_ids: tuple[str, ...], token: tuple) -> pd.DataFrame:
    return data.geneval_frame(root, run_ids)


def page_leaderboard(root: str, token: tuple) -> None:
    st.header(PAGE_TITLES["leaderboard"])
    runs = runs_table(root, token)
    chosen = pick_runs(runs, "Runs", "lb_runs")
    if not chosen:
        st.info("Pick at least one run.")
        return
    board, warnings = leaderboard_table(root, tuple(chosen), token)
    for w in warnings:
        st.warning(w)
    if board.empty:
        st.info("These runs have no scored images yet.")
        return
    st.caption(
        "Pass rate (or mean score) with 95% bootstrap intervals over prompts. ★ marks the best "
        "run, or runs tied at the top after Holm-corrected pairwise tests."
    )
    checks = sorted(board["check"].unique())
    first = data.most_telling_check(board)
    check = st.selectbox("Check", checks, index=checks.index(first), key="lb_check")
    one = board[board["check"] == check]
    measure = one["measure"].iloc[0]
    scale = 100.0 if measure == "pass_rate" else 1.0
    unit = "pass rate %" if measure == "pass_rate" else "mean score"
    plot = one.assign(
        value=one["value"] * scale, ci_low=one["ci_low"] * scale, ci_high=one["ci_high"] * scale
    )
    bars = (
        alt.Chart(plot)
        .mark_bar()
        .encode(
            x=alt.X("category:N", title=None),
            xOffset="run:N",
            y=alt.Y("value:Q", title=unit),
            color=alt.Color("run:N"),
            tooltip=["run", "category", "value", "ci_low", "ci_high", "prompts"],
        )
    )
    errors = (
        alt.Chart(plot)
        .mark_rule(color="black")
        .encode(x="category:N", xOffset="run:N", y="ci_low:Q", y2="ci_high:Q")
    )
    st.altair_chart(bars + errors, width="stretch")

    table = plot.assign(
        interval=plot.apply(lambda r: f"[{r.ci_low:.1f}, {r.ci_high:.1f}]", axis=1),
        best=plot["best"].map({True: "★", False: ""}),
    )[["run", "category", "value", "interval", "best", "prompts", "images"]]
    st.dataframe(
        table, hide_index=True,
        column_config={"value": st.column_config.NumberColumn(unit, format="%.1f")},
    )  # fmt: skip

    st.subheader(f"{check} by category")
    base = alt.Chart(plot).encode(x=alt.X("category:N", title=None), y=alt.Y("run:N", title=None))
    domain = [0, 100] if measure == "pass_rate" else None
    grid = base.mark_rect().encode(
        color=alt.Color("value:Q", title=unit, scale=alt.Scale(domain=domain)),
        tooltip=["run", "category", "value", "ci_low", "ci_high", "prompts"],
    )
    text = base.mark_text(color="black").encode(text=alt.Text("value:Q", format=".1f"))
    st.altair_chart(grid + text, width="stretch")
    wide = board.assign(
        cell=board["check"] + " · " + board["category"],
        shown=board["value"] * board["measure"].map({"pass_rate": 100.0}).fillna(1.0),
    ).pivot_table(index="run", columns="cell", values="shown")
    st.caption("All cells (pass rates in %, scores as is); click a column to sort.")
    st.dataframe(wide.round(1))
    show_set_metrics(root, tuple(chosen), token)
    show_representation(root, chosen, token)
    geneval = geneval_table_of(root, tuple(chosen), token)
    if not geneval.empty:
        st.subheader(GENEVAL_TITLE)
        st.dataframe(geneval, hide_index=True)
    show_people(root, chosen, token)  # when people voted between these runs (Arena page)


def show_set_metrics(root: str, chosen: tuple[str, ...], token: tuple) -> None:
    """FID, KID, CMMD of the chosen runs: one chart per metric (their scales differ), each
    value with its bootstrap interval, and a table with what decides comparability."""
    sets, warnings = set_metrics_table(root, chosen, token)
    if sets.empty:
        return
    st.subheader("Set metrics")
    for w in warnings:
        st.warning(w)
    metrics = sorted(sets["metric"].unique())
    for col, metric in zip(st.columns(len(metrics)), metrics, strict=True):
        one = sets[sets["metric"] == metric]
        bars = (
            alt.Chart(one, title=metric_label(metric))
            .mark_bar()
            .encode(
                x=alt.X("run:N", title=None), y=alt.Y("value:Q", title=metric),
                color=alt.Color("run:N", legend=None),
                tooltip=["run", "value", "ci_low", "ci_high", "n", "reference"],
            )
        )  # fmt: skip
        errors = (
            alt.Chart(one).mark_rule(color="black").encode(x="run:N", y="ci_low:Q", y2="ci_high:Q")
        )
        col.altair_chart(bars + errors, width="stretch")
    table = sets.sort_values(["metric", "value"]).assign(
        warning=sets["warning"].fillna(""),
        interval=sets.apply(
            lambda r: "-" if pd.isna(r.ci_low) else f"[{r.ci_low:.4g}, {r.ci_high:.4g}]", axis=1
        )
    )[["metric", "run", "value", "interval", "n", "reference", "reference_n", "extractor",
       "resize_mode", "warning"]]  # fmt: skip
    st.dataframe(
        table,
        hide_index=True,
        column_config={"value": st.column_config.NumberColumn(format="%.4g")},
    )
