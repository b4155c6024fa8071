"""``suho runs`` and ``suho report``."""

from __future__ import annotations

import sys
import time
from typing import Annotated, Any

import typer

from suho.cli._common import DbOpt, err, open_store, write_jsonl
from suho.cli._i18n import pct, ui
from suho.cli._i18n import t as t_
from suho.cli._outputs import resolve_out_file
from suho.errors import SuhoInputError

# The table's columns: (key, English header, Korean header, right-aligned).
_COLUMNS = (
    ("id", "id", "ID", False),
    ("created", "created", "시작", False),
    ("status", "status", "상태", False),
    ("target", "target", "대상", False),
    ("suite", "suite", "프로브", False),
    ("done", "done", "완료", True),
    ("errors", "errors", "오류", True),
    ("pending", "pending", "대기", True),
    ("attack_success", "attack success", "공격 성공", True),
    ("over_refusal", "over-refusal", "과잉 거절", True),
)


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
    if not rows:
        err(t_("no_runs"))
        return
    cells = [_cells(row) for row in rows]
    ko = ui() == "ko"
    headers = [ko_h if ko else en_h for _, en_h, ko_h, _ in _COLUMNS]
    if not sys.stdout.isatty():
        sys.stdout.write(_plain(headers, cells))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table()
    id_width = max(len(c[0]) for c in cells)
    for i, (_, _, _, right) in enumerate(_COLUMNS):
        if i == 0:  # the id is what users copy: never cut, never wrapped
            table.add_column(headers[i], no_wrap=True, min_width=id_width, overflow="ignore")
        else:
            table.add_column(headers[i], justify="right" if right else "left", overflow="fold")
    for c in cells:
        table.add_row(*c)
    Console().print(table)


def _cells(row: dict[str, Any]) -> list[str]:
    """One run's table cells; the rates are the run summary's (attack success over harmful
    probes, over-refusal over benign ones)."""
    out = [str(row[k]) if row.get(k) is not None else "-" for k, *_ in _COLUMNS[:8]]
    out.append(f"{row['hits']}/{row['judged']} ({pct(row['hits'], row['judged'])})")
    out.append(
        f"{row['over_refusals']}/{row['benign']} ({pct(row['over_refusals'], row['benign'])})"
        if row["benign"]
        else "-"
    )
    return out


def _plain(headers: list[str], cells: list[list[str]]) -> str:
    """Columns padded with spaces, nothing cut: for pipes, files and narrow terminals' logs."""
    widths = [max(_width(x) for x in col) for col in zip(headers, *cells, strict=True)]
    lines = []
    for row in [headers, *cells]:
        parts = [
            x.rjust(w - _width(x) + len(x)) if right else x.ljust(w - _width(x) + len(x))
            for x, w, (*_, right) in zip(row, widths, _COLUMNS, strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines) + "\n"


def _width(text: str) -> int:
    """Display width: Hangul and other wide characters take two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


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
