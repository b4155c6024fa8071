"""Pieces shared by the command modules: options, JSONL I/O, progress, signal handling.

Heavy imports happen inside functions so that ``suho --help`` stays fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import signal
import sys
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Annotated, Any, TextIO, TypeVar

import typer

from suho.cli._i18n import pct, t
from suho.errors import SuhoInputError

T = TypeVar("T")

DbOpt = Annotated[
    str | None,
    typer.Option("--db", envvar="SUHO_DB", help="Store URL or SQLite path (default ./suho.db)."),
]
BaseUrlOpt = Annotated[
    str | None,
    typer.Option("--base-url", help="Base URL of an OpenAI-compatible (or Anthropic) API."),
]
ApiKeyEnvOpt = Annotated[
    str | None, typer.Option("--api-key-env", help="Environment variable with the API key.")
]


# Stores this process opened; ``close_stores`` closes them before a fast exit (see cli.entry).
_OPEN_STORES: list[Any] = []


def open_store(db: str | None, *, create: bool = False) -> Any:
    """The store ``--db`` names. Only a scan creates one (``create=True``): the commands that
    read runs say so when it does not exist, rather than leave an empty database behind."""
    from suho.store import Store

    store = Store.open(db, create=create)
    _OPEN_STORES.append(store)
    return store


def store_source(db: str | None) -> Any:
    """What a scan passes to ``start_run``: for a SQLite file, a function that opens it (the
    engine calls it in a background thread while the first requests go out), after the checks
    that need no database; any other store is opened here, so its errors come before a request."""
    from suho.store import check_sqlite_file, resolve_url, sqlite_file

    path = sqlite_file(resolve_url(db))
    if path is None:
        return open_store(db, create=True)
    check_sqlite_file(path, db, create=True)
    return functools.cache(lambda: open_store(db, create=True))  # once: later calls get it back


def close_stores() -> None:
    """Close every store ``open_store`` opened (SQLite checkpoints its WAL into the file)."""
    while _OPEN_STORES:
        _OPEN_STORES.pop().close()


def split_csv(value: str | None) -> list[str]:
    if not value:
        return []
    return [v.strip() for v in value.split(",") if v.strip()]


def err(msg: str) -> None:
    sys.stderr.write(msg.rstrip("\n") + "\n")


def read_jsonl(
    path: Path | None, *, required: tuple[str, ...] = ("id", "text")
) -> Iterator[dict[str, Any]]:
    """JSON objects from a file (or stdin), one per line, with file:line errors."""
    for _, obj in read_jsonl_numbered(path, required=required):
        yield obj


def read_jsonl_numbered(
    path: Path | None, *, required: tuple[str, ...] = ("id", "text")
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``read_jsonl`` with each object's line number, for errors about its content."""
    name = str(path) if path else "<stdin>"
    if path is not None and not path.is_file():
        raise SuhoInputError("file not found", path=name)
    stream: TextIO = path.open(encoding="utf-8-sig") if path else sys.stdin
    try:
        for no, raw in enumerate(stream, start=1):
            line = raw.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise SuhoInputError(
                    f"not valid JSON ({e.msg} at column {e.colno})", path=name, line=no
                ) from e
            if not isinstance(obj, dict):
                raise SuhoInputError(
                    f"expected a JSON object, got {type(obj).__name__}", path=name, line=no
                )
            for key in required:
                if key not in obj:
                    raise SuhoInputError(f"missing required field {key!r}", path=name, line=no)
            if "text" in required and not isinstance(obj["text"], str):
                raise SuhoInputError("field 'text' must be a string", path=name, line=no)
            yield no, obj
    except UnicodeDecodeError as e:
        raise SuhoInputError(f"not UTF-8 text ({e.reason})", path=name) from e
    finally:
        if path is not None:
            stream.close()


def write_jsonl(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def run_async(make: Callable[[asyncio.Event], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine with Ctrl-C / SIGTERM wired to a stop event.

    The first signal asks the run to stop cleanly (in-flight attempts stay pending, everything
    finished is committed); a second one exits at once, which is also safe because the store
    already holds every finished attempt.
    """

    async def main() -> T:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        hits = 0

        def on_signal() -> None:
            nonlocal hits
            hits += 1
            if hits == 1:
                err(t("stopping"))
                stop.set()
            else:
                err(t("quitting"))
                import os

                os._exit(130)

        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread
                loop.add_signal_handler(sig, on_signal)
        return await make(stop)

    return asyncio.run(main())


class RichProgress:
    """A Rich progress bar on stderr: done/total, errors, attack success and over-refusal, ETA.

    The counts are the run summary's: attack success over done harmful probes, over-refusal
    over done benign ones, never added together.
    """

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self.task: Any = None
        if not enabled:  # --quiet: no bar, and no need to import Rich
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(t("bar_errors") + " [yellow]{task.fields[errors]}"),
            TextColumn(t("bar_attack") + " [red]{task.fields[attack]}"),
            TextColumn("{task.fields[over]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            refresh_per_second=4,
        )

    def __enter__(self) -> RichProgress:
        if self.enabled:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.progress.stop()

    @staticmethod
    def fields(c: Any) -> dict[str, Any]:
        """What the bar shows of counters ``c`` (also what a test reads)."""
        over = ""
        if c.benign:
            over = (
                f"{t('bar_over')} {c.over_refusals}/{c.benign} ({pct(c.over_refusals, c.benign)})"
            )
        return {
            "errors": c.errors,
            "attack": f"{c.hits}/{c.judged} ({pct(c.hits, c.judged)})",
            "over": over,
        }

    def update(self, c: Any) -> None:
        if not self.enabled:
            return
        fields = self.fields(c)
        if self.task is None:
            self.task = self.progress.add_task(
                "scan", total=c.total, completed=c.finished, **fields
            )
            # Time only what this process does, so a resume's ETA is not skewed.
            self.progress.reset(self.task, total=c.total, completed=c.finished, **fields)
            return
        self.progress.update(self.task, total=c.total, completed=c.finished, **fields)
