"""``suho cyber list|run|check|sandbox-check``: the cyber range."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from suho.cli._common import DbOpt, split_csv

DirOpt = Annotated[
    Path | None,
    typer.Option("--dir", help="A challenge directory you wrote (one challenge, or a folder of "
                 "them) instead of the built-in range."),
]  # fmt: skip


def _challenges(directory: Path | None) -> list[Any]:
    from suho.cyber import builtin_challenges, load_dir

    return load_dir(directory) if directory is not None else builtin_challenges()


def list_cmd(
    directory: DirOpt = None,
    lang: Annotated[str, typer.Option("--lang", help="Title language: ko or en.")] = "ko",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List the challenges: id, family, difficulty, defense twin, title."""
    rows = []
    for ch in _challenges(directory):
        s = ch.spec
        rows.append({"id": s.id, "family": s.family, "difficulty": s.difficulty,
                     "defense": s.defense.kind, "requires": s.requires,
                     "title": s.title_en if lang == "en" else s.title_ko})  # fmt: skip
    if as_json:
        for r in rows:
            typer.echo(json.dumps(r, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table()
    for col in ("id", "family", "difficulty", "defense", "title"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["id"], r["family"], r["difficulty"], r["defense"], r["title"])
    Console().print(table)
    fams = sorted({r["family"] for r in rows})
    typer.echo(f"{len(rows)} challenges, {len(rows) * 2} tasks (offense + defense); "
               f"families: {', '.join(fams)}")  # fmt: skip


def sandbox_check(
    battery: Annotated[
        bool, typer.Option("--battery/--no-battery", help="Also run the escape battery.")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Can this machine contain a cyber task? Probes bubblewrap, namespaces, seccomp and limits,
    then tries every escape in a real sandbox. Exit 0: all good; 1: an escape was not contained;
    2: the sandbox is unavailable (what is missing and how to enable it is printed)."""
    import asyncio
    from dataclasses import asdict

    from suho.cyber import escape_battery, probe

    checks = probe()
    missing = [c for c in checks if c.essential and not c.ok]
    escapes = asyncio.run(escape_battery()) if battery and not missing else []
    if as_json:
        typer.echo(json.dumps({"checks": [asdict(c) for c in checks],
                               "escapes": [asdict(e) for e in escapes],
                               "usable": not missing}, ensure_ascii=False))  # fmt: skip
    else:
        for c in checks:
            mark = "ok  " if c.ok else ("MISS" if c.essential else "warn")
            typer.echo(f"[{mark}] {c.name}: {c.detail}")
            if not c.ok:
                typer.echo(f"       fix: {c.fix}")
        for e in escapes:
            typer.echo(f"[{'contained' if e.contained else 'ESCAPED'}] {e.name}: {e.evidence}")
        if missing:
            typer.echo("sandbox unavailable: cyber tasks will not run on this machine "
                       "(never unsandboxed)")  # fmt: skip
    if missing:
        raise typer.Exit(2)
    if any(not e.contained for e in escapes):
        raise typer.Exit(1)


def check_cmd(
    directory: Annotated[
        Path, typer.Argument(help="The challenge directory (or a folder of them).")
    ],
) -> None:
    """Check challenges you wrote: load them (exit 2 naming the file and the problem), then in
    the real sandbox their reference solutions must pass and a do-nothing agent must fail, in
    both modes (exit 1 when not)."""
    import asyncio

    from suho.cyber._selfcheck import self_check

    results = asyncio.run(self_check(_challenges(directory)))
    bad = 0
    for r in results:
        ok = r.reference_passed and not r.null_passed
        bad += not ok
        typer.echo(f"[{'ok' if ok else 'FAIL'}] {r.challenge} {r.mode}: reference "
                   f"{'passes' if r.reference_passed else 'FAILS'} ({r.reference_detail}); "
                   f"do-nothing {'PASSES' if r.null_passed else 'fails'}")  # fmt: skip
    if bad:
        raise typer.Exit(1)


def run_cmd(
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            help="PROVIDER:MODEL (default: the "
            "local model); script:reference and script:null check challenges.",
        ),
    ] = None,
    challenges: Annotated[
        str | None, typer.Option("--challenges", help="Challenge ids, comma-separated.")
    ] = None,
    family: Annotated[
        str | None,
        typer.Option(
            "--family",
            help="Families, comma-separated "
            "(web, crypto, reversing, forensics, phishing, misconfig).",
        ),
    ] = None,
    mode: Annotated[
        str, typer.Option("--mode", help="offense, defense or both.")
    ] = "offense,defense",
    budget_steps: Annotated[
        int, typer.Option("--budget-steps", min=1, help="Model calls per task.")
    ] = 15,
    budget_tokens: Annotated[
        int | None, typer.Option("--budget-tokens", min=1, help="Tokens per task.")
    ] = None,
    repeats: Annotated[int, typer.Option("--repeats", min=1, help="Tries per task (pass^k).")] = 1,
    lang: Annotated[str, typer.Option("--lang", help="Task language: ko, en or both.")] = "ko",
    db: DbOpt = None,
    directory: DirOpt = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="OpenAI-compatible base URL.")
    ] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, help="Tasks at once.")] = 2,
    out: Annotated[
        Path,
        typer.Option("--out", help="Directory for the run's reports (report.html, report.json)."),
    ] = Path("suho-reports"),
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Run the cyber range against a target: every selected challenge's offense task and its
    defense twin in the sandbox, graded; prints the run id and the offense-defense balance."""
    from suho.cyber._run import run_range
    from suho.errors import SuhoInputError

    modes = split_csv(mode)
    if not modes or any(m not in ("offense", "defense") for m in modes):
        raise SuhoInputError(f"--mode must be offense, defense or both, not {mode!r}")
    langs = split_csv(lang)
    if not langs or any(x not in ("ko", "en") for x in langs):
        raise SuhoInputError(f"--lang must be ko, en or both, not {lang!r}")
    run_range(
        target=target, ids=split_csv(challenges) or None, families=split_csv(family) or None,
        modes=modes, langs=langs, budget_steps=budget_steps, budget_tokens=budget_tokens,
        repeats=repeats, db=db, directory=directory, base_url=base_url,
        concurrency=concurrency, out=out, quiet=quiet,
    )  # fmt: skip
