"""``t2iqa votes``: people's votes in and out of a store, and the ratings they give."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from t2iqa.cli.common import DEFAULT_STORE, EXIT_FAILED, StoreOption, console, err_console, fail

votes_app = typer.Typer(help="Export, import and rate people's votes (the arena).",
                        no_args_is_help=True)  # fmt: skip


@votes_app.command("export")
def votes_export(
    runs: Annotated[list[str] | None, typer.Argument(help="Runs (default: every vote).")] = None,
    out: Annotated[Path, typer.Option(help="A .csv or .parquet file to write.")] = Path(
        "votes.csv"
    ),
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Write the votes between the runs (every column the store keeps)."""
    from t2iqa.arena.transfer import export_votes
    from t2iqa.store.db import Store

    with Store(store, read_only=True) as st:
        n = export_votes(st, runs or [], out)
    console.print(f"wrote {n} votes to {out}")


@votes_app.command("import")
def votes_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV or Parquet: prompt_id, seed, run_a, run_b, "
            "winner (a, b, tie, both_bad), optional rater."
        ),
    ],
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Add votes collected elsewhere; bad rows are listed, the good ones kept (exit 1 if any
    row was bad)."""
    from t2iqa.arena.transfer import import_votes
    from t2iqa.store.db import Store
    from t2iqa.store.location import is_store_url

    if not is_store_url(store) and not (Path(store).expanduser() / "t2iqa.sqlite").is_file():
        fail(f"no t2iqa store at {store}; votes belong to the runs of a store (--store)")
    with Store(store) as st:
        new, known, problems = import_votes(st, file)
    for problem in problems:
        err_console.print(f"[yellow]skipped[/] {problem}", highlight=False)
    console.print(f"imported {new} votes" + (f" ({known} were already there)" if known else "")
                  + (f"; {len(problems)} rows skipped" if problems else ""))  # fmt: skip
    if problems:
        raise typer.Exit(EXIT_FAILED)


@votes_app.command("ratings")
def votes_ratings(
    runs: Annotated[list[str], typer.Argument(help="Two or more runs.")],
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Ratings from the votes between the runs, with rater agreement and how far each check
    agrees with people."""
    from t2iqa.arena import summarise
    from t2iqa.reports.console import print_arena
    from t2iqa.store.db import Store

    if len(runs) < 2:
        fail("name two or more runs to rate against each other")
    with Store(store, read_only=True) as st:
        for run in runs:
            st.get_run(run)
        summary = summarise(st, runs)
    if summary is None:
        fail("no votes between these runs yet: vote in the dashboard's Arena page "
             "(t2iqa dashboard) or import some (t2iqa votes import FILE)", EXIT_FAILED)  # fmt: skip
    print_arena(console, summary)
