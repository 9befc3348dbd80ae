"""The ``t2iqa`` command line. Every command calls the same functions the Python API offers.

Exit codes: 0 success, 1 the job ran but something in it failed (an image that could not be
read or checked), 2 a usage or input error or a fault of the machine (message, no traceback),
70 a bug in t2iqa (a short report), 130 interrupted (Ctrl-C; everything finished so far is
kept).
"""

from __future__ import annotations

import os
import sys
import traceback
import warnings

import typer

from t2iqa.cli import check_cmd, compare_cmd, disclose_cmd, run_cmd, store_cmds
from t2iqa.cli.common import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    app,
    err_console,
    store_app,
    suites_app,
)
from t2iqa.cli.votes_cmd import votes_app
from t2iqa.cli.weights_cmd import weights_app
from t2iqa.core.errors import T2IQAError
from t2iqa.core.threads import apply_threads, thread_budget

# The commands, in the order --help lists them.
app.command()(run_cmd.run)
app.command("check")(check_cmd.check_cmd)
app.command()(compare_cmd.compare)
app.command()(disclose_cmd.disclose)
app.command()(store_cmds.dashboard)
app.command()(store_cmds.runs)
app.command()(store_cmds.export)
suites_app.command("list")(store_cmds.suites_list)
suites_app.command("show")(store_cmds.suites_show)
suites_app.command("import")(store_cmds.suites_import)
app.add_typer(votes_app, name="votes")
app.add_typer(weights_app, name="weights")
store_app.command("copy")(store_cmds.store_copy)


def main() -> None:
    """Entry point: user errors print a message and exit 2, never a traceback."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    apply_threads(thread_budget())  # before any model library loads (t2iqa.core.threads)
    # Library deprecation chatter (torch.jit, diffusers) is not the user's business.
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module="huggingface_hub")
    try:
        code = app(standalone_mode=False)
    except T2IQAError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(EXIT_USAGE)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]")
        sys.exit(EXIT_INTERRUPTED)
    except typer.Abort:
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:
        # Usage errors (bad flag, missing argument) arrive here in non-standalone mode. Typer
        # vendors its own click, so they are recognised by shape, not by class.
        if callable(getattr(exc, "show", None)) and hasattr(exc, "exit_code"):
            exc.show()
            sys.exit(EXIT_USAGE)
        sys.exit(last_resort(exc))
    sys.exit(code if isinstance(code, int) else EXIT_OK)


def last_resort(exc: Exception) -> int:
    """What nothing else caught. The machine's faults (a file that cannot be read or written,
    memory) are the user's to fix: say which and how (exit 2). Anything else is a bug in
    t2iqa: say so, where, and how to report it (exit 70); T2IQA_DEBUG=1 shows the traceback."""
    if os.environ.get("T2IQA_DEBUG"):
        raise exc
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        err_console.print(
            f"[bold red]error:[/] {where}{exc.strerror or exc}; check that the path exists, "
            "is readable (and writable, for a store) and that its disk has free space",
            highlight=False,
        )
        return EXIT_USAGE
    if isinstance(exc, MemoryError):
        err_console.print(
            "[bold red]error:[/] out of memory; use fewer images at a time (--workers 1, "
            "--batch-size 1) or a machine with more memory",
            highlight=False,
        )
        return EXIT_USAGE
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" at {frame.filename}:{frame.lineno} in {frame.name}" if frame else ""
    err_console.print(
        f"[bold red]internal error:[/] {type(exc).__name__}: {exc}{where}\n"
        f"This is a bug in t2iqa {package_version()}, not in your input. Please report it "
        "with the command you ran (T2IQA_DEBUG=1 prints the full traceback).",
        highlight=False,
    )
    return EXIT_INTERNAL


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("t2iqa")
    except PackageNotFoundError:
        return "(not installed)"
