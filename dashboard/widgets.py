"""Pieces several dashboard pages share: the cached runs table and the run picker."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from t2iqa.dashboard import data


@st.cache_data(show_spinner=False, max_entries=32)
def runs_table(root: str, token: tuple) -> pd.DataFrame:
    return data.runs_frame(root)


def pick_runs(runs: pd.DataFrame, label: str, key: str) -> list[str]:
    """Every run may be picked; the runs on the most common suite are picked to start with,
    because those pair image by image."""
    suite = runs["suite"].value_counts().index[0]
    default = list(runs[runs["suite"] == suite]["run"])
    return st.multiselect(label, list(runs["run"]), default=default, key=key)
