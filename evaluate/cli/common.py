"""What every command shares: the Typer apps, the consoles, exit codes, the store option,
progress bars, and the parsing of options whose mistakes must be caught before any work."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from t2iqa.core.errors import T2IQAError
from t2iqa.core.parsing import json_value

app = typer.Typer(
    name="t2iqa",
    help="Image QA and evaluation for text-to-image models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="markdown",  # reflow docstring paragraphs instead of keeping their breaks
)


suites_app = typer.Typer(help="List, show and import prompt suites.", no_args_is_help=True)
store_app = typer.Typer(help="Move runs between stores.", no_args_is_help=True)


app.add_typer(suites_app, name="suites")
app.add_typer(store_app, name="store")


# Piped output (CI logs) gets room for the summary table instead of rich's 80 columns.
console = Console(width=None if sys.stdout.isatty() else 120)


err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 120)


EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_UNVERIFIED = 3  # t2iqa check: a check the prompt needs could not run
EXIT_INTERNAL = 70  # a bug in t2iqa, not in the input (sysexits EX_SOFTWARE)


DEFAULT_STORE = "t2iqa-store"


# A string, not a Path: a team store is a URL (postgresql://user@host/db), which a Path
# would mangle ("//" -> "/").
StoreOption = Annotated[
    str,
    typer.Option(
        "--store",
        envvar="T2IQA_STORE",
        help="Store: a folder (SQLite file + images) or a team store's postgresql://user@host/db.",
    ),
]
ImagesAtOption = Annotated[
    str | None,
    typer.Option(
        "--images-at",
        envvar="T2IQA_IMAGES_AT",
        help="Where a team store keeps images: a shared folder or an fsspec URL "
        "(s3://bucket/prefix). Default: where the store's first writer put them.",
    ),
]


WeightsOption = Annotated[
    str | None,
    typer.Option(
        "--weights",
        envvar="T2IQA_WEIGHTS",
        help="A folder filled by `t2iqa weights prefetch`: scorers load their default weights "
        "from it (checked against its hashes) before the hub's cache.",
    ),
]


def use_weights(folder: str | None) -> None:
    """Scorers of this process (and its workers) look in ``folder`` first."""
    import os

    if folder:
        if not (Path(folder).expanduser() / "t2iqa-weights.json").is_file():
            fail(f"--weights {folder}: no t2iqa-weights.json there; fill it with "
                 "t2iqa weights prefetch DIR")  # fmt: skip
        os.environ["T2IQA_WEIGHTS"] = folder


class RichReporter:
    """Progress bars for the runner's stages."""

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description:<11}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err_console,
            transient=False,
        )
        self.task: Any = None
        self.progress.start()

    def stage(self, name: str, total: int) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=self.progress.tasks[-1].total)
        self.task = self.progress.add_task(name, total=total)

    def advance(self, n: int = 1) -> None:
        if self.task is not None:
            self.progress.advance(self.task, n)

    def warn(self, message: str) -> None:
        self.progress.console.print(f"[yellow]warning:[/] {message}")

    def done(self) -> None:
        self.progress.stop()


def fail(message: str, code: int = EXIT_USAGE) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def parse_report_option(text: str) -> tuple[str, Path]:
    """``FORMAT=PATH`` from ``--report``, the format checked against the registry."""
    from t2iqa.reports import REPORT_FORMATS

    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        fail(f"--report {text!r}: write FORMAT=PATH, e.g. --report html=report.html")
    if name not in REPORT_FORMATS:
        fail(f"--report {text!r}: unknown format {name!r}; available: {', '.join(REPORT_FORMATS)}")
    return name, Path(path)


def write_report(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")
    err_console.print(f"report written to {path.resolve()}")


def parse_seeds(seeds: str) -> tuple[int, ...]:
    """``4`` means seeds 0-3; ``7,8,9`` lists seeds; ``10-13`` is a range. Bounded before
    anything is built: ``0-999999999`` is a mistake to report, not a list to allocate."""
    from t2iqa.generation.base import MAX_SEEDS, checked_seeds, seeds_from_count

    text = seeds.strip()
    usage = f"--seeds {seeds!r}: give a count (4 = seeds 0-3), a list (7,8,9) or a range (10-13)"
    try:
        if "," in text:
            values = [int(s) for s in text.split(",") if s.strip()]
        elif "-" in text.lstrip("-"):
            lo, hi = (int(part) for part in text.split("-", 1))
            if not 0 < hi - lo + 1 <= MAX_SEEDS:
                raise T2IQAError(f"--seeds {seeds!r}: a range of 1 to {MAX_SEEDS} seeds")
            values = list(range(lo, hi + 1))
        else:
            values = list(seeds_from_count(int(text), f"--seeds {seeds!r}"))
    except ValueError:
        raise T2IQAError(usage) from None
    return checked_seeds(values, f"--seeds {seeds!r}")


def parse_check_options(options: list[str]) -> dict[str, dict[str, Any]]:
    """``--check-option image_sanity.blank_std=3`` -> {"image_sanity": {"blank_std": 3.0}}."""
    out: dict[str, dict[str, Any]] = {}
    for opt in options:
        key, sep, value = opt.partition("=")
        check, dot, name = key.partition(".")
        if not sep or not dot or not check or not name:
            raise T2IQAError(f"--check-option {opt!r}: write it as CHECK.OPTION=VALUE")
        try:
            parsed: Any = json_value(value, f"--check-option {key}")
        except json.JSONDecodeError:
            parsed = value
        out.setdefault(check, {})[name] = parsed
    return out
