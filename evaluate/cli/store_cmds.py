"""Commands over a store and the suites: ``dashboard``, ``runs``, ``export``, ``store copy``,
``suites``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from t2iqa.cli.common import (
    DEFAULT_STORE,
    ImagesAtOption,
    StoreOption,
    console,
    err_console,
    fail,
)


def dashboard(
    store: StoreOption = DEFAULT_STORE,
    host: Annotated[
        str, typer.Option(help="Address to serve on; 0.0.0.0 exposes it to your network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8501,
) -> None:
    """Open the Streamlit dashboard over a store (read-only; safe while a run writes)."""
    from t2iqa.dashboard import APP_PATH, streamlit_command

    if not 0 < port < 65536:
        fail(f"--port {port}: use a port between 1 and 65535")
    from t2iqa.store.location import is_store_url, parse_store

    if not is_store_url(store) and not (Path(store) / "t2iqa.sqlite").is_file():
        err_console.print(
            f"[yellow]note:[/] no store at {store} yet; the dashboard will say so until a "
            f"`t2iqa run --store {store}` creates one"
        )
    where = store if is_store_url(store) else str(Path(store).expanduser().resolve())
    env = {**os.environ, "T2IQA_STORE": where}
    shown = parse_store(store).label  # a team store's password is not printed
    console.print(f"t2iqa dashboard on http://{host}:{port}  (store {shown}, read-only)")
    sys.stdout.flush()
    command = streamlit_command(APP_PATH, host, port)
    # The server replaces this process: one process id to stop, and Ctrl-C goes straight to it.
    os.execve(command[0], command, env)


def runs(store: StoreOption = DEFAULT_STORE) -> None:
    """List the runs in a store."""
    from t2iqa.store.db import Store

    with Store(store, read_only=True) as st:
        records = st.list_runs()
        if not records:
            console.print(f"no runs in {st.label}")
            return
        table = Table("run", "model", "suite", "status", "images", "created")
        for r in records:
            done = len(st.done_keys(r.run_id))
            table.add_row(
                r.run_id, r.model, f"{r.suite_name} {r.suite_version}", r.status,
                f"{done}/{r.planned_images}", r.created_at,
            )  # fmt: skip
        console.print(table)


def export(
    run_id: Annotated[str, typer.Argument(help="Run id (see `t2iqa runs`).")],
    format: Annotated[
        str, typer.Option("--format", help="csv, parquet, or geneval (GenEval's results.jsonl).")
    ] = "csv",
    out: Annotated[
        Path | None,
        typer.Option(help="Output file (default RUN.csv / RUN.parquet / RUN.results.jsonl)."),
    ] = None,
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Export one row per (image, check) of a run, or GenEval's results.jsonl."""
    from t2iqa.store.export import FORMATS, export_run

    if format not in FORMATS:
        *others, last = FORMATS
        fail(f"--format {format!r}: use {', '.join(others)} or {last}")
    path, note = export_run(store, run_id, format, out)
    console.print(f"wrote {path}" + (f" ({note})" if note else ""))


def store_copy(
    source: Annotated[str, typer.Argument(help="Store to copy from: a folder or a URL.")],
    destination: Annotated[str, typer.Argument(help="Store to copy into: a folder or a URL.")],
    run: Annotated[
        list[str] | None, typer.Option("--run", help="A run to copy (repeat; default: all).")
    ] = None,
    images_at: ImagesAtOption = None,
) -> None:
    """Copy runs (images, results, set metrics, votes) between a local and a team store.
    Repeating a copy adds only what is new."""
    from t2iqa.store.copy import Copied, copy_runs
    from t2iqa.store.db import Store

    def said(done: Copied) -> None:
        console.print(
            f"{done.run_id}: {done.images} images ({done.files} files new), "
            f"{done.results} check results"
        )

    with Store(source, read_only=True) as src, Store(destination, images_at=images_at) as dst:
        copied, votes = copy_runs(src, dst, run or (), said)
        console.print(f"copied {len(copied)} runs and {votes} new votes into {dst.label}")


def suites_list() -> None:
    """The bundled suites."""
    from t2iqa.suites.files import bundled_suites, load_suite

    table = Table("name", "version", "prompts", "categories", "description")
    for name in bundled_suites():
        s = load_suite(name)
        table.add_row(
            s.name, s.version, str(len(s.prompts)), ", ".join(s.categories), s.description
        )
    console.print(table)


def suites_show(
    name: Annotated[str, typer.Argument(help="Bundled suite name or a suite/prompt file.")],
    limit: Annotated[int, typer.Option(help="Prompts to show (0 = all).")] = 0,
) -> None:
    """The prompts of a suite with their expectations."""
    from t2iqa.suites.files import load_suite

    s = load_suite(name)
    console.print(f"[bold]{s.name}[/] {s.version}: {len(s.prompts)} prompts. {s.description}")
    table = Table("id", "category", "prompt", "expect")
    shown = s.prompts[:limit] if limit else s.prompts
    for p in shown:
        expect = (
            json.dumps(p.expect.to_dict(), ensure_ascii=False) if not p.expect.is_empty() else ""
        )
        if p.expect_source == "prompt" and expect:
            expect += " (parsed)"
        table.add_row(p.id, p.category, p.prompt, expect)
    console.print(table)


def suites_import(
    source: Annotated[Path, typer.Argument(help="A .txt, .csv, .tsv or .jsonl prompt list.")],
    out: Annotated[Path, typer.Option(help="Suite YAML to write.")],
    name: Annotated[str | None, typer.Option(help="Suite name (default: file name).")] = None,
    version: Annotated[str, typer.Option(help="Suite version.")] = "1",
) -> None:
    """Turn a prompt list (e.g. PartiPrompts or DrawBench) into a suite file you can edit."""
    from t2iqa.suites.files import dump_suite_yaml, import_prompt_list

    suite = import_prompt_list(source, name=name, version=version)
    out.write_text(dump_suite_yaml(suite), encoding="utf-8")
    console.print(f"wrote {out}: {len(suite.prompts)} prompts, categories {suite.categories}")
