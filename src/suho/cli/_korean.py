"""``suho normalize``: see through Korean and Unicode obfuscation in JSONL text."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from suho.cli._common import read_jsonl, split_csv, write_jsonl


def normalize(
    file: Annotated[
        Path | None,
        typer.Argument(help="JSONL {id, text}; stdin when omitted. With --eval: a labelled set."),
    ] = None,
    stages: Annotated[
        str | None,
        typer.Option(
            "--stages", help="Comma-separated stages to run (default: all zero-dependency stages)."
        ),
    ] = None,
    morph: Annotated[
        bool,
        typer.Option("--morph", help="Also run the kiwipiepy stage (pip install 'suho[morph]')."),
    ] = False,
    trace: Annotated[
        bool, typer.Option("--trace/--no-trace", help="Add what each stage changed.")
    ] = False,
    evaluate: Annotated[
        bool,
        typer.Option(
            "--eval",
            help="Report keyword recovery per technique on a labelled set (default: the shipped set).",
        ),
    ] = False,
    list_stages: Annotated[
        bool, typer.Option("--list-stages", help="List the stages and exit.")
    ] = False,
) -> None:
    """Normalise JSONL ``{"id", "text"}``: each line comes back with ``"normalized"``.

    Undoes jamo splitting, QWERTY-layout typing, invisible and look-alike characters, spacing,
    야민정음, Hanja and romanised key terms, and Hangul digits. Benign text comes back unchanged.
    """
    from suho.korean import STAGE_HELP
    from suho.korean import normalize as run

    chosen = split_csv(stages) if stages else None
    if list_stages:
        from suho.korean import DEFAULT_STAGES

        for name, doc in STAGE_HELP.items():
            mark = "default" if name in DEFAULT_STAGES else "optional"
            typer.echo(f"{name:10} {mark:8} {doc}")
        return
    if evaluate:
        from suho.korean._eval import format_report, load_set, recovery

        items = load_set(file)
        report = recovery(items, stages=chosen, morph=morph)
        typer.echo(format_report(report))
        if not report.meets_targets:
            raise typer.Exit(1)
        return
    for obj in read_jsonl(file):
        n = run(obj["text"], stages=chosen, morph=morph)
        obj["normalized"] = n.text
        if trace:
            obj["trace"] = n.trace
        write_jsonl(obj)
