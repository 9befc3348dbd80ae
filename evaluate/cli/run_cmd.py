"""``t2iqa run``: a suite through a model (or imported images), scored and stored."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from t2iqa.cli.common import (
    DEFAULT_STORE,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ImagesAtOption,
    RichReporter,
    StoreOption,
    WeightsOption,
    console,
    err_console,
    fail,
    parse_check_options,
    parse_seeds,
    use_weights,
)


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
    overlap: Annotated[
        str,
        typer.Option(
            help="Score finished images while the next batch generates: auto (where the "
            "generator runs on a GPU), on, off."
        ),
    ] = "auto",
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
            "random-weight CLIP, detector, preference models and feature extractor: plumbing "
            "only; without --check it runs the opt-in scorers too)."
        ),
    ] = "default",
    images: Annotated[
        Path | None, typer.Option(help="Import images from this folder instead of generating.")
    ] = None,
    manifest: Annotated[
        Path | None, typer.Option(help="Manifest for --images (CSV/JSONL: file, prompt_id, seed).")
    ] = None,
    allow_outside_paths: Annotated[
        bool,
        typer.Option(help="Let the --manifest name files outside the --images folder."),
    ] = False,
    run_id: Annotated[
        str | None, typer.Option(help="Name the run (default: derived from its config).")
    ] = None,
    store: StoreOption = DEFAULT_STORE,
    images_at: ImagesAtOption = None,
    weights: WeightsOption = None,
    engine: Annotated[
        str, typer.Option(help="Where to make and score images: local (this process) or ray.")
    ] = "local",
    ray_address: Annotated[
        str | None,
        typer.Option(help="A running Ray cluster (HEAD:6379; default: a local one here)."),
    ] = None,
) -> None:
    """Generate (or import) a suite's images, score them, store everything, print a summary."""
    from t2iqa import api
    from t2iqa.generation.base import OVERLAP_MODES, GenerationSettings
    from t2iqa.runs.runner import RunInterrupted
    from t2iqa.runs.summary import print_summary

    if limit is not None and limit < 1:
        fail("--limit must be 1 or more")
    if batch_size < 1:
        fail("--batch-size must be 1 or more")
    if overlap not in OVERLAP_MODES:
        fail(f"--overlap must be auto, on or off, not {overlap!r}")
    use_weights(weights)
    if scorers not in ("default", "embedded"):
        fail(f"--scorers must be 'default' or 'embedded', not {scorers!r}")
    settings = GenerationSettings(
        steps=steps, guidance=guidance, width=width, height=height, scheduler=scheduler,
        negative_prompt=negative_prompt, dtype=dtype, device=device, batch_size=batch_size,
        overlap=overlap,
    )  # fmt: skip
    try:
        result = api.run(
            suite, model, seeds=parse_seeds(seeds), store=store, checks=check,
            check_options=parse_check_options(check_option or []),
            set_metrics=tuple(set_metric or ()),
            set_options=parse_check_options(set_option or []), settings=settings,
            images=images, manifest=manifest, limit=limit, run_id=run_id, scorers=scorers,
            allow_outside_paths=allow_outside_paths, images_at=images_at, engine=engine,
            ray_address=ray_address,
            reporter=RichReporter(),
        )  # fmt: skip
    except RunInterrupted as stop:
        err_console.print(
            f"[yellow]interrupted:[/] run {stop.run_id} keeps its {stop.images_kept} "
            "finished images; run the same command again to resume."
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    with api.open_store(store, images_at=images_at) as st:
        errors = print_summary(console, st, result.outcome)
    failed = bool(result.outcome.failures or errors)
    raise typer.Exit(EXIT_FAILED if failed else EXIT_OK)
