"""The ``t2iqa`` command line. Every command calls the same functions the Python API offers.

Exit codes: 0 success, 1 the job ran but something in it failed (an image that could not be
read or checked), 2 a usage or input error (message, no traceback), 130 interrupted (Ctrl-C;
everything finished so far is kept).
"""

from __future__ import annotations

import json
import os
import sys
import warnings
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
from rich.table import Table

from t2iqa.core.errors import T2IQAError

app = typer.Typer(
    name="t2iqa",
    help="Image QA and evaluation for text-to-image models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="markdown",  # reflow docstring paragraphs instead of keeping their breaks
)
suites_app = typer.Typer(help="List, show and import prompt suites.", no_args_is_help=True)
app.add_typer(suites_app, name="suites")

# Piped output (CI logs) gets room for the summary table instead of rich's 80 columns.
console = Console(width=None if sys.stdout.isatty() else 120)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 120)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
DEFAULT_STORE = "t2iqa-store"

StoreOption = Annotated[
    Path,
    typer.Option("--store", envvar="T2IQA_STORE", help="Store folder (SQLite file + images)."),
]


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
    """``4`` means seeds 0-3; ``7,8,9`` lists seeds; ``10-13`` is a range."""
    text = seeds.strip()
    try:
        if "," in text:
            values = tuple(int(s) for s in text.split(",") if s.strip())
        elif "-" in text.lstrip("-"):
            lo, hi = text.split("-", 1)
            values = tuple(range(int(lo), int(hi) + 1))
        else:
            count = int(text)
            if count < 1:
                raise ValueError
            values = tuple(range(count))
    except ValueError:
        raise T2IQAError(
            f"--seeds {seeds!r}: give a count (4 = seeds 0-3), a list (7,8,9) or a range (10-13)"
        ) from None
    if not values or len(set(values)) != len(values) or min(values) < 0:
        raise T2IQAError(f"--seeds {seeds!r}: seeds must be distinct whole numbers >= 0")
    return values


def parse_check_options(options: list[str]) -> dict[str, dict[str, Any]]:
    """``--check-option image_sanity.blank_std=3`` -> {"image_sanity": {"blank_std": 3.0}}."""
    out: dict[str, dict[str, Any]] = {}
    for opt in options:
        key, sep, value = opt.partition("=")
        check, dot, name = key.partition(".")
        if not sep or not dot or not check or not name:
            raise T2IQAError(f"--check-option {opt!r}: write it as CHECK.OPTION=VALUE")
        try:
            parsed: Any = json.loads(value)
        except json.JSONDecodeError:
            parsed = value
        out.setdefault(check, {})[name] = parsed
    return out


@app.command()
def run(
    suite: Annotated[
        str, typer.Option(help="Bundled suite name or a suite/prompt file.")
    ] = "smoke",
    model: Annotated[
        str,
        typer.Option(
            help="Hub id (stabilityai/sdxl-turbo), local diffusers folder, or 'embedded' (the "
            "offline random-weight plumbing model). With --images: a label for the source."
        ),
    ] = "embedded",
    seeds: Annotated[str, typer.Option(help="Count (4 = 0-3), list (7,8) or range (10-13).")] = "1",
    steps: Annotated[int | None, typer.Option(help="Inference steps.")] = None,
    guidance: Annotated[float | None, typer.Option(help="Guidance scale.")] = None,
    width: Annotated[int | None, typer.Option(help="Image width.")] = None,
    height: Annotated[int | None, typer.Option(help="Image height.")] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Scheduler class or alias (euler, dpm++, ddim, ...).")
    ] = None,
    negative_prompt: Annotated[str | None, typer.Option(help="Default negative prompt.")] = None,
    dtype: Annotated[str, typer.Option(help="auto, float32, float16 or bfloat16.")] = "auto",
    device: Annotated[
        str, typer.Option(help="auto (cuda > mps > cpu), cuda, cuda:1, mps, cpu.")
    ] = "auto",
    batch_size: Annotated[int, typer.Option(help="Images per pipeline call.")] = 1,
    limit: Annotated[
        int | None, typer.Option(help="Only the first N prompts of the suite.")
    ] = None,
    check: Annotated[
        list[str] | None, typer.Option("--check", help="Checks to run (repeatable); default all.")
    ] = None,
    check_option: Annotated[
        list[str] | None, typer.Option(help="CHECK.OPTION=VALUE (repeatable).")
    ] = None,
    set_metric: Annotated[
        list[str] | None,
        typer.Option("--set-metric", help="fid, kid or cmmd against a reference (repeatable)."),
    ] = None,
    set_option: Annotated[
        list[str] | None,
        typer.Option(help="METRIC.OPTION=VALUE, e.g. fid.reference=DIR (repeatable)."),
    ] = None,
    scorers: Annotated[
        str,
        typer.Option(
            help="'default' (real scorer weights: cached or local) or 'embedded' (tiny "
            "random-weight CLIP, detector and feature extractor: plumbing only)."
        ),
    ] = "default",
    images: Annotated[
        Path | None, typer.Option(help="Import images from this folder instead of generating.")
    ] = None,
    manifest: Annotated[
        Path | None, typer.Option(help="Manifest for --images (CSV/JSONL: file, prompt_id, seed).")
    ] = None,
    run_id: Annotated[
        str | None, typer.Option(help="Name the run (default: derived from its config).")
    ] = None,
    store: StoreOption = Path(DEFAULT_STORE),
) -> None:
    """Generate (or import) a suite's images, score them, store everything, print a summary."""
    from t2iqa import api
    from t2iqa.generation.base import GenerationSettings
    from t2iqa.runs.runner import RunInterrupted
    from t2iqa.runs.summary import error_rows, print_summary

    if limit is not None and limit < 1:
        fail("--limit must be 1 or more")
    if batch_size < 1:
        fail("--batch-size must be 1 or more")
    if scorers not in ("default", "embedded"):
        fail(f"--scorers must be 'default' or 'embedded', not {scorers!r}")
    settings = GenerationSettings(
        steps=steps, guidance=guidance, width=width, height=height, scheduler=scheduler,
        negative_prompt=negative_prompt, dtype=dtype, device=device, batch_size=batch_size,
    )  # fmt: skip
    try:
        result = api.run(
            suite, model, seeds=parse_seeds(seeds), store=store, checks=check,
            check_options=parse_check_options(check_option or []),
            set_metrics=tuple(set_metric or ()),
            set_options=parse_check_options(set_option or []), settings=settings,
            images=images, manifest=manifest, limit=limit, run_id=run_id, scorers=scorers,
            reporter=RichReporter(),
        )  # fmt: skip
    except RunInterrupted as stop:
        err_console.print(
            f"[yellow]interrupted:[/] run {stop.run_id} keeps its {stop.images_kept} "
            "finished images; run the same command again to resume."
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    with api.open_store(store) as st:
        print_summary(console, st, result.outcome)
        failed = bool(result.outcome.failures or error_rows(st, result.run_id))
    raise typer.Exit(EXIT_FAILED if failed else EXIT_OK)


@app.command("check")
def check_cmd(
    images: Annotated[
        list[Path] | None, typer.Argument(help="Image files or folders (with --prompt).")
    ] = None,
    prompt: Annotated[
        str | None, typer.Option(help="The prompt the images were made from.")
    ] = None,
    expect_text: Annotated[
        str | None, typer.Option(help="Text the image must show (default: what --prompt quotes).")
    ] = None,
    expect_hands: Annotated[
        int | None, typer.Option(help="Hands that must be visible (default: from --prompt).")
    ] = None,
    manifest: Annotated[
        Path | None,
        typer.Option(help="JSONL/CSV: image, prompt, optional expect (text, hands, counts)."),
    ] = None,
    policy: Annotated[
        Path | None, typer.Option(help="Policy YAML: checks, options, which checks block.")
    ] = None,
    check_option: Annotated[
        list[str] | None, typer.Option(help="CHECK.OPTION=VALUE (repeatable; over the policy).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the verdicts as JSON (machines).")
    ] = False,
    annotate_dir: Annotated[
        Path | None, typer.Option("--annotate", help="Write each image with its reasons drawn.")
    ] = None,
    workers: Annotated[
        int, typer.Option(help="Processes (each loads the models once; for large batches).")
    ] = 1,
) -> None:
    """Pre-publication QA: a verdict per image, with its reasons.

    Exit 0 all pass, 1 some fail, 2 usage or input error (unreadable images are listed; the
    rest are still checked).
    """
    from t2iqa import api
    from t2iqa.qa.verdicts import INPUT_ERROR, PASS

    if manifest and images:
        fail("give image paths with --prompt, or --manifest, not both")
    if manifest:
        if prompt is not None or expect_text is not None or expect_hands is not None:
            fail("--prompt/--expect-* go with image paths; a manifest carries its own prompts")
    elif images:
        if prompt is None:
            fail("--prompt is required with image paths (or use --manifest)")
    else:
        fail("nothing to check: pass image paths with --prompt, or --manifest FILE")
    if workers < 1:
        fail("--workers must be 1 or more")
    expect = {k: v for k, v in (("text", expect_text), ("hands", expect_hands)) if v is not None}
    if annotate_dir:
        try:
            annotate_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            fail(f"--annotate {annotate_dir}: cannot create the folder ({exc.strerror})")

    written: set[str] = set()  # file names used in this invocation's --annotate folder

    def show(v: Any) -> None:
        if annotate_dir and v.verdict != INPUT_ERROR:
            _write_annotated(annotate_dir, v, written)

    report = api.check(
        images or [], prompt, expect=expect, manifest=manifest, policy=policy,
        options=parse_check_options(check_option or []), workers=workers, on_result=show,
    )  # fmt: skip
    verdicts, pol = report.verdicts, report.policy
    if as_json:
        print(json.dumps({"policy": pol.to_dict(), "images": [v.to_dict() for v in verdicts]},
                         indent=2, ensure_ascii=False, default=str))  # fmt: skip
    else:
        _print_verdicts(verdicts)
        if annotate_dir:
            console.print(f"annotated images: {annotate_dir}/")
    if any(v.verdict == INPUT_ERROR for v in verdicts):
        raise typer.Exit(EXIT_USAGE)
    raise typer.Exit(EXIT_OK if all(v.verdict == PASS for v in verdicts) else EXIT_FAILED)


def _annotated_name(image: str, used: set[str]) -> str:
    stem = Path(image).stem or "image"
    name, k = f"{stem}.png", 1
    while name in used:
        k += 1
        name = f"{stem}-{k}.png"
    used.add(name)
    return name


def _write_annotated(folder: Path, verdict: Any, used: set[str]) -> None:
    from t2iqa.core.images import read_image_file
    from t2iqa.reports.annotate import annotate

    loaded = read_image_file(Path(verdict.image))
    title = f"{Path(verdict.image).name}: {verdict.prompt}"
    picture = annotate(loaded.image, verdict.results, title, verdict.verdict)
    picture.save(folder / _annotated_name(verdict.image, used))


def _print_verdicts(verdicts: list[Any]) -> None:
    table = Table(title="pre-publication QA", title_justify="left", show_lines=True)
    table.add_column("image", overflow="fold")
    table.add_column("verdict")
    table.add_column("reasons", overflow="fold")
    styles = {"pass": "bold green", "fail": "bold red", "error": "bold yellow"}
    # Checks that cannot run here say so once, under the table, not on every row.
    not_run: dict[str, str] = {}
    for v in verdicts:
        for r in v.results:
            if r.verdict == "unavailable" and r.check not in not_run:
                not_run[r.check] = r.reason
    for v in verdicts:
        warnings = [w for w in v.warnings if " cannot run here: " not in w]
        lines = list(v.reasons) + [f"[dim]warning: {w}[/]" for w in warnings]
        if v.verdict == "pass" and not lines:
            lines = [f"[dim]{r.check}: {r.reason}[/]" for r in v.results if r.passed]
        table.add_row(
            Path(v.image).name, f"[{styles.get(v.verdict, '')}]{v.verdict}[/]", "\n".join(lines)
        )
    console.print(table)
    for check, reason in not_run.items():
        console.print(f"[yellow]not run here:[/] {check}: {reason}", highlight=False)
    counts = {k: sum(v.verdict == k for v in verdicts) for k in ("pass", "fail", "error")}
    console.print(
        f"{len(verdicts)} image(s): {counts['pass']} pass, {counts['fail']} fail, "
        f"{counts['error']} unreadable"
    )


@app.command()
def compare(
    runs: Annotated[
        list[str],
        typer.Argument(
            help="BASELINE CANDIDATE, or 3+ runs for a leaderboard. Each is a run id in "
            "--store, a store folder holding one run, or STORE_FOLDER:RUN_ID."
        ),
    ],
    gate: Annotated[
        Path | None, typer.Option(help="Gate YAML: tolerances, measures, what is gated.")
    ] = None,
    markdown: Annotated[
        Path | None, typer.Option(help="Write a Markdown report (a PR comment); - for stdout.")
    ] = None,
    junit: Annotated[
        Path | None, typer.Option(help="Write JUnit XML: check x category test cases.")
    ] = None,
    html_report: Annotated[
        Path | None,
        typer.Option("--html", help="Write a self-contained HTML report with changed images."),
    ] = None,
    report: Annotated[
        list[str] | None,
        typer.Option(
            help="FORMAT=PATH: write a report in any registered format (markdown, junit, html, "
            "...); repeat for several; PATH - writes to stdout.",
            metavar="FORMAT=PATH",
        ),
    ] = None,
    rank: Annotated[
        bool,
        typer.Option(
            "--rank",
            help="Rank the runs (leaderboard, best model per category) even when there are "
            "two, instead of gating the second against the first.",
        ),
    ] = False,
    store: StoreOption = Path(DEFAULT_STORE),
) -> None:
    """Gate a candidate run against a baseline, or rank three or more runs.

    Exit 0 no regression, 1 regression (or results scored differently), 2 usage or input
    error. With --rank, two runs are ranked instead of gated.
    """
    from t2iqa import api
    from t2iqa.reports import render, report_format
    from t2iqa.reports.console import print_comparison, print_leaderboard

    if len(runs) < 2:
        fail("compare needs a baseline and a candidate run (or 3+ runs for a leaderboard)")
    flags = {"markdown": markdown, "junit": junit, "html": html_report}
    outputs = [(name, path) for name, path in flags.items() if path is not None]
    outputs += [parse_report_option(text) for text in report or []]
    gating = len(runs) == 2 and not rank
    for name, _ in outputs:  # before the work: a gate-only format cannot show a ranking
        if not gating and not report_format(name).ranks:
            fail(
                f"the {name} report gates one candidate against one baseline: name exactly "
                "two runs, without --rank"
            )
    result: Any = api.compare(*runs, store=store, gate=gate, rank=rank)
    rendered = [(path, render(name, result)) for name, path in outputs]
    on_stdout = [text for path, text in rendered if str(path) == "-"]
    if len(on_stdout) > 1:
        fail("only one report can go to stdout (PATH -)")
    if on_stdout:  # the report alone on stdout, e.g. Markdown piped into a PR comment
        sys.stdout.write(on_stdout[0])
    else:
        (print_comparison if gating else print_leaderboard)(console, result)
    for path, text in rendered:
        if str(path) != "-":
            write_report(path, text)
    code = EXIT_FAILED if gating and result.failed else EXIT_OK
    raise typer.Exit(code)


@app.command()
def dashboard(
    store: StoreOption = Path(DEFAULT_STORE),
    host: Annotated[
        str, typer.Option(help="Address to serve on; 0.0.0.0 exposes it to your network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8501,
) -> None:
    """Open the Streamlit dashboard over a store (read-only; safe while a run writes)."""
    from t2iqa.dashboard import APP_PATH, streamlit_command

    if not 0 < port < 65536:
        fail(f"--port {port}: use a port between 1 and 65535")
    if not (store / "t2iqa.sqlite").is_file():
        err_console.print(
            f"[yellow]note:[/] no store at {store} yet; the dashboard will say so until a "
            f"`t2iqa run --store {store}` creates one"
        )
    env = {**os.environ, "T2IQA_STORE": str(store.expanduser().resolve())}
    console.print(f"t2iqa dashboard on http://{host}:{port}  (store {store}, read-only)")
    sys.stdout.flush()
    command = streamlit_command(APP_PATH, host, port)
    # The server replaces this process: one process id to stop, and Ctrl-C goes straight to it.
    os.execve(command[0], command, env)


@app.command()
def runs(store: StoreOption = Path(DEFAULT_STORE)) -> None:
    """List the runs in a store."""
    from t2iqa.store.db import Store

    with Store(store, read_only=True) as st:
        records = st.list_runs()
        if not records:
            console.print(f"no runs in {store}")
            return
        table = Table("run", "model", "suite", "status", "images", "created")
        for r in records:
            done = len(st.done_keys(r.run_id))
            table.add_row(
                r.run_id, r.model, f"{r.suite_name} {r.suite_version}", r.status,
                f"{done}/{r.planned_images}", r.created_at,
            )  # fmt: skip
        console.print(table)


@app.command()
def export(
    run_id: Annotated[str, typer.Argument(help="Run id (see `t2iqa runs`).")],
    format: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    out: Annotated[
        Path | None, typer.Option(help="Output file (default RUN.csv / RUN.parquet).")
    ] = None,
    store: StoreOption = Path(DEFAULT_STORE),
) -> None:
    """Export one row per (image, check) of a run."""
    from t2iqa.store.export import export_run

    if format not in ("csv", "parquet"):
        fail(f"--format {format!r}: use csv or parquet")
    path = export_run(store, run_id, format, out)
    console.print(f"wrote {path}")


@suites_app.command("list")
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


@suites_app.command("show")
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


@suites_app.command("import")
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


def main() -> None:
    """Entry point: user errors print a message and exit 2, never a traceback."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
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
        raise
    sys.exit(code if isinstance(code, int) else EXIT_OK)
