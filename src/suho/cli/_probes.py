"""``suho probes`` and ``suho suites``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from suho.cli._common import split_csv, write_jsonl


def probes(
    suite: Annotated[
        str | None, typer.Option("--suite", "-s", help="Suite name (default quick).")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--probes", "-p", help="Validate and print a probe file instead.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl (default) or table.")] = "jsonl",
    lang: Annotated[str | None, typer.Option("--lang", help="Only these languages.")] = None,
) -> None:
    """Print the probes of a suite, one JSON object a line."""
    from suho.errors import SuhoInputError
    from suho.probes import load_probes_file, load_suite

    items = load_probes_file(file) if file else load_suite(suite or "quick")
    langs = set(split_csv(lang))
    if fmt not in ("jsonl", "table"):
        raise SuhoInputError(f"unknown format {fmt!r}; use jsonl or table")
    for p in items:
        if langs and p.lang not in langs:
            continue
        if fmt == "jsonl":
            write_jsonl(p.model_dump(mode="json", exclude_defaults=False))
        else:
            typer.echo(f"{p.id:28} {p.lang:3} {p.category:22} {p.expected:7} {p.prompt[:60]}")


def suites() -> None:
    """List the shipped suites."""
    from suho.probes import list_suites

    for s in list_suites():
        typer.echo(f"{s.name:16} {s.count:5} probes  {s.description}")
