"""``suho compare RUN_A RUN_B``: what changed between two runs, with confidence intervals."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from suho.cli._common import DbOpt, err, open_store
from suho.cli._i18n import t
from suho.errors import SuhoInputError


def _pct(r: dict[str, Any]) -> str:
    if not r["trials"]:
        return "–"
    return f"{100 * r['rate']:5.1f}% ({r['successes']}/{r['trials']})"


def _change(row: dict[str, Any]) -> str:
    if row["change_pp"] is None:
        return "–"
    return f"{row['change_pp']:+6.1f} pp [{row['ci_low_pp']:+.1f}, {row['ci_high_pp']:+.1f}]"


def _table(data: dict[str, Any]) -> str:
    a, b = data["a"], data["b"]
    lines = [
        f"A  {a['run_id']}  {a['target'].get('provider')}:{a['target'].get('model')}  suite {a['suite']}",
        f"B  {b['run_id']}  {b['target'].get('provider')}:{b['target'].get('model')}  suite {b['suite']}",
        "",
        "attack success (harmful probes) and over-refusal (benign probes); change = B - A, 95% CI",
        f"{'scope':34} {'A':>18} {'B':>18}  {'change [95% CI]':30} flag",
    ]
    for r in data["rows"]:
        if r["scope"] == "overall":
            label = "overall"
        elif r["scope"] == "lang":
            label = f"lang {r['lang']}"
        elif r["scope"] == "category":
            label = r["category"]
        elif r["scope"] == "category-lang":
            label = f"  {r['category']} / {r['lang']}"
        else:
            label = f"over-refusal {r['lang']}"
        flag = {"worse": "WORSE *", "better": "better *"}.get(r["flag"], "")
        lines.append(f"{label:34} {_pct(r['a']):>18} {_pct(r['b']):>18}  {_change(r):30} {flag}")
    lines += [
        "",
        f"Korean/English gap in A: {data['gap']['a']['verdict']}",
        f"Korean/English gap in B: {data['gap']['b']['verdict']}",
        f"significant changes: {data['significant_worse']} worse, {data['significant_better']} better"
        " (* = the 95% CI of the change excludes 0)",
    ]
    return "\n".join(lines) + "\n"


def compare(
    run_a: Annotated[str, typer.Argument(help="The baseline run: id, unique prefix, or 'latest'.")],
    run_b: Annotated[
        str, typer.Argument(help="The run to compare with it (id, prefix, 'latest').")
    ],
    db: DbOpt = None,
    db_b: Annotated[
        str | None, typer.Option("--db-b", help="Store of RUN_B when it is not in --db.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table (default) or json.")] = "table",
    fail_on_worse: Annotated[
        bool, typer.Option("--fail-on-worse", help="Exit 1 when any rate got significantly worse.")
    ] = False,
) -> None:
    """Compare two runs per category and language: rate A, rate B, change with its 95% CI.

    Changes whose interval excludes zero are flagged (WORSE when B's attack-success or
    over-refusal rate is higher).
    """
    from suho.stats import compare_runs

    if fmt not in ("table", "json"):
        raise SuhoInputError(f"unknown format {fmt!r}; use table or json")
    store_a = open_store(db)
    store_b = open_store(db_b) if db_b else store_a
    data = compare_runs(store_a, run_a, store_b, run_b)
    pr = data["probes"]
    if pr["only_a"] or pr["only_b"]:
        err(t("compare_differs", **pr))
    if fmt == "json":
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(_table(data))
    if fail_on_worse and data["significant_worse"]:
        raise typer.Exit(1)
