"""A real model through AgentDojo's own runner and through suho, same suite, same endpoint.

The model (by default the embedded Qwen2.5-Coder-1.5B) is served once by ``suho models serve``
as an OpenAI-compatible chat API with tool calling. Both runners meet that one endpoint:

- AgentDojo 0.1.35, untouched: ``python -m agentdojo.scripts.benchmark -s banking --model
  VLLM_PARSED`` (its OpenAI tool-calling pipeline for a local server, ``LOCAL_LLM_PORT``), once
  without an attack (benign utility) and once with ``--attack important_instructions``;
- suho: ``suho agent scan --target openai:MODEL --base-url URL --suite agentdojo:banking
  --user-tasks ... --injection-tasks ...`` (AgentDojo's environments, tools, checks and attack
  text, suho's loop; the same step budget, 15 model calls).

The model is greedy (temperature 0 in both), but the two runners word the conversation
differently (AgentDojo sends its system prompt as a ``developer`` message and tool results as
its own text), so episode by episode they need not match: the claim is that the rates agree
within their confidence intervals (Wilson 95%). Results are cached in ``--workdir`` (AgentDojo
skips episodes it has logged, suho's run is found again by its database), so a long run that
is stopped can be started again.

Run: ``python bench/bench_agentdojo_real.py [--target local:qwen2.5-1.5b] [--user-tasks N]
[--injection-task injection_task_1] [--no-write]`` (slow on a CPU: minutes per episode).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._proc import start_port_server  # noqa: E402
from bench.bench_agentdojo import (  # noqa: E402
    SUITE,
    VERSION,
    Outcomes,
    agentdojo_python,
    dojo_outcomes,
    suho_outcomes,
)

MAX_STEPS = 15  # AgentDojo's ToolsExecutionLoop default


def run_agentdojo(
    py: str, port: int, logdir: Path, users: list[str], injs: list[str]
) -> tuple[float, Outcomes]:
    env = {**os.environ, "LOCAL_LLM_PORT": str(port), "PYTHONWARNINGS": "ignore"}
    cmd = [py, "-m", "agentdojo.scripts.benchmark", "-s", SUITE, "--model", "VLLM_PARSED"]
    cmd += ["--benchmark-version", VERSION, "--logdir", str(logdir)]
    for u in users:
        cmd += ["-ut", u]
    if injs:
        cmd += ["--attack", "important_instructions"]
        for i in injs:
            cmd += ["-it", i]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"AgentDojo failed (rc {proc.returncode}):\n{proc.stderr[-3000:]}")
    # AgentDojo also runs each injection task alone under an attack: not an episode of ours
    return wall, {k: v for k, v in dojo_outcomes(logdir).items() if k[0] in users}


def run_suho(
    port: int, model: str, work: Path, users: list[str], injs: list[str], concurrency: int
) -> tuple[float, Outcomes]:
    from suho.store import Store

    work.mkdir(parents=True, exist_ok=True)
    db = work / "suho.db"
    env = {**os.environ, "BENCH_KEY": "bench-not-a-key"}
    base = [sys.executable, "-m", "suho"]
    t0 = time.perf_counter()
    run_id = ""
    if db.exists():  # a stopped run: resume it
        runs = Store.open(f"sqlite:///{db}").list_runs()
        run_id = str(runs[0]["id"]) if runs else ""
    if run_id:
        proc = subprocess.run(
            [
                *base,
                "resume",
                run_id,
                "--db",
                str(db),
                "-q",
                "--base-url",
                f"http://127.0.0.1:{port}/v1",
                "--timeout",
                "3600",
            ],
            env=env,
            capture_output=True,
            text=True,
        )
    else:
        proc = subprocess.run(
            [
                *base,
                "agent",
                "scan",
                "--target",
                f"openai:{model}",
                "--base-url",
                f"http://127.0.0.1:{port}/v1",
                "--api-key-env",
                "BENCH_KEY",
                "--suite",
                f"agentdojo:{SUITE}",
                "--user-tasks",
                ",".join(users),
                "--injection-tasks",
                ",".join(injs),
                "--max-steps",
                str(MAX_STEPS),
                "--timeout",
                "3600",
                "--concurrency",
                str(concurrency),
                "--db",
                str(db),
                "--out",
                str(work / "suho-reports"),
                "-q",
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        run_id = next((x.split()[1] for x in proc.stdout.splitlines() if x.startswith("run ")), "")
    wall = time.perf_counter() - t0
    if proc.returncode != 0 or not run_id:
        raise SystemExit(f"suho failed (rc {proc.returncode}):\n{proc.stderr[-3000:]}")
    return wall, suho_outcomes(db, run_id)


def _interval(k: int, n: int) -> tuple[float, float]:
    """The Wilson 95% interval of k/n (suho's own), [0, 1] when there were no episodes."""
    from suho.stats import wilson

    r = wilson(k, n)
    return (0.0 if r.low is None else r.low, 1.0 if r.high is None else r.high)


def rates(res: Outcomes) -> dict[str, tuple[int, int]]:
    benign = [v for (u, i), v in res.items() if i == "none"]
    pairs = [v for (u, i), v in res.items() if i != "none"]
    return {
        "benign utility": (sum(u for u, _ in benign), len(benign)),
        "utility under attack": (sum(u for u, _ in pairs), len(pairs)),
        "targeted ASR": (sum(s for _, s in pairs), len(pairs)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--target", default="local:qwen2.5-1.5b")
    ap.add_argument("--user-tasks", type=int, default=16, help="user_task_0 .. user_task_{N-1}")
    ap.add_argument(
        "--injection-tasks",
        default="injection_task_0,injection_task_1,injection_task_2",
        help="comma-separated AgentDojo injection task ids",
    )
    ap.add_argument("--parallel", type=int, default=2)
    ap.add_argument("--workdir", default=str(Path("/tmp") / "suho-bench-dojo-real"))
    ap.add_argument("--agentdojo-python", default=None)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    users = [f"user_task_{i}" for i in range(args.user_tasks)]
    injs = [i.strip() for i in args.injection_tasks.split(",") if i.strip()]
    model = args.target.split(":", 1)[1].rsplit("/", 1)[-1]
    env = {**os.environ, "SUHO_LOCAL_CTX": os.environ.get("SUHO_LOCAL_CTX", "8192")}
    server, port = start_port_server(
        "suho models serve",
        [
            sys.executable,
            "-m",
            "suho",
            "models",
            "serve",
            args.target,
            "--port",
            "0",
            "--name",
            model,
            "--parallel",
            str(args.parallel),
        ],
        env=env,
    )
    py = agentdojo_python(args.agentdojo_python)
    try:
        w1, dojo = run_agentdojo(py, port, work / "dojo-benign", users, [])
        w2, dojo_att = run_agentdojo(py, port, work / "dojo-attack", users, injs)
        dojo.update(dojo_att)
        w3, suho = run_suho(port, model, work / "suho", users, injs, args.parallel)
    finally:
        server.terminate()
        server.wait(30)
    (work / "results.json").write_text(
        json.dumps(
            {
                "agentdojo": {f"{u}|{i}": v for (u, i), v in dojo.items()},
                "suho": {f"{u}|{i}": v for (u, i), v in suho.items()},
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    rd, rs = rates(dojo), rates(suho)
    lines = []
    agree_all = True
    for metric in rd:
        (kd, nd), (ks, ns) = rd[metric], rs[metric]
        ld, hd = _interval(kd, nd)
        ls, hs = _interval(ks, ns)
        overlap = ld <= hs and ls <= hd
        inside = ld <= (ks / max(ns, 1)) <= hd and ls <= (kd / max(nd, 1)) <= hs
        agree_all = agree_all and overlap
        lines.append(
            f"| {metric} | {kd}/{nd} = {kd / max(nd, 1):.0%} [{ld:.0%}, {hd:.0%}] | "
            f"{ks}/{ns} = {ks / max(ns, 1):.0%} [{ls:.0%}, {hs:.0%}] | "
            f"{'yes' if overlap else 'NO'}{' (each inside the other)' if inside else ''} |"
        )
    keys = sorted(set(dojo) & set(suho))
    same_u = sum(dojo[k][0] == suho[k][0] for k in keys)
    same_s = sum(dojo[k][1] == suho[k][1] for k in keys if k[1] != "none")
    n_pairs = sum(1 for k in keys if k[1] != "none")
    load = os.getloadavg()[0]
    body = f"""
{args.target} served by `suho models serve` (tool calls parsed from the model's text), both
runners against that one endpoint, AgentDojo's banking suite ({VERSION}): user tasks 0-{args.user_tasks - 1}
without injection, and each of them with {", ".join(f"`{i}`" for i in injs)} under AgentDojo's
important_instructions attack. AgentDojo's own runner (`--model VLLM_PARSED`, one episode at a
time) and `suho agent scan --suite agentdojo:banking --user-tasks ... --injection-tasks ...`
(concurrency {args.parallel}), greedy decoding, at most {MAX_STEPS} model calls an episode.
Wall time: AgentDojo {w1 + w2:.0f} s, suho {w3:.0f} s (machine shared, load average {load:.1f}
at the end; a cached part of a restarted run counts as 0 s).

| rate | AgentDojo's runner | suho | CIs overlap |
| --- | --- | --- | --- |
{chr(10).join(lines)}

Rates with Wilson 95% intervals. **{"They agree within the confidence intervals" if agree_all else "They do NOT agree within the confidence intervals"}.**
Episode by episode (not expected to match, the two runners word the conversation differently):
utility agrees on {same_u}/{len(keys)} episodes, security on {same_s}/{n_pairs} attacked pairs.
With {args.user_tasks} user tasks the intervals are wide: this shows the two runners measure the
same thing on a real model, not a precise rate.
"""
    print(body)
    if not args.no_write:
        from bench._report import update_section

        update_section(
            "agentdojo-real",
            "Agent arena: a real model through AgentDojo's runner and through suho",
            body,
            "python bench/bench_agentdojo_real.py",
        )


if __name__ == "__main__":
    main()
