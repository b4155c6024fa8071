"""The command line's one error boundary: every failure becomes one line and a documented code.

Exit codes (docs/scanning.md): 0 ok; 1 a gate failed (``--fail-on``, ``--max-error-rate``,
``compare --fail-on-worse``), including a gate that could not be evaluated; 2 bad input or
environment (a file or store that cannot be read or written, a URL that does not parse); 3 an
internal error (a bug in suho: please report it); 130 stopped with Ctrl-C. A traceback is printed
only with ``suho --debug`` or ``SUHO_DEBUG=1``, so a CI log can always tell a crash from a gate.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

import typer
from typer.core import TyperGroup

from suho.errors import SuhoInputError

EXIT_GATE = 1
EXIT_INPUT = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


def debug_from_env(env: dict[str, str] | None = None) -> bool:
    """``SUHO_DEBUG`` set to anything but empty or ``0``."""
    source = os.environ if env is None else env
    return source.get("SUHO_DEBUG", "") not in ("", "0")


def classify(exc: BaseException) -> tuple[int, str]:
    """The exit code and the one-line message for an exception that reached the boundary."""
    if isinstance(exc, SuhoInputError):
        return EXIT_INPUT, str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED, "interrupted"
    store = _store_error(exc)
    if store is not None:
        return EXIT_INPUT, store
    if isinstance(exc, OSError):
        return EXIT_INPUT, _os_message(exc)
    if isinstance(exc, MemoryError):
        return EXIT_INPUT, "out of memory (try a smaller input, --limit or --concurrency)"
    detail = str(exc).splitlines()[0] if str(exc) else ""
    name = type(exc).__name__
    return (
        EXIT_INTERNAL,
        f"internal error: {name}{f': {detail}' if detail else ''} "
        "(a bug in suho: please report it with the traceback that `suho --debug COMMAND ...` "
        "or SUHO_DEBUG=1 prints)",
    )


def _os_message(exc: OSError) -> str:
    reason = exc.strerror or str(exc) or type(exc).__name__
    where = exc.filename if exc.filename is not None else None
    if where is not None and exc.filename2 is not None:
        return f"{where} -> {exc.filename2}: {reason}"
    return f"{where}: {reason}" if where is not None else reason


def _store_error(exc: BaseException) -> str | None:
    """A database failure (unreadable, read-only, full, locked, not a database, gone away) is
    the environment's, not a bug: say what the database said, in one line."""
    if "sqlalchemy" not in sys.modules:  # nothing touched a store
        return None
    from sqlalchemy.exc import DatabaseError, InterfaceError, OperationalError

    if isinstance(exc, OperationalError | InterfaceError) or type(exc) is DatabaseError:
        orig: Any = getattr(exc, "orig", None)
        text = str(orig) if orig is not None else str(exc)
        line = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
        return (
            f"the store failed: {line} (check --db or SUHO_DB, and that the store can be written)"
        )
    return None


def report(exc: BaseException, *, debug: bool) -> int:
    """Print ``exc`` as the boundary does (one line, or the traceback too under ``debug``) and
    return its exit code."""
    code, message = classify(exc)
    if debug:
        traceback.print_exception(exc)
    try:
        sys.stderr.write(f"error: {message}\n")
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass
    return code


class SuhoGroup(TyperGroup):
    """The root command group: runs the chosen command inside the error boundary.

    Click's own exits (usage errors: 2, ``typer.Exit``) pass through unchanged.
    """

    def invoke(self, ctx: Any) -> Any:  # a Click context (typer vendors Click privately)
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.TyperException, typer.Abort, SystemExit):
            raise
        except BrokenPipeError:  # `suho probes | head`
            raise
        except KeyboardInterrupt as e:  # Click would call it "Aborted!" and exit 1, the gate code
            raise typer.Exit(report(e, debug=False)) from e
        except Exception as e:
            debug = bool(ctx.params.get("debug")) or debug_from_env()
            raise typer.Exit(report(e, debug=debug)) from e
