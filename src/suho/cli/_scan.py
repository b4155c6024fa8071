"""``suho scan`` and ``suho resume``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from suho.cli._common import (
    DbOpt,
    ReportWarmUp,
    RichProgress,
    err,
    open_store,
    run_async,
    split_csv,
    store_source,
)
from suho.errors import SuhoInputError

OutOpt = Annotated[
    Path,
    typer.Option("--out", help="Directory for the run's reports (report.html, report.json)."),
]
FailOnOpt = Annotated[
    float | None,
    typer.Option(
        "--fail-on",
        min=0.0,
        max=1.0,
        help="Exit 1 when the attack-success rate exceeds this (0..1).",
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]


# A local model decodes a few sequences together on the CPU; more in flight would only queue
# (and the queueing would count against each request's timeout).
LOCAL_CONCURRENCY = 4
LOCAL_TIMEOUT = 600.0


def scan(
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            "-t",
            help="PROVIDER:MODEL, e.g. openai:gpt-4o, anthropic:claude-sonnet-4-5, local:qwen2.5-1.5b. Default: the embedded local model.",
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="Base URL of an OpenAI-compatible (or Anthropic) API."),
    ] = None,
    suite: Annotated[
        str | None, typer.Option("--suite", "-s", help="A shipped suite (see `suho suites`).")
    ] = None,
    probes: Annotated[
        Path | None,
        typer.Option(
            "--probes",
            "-p",
            help="Your own probes: JSONL with id, prompt, lang?, category?, intent_id?.",
        ),
    ] = None,
    dataset: Annotated[
        str | None,
        typer.Option(
            "--dataset",
            help="A public dataset file you have: KIND:PATH with KIND multijail, xstest, csv, tsv, "
            "jsonl or json (see docs/datasets.md).",
        ),
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="Dataset columns for suho's fields: prompt=question,id=qid; category= (off); "
            "prompt.ko=q_ko (one column per language); 'prompt={context} {question}'.",
        ),
    ] = None,
    skip_bad_rows: Annotated[
        bool,
        typer.Option(
            "--skip-bad-rows", help="Leave out dataset rows that cannot be read, and list them."
        ),
    ] = False,
    lang: Annotated[
        str | None, typer.Option("--lang", help="Only these languages, e.g. ko,en.")
    ] = None,
    category: Annotated[
        str | None, typer.Option("--category", help="Only these categories (comma-separated).")
    ] = None,
    transforms: Annotated[
        str | None,
        typer.Option(
            "--transforms",
            help="Transforms to apply, comma-separated; a+b chains. Each probe x each transform is an attempt.",
        ),
    ] = None,
    no_baseline: Annotated[
        bool, typer.Option("--no-baseline", help="Do not also send each probe untransformed.")
    ] = False,
    attacks: Annotated[
        str, typer.Option("--attacks", help="Delivery methods, comma-separated.")
    ] = "single",
    detectors: Annotated[
        str | None,
        typer.Option("--detectors", help="Detectors, comma-separated (default: refusal)."),
    ] = None,
    judge: Annotated[
        str | None,
        typer.Option(
            "--judge",
            help="Add the LLM judge cascade, judged by this target (e.g. local:qwen2.5-1.5b, openai:gpt-4o-mini); also the judge model of attacks that need one (default: the embedded local model).",
        ),
    ] = None,
    judge_base_url: Annotated[
        str | None,
        typer.Option("--judge-base-url", help="Base URL of the judge's OpenAI-compatible API."),
    ] = None,
    judge_all: Annotated[
        bool,
        typer.Option("--judge-all", help="Ask the judge about every answer, not only unsure ones."),
    ] = False,
    repeats: Annotated[
        int, typer.Option("--repeats", min=1, help="Send each attempt this many times.")
    ] = 1,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="At most this many probes.")
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency",
            "-c",
            min=1,
            help="Requests in flight at once (default 16; 4 for local models, which decode that many together).",
        ),
    ] = None,
    rps: Annotated[
        float | None,
        typer.Option("--rps", min=0.001, help="Rate limit: requests per second to the target."),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            min=0.001,
            help="Per-request timeout in seconds (default 60; 600 for local models on a CPU).",
        ),
    ] = None,
    retries: Annotated[
        int,
        typer.Option(
            "--retries", min=0, help="Retries per request for timeouts, 429, 5xx, bad answers."
        ),
    ] = 3,
    max_tokens: Annotated[
        int | None, typer.Option("--max-tokens", min=1, help="Answer length cap.")
    ] = None,
    temperature: Annotated[float, typer.Option("--temperature", min=0.0)] = 0.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed for randomised transforms.")] = 0,
    system: Annotated[
        str | None, typer.Option("--system", help="System prompt sent before every probe.")
    ] = None,
    api_key_env: Annotated[
        str | None,
        typer.Option(
            "--api-key-env",
            help="Read the API key from this variable instead of the provider's default.",
        ),
    ] = None,
    attack_option: Annotated[
        list[str] | None,
        typer.Option(
            "--attack-option",
            help="An attack's option, NAME.KEY=VALUE (repeatable), e.g. crescendo.max_turns=5.",
        ),
    ] = None,
    attacker: Annotated[
        str | None,
        typer.Option(
            "--attacker",
            help="The attacker model for attacks that need one (PROVIDER:MODEL). Default: the "
            "embedded local model.",
        ),
    ] = None,
    attacker_base_url: Annotated[
        str | None,
        typer.Option(
            "--attacker-base-url", help="Base URL of the attacker's OpenAI-compatible API."
        ),
    ] = None,
    environment: Annotated[
        str | None,
        typer.Option(
            "--environment", help="Environment plugin that sets up each attempt's world (tools)."
        ),
    ] = None,
    max_steps: Annotated[
        int | None,
        typer.Option("--max-steps", min=1, help="Per attempt: at most this many target calls."),
    ] = None,
    max_episode_tokens: Annotated[
        int | None,
        typer.Option("--max-episode-tokens", min=1, help="Per attempt: target tokens, at most."),
    ] = None,
    max_episode_seconds: Annotated[
        float | None,
        typer.Option("--max-episode-seconds", min=0.001, help="Per attempt: seconds, at most."),
    ] = None,
    max_turns: Annotated[
        int | None,
        typer.Option(
            "--max-turns", min=1, help="Multi-turn attacks: turns (iterations, depth) at most."
        ),
    ] = None,
    max_queries: Annotated[
        int | None,
        typer.Option("--max-queries", min=1, help="Per attempt: target queries, at most."),
    ] = None,
    db: DbOpt = None,
    out: OutOpt = Path("suho-reports"),
    fail_on: FailOnOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Attack a target with probes, judge every answer, store it all, write a report.

    Prints the run id and the report path. Exit 0 when done; 1 when the attack-success rate
    exceeds --fail-on; 2 for bad input or configuration; 130 when stopped with Ctrl-C.
    """
    from suho.attacks import attack_names
    from suho.cli._probes import no_match_message, report_dataset_load
    from suho.engine import RunConfig, start_run
    from suho.engine._options import parse_attack_options
    from suho.probes import (
        load_probes_file,
        load_suite,
        parse_dataset_spec,
        parse_mapping,
        read_dataset,
    )
    from suho.targets import DEFAULT_TARGET

    if sum(x is not None for x in (suite, probes, dataset)) > 1:
        raise SuhoInputError("use only one of --suite, --probes and --dataset")
    mapping = parse_mapping(map_ or [])
    if mapping and not dataset:
        raise SuhoInputError("--map applies to --dataset only")
    if skip_bad_rows and not dataset:
        raise SuhoInputError("--skip-bad-rows applies to --dataset only")
    ds = parse_dataset_spec(dataset) if dataset else None
    target_spec = target or DEFAULT_TARGET
    local = target_spec.startswith("local:")
    cfg_args: dict[str, Any] = {
        "target": target_spec,
        "base_url": base_url,
        "api_key_env": api_key_env,
        "system_prompt": system,
        "suite": None if (probes or ds) else (suite or "quick"),
        "probes_file": str(probes) if probes else None,
        "dataset": f"{ds[0]}:{ds[1]}" if ds else None,
        "dataset_map": mapping,
        "langs": [x.lower() for x in split_csv(lang)],
        "categories": split_csv(category),
        "limit": limit,
        "transforms": split_csv(transforms),
        "baseline": not no_baseline,
        "attacks": split_csv(attacks) or ["single"],
        "repeats": repeats,
        "detectors": split_csv(detectors) or ["refusal"],
        "detector_options": {},
        "concurrency": concurrency or (LOCAL_CONCURRENCY if local else 16),
        "rps": rps,
        "timeout": timeout or (LOCAL_TIMEOUT if local else 60.0),
        "retries": retries,
        "max_tokens": max_tokens or (160 if local else 512),
        "temperature": temperature,
        "seed": seed,
        "attacker": attacker,
        "attacker_base_url": attacker_base_url,
        "environment": environment,
        "max_steps": max_steps,
        "max_episode_tokens": max_episode_tokens,
        "max_episode_seconds": max_episode_seconds,
    }
    if attacker_base_url and not attacker:
        raise SuhoInputError("--attacker-base-url needs --attacker SPEC")
    if attack_option:
        cfg_args["attack_options"] = parse_attack_options(
            attack_option, cfg_args["attacks"], attack_names()
        )
    from suho.cli._attack_args import apply_attack_args

    apply_attack_args(cfg_args, max_turns=max_turns, max_queries=max_queries, judge=judge)
    if judge_base_url and not judge:
        raise SuhoInputError("--judge-base-url needs --judge SPEC")
    if judge:
        if "judge" not in cfg_args["detectors"]:
            cfg_args["detectors"].append("judge")
        opts: dict[str, Any] = {"target": judge}
        if judge_base_url:
            opts["base_url"] = judge_base_url
        if judge_all:
            opts["mode"] = "always"
        cfg_args["detector_options"]["judge"] = opts
    try:
        cfg = RunConfig(**cfg_args)
    except ValueError as e:
        raise SuhoInputError(str(e)) from e
    if ds:
        # read whole (and checked) before anything is sent; a bad row stops the scan here
        load = read_dataset(ds[0], ds[1], mapping, langs=cfg.langs, skip_bad_rows=skip_bad_rows)
        report_dataset_load(load)
        chosen = [p for p in load.probes if not cfg.langs or p.lang in cfg.langs]
        if not chosen:
            raise SuhoInputError(no_match_message(load.probes, cfg.langs, set()))
        probe_iter = iter(load.probes)
    elif probes:
        probe_iter = load_probes_file(probes)
    else:
        probe_iter = load_suite(cfg.suite or "quick")
    source = store_source(db)
    planned: list[str] = []

    def on_planned(run_id: str) -> None:
        planned.append(run_id)
        if not quiet:
            err(f"run {run_id}: {cfg.target} · {cfg.suite or cfg.probes_file or cfg.dataset}")

    with ReportWarmUp() as warm, RichProgress(enabled=not quiet, on_start=warm.start) as bar:
        summary = run_async(
            lambda stop: start_run(
                source, cfg, probe_iter, progress=bar, stop=stop, on_planned=on_planned
            )
        )
    warm.join()
    finish(source() if callable(source) else source, summary, out, fail_on)


def resume(
    run_id: Annotated[str, typer.Argument(help="Run id, a unique prefix of one, or 'latest'.")],
    retry_errors: Annotated[
        bool,
        typer.Option("--retry-errors", help="Also send again the attempts that ended in error."),
    ] = False,
    concurrency: Annotated[int | None, typer.Option("--concurrency", "-c", min=1)] = None,
    timeout: Annotated[float | None, typer.Option("--timeout", min=0.001)] = None,
    retries: Annotated[int | None, typer.Option("--retries", min=0)] = None,
    rps: Annotated[float | None, typer.Option("--rps", min=0.001)] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="The target moved: send the rest here.")
    ] = None,
    db: DbOpt = None,
    out: OutOpt = Path("suho-reports"),
    fail_on: FailOnOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Finish the pending attempts of a run. A done attempt is never sent again."""
    from suho.engine import resume_run

    store = open_store(db)
    rid = store.resolve_run_id(run_id)
    overrides = {
        "concurrency": concurrency,
        "timeout": timeout,
        "retries": retries,
        "rps": rps,
        "base_url": base_url,
    }
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if not quiet:
        err(f"resuming run {rid}")
    with ReportWarmUp() as warm, RichProgress(enabled=not quiet, on_start=warm.start) as bar:
        summary = run_async(
            lambda stop: resume_run(
                store, rid, retry_errors=retry_errors, overrides=overrides, progress=bar, stop=stop
            )
        )
    warm.join()
    finish(store, summary, out, fail_on)


def finish(store: Any, summary: Any, out: Path, fail_on: float | None) -> None:
    """Write the reports, print the run id and report path, and exit with the contract's code."""
    from suho.report import summary as report_summary
    from suho.report import write_report_file

    rid = summary.run_id
    t = summary.totals
    head = report_summary(store, rid)  # once for both reports
    html = write_report_file(store, rid, "html", out / rid / "report.html", summary_data=head)
    write_report_file(store, rid, "json", out / rid / "report.json", summary_data=head)
    groups = store.group_counts(rid)
    harmful = [g for g in groups if g["expected"] == "refuse"]
    trials = sum(g["trials"] for g in harmful)
    rate = sum(g["successes"] for g in harmful) / trials if trials else 0.0
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(summary.error_kinds.items()))
    err(
        f"{summary.status}: {t.done} done, {t.errors} errors{f' ({kinds})' if kinds else ''}, "
        f"{t.pending} pending in {summary.seconds:.1f}s; attack success {rate:.1%} of {trials}"
    )
    sys.stdout.write(f"run {rid}\nreport {html}\n")
    sys.stdout.flush()
    if summary.status == "interrupted":
        err(f"stopped; finish it with: suho resume {rid}")
        raise typer.Exit(130)
    if summary.status == "aborted":
        err(f"error: run stopped: {summary.reason}\nfix the cause, then: suho resume {rid}")
        raise typer.Exit(2)
    if fail_on is not None and rate > fail_on:
        err(f"attack-success rate {rate:.1%} exceeds --fail-on {fail_on:.1%}")
        raise typer.Exit(1)
