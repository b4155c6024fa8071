"""``suho export``: a run as a STIX 2.1 bundle, AVID reports or a Korean KISA-style draft."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from suho.cli._common import DbOpt, open_store
from suho.cli._outputs import resolve_out_file
from suho.errors import SuhoInputError


def export(
    run_id: Annotated[str, typer.Argument(help="Run id, a unique prefix of one, or 'latest'.")],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="stix (STIX 2.1 bundle), avid (AVID reports, JSONL) or kisa (Korean report draft, Markdown).",
        ),
    ] = "stix",
    out: Annotated[
        str | None,
        typer.Option(
            "--out",
            "-o",
            help="Write here instead of stdout; a directory gets RUN_ID.FORMAT.EXT inside it.",
        ),
    ] = None,
    redact: Annotated[
        bool,
        typer.Option(
            "--redact", help="Replace quoted responses with a SHA-256 and a short prefix."
        ),
    ] = False,
    tlp: Annotated[
        str,
        typer.Option("--tlp", help="TLP 2.0 marking: clear, green, amber, amber+strict or red."),
    ] = "amber",
    db: DbOpt = None,
) -> None:
    """Export a run's findings for a CERT, a lab or a vulnerability database."""
    from suho.export import FORMATS, SUFFIX, TLP_LEVELS, write_export, write_export_file

    if fmt not in FORMATS:
        raise SuhoInputError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    tlp = tlp.lower().removeprefix("tlp:")
    if tlp not in TLP_LEVELS:
        raise SuhoInputError(f"unknown TLP level {tlp!r}; choose one of {', '.join(TLP_LEVELS)}")
    if fmt == "stix":
        try:
            import stix2  # noqa: F401
        except ImportError as e:
            raise SuhoInputError(
                "STIX export needs the stix2 package: pip install 'suho[export]'"
            ) from e
    store = open_store(db)
    rid = store.resolve_run_id(run_id)
    if out is None:
        write_export(store, rid, fmt, sys.stdout, redact=redact, tlp=tlp)
    else:
        path = resolve_out_file(out, f"{rid}{SUFFIX[fmt]}")
        write_export_file(store, rid, fmt, path, redact=redact, tlp=tlp)
        sys.stdout.write(f"{path}\n")
