"""``suho scan`` and ``suho resume``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any

import typer

from suho.cli._common import (
    BaseUrlOpt,
    DbOpt,
    RichProgress,
    err,
    open_store,
    run_async,
    split_csv,
    store_source,
)
from suho.cli._i18n import MESSAGES, pct
from suho.cli._i18n import t as t_
from suho.cli._outputs import check_out_dir
from suho.errors import SuhoInputError

OutOpt = Annotated[
    Path,
    typer.Option(
        "--out",
        help="Directory for the run's reports (DIR/RUN_ID/report.html, report.json); created if missing, its parent must exist.",
    ),
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
MaxErrorRateOpt = Annotated[
    float | None,
    typer.Option(
        "--max-error-rate",
        min=0.0,
        max=1.0,
        help="Exit 1 when more than this share of attempts ended in error (0..1; default 0.1 "
        "with --fail-on). A run with no judged attempt always fails a gate.",
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
    base_url: BaseUrlOpt = None,
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
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding",
            help="Encoding of the --probes or --dataset file (default utf-8), e.g. cp949.",
        ),
    ] = None,
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
    judge_rubric: Annotated[
        str,
        typer.Option(
            "--judge-rubric",
            help="The judge's rubric: strongreject (refused, answered, convincing, specific; "
            "harmful help only) or classic (refused, specific, useful).",
        ),
    ] = "strongreject",
    repeats: Annotated[
        int, typer.Option("--repeats", min=1, help="Send each attempt this many times.")
    ] = 1,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            min=1,
            help="At most this many probes, sampled across categories and languages by --seed "
            "(KO/EN pairs of an intent kept together).",
        ),
    ] = None,
    max_prompt_chars: Annotated[
        int,
        typer.Option(
            "--max-prompt-chars",
            min=1,
            help="Reject a probe file or dataset whose prompt is longer than this (default 100,000 characters).",
        ),
    ] = 100_000,
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
    attacker_rps: Annotated[
        float | None,
        typer.Option(
            "--attacker-rps",
            min=0.001,
            help="Rate limit: requests per second to the attacker model (apart from --rps).",
        ),
    ] = None,
    judge_rps: Annotated[
        float | None,
        typer.Option(
            "--judge-rps",
            min=0.001,
            help="Rate limit: requests per second to the judge model (apart from --rps).",
        ),
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
    temperature: Annotated[
        float, typer.Option("--temperature", min=0.0, help="Sampling temperature (default 0).")
    ] = 0.0,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed for randomised transforms and the --limit sample.")
    ] = 0,
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
    max_error_rate: MaxErrorRateOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Attack a target with probes, judge every answer, store it all, write a report.

    Prints the run id and the report path. Exit 0 when done; 1 when a gate fails (the
    attack-success rate exceeds --fail-on, the error rate exceeds --max-error-rate, or nothing
    was judged); 2 for bad input or environment; 3 for an internal error; 130 when stopped.
    """
    from suho.attacks import attack_names
    from suho.cli._probes import no_match_message, report_dataset_load
    from suho.engine import PlanStats, RunConfig, start_run
    from suho.engine._options import parse_attack_options
    from suho.probes import (
        check_encoding,
        check_langs,
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
    if encoding is not None and not (probes or ds):
        raise SuhoInputError("--encoding applies to --probes and --dataset files only")
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
        "encoding": check_encoding(encoding) if encoding else None,
        "langs": check_langs(split_csv(lang)),
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
        "attacker_rps": attacker_rps,
        "judge_rps": judge_rps,
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
        if judge_rubric not in ("strongreject", "classic"):
            raise SuhoInputError(f"--judge-rubric {judge_rubric!r}: choose strongreject or classic")
        opts["rubric"] = judge_rubric
        cfg_args["detector_options"]["judge"] = opts
    if attacker_rps is not None and not cfg_args.get("attacker"):
        raise SuhoInputError(
            "--attacker-rps needs an attacker model: --attacker SPEC, or an attack that uses one"
        )
    if judge_rps is not None and not (judge or cfg_args.get("judge_model")):
        raise SuhoInputError(
            "--judge-rps needs a judge model: --judge SPEC, or an attack that uses one"
        )
    try:
        cfg = RunConfig(**cfg_args)
    except ValueError as e:
        raise SuhoInputError(str(e)) from e
    if ds:
        # read whole (and checked) before anything is sent; a bad row stops the scan here
        load = read_dataset(
            ds[0],
            ds[1],
            mapping,
            langs=cfg.langs,
            skip_bad_rows=skip_bad_rows,
            encoding=cfg.encoding,
            max_prompt_chars=max_prompt_chars,
        )
        report_dataset_load(load)
        chosen = [p for p in load.probes if not cfg.langs or p.lang in cfg.langs]
        if not chosen:
            raise SuhoInputError(no_match_message(load.probes, cfg.langs, set()))
        probe_iter = iter(load.probes)
    elif probes:
        probe_iter = load_probes_file(
            probes, encoding=cfg.encoding, max_prompt_chars=max_prompt_chars
        )
    else:
        probe_iter = load_suite(cfg.suite or "quick")
    check_out_dir(out)
    source = store_source(db)
    planned: list[str] = []

    stats = PlanStats()

    def on_planned(run_id: str) -> None:
        planned.append(run_id)
        if stats.sampled:
            err(
                t_(
                    "sampled",
                    limit=cfg.limit,
                    n=stats.selected,
                    total=stats.candidates,
                    seed=cfg.seed,
                )
            )
        if not quiet:
            source = cfg.suite or cfg.probes_file or cfg.dataset
            err(t_("run_header", rid=run_id, target=cfg.target, source=source))

    with RichProgress(enabled=not quiet) as bar:
        summary = run_async(
            lambda stop: start_run(
                source,
                cfg,
                probe_iter,
                progress=bar,
                stop=stop,
                on_planned=on_planned,
                plan_stats=stats,
            )
        )
    finish(source() if callable(source) else source, summary, out, fail_on, max_error_rate)


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
    attacker_rps: Annotated[float | None, typer.Option("--attacker-rps", min=0.001)] = None,
    judge_rps: Annotated[float | None, typer.Option("--judge-rps", min=0.001)] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="The target moved: send the rest here. Needed again when the scan's URL had credentials or a query string (never stored).",
        ),
    ] = None,
    judge_base_url: Annotated[
        str | None,
        typer.Option("--judge-base-url", help="The judge's URL, when it moved or had credentials."),
    ] = None,
    db: DbOpt = None,
    out: OutOpt = Path("suho-reports"),
    fail_on: FailOnOpt = None,
    max_error_rate: MaxErrorRateOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Finish the pending attempts of a run. A done attempt is never sent again."""
    from suho.engine import resume_run

    check_out_dir(out)
    store = open_store(db)
    rid = store.resolve_run_id(run_id)
    overrides = {
        "concurrency": concurrency,
        "timeout": timeout,
        "retries": retries,
        "rps": rps,
        "attacker_rps": attacker_rps,
        "judge_rps": judge_rps,
        "base_url": base_url,
        "judge_base_url": judge_base_url,
    }
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if not quiet:
        err(t_("resuming", rid=rid))
    with RichProgress(enabled=not quiet) as bar:
        summary = run_async(
            lambda stop: resume_run(
                store, rid, retry_errors=retry_errors, overrides=overrides, progress=bar, stop=stop
            )
        )
    finish(store, summary, out, fail_on, max_error_rate)


def run_planned(
    source: Any,
    cfg: Any,
    plan: Callable[[str], Iterable[Any]],
    *,
    quiet: bool,
    on_planned: Callable[[str], None],
) -> tuple[Any, Any]:
    """Run attempts planned outside the probe library (agent episodes, cyber challenges) through
    the engine with a progress bar; the store and the run's summary, for ``finish``."""
    from suho.engine import start_run

    with RichProgress(enabled=not quiet) as bar:
        summary = run_async(
            lambda stop: start_run(
                source, cfg, [], progress=bar, stop=stop, on_planned=on_planned, plan=plan
            )
        )
    return (source() if callable(source) else source), summary


def finish(
    store: Any,
    summary: Any,
    out: Path,
    fail_on: float | None,
    max_error_rate: float | None = None,
) -> None:
    """Write the reports, print the run id and report path, and exit with the contract's code."""
    from suho.cli._gate import GateInput, gate_failures
    from suho.report import summary as report_summary
    from suho.report import write_report_file

    rid = summary.run_id
    t = summary.totals
    head = report_summary(store, rid)  # once for both reports
    html = write_report_file(store, rid, "html", out / rid / "report.html", summary_data=head)
    write_report_file(store, rid, "json", out / rid / "report.json", summary_data=head)
    gate = GateInput.from_groups(store.group_counts(rid))
    err(summary_line(summary, t, head.get("not_applicable")))
    sys.stdout.write(t_("run_line", rid=rid) + "\n" + t_("report_line", path=html) + "\n")
    sys.stdout.flush()
    if summary.status == "interrupted":
        err(t_("stopped", rid=rid))
        raise typer.Exit(130)
    if summary.status == "aborted":
        err(t_("run_stopped", reason=summary.reason, rid=rid))
        raise typer.Exit(2)
    failures = gate_failures(gate, fail_on=fail_on, max_error_rate=max_error_rate)
    for why in failures:
        err(t_("gate_failed", why=why))
    if failures:
        raise typer.Exit(1)


def summary_line(summary: Any, t: Any, skipped: dict[str, Any] | None = None) -> str:
    """The run's one-line summary: the attack-success rate over harmful probes and the
    over-refusal rate over benign ones, the same counts the progress bar and `suho runs` show."""
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(summary.error_kinds.items()))
    if t.judged:
        rates = t_("attack_success", rate=pct(t.hits, t.judged), hits=t.hits, n=t.judged)
    else:  # nothing judged: no rate (and a gate cannot pass on it)
        rates = t_("attack_success_none")
    if t.benign:
        rates += " · " + t_(
            "over_refusal", rate=pct(t.over_refusals, t.benign), hits=t.over_refusals, n=t.benign
        )
    if skipped and skipped.get("total"):
        names = ", ".join(sorted(skipped["by_transform"]))
        rates += "; " + t_("not_applicable", n=skipped["total"], names=names)
    status = MESSAGES.get(f"status_{summary.status}") and t_(f"status_{summary.status}")
    return t_(
        "summary",
        status=status or summary.status,
        done=t.done,
        errors=t.errors,
        kinds=f" ({kinds})" if kinds else "",
        pending=t.pending,
        seconds=summary.seconds,
        rates=rates,
    )
