"""``suho probes`` and ``suho suites``."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from suho.cli._common import err, split_csv

if TYPE_CHECKING:
    from suho.probes import DatasetLoad, Probe


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
            help="Read a public dataset file: KIND:PATH with KIND multijail, xstest, csv, tsv, "
            "jsonl or json (see docs/datasets.md).",
        ),
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="Dataset columns for suho's fields: prompt=question,id=qid; category= (off); "
            "prompt.ko=q_ko (one column per language); 'prompt={context} {question}'.",
        ),
    ] = None,
    skip_bad_rows: Annotated[
        bool,
        typer.Option(
            "--skip-bad-rows", help="Leave out dataset rows that cannot be read, and list them."
        ),
    ] = False,
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
    """Print the probes of a suite (or a probe file, or a dataset), one JSON object a line.

    Everything is read and checked before the first line is printed: a bad file prints nothing.
    """
    from suho.errors import SuhoInputError
    from suho.probes import (
        load_probes_file,
        load_suite,
        load_taxonomy,
        parse_dataset_spec,
        parse_mapping,
        read_dataset,
    )

    if sum(x is not None for x in (suite, file, dataset)) > 1:
        raise SuhoInputError("use only one of --suite, --probes and --dataset")
    if fmt not in ("jsonl", "table"):
        raise SuhoInputError(f"unknown format {fmt!r}; use jsonl or table")
    mapping = parse_mapping(map_ or [])
    if mapping and not dataset:
        raise SuhoInputError("--map applies to --dataset only")
    if skip_bad_rows and not dataset:
        raise SuhoInputError("--skip-bad-rows applies to --dataset only")
    langs = [x.lower() for x in split_csv(lang)]
    cats = set(split_csv(category))
    if dataset:
        kind, path = parse_dataset_spec(dataset)
        load = read_dataset(kind, path, mapping, langs=langs, skip_bad_rows=skip_bad_rows)
        report_dataset_load(load)
        items = list(load.probes)
    elif file:
        items = list(load_probes_file(file))
    else:
        items = list(load_suite(suite or "quick"))
    chosen = [
        p for p in items if (not langs or p.lang in langs) and (not cats or p.category in cats)
    ]
    if not chosen and (langs or cats):
        raise SuhoInputError(no_match_message(items, langs, cats))
    tax = load_taxonomy() if check else None
    problems: list[str] = []
    n = len(chosen)
    lines: list[str] = []
    for p in chosen:
        if tax is not None:
            problems += [f"{p.id}: {m}" for m in tax.problems(p)]
        elif fmt == "jsonl":
            lines.append(json.dumps(p.model_dump(mode="json"), ensure_ascii=False))
        else:
            lines.append(f"{p.id:28} {p.lang:3} {p.category:22} {p.expected:7} {p.prompt[:60]}")
    if lines:
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()
    if tax is not None:
        if problems:
            shown = "\n  ".join(problems[:20])
            more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
            raise SuhoInputError(f"{len(problems)} unknown taxonomy tag(s):\n  {shown}{more}")
        err(f"ok: {n} probes, every OWASP / ATLAS / law tag is known")


def report_dataset_load(load: DatasetLoad) -> None:
    """Say on stderr which same-name columns were read and which bad rows were left out."""
    for note in load.notes:
        err(f"note: {note}")
    if load.skipped:
        lines = ", ".join(str(b.line) for b in load.skipped)
        err(f"skipped {len(load.skipped)} of {load.rows} rows (--skip-bad-rows), lines {lines}:")
        for b in load.skipped[:20]:
            err(f"  line {b.line}: {b.message}")
        if len(load.skipped) > 20:
            err(f"  ... and {len(load.skipped) - 20} more")


def no_match_message(items: Sequence[Probe], langs: Sequence[str], cats: set[str]) -> str:
    """Why a --lang/--category filter selected nothing, naming what there is."""
    have_langs = ", ".join(sorted({p.lang for p in items})) or "none"
    have_cats = ", ".join(sorted({p.category for p in items})) or "none"
    asked = []
    if langs:
        asked.append(f"--lang {','.join(langs)} (languages here: {have_langs})")
    if cats:
        asked.append(f"--category {','.join(sorted(cats))} (categories here: {have_cats})")
    return f"no probes match {' and '.join(asked)}"


def suites() -> None:
    """List the shipped suites."""
    from suho.probes import list_suites

    for s in list_suites():
        typer.echo(f"{s.name:16} {s.count:5} probes  {s.description}")
