"""``t2iqa disclose``: copies of images that say they are AI-made (XMP, and C2PA content
credentials with the user's certificate and key)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from t2iqa.cli.common import EXIT_FAILED, console, err_console, fail


def disclose(
    images: Annotated[list[Path], typer.Argument(help="Image files (PNG, JPEG, WebP).")],
    out: Annotated[Path, typer.Option(help="Folder for the marked copies (never the input).")],
    source_type: Annotated[
        str,
        typer.Option(
            help="IPTC digital source type: trainedAlgorithmicMedia (made by a "
            "model) or compositeWithTrainedAlgorithmicMedia (partly)."
        ),
    ] = "trainedAlgorithmicMedia",
    cert: Annotated[
        Path | None,
        typer.Option(help="PEM certificate chain, signer first: also sign a C2PA manifest."),
    ] = None,
    key: Annotated[Path | None, typer.Option(help="The certificate's PEM private key.")] = None,
    tsa_url: Annotated[
        str | None, typer.Option(help="RFC 3161 time-stamp authority (needs the network).")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option(help="Replace copies already in --out (never the input).")
    ] = False,
) -> None:
    """Write a copy of each image declaring it AI-made: the IPTC DigitalSourceType in its XMP,
    and with --cert and --key a signed C2PA manifest (the pixels are not re-encoded). Exit 1
    if any image could not be marked; the others are still written."""
    from t2iqa import api

    if (cert is None) != (key is None):
        fail("--cert and --key go together: the certificate chain and its private key")
    done = api.disclose(images, out, source_type, cert, key, tsa_url, overwrite)
    for d in done:
        if d.ok:
            signed = f"; C2PA manifest {d.credentials}" if d.credentials else ""
            console.print(f"{d.output}: XMP {d.xmp_source_type}{signed}", highlight=False)
        else:
            err_console.print(f"[yellow]skipped[/] {d.source}: {d.problem}", highlight=False)
    failed = sum(not d.ok for d in done)
    console.print(f"marked {len(done) - failed} of {len(done)} images in {out}")
    if failed:
        raise typer.Exit(EXIT_FAILED)
