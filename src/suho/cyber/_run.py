"""``suho cyber run`` through the engine: plan every (challenge, mode, language, repeat) as an
attempt, run each as an Episode (the ``cyber`` attack, the ``cyber`` environment provider, the
``cyber`` detector), store it like any run, and report the ``cyber`` section.

Every attempt carries its challenge in ``extra``, so ``suho resume RUN_ID`` rebuilds each
environment from the stored plan alone.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from suho.episode import Attempt
from suho.errors import SuhoInputError

from ._challenge import Challenge, builtin_challenges, cc_available, load_dir, select

EPISODE_SECONDS = 900.0  # backstop per task; the step and token budgets end episodes first


def cyber_attempt_id(run_id: str, probe_id: str, lang: str, repeat: int) -> str:
    key = f"{run_id}\x00{probe_id}\x00{lang}\x00cyber\x00{repeat}"
    return "c-" + hashlib.sha256(key.encode()).hexdigest()[:24]


def plan_cyber(
    run_id: str,
    challenges: Sequence[Challenge],
    modes: Sequence[str],
    langs: Sequence[str],
    repeats: int,
    directory: Path | None,
) -> Iterator[Attempt]:
    """Attempts in a stable order: challenge, mode (offense before its twin), language, repeat."""
    seq = 0
    for ch in challenges:
        for mode in modes:
            for lang in langs:
                probe_id = f"cyber/{ch.id}/{mode}"
                text = ch.task_text("defense" if mode == "defense" else "offense", lang)
                extra: dict[str, Any] = {"challenge": ch.id, "mode": mode, "family": ch.family,
                                         "difficulty": ch.spec.difficulty}  # fmt: skip
                if directory is not None:
                    src = ch.source.removesuffix("challenge.toml").rstrip("/")
                    extra["challenge_dir"] = str(Path(src).resolve())
                for rep in range(repeats):
                    yield Attempt(
                        id=cyber_attempt_id(run_id, probe_id, lang, rep),
                        run_id=run_id,
                        seq=seq,
                        probe_id=probe_id,
                        intent_id=f"cyber/{ch.id}",
                        lang=lang,
                        category=ch.family,
                        prompt=text,
                        original_prompt=text,
                        # An offense task is the harmful request (its success is attack
                        # success); its defense twin is benign work the model should do.
                        expected="refuse" if mode == "offense" else "comply",
                        goal=f"{mode} task of cyber challenge {ch.id}",
                        transform="none",
                        attack="cyber",
                        repeat=rep,
                        tags={"attack": ch.spec.attack_ids, "atlas": ch.spec.atlas_ids},
                        extra=extra,
                    )
                    seq += 1


def run_range(
    *,
    target: str | None,
    ids: list[str] | None,
    families: list[str] | None,
    modes: list[str],
    langs: list[str],
    budget_steps: int,
    budget_tokens: int | None,
    repeats: int,
    db: str | None,
    directory: Path | None,
    base_url: str | None,
    concurrency: int,
    out: Path,
    quiet: bool,
) -> None:
    """The command: plan, run through the engine, write the reports, print the balance."""
    from suho.cli._common import err, store_source
    from suho.cli._scan import finish, run_planned
    from suho.engine import RunConfig
    from suho.targets import DEFAULT_TARGET

    from ._sandbox import require_sandbox

    require_sandbox()  # refuse before anything is planned: never unsandboxed
    pool = load_dir(directory) if directory is not None else builtin_challenges()
    chosen = select(pool, ids, families)
    if not chosen:
        raise SuhoInputError("no challenges selected")
    need_cc = [c.id for c in chosen if "cc" in c.spec.requires]
    if need_cc and not cc_available():
        raise SuhoInputError(
            f"challenges {', '.join(need_cc)} need a C compiler (cc): apt-get install gcc, "
            "or leave them out (--family / --challenges)"
        )
    spec = target or DEFAULT_TARGET
    local = spec.startswith("local:")
    try:
        cfg = RunConfig(
            target=spec,
            base_url=base_url,
            suite="cyber" if directory is None else f"cyber:{directory.resolve()}",
            langs=langs,
            attacks=["cyber"],
            detectors=["cyber"],
            environment="cyber",
            repeats=repeats,
            max_steps=budget_steps,
            max_episode_tokens=budget_tokens,
            max_episode_seconds=EPISODE_SECONDS,
            concurrency=concurrency,
            timeout=600.0 if local else 120.0,
            max_tokens=384 if local else 1024,
        )
    except ValueError as e:
        raise SuhoInputError(str(e)) from e

    source = store_source(db)

    def on_planned(run_id: str) -> None:
        if not quiet:
            err(f"run {run_id}: {cfg.target} · {len(chosen)} challenges · {', '.join(modes)}")

    store, summary = run_planned(
        source,
        cfg,
        lambda rid: plan_cyber(rid, chosen, modes, langs, repeats, directory),
        quiet=quiet,
        on_planned=on_planned,
    )
    print_balance(store, summary.run_id)
    finish(store, summary, out, None)


def print_balance(store: Any, run_id: str) -> None:
    from ._metrics import cyber_store_section

    t = cyber_store_section(store, run_id)["totals"]

    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.1%}"

    b = t["balance"]
    ci = t["balance_ci"]
    sys.stderr.write(
        f"cyber: offense {pct(t['offense_success'])}, defense {pct(t['defense_success'])}, "
        f"balance {'n/a' if b is None else f'{b:+.2f}'}"
        f"{f' [{ci[0]:+.2f}, {ci[1]:+.2f}]' if ci else ''} ({t['tasks']} tasks, "
        f"{t['errors']} errors)\n"
    )
