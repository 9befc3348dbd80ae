"""``t2iqa check``: verdicts on one image or a folder plus its prompt, for review before
publication."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from t2iqa.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_UNVERIFIED,
    EXIT_USAGE,
    WeightsOption,
    console,
    fail,
    parse_check_options,
    use_weights,
)


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
        int,
        typer.Option(
            help="Processes, each loading the models once: used only from 60 images per "
            "process (fewer run faster in one)."
        ),
    ] = 1,
    weights: WeightsOption = None,
    allow_outside_paths: Annotated[
        bool, typer.Option(help="Let the --manifest name images outside its folder.")
    ] = False,
) -> None:
    """Pre-publication QA: a verdict per image, with its reasons.

    Exit 0 all pass, 1 some fail, 2 usage or input error (unreadable images are listed; the
    rest are still checked), 3 none fails but some are unverified (a check the prompt needs,
    e.g. counting or text, could not run; `allow_unavailable: true` in the policy passes them).
    """
    from t2iqa import api
    from t2iqa.qa.verdicts import INPUT_ERROR, PASS, UNVERIFIED

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
    use_weights(weights)
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
        allow_outside_paths=allow_outside_paths,
    )  # fmt: skip
    verdicts, pol = report.verdicts, report.policy
    if as_json:
        print(json.dumps({"policy": pol.to_dict(), "images": [v.to_dict() for v in verdicts]},
                         indent=2, ensure_ascii=False, default=str))  # fmt: skip
    else:
        _print_verdicts(verdicts)
        if annotate_dir:
            console.print(f"annotated images: {annotate_dir}/")
    found = {v.verdict for v in verdicts}
    if INPUT_ERROR in found:
        raise typer.Exit(EXIT_USAGE)
    if found - {PASS, UNVERIFIED}:
        raise typer.Exit(EXIT_FAILED)
    raise typer.Exit(EXIT_UNVERIFIED if UNVERIFIED in found else EXIT_OK)


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
    styles = {"pass": "bold green", "fail": "bold red", "error": "bold yellow",
              "unverified": "bold magenta"}  # fmt: skip
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
    counts = {
        k: sum(v.verdict == k for v in verdicts) for k in ("pass", "fail", "unverified", "error")
    }
    console.print(
        f"{len(verdicts)} image(s): {counts['pass']} pass, {counts['fail']} fail, "
        f"{counts['error']} unreadable, {counts['unverified']} unverified"
    )
