"""``suho agent``: red-team tool-using agents (scan, suites, tasks, attacks, defenses)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from suho.cli._common import (
    ApiKeyEnvOpt,
    BaseUrlOpt,
    DbOpt,
    err,
    split_csv,
    store_source,
)
from suho.errors import SuhoInputError

agent_app = typer.Typer(
    help="Agent arena: red-team tool-using agents with indirect prompt injection.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

# A local model decodes a few sequences at a time on the CPU (see ``suho scan``).
LOCAL_CONCURRENCY = 4
LOCAL_TIMEOUT = 600.0


def _first_line(obj: Any) -> str:
    doc = (obj.__doc__ or "").strip()
    return " ".join(doc.split(". ")[0].split()) + ("." if doc else "")


def _suites(names: list[str], langs: list[str]) -> list[Any]:
    from suho.agents import load_suite, suite_names

    chosen = names or suite_names()
    suites = [load_suite(n) for n in chosen]
    if langs:
        suites = [s for s in suites if s.lang in langs]
    if not suites:
        raise SuhoInputError("no agent suite selected (check --suite and --lang)")
    return suites


@agent_app.command()
def scan(
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            "-t",
            help="PROVIDER:MODEL (openai:..., anthropic:..., local:qwen2.5-1.5b, script:ground-truth). Default: the embedded local model.",
        ),
    ] = None,
    base_url: BaseUrlOpt = None,
    api_key_env: ApiKeyEnvOpt = None,
    suite: Annotated[
        str | None,
        typer.Option(
            "--suite",
            "-s",
            help="Comma-separated suites or suite files (default: every built-in suite); agentdojo:NAME runs AgentDojo's own suite (needs suho[agentdojo]).",
        ),
    ] = None,
    attacks: Annotated[
        str | None,
        typer.Option(
            "--attacks",
            help="Injection attacks, comma-separated; ATTACK+TRANSFORM applies a transform to the payload (default: important-instructions; AgentDojo suites: agentdojo, AgentDojo's own important_instructions).",
        ),
    ] = None,
    defenses: Annotated[
        str | None, typer.Option("--defenses", help="Defenses, comma-separated (default: none).")
    ] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", "-l", help="Only suites in these languages (ko,en).")
    ] = None,
    repeats: Annotated[int, typer.Option("--repeats", min=1, max=1000)] = 1,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            min=1,
            help="At most this many tasks (a user task's benign run, a user x injection pair), "
            "sampled across suites and languages by --seed (each pair with its user task's "
            "benign run, KO/EN twins kept together); each runs under every attack that reaches "
            "it, every defense and repeat.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for the --limit sample.")] = 0,
    user_tasks: Annotated[
        str | None,
        typer.Option(
            "--user-tasks",
            help="Only these user tasks, comma-separated ids (see `suho agent tasks SUITE`).",
        ),
    ] = None,
    injection_tasks: Annotated[
        str | None,
        typer.Option(
            "--injection-tasks",
            help="Only these injection tasks, comma-separated ids (benign runs of the chosen "
            "user tasks still run).",
        ),
    ] = None,
    concurrency: Annotated[int | None, typer.Option("--concurrency", "-c", min=1)] = None,
    max_steps: Annotated[
        int, typer.Option("--max-steps", min=1, help="Model calls per episode, at most.")
    ] = 20,
    timeout: Annotated[float | None, typer.Option("--timeout", min=0.001)] = None,
    retries: Annotated[int, typer.Option("--retries", min=0, max=50)] = 3,
    max_tokens: Annotated[int | None, typer.Option("--max-tokens", min=1)] = None,
    db: DbOpt = None,
    out: Annotated[Path, typer.Option("--out", help="Directory for the run's reports.")] = Path(
        "suho-reports"
    ),
    fail_on: Annotated[
        float | None,
        typer.Option(
            "--fail-on", min=0.0, max=1.0, help="Exit 1 when the targeted ASR exceeds this (0..1)."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Run every user task without injection and every reachable user x injection pair under
    each attack and defense; judge each episode on the environment's state; write reports.

    Prints the run id and the report path. Exit 0 when done; 1 when the targeted attack-success
    rate exceeds --fail-on; 2 for bad input or configuration.
    """
    from suho.agents import AgentPlan, plan_agent_attempts, sample_agent_tasks
    from suho.cli._i18n import t as t_
    from suho.cli._scan import finish, run_planned
    from suho.engine import RunConfig
    from suho.targets import DEFAULT_TARGET, TargetSpec

    langs = split_csv(lang)
    suites = _suites(split_csv(suite), langs)
    target_spec = target or DEFAULT_TARGET
    local = target_spec.startswith("local:")
    plan = AgentPlan(
        suites=suites,
        attacks=split_csv(attacks),  # empty: each suite's default
        defenses=split_csv(defenses) or ["none"],
        repeats=repeats,
        model_name=TargetSpec.parse(target_spec).model,
        limit=limit,
        seed=seed,
        user_tasks=frozenset(split_csv(user_tasks)) if user_tasks else None,
        injection_tasks=frozenset(split_csv(injection_tasks)) if injection_tasks else None,
    )
    try:
        cfg = RunConfig(
            target=target_spec,
            base_url=base_url,
            api_key_env=api_key_env,
            suite="agent:" + ",".join(s.name for s in suites),
            langs=langs,
            attacks=["agent"],
            detectors=["agent"],
            environment="agents",
            repeats=repeats,
            limit=limit,
            seed=seed,
            max_steps=max_steps,
            concurrency=concurrency or (LOCAL_CONCURRENCY if local else 16),
            timeout=timeout or (LOCAL_TIMEOUT if local else 60.0),
            retries=retries,
            max_tokens=max_tokens or (256 if local else 512),
        )
    except ValueError as e:
        raise SuhoInputError(str(e)) from e
    list(plan_agent_attempts("check", plan))  # bad names fail here, before any request
    sample = sample_agent_tasks(plan)

    source = store_source(db)

    def on_planned(run_id: str) -> None:
        if sample.sampled:
            err(
                t_(
                    "agent_sampled",
                    limit=limit,
                    n=sample.selected,
                    total=sample.candidates,
                    seed=seed,
                )
            )
        if not quiet:
            err(f"run {run_id}: {cfg.target} · {cfg.suite}")

    store, summary = run_planned(
        source,
        cfg,
        lambda rid: plan_agent_attempts(rid, plan),
        quiet=quiet,
        on_planned=on_planned,
    )
    _print_totals(store, summary.run_id)
    finish(store, summary, out, fail_on)


def _print_totals(store: Any, run_id: str) -> None:
    from suho.agents import agent_section

    section = agent_section(store, run_id)
    t = section["totals"]

    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.1%}"

    err(
        f"agent: benign utility {pct(t['benign_utility'])}, utility under attack "
        f"{pct(t['utility_under_attack'])}, targeted ASR {pct(t['targeted_asr'])} "
        f"({t['episodes']} episodes)"
    )


@agent_app.command()
def suites() -> None:
    """List the agent suites, one a line, its name first (Korean suites end in -ko, their
    English twins in -en; AgentDojo's suites, agentdojo:NAME, when agentdojo is installed)."""
    from suho.agents import load_suite, suite_names
    from suho.agents._agentdojo import DEFAULT_VERSION, describe_agentdojo_suites

    for name in suite_names():
        s = load_suite(name)
        sys.stdout.write(
            f"{s.name}\t{s.lang}\t{s.environment}\t{len(s.user_tasks)} user tasks\t"
            f"{len(s.injection_tasks)} injection tasks\t{s.description}\n"
        )
    for name, users, injections in describe_agentdojo_suites():
        env = name.replace(":", "-")
        sys.stdout.write(
            f"{name}\ten\t{env}\t{users} user tasks\t{injections} injection tasks\t"
            f"AgentDojo {DEFAULT_VERSION} {name.split(':', 1)[1]} suite (the agentdojo package)\n"
        )


@agent_app.command()
def tasks(
    suite: Annotated[str, typer.Argument(help="A suite name (see `suho agent suites`) or file.")],
) -> None:
    """List a suite's user tasks (prompt, vectors reached) and injection tasks (goal)."""
    from suho.agents import load_suite

    s = load_suite(suite)
    for u in s.user_tasks:
        sys.stdout.write(f"{u.id}\tuser\t{','.join(s.reach[u.id])}\t{u.prompt}\n")
    for i in s.injection_tasks:
        sys.stdout.write(f"{i.id}\tinjection\t{i.category}\t{i.goal}\n")


@agent_app.command()
def attacks() -> None:
    """List the injection attacks (any transform composes: ATTACK+TRANSFORM)."""
    from suho import _registry
    from suho.agents import injection_attack_names
    from suho.agents._attacks import GROUP

    for name in injection_attack_names():
        sys.stdout.write(f"{name}\t{_first_line(_registry.load(GROUP, name))}\n")


@agent_app.command()
def defenses() -> None:
    """List the defenses."""
    from suho.agents import defense_names, get_defense

    for name in defense_names():
        sys.stdout.write(f"{name}\t{_first_line(type(get_defense(name)))}\n")
