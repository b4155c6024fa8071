"""``suho import inspect LOG``: results produced elsewhere, read into the store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from suho.cli._common import DbOpt, err, open_store
from suho.errors import SuhoInputError

import_app = typer.Typer(
    help="Read results produced by other tools into the store (then report, compare, export).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@import_app.command(name="inspect")
def inspect_log(
    log: Annotated[
        Path, typer.Argument(help="An Inspect log (.eval or .json) of suho/korean_gap.")
    ],
    db: DbOpt = None,
) -> None:
    """Read an Inspect log of a suho task into the store as a new run; prints its run id."""
    try:
        from suho.integrations.inspect._import import import_log
    except ImportError as e:
        raise SuhoInputError(
            f"reading Inspect logs needs Inspect: pip install 'suho[inspect]' ({e})"
        ) from e
    if not log.is_file():
        raise SuhoInputError("Inspect log not found", path=str(log))
    store = open_store(db, create=True)
    run_id, n = import_log(store, log)
    err(f"imported {n} attempts from {log.name}; see: suho report {run_id}")
    sys.stdout.write(f"run {run_id}\n")
    sys.stdout.flush()
