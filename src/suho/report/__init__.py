"""Reports: JSON and a single-file offline HTML page (SARIF and JUnit join them here)."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from suho.errors import SuhoInputError
from suho.report._data import attempt_view, iter_attempts, summary
from suho.store import Store

FORMATS = ("html", "json")
SUFFIX = {"html": ".html", "json": ".json"}


def write_report(store: Store, run_id: str, fmt: str, out: TextIO) -> None:
    """Write run ``run_id`` in format ``fmt`` to ``out``."""
    if fmt == "json":
        from suho.report._json import write_json

        write_json(store, run_id, out)
    elif fmt == "html":
        from suho.report._html import write_html

        write_html(store, run_id, out)
    else:
        raise SuhoInputError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")


def write_report_file(store: Store, run_id: str, fmt: str, path: Path) -> Path:
    """Write to ``path`` atomically (a killed process never leaves half a report)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with tmp.open("w", encoding="utf-8") as f:
        write_report(store, run_id, fmt, f)
    tmp.replace(path)
    return path


__all__ = [
    "FORMATS",
    "SUFFIX",
    "attempt_view",
    "iter_attempts",
    "summary",
    "write_report",
    "write_report_file",
]
