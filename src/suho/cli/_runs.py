"""``suho runs`` and ``suho report``."""

from __future__ import annotations

import sys
import time
from typing import Annotated

import typer

from suho.cli._common import DbOpt, open_store, write_jsonl
from suho.cli._outputs import resolve_out_file
from suho.errors import SuhoInputError


def runs(
    db: DbOpt = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Newest N runs.")] = 50,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per line instead of a table.")
    ] = False,
) -> None:
    """List the runs in the store, newest first."""
    store = open_store(db)
    rows = []
    for r in store.list_runs(limit):
        t = store.totals(r["id"])
        rows.append(
            {
                "id": r["id"],
                "created": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r["created_at"])),
                "status": r["status"],
                "target": f"{r['target'].get('provider')}:{r['target'].get('model')}",
                "suite": r["suite"],
                **t.to_dict(),
            }
        )
    if as_json:
        for row in rows:
            write_jsonl(row)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=None if rows else "no runs yet")
    for col in ("id", "created", "status", "target", "suite", "done", "errors", "pending", "hits"):
        table.add_column(
            col, justify="right" if col in ("done", "errors", "pending", "hits") else "left"
        )
    for row in rows:
        table.add_row(
            *(
                str(row[c] if row[c] is not None else "-")
                for c in (
                    "id",
                    "created",
                    "status",
                    "target",
                    "suite",
                    "done",
                    "errors",
                    "pending",
                    "hits",
                )
            )
        )
    Console().print(table)


def report(
    run_id: Annotated[str, typer.Argument(help="Run id, a unique prefix of one, or 'latest'.")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="html, json, sarif or junit.")
    ] = "html",
    out: Annotated[
        str | None,
        typer.Option(
            "--out",
            "-o",
            help="Write here instead of stdout; a directory gets RUN_ID.EXT inside it.",
        ),
    ] = None,
    redact: Annotated[
        bool,
        typer.Option(
            "--redact",
            help="Replace responses with a SHA-256 and a short prefix, to share findings without the payload.",
        ),
    ] = False,
    db: DbOpt = None,
) -> None:
    """Write a run's report."""
    from suho.report import FORMATS, SUFFIX, write_report, write_report_file

    if fmt not in FORMATS:
        raise SuhoInputError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    store = open_store(db)
    rid = store.resolve_run_id(run_id)
    if out is None:
        write_report(store, rid, fmt, sys.stdout, redact=redact)
    else:
        path = resolve_out_file(out, f"{rid}{SUFFIX[fmt]}")
        write_report_file(store, rid, fmt, path, redact=redact)
        sys.stdout.write(f"{path}\n")
