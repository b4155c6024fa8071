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
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Annotated, Any, TextIO, TypeVar

import typer

from suho.errors import SuhoInputError

T = TypeVar("T")

DbOpt = Annotated[
    str | None,
    typer.Option("--db", envvar="SUHO_DB", help="Store URL or SQLite path (default ./suho.db)."),
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


class ReportWarmUp:
    """Import the report writers and compile the page template in a background thread.

    A scan spends most of its time waiting on the target; doing this then, instead of after the
    last answer, shortens the wait for the report. The thread starts its work only once the run
    is about to send (``start``, called from the progress sink) plus ``delay``, so it never
    competes with start-up for the interpreter lock. ``join`` before writing a report.
    """

    def __init__(self, delay: float = 0.05) -> None:
        self.go = threading.Event()
        self.delay = delay
        self.cancelled = False
        self.thread = threading.Thread(target=self._work, name="suho-report-warm-up", daemon=True)
        self.thread.start()

    def start(self) -> None:
        self.go.set()

    def join(self) -> None:
        self.go.set()
        self.thread.join()

    def cancel(self) -> None:
        """No report is coming (the scan failed): let the thread end without doing anything."""
        self.cancelled = True
        self.go.set()

    def __enter__(self) -> ReportWarmUp:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is not None:
            self.cancel()

    def _work(self) -> None:
        self.go.wait()
        if self.cancelled:
            return
        time.sleep(self.delay)
        with contextlib.suppress(Exception):  # the report step will then do it, and say why
            from suho.report import warm_up

            warm_up()


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
                err("\nstopping: finishing writes (press Ctrl-C again to quit at once)")
                stop.set()
            else:
                err("quitting; `suho resume` will pick up from the store")
                import os

                os._exit(130)

        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread
                loop.add_signal_handler(sig, on_signal)
        return await make(stop)

    return asyncio.run(main())


class RichProgress:
    """A Rich progress bar on stderr: done/total, errors, hit rate, ETA."""

    def __init__(self, *, enabled: bool = True, on_start: Callable[[], None] | None = None) -> None:
        self.enabled = enabled
        self.task: Any = None
        self.on_start = on_start  # called once, on the first update (the run is about to send)
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
            TextColumn("errors [yellow]{task.fields[errors]}"),
            TextColumn("hits [red]{task.fields[hits]}[/] ({task.fields[rate]})"),
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

    def update(self, c: Any) -> None:
        if self.on_start is not None:
            self.on_start()
            self.on_start = None
        if not self.enabled:
            return
        rate = f"{c.hits / c.done:.0%}" if c.done else "–"
        if self.task is None:
            self.task = self.progress.add_task(
                "scan", total=c.total, completed=c.finished, errors=c.errors, hits=c.hits, rate=rate
            )
            # Time only what this process does, so a resume's ETA is not skewed.
            self.progress.reset(
                self.task,
                total=c.total,
                completed=c.finished,
                errors=c.errors,
                hits=c.hits,
                rate=rate,
            )
            return
        self.progress.update(
            self.task, total=c.total, completed=c.finished, errors=c.errors, hits=c.hits, rate=rate
        )
