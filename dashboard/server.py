"""The dashboard's server process: Streamlit's own command line, run after the modules every
page needs are imported, so a person's first visit does not wait for those imports.

    python -m t2iqa.dashboard.server run dashboard/app.py --server.port 8501 ...
"""

from __future__ import annotations

import importlib

# What the pages import. Streamlit runs the app script in this process, so these stay in
# sys.modules and the first page's script run finds them there (about 0.6 s of a first
# visit on a 2-core machine: benchmarks/speed_dashboard.py).
PRELOAD = (
    "altair",
    "pandas",
    "t2iqa.dashboard.data",
    "t2iqa.reports.annotate",
    "t2iqa.comparison.compare",
    "t2iqa.comparison.leaderboard",
)


def preload() -> None:
    for name in PRELOAD:
        importlib.import_module(name)


if __name__ == "__main__":
    preload()
    from streamlit.web.cli import main

    main(prog_name="streamlit")
