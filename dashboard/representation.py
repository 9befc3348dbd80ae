"""Who the model draws: the representation probes' per-prompt distributions, on the
leaderboard page, for runs scored with ``skin_tone_skew``, ``gender_skew`` or ``age_skew``.

One stacked bar per prompt and run (the shares of each perceived category), skin tone in
the Monk swatches' own colours, beside the pooled distribution and the reference. The
metric's value (mean per-prompt distance) is in the set-metrics chart above it.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd
import streamlit as st

from t2iqa.checks.representation import CAVEAT
from t2iqa.checks.skin_tone import MONK_BANDS, MONK_HEX
from t2iqa.store.db import Store

PROBES = ("skin_tone_skew", "gender_skew", "age_skew")
POOLED = "all prompts (pooled)"


def representation_frame(root: str, run_ids: Sequence[str]) -> pd.DataFrame:
    """Long table: metric, run, prompt (or the pooled row, or the reference), category,
    count and share."""
    rows = []
    with Store(root, read_only=True) as store:
        for run_id in run_ids:
            for result in store.set_results(run_id):
                if result.metric not in PROBES:
                    continue
                d = result.details
                groups = {p: v["counts"] for p, v in d.get("per_prompt", {}).items()}
                groups[POOLED] = d.get("overall", {})
                for prompt, counts in groups.items():
                    total = sum(counts.values()) or 1
                    rows += [{"metric": result.metric, "run": run_id, "prompt": prompt,
                              "category": c, "count": n, "share": n / total}
                             for c, n in counts.items() if n]  # fmt: skip
                rows += [{"metric": result.metric, "run": "reference", "prompt": POOLED,
                          "category": c, "count": None, "share": s}
                         for c, s in zip(d.get("categories", []), d.get("reference_shares", []),
                                         strict=False) if s]  # fmt: skip
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame(rows).drop_duplicates(["metric", "run", "prompt", "category"])


@st.cache_data(show_spinner=False, max_entries=32)
def representation_table(root: str, run_ids: tuple[str, ...], token: tuple) -> pd.DataFrame:
    return representation_frame(root, run_ids)


def _colours(metric: str, categories: list[str]) -> alt.Scale:
    if metric == "skin_tone_skew":
        return alt.Scale(domain=list(MONK_BANDS), range=[f"#{h}" for h in MONK_HEX])
    return alt.Scale(domain=categories)


def show_representation(root: str, chosen: Sequence[str], token: tuple) -> None:
    """The probes' distributions for the chosen runs (nothing when none was scored)."""
    frame = representation_table(root, tuple(chosen), token)
    if frame.empty:
        return
    st.subheader("Representation: who the model draws")
    st.caption(f"Shares of each perceived category per prompt. Caveat: {CAVEAT}.")
    metric = st.selectbox("Probe", sorted(frame["metric"].unique()), key="repr_metric")
    one = frame[frame["metric"] == metric]
    order = list(dict.fromkeys([POOLED, *sorted(one["prompt"].unique())]))
    chart = (
        alt.Chart(one)
        .mark_bar()
        .encode(
            y=alt.Y("prompt:N", sort=order, title=None),
            x=alt.X("share:Q", stack="normalize", title="share", axis=alt.Axis(format="%")),
            color=alt.Color("category:N", scale=_colours(metric, sorted(one["category"].unique()))),
            column=alt.Column("run:N", title=None),
            tooltip=["run", "prompt", "category", "count", alt.Tooltip("share:Q", format=".0%")],
        )
        .properties(width=220)
    )
    st.altair_chart(chart)
