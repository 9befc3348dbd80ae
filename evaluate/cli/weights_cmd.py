"""``t2iqa weights list | prefetch DIR | verify DIR``: the scorers' default weights, fetched
once on a connected machine and verified wherever they are copied to."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from t2iqa.cli.common import EXIT_FAILED, console, err_console

weights_app = typer.Typer(
    help="The scorers' weights: list them, fetch them once, verify a copy.", no_args_is_help=True
)


def sources() -> dict[str, tuple[Any, list[str]]]:
    """Every weight source the registered checks and set metrics name -> (source, names)."""
    from t2iqa.checks import REGISTRY, SET_METRICS

    out: dict[str, tuple[Any, list[str]]] = {}
    for registry in (REGISTRY, SET_METRICS):
        for name in registry:
            for source in registry[name].weights:
                out.setdefault(source.key, (source, []))[1].append(name)
    return out


@weights_app.command("list")
def weights_list() -> None:
    """The weights each scorer's defaults load, and where this machine has them: under
    T2IQA_WEIGHTS (checked), in the hub's or torch's cache, or nowhere."""
    from t2iqa.core.errors import Unavailable
    from t2iqa.core.prefetched import prefetched, weights_dir, where_cached

    table = Table(title="scorer weights", title_justify="left")
    for column in ("weights", "what", "used by", "here"):
        table.add_column(column, overflow="fold")
    for key, (source, names) in sources().items():
        try:
            here = prefetched(key) or where_cached(source) or "not here"
        except Unavailable as exc:
            here = f"[red]{exc}[/]"
        table.add_row(key, source.what, ", ".join(names), here)
    console.print(table)
    folder = weights_dir()
    console.print(f"T2IQA_WEIGHTS: {folder or 'not set'}; MediaPipe's and EasyOCR's models come "
                  "with their packages")  # fmt: skip


@weights_app.command("prefetch")
def weights_prefetch(
    folder: Annotated[Path, typer.Argument(help="Where to put them (then T2IQA_WEIGHTS=DIR).")],
    only: Annotated[
        list[str] | None, typer.Option(help="Only the weights these scorers use (repeatable).")
    ] = None,
) -> None:
    """Download the default weights (a connected machine) and record every file's size and
    SHA-256 in DIR/t2iqa-weights.json; exit 1 if any could not be fetched."""
    from t2iqa.core.errors import first_line
    from t2iqa.core.prefetched import RECORD, fetch, record

    folder.mkdir(parents=True, exist_ok=True)
    failed = fetched = 0
    for key, (source, names) in sources().items():
        if only and not set(only) & set(names):
            continue
        try:
            local, revision = fetch(source, folder)
            entry = record(folder, source, local, revision)
        except Exception as exc:  # offline, unknown id, disk full: this one, then the rest
            failed += 1
            first = first_line(exc)[:200]
            err_console.print(f"[yellow]not fetched[/] {key}: {first}", highlight=False)
            continue
        fetched += 1
        size = sum(f["size"] for f in entry["files"]) / 2**20
        console.print(f"{key}: {len(entry['files'])} files, {size:.0f} MiB", highlight=False)
    if fetched:
        console.print(f"record: {folder / RECORD}; use them with T2IQA_WEIGHTS={folder}")
    else:
        console.print("nothing fetched: prefetch needs the network (the hub and github.com)")
    if failed:
        raise typer.Exit(EXIT_FAILED)


@weights_app.command("verify")
def weights_verify(
    folder: Annotated[Path, typer.Argument(help="A folder `t2iqa weights prefetch` filled.")],
) -> None:
    """Check every recorded file's size and SHA-256 (offline); exit 1 on any missing,
    truncated or altered file."""
    from t2iqa.cli.common import fail
    from t2iqa.core.prefetched import RECORD, problems, read_record

    entries = read_record(folder)
    if not entries:
        fail(f"{folder / RECORD} does not exist: fill the folder with t2iqa weights prefetch")
    bad = 0
    for key, entry in entries.items():
        found = problems(folder, entry)
        bad += bool(found)
        if found:
            for line in found:
                err_console.print(f"[red]bad[/] {key}: {line}", highlight=False)
        else:
            console.print(f"ok {key}: {len(entry['files'])} files", highlight=False)
    console.print(f"{len(entries) - bad} of {len(entries)} weights intact")
    if bad:
        raise typer.Exit(EXIT_FAILED)
