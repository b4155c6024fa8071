"""Reports: a single-file offline HTML page, JSON, SARIF 2.1.0 and JUnit XML."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

from suho._atomic import atomic_text
from suho.errors import SuhoInputError
from suho.report._data import attempt_view, iter_attempts, summary
from suho.report._redact import redact_attempt, redact_text
from suho.store import Store

FORMATS = ("html", "json", "sarif", "junit")
SUFFIX = {"html": ".html", "json": ".json", "sarif": ".sarif", "junit": ".xml"}


def write_report(
    store: Store,
    run_id: str,
    fmt: str,
    out: TextIO,
    *,
    redact: bool = False,
    summary_data: dict[str, Any] | None = None,
) -> None:
    """Write run ``run_id`` in format ``fmt`` to ``out``.

    ``redact`` replaces model responses with a SHA-256 and a short prefix in every format.
    ``summary_data``: the run's ``summary`` computed once for several reports (HTML and JSON use
    it; the statistics behind it are the costly part of a large run's report).
    """
    if fmt == "json":
        from suho.report._json import write_json

        write_json(store, run_id, out, redact=redact, summary_data=summary_data)
    elif fmt == "html":
        from suho.report._html import write_html

        write_html(store, run_id, out, redact=redact, summary_data=summary_data)
    elif fmt == "sarif":
        from suho.report._sarif import write_sarif

        write_sarif(store, run_id, out, redact=redact)
    elif fmt == "junit":
        from suho.report._junit import write_junit

        write_junit(store, run_id, out, redact=redact)
    else:
        raise SuhoInputError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")


def warm_up() -> None:
    """Import the report writers and compile the page template now.

    A scan calls this from a background thread while it waits on the target, so the reports at
    its end do not pay for imports and template compilation.
    """
    from suho.report import _html, _json  # noqa: F401

    _html.warm_up()


def write_report_file(
    store: Store,
    run_id: str,
    fmt: str,
    path: Path,
    *,
    redact: bool = False,
    summary_data: dict[str, Any] | None = None,
) -> Path:
    """Write to ``path`` atomically (a killed process never leaves half a report)."""
    if fmt not in FORMATS:
        raise SuhoInputError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_text(path) as f:
        write_report(store, run_id, fmt, f, redact=redact, summary_data=summary_data)
    return path


__all__ = [
    "FORMATS",
    "SUFFIX",
    "attempt_view",
    "iter_attempts",
    "redact_attempt",
    "redact_text",
    "summary",
    "warm_up",
    "write_report",
    "write_report_file",
]
