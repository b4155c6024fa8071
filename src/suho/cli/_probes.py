"""``suho probes`` and ``suho suites``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from suho.cli._common import err, split_csv, write_jsonl


def probes(
    suite: Annotated[
        str | None, typer.Option("--suite", "-s", help="Suite name (default quick).")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--probes", "-p", help="Validate and print a probe file instead.")
    ] = None,
    dataset: Annotated[
        str | None,
        typer.Option(
            "--dataset",
            help="Read a public dataset file: KIND:PATH with KIND multijail, xstest, csv or jsonl.",
        ),
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map", help="Dataset columns for suho's fields, e.g. prompt=question,id=qid."
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl (default) or table.")] = "jsonl",
    lang: Annotated[str | None, typer.Option("--lang", help="Only these languages.")] = None,
    category: Annotated[
        str | None, typer.Option("--category", help="Only these categories (comma-separated).")
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Check every OWASP / ATLAS / law tag against suho's pinned lists instead of printing.",
        ),
    ] = False,
) -> None:
    """Print the probes of a suite (or a probe file, or a dataset), one JSON object a line."""
    from suho.errors import SuhoInputError
    from suho.probes import (
        load_dataset,
        load_probes_file,
        load_suite,
        load_taxonomy,
        parse_dataset_spec,
        parse_mapping,
    )

    if sum(x is not None for x in (suite, file, dataset)) > 1:
        raise SuhoInputError("use only one of --suite, --probes and --dataset")
    if fmt not in ("jsonl", "table"):
        raise SuhoInputError(f"unknown format {fmt!r}; use jsonl or table")
    mapping = parse_mapping(map_ or [])
    if mapping and not dataset:
        raise SuhoInputError("--map applies to --dataset only")
    langs = set(split_csv(lang))
    cats = set(split_csv(category))
    if dataset:
        kind, path = parse_dataset_spec(dataset)
        items = load_dataset(kind, path, mapping, langs=sorted(langs))
    elif file:
        items = load_probes_file(file)
    else:
        items = load_suite(suite or "quick")
    tax = load_taxonomy() if check else None
    problems: list[str] = []
    n = 0
    for p in items:
        if (langs and p.lang not in langs) or (cats and p.category not in cats):
            continue
        n += 1
        if tax is not None:
            problems += [f"{p.id}: {m}" for m in tax.problems(p)]
        elif fmt == "jsonl":
            write_jsonl(p.model_dump(mode="json", exclude_defaults=False))
        else:
            typer.echo(f"{p.id:28} {p.lang:3} {p.category:22} {p.expected:7} {p.prompt[:60]}")
    if tax is not None:
        if problems:
            shown = "\n  ".join(problems[:20])
            more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
            raise SuhoInputError(f"{len(problems)} unknown taxonomy tag(s):\n  {shown}{more}")
        err(f"ok: {n} probes, every OWASP / ATLAS / law tag is known")


def suites() -> None:
    """List the shipped suites."""
    from suho.probes import list_suites

    for s in list_suites():
        typer.echo(f"{s.name:16} {s.count:5} probes  {s.description}")
