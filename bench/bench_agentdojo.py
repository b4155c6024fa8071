"""AgentDojo's own runner vs suho on AgentDojo's banking suite, same fake model, one run.

Set-up: bench/_dojo_server.py, a fake OpenAI-compatible model with a fixed latency (default
200 ms) that answers with tool calls: it replays each task's ground truth (from AgentDojo's own
tasks), obeys an injection it reads for a fixed, hash-chosen half of the (task, goal) pairs, then
gives the task's final answer. Both runners meet exactly this model, one after the other:

- AgentDojo: ``python -m agentdojo.scripts.benchmark -s banking --model gpt-4o-2024-05-13
  --attack important_instructions`` with ``OPENAI_BASE_URL`` at the fake server (its runner,
  untouched: one episode at a time, 16 x 9 attacked pairs plus the 9 injection tasks run alone);
- suho: ``suho agent scan --target openai:gpt-4o-2024-05-13 --suite agentdojo:banking`` (the
  ``agentdojo`` attack: AgentDojo's own important_instructions text; 16 benign episodes plus the
  16 x 9 pairs, run concurrently).

Each is a child process: wall time, CPU (user + system) and peak RSS come from ``wait4``. The
per-pair utility and security of the two are compared: with a deterministic model they must agree
exactly. AgentDojo comes from ``--agentdojo-python`` (default: bench/.peers/agentdojo, made by
``bash bench/peers/setup.sh agentdojo``, else this interpreter, which has it with suho[agentdojo]).

Run: ``python bench/bench_agentdojo.py [--latency 0.2] [--concurrency 32] [--no-write]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._proc import start_port_server  # noqa: E402

MODEL = "gpt-4o-2024-05-13"
SUITE = "banking"
VERSION = "v1.2.2"


@dataclass
class Measured:
    wall_s: float
    cpu_s: float
    peak_mb: float
    rc: int
    stdout: str
    stderr: str
    requests: int = 0  # model requests the fake server answered
    traffic_s: float = 0.0  # first request in to last answer out: the run less its start-up


def _server(port: int, path: str, method: str = "GET") -> dict[str, Any]:
    import urllib.request

    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    with urllib.request.urlopen(req, timeout=10) as r:
        data: dict[str, Any] = json.loads(r.read())
    return data


def traffic(port: int, m: Measured) -> Measured:
    """``m`` with the fake server's view of the run, then the server's counters reset."""
    st = _server(port, "/stats")
    _server(port, "/stats/reset", "POST")
    m.requests = int(st["requests"])
    m.traffic_s = float(st["last"] - st["first"]) if st["requests"] else 0.0
    return m


def measure(cmd: list[str], env: dict[str, str], cwd: Path) -> Measured:
    """Run ``cmd`` as a child; its wall time, CPU and peak RSS (from wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(
            wall,
            ru.ru_utime + ru.ru_stime,
            ru.ru_maxrss / 1024,
            proc.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
        )


def table() -> dict[str, Any]:
    """What the fake model needs, from AgentDojo's own banking tasks."""
    from agentdojo.task_suite.load_suites import get_suite

    suite = get_suite(VERSION, SUITE)
    env = suite.load_and_inject_default_environment({})

    def calls(fcs: list[Any]) -> list[Any]:
        return [[fc.function, dict(fc.args)] for fc in fcs]

    tasks: dict[str, Any] = {}
    for t in suite.user_tasks.values():
        gt = t.ground_truth(t.init_environment(env.model_copy(deep=True)))
        tasks[t.PROMPT] = {"calls": calls(gt), "answer": t.GROUND_TRUTH_OUTPUT}
    goals: dict[str, Any] = {}
    for t in suite.injection_tasks.values():
        gt = calls(t.ground_truth(env.model_copy(deep=True)))
        tasks[t.GOAL] = {"calls": gt, "answer": t.GROUND_TRUTH_OUTPUT}
        goals[t.GOAL] = gt
    return {"tasks": tasks, "goals": goals}


def start_server(table_path: Path, latency: float) -> tuple[subprocess.Popen[str], int]:
    return start_port_server(
        "fake server",
        [
            sys.executable,
            str(ROOT / "bench" / "_dojo_server.py"),
            "--table",
            str(table_path),
            "--latency",
            str(latency),
        ],
    )


def agentdojo_python(arg: str | None) -> str:
    if arg:
        return arg
    peer = ROOT / "bench" / ".peers" / "agentdojo" / "bin" / "python"
    return str(peer) if peer.exists() else sys.executable


def run_agentdojo(py: str, port: int, work: Path) -> tuple[Measured, dict[tuple[str, str], Any]]:
    env = {
        **os.environ,
        "OPENAI_BASE_URL": f"http://127.0.0.1:{port}/v1",
        "OPENAI_API_KEY": "bench-not-a-key",
        "PYTHONWARNINGS": "ignore",
    }
    logdir = work / "agentdojo-runs"
    cmd = [
        py,
        "-m",
        "agentdojo.scripts.benchmark",
        "-s",
        SUITE,
        "--model",
        MODEL,
        "--attack",
        "important_instructions",
        "--benchmark-version",
        VERSION,
        "--logdir",
        str(logdir),
        "-f",
    ]
    m = measure(cmd, env, work)
    if m.rc == 2 and "Invalid value for '--model'" in m.stderr:
        # click >= 8.2 takes an enum choice by its member name (GPT_4O_2024_05_13)
        cmd[cmd.index(MODEL)] = MODEL.upper().replace("-", "_")
        m = measure(cmd, env, work)
    return traffic(port, m), dojo_outcomes(logdir)


Outcomes = dict[tuple[str, str], tuple[bool, bool]]  # (user task, injection or "none") -> (u, s)


def dojo_outcomes(logdir: Path) -> Outcomes:
    """Utility and security per episode, from the JSON logs AgentDojo's runner wrote."""
    results: Outcomes = {}
    for p in logdir.rglob("*.json"):
        d = json.loads(p.read_text(encoding="utf-8"))
        key = (str(d["user_task_id"]), str(d.get("injection_task_id") or "none"))
        results[key] = (bool(d.get("utility")), bool(d.get("security")))
    return results


def suho_outcomes(db: Path, run_id: str) -> Outcomes:
    """Utility and security per episode of a suho agent run, from its store."""
    from suho.agents import outcome_of
    from suho.store import Store

    results: Outcomes = {}
    for row in Store.open(f"sqlite:///{db}").iter_attempts(run_id):
        o = outcome_of(row)
        if o is not None:
            results[(o.user_task, o.injection_task or "none")] = (o.utility, o.security)
    return results


def run_suho(
    port: int, work: Path, concurrency: int
) -> tuple[Measured, dict[tuple[str, str], Any]]:
    env = {**os.environ, "BENCH_KEY": "bench-not-a-key"}
    work.mkdir(parents=True, exist_ok=True)
    db = work / "suho.db"
    cmd = [
        sys.executable,
        "-m",
        "suho",
        "agent",
        "scan",
        "--target",
        f"openai:{MODEL}",
        "--base-url",
        f"http://127.0.0.1:{port}/v1",
        "--api-key-env",
        "BENCH_KEY",
        "--suite",
        f"agentdojo:{SUITE}",
        "--concurrency",
        str(concurrency),
        "--db",
        str(db),
        "--out",
        str(work / "suho-reports"),
        "-q",
    ]
    m = traffic(port, measure(cmd, env, work))
    run_id = next((x.split()[1] for x in m.stdout.splitlines() if x.startswith("run ")), "")
    return m, suho_outcomes(db, run_id) if run_id else {}


def rates(results: dict[tuple[str, str], Any]) -> tuple[int, float, float]:
    pairs = [v for (u, i), v in results.items() if i != "none" and u.startswith("user_task")]
    n = len(pairs)
    return n, sum(1 for u, _ in pairs if u) / max(n, 1), sum(1 for _, s in pairs if s) / max(n, 1)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument(
        "--concurrency",
        default="32,160",
        help="suho's concurrency, comma-separated: one suho run each (160: every episode at once)",
    )
    ap.add_argument("--agentdojo-python", default=None)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    py = agentdojo_python(args.agentdojo_python)
    with tempfile.TemporaryDirectory(prefix="suho-bench-dojo-") as tmp:
        work = Path(tmp)
        tpath = work / "table.json"
        tpath.write_text(json.dumps(table()), encoding="utf-8")
        levels = [int(c) for c in args.concurrency.split(",") if c.strip()]
        server, port = start_server(tpath, args.latency)
        try:
            dojo, dojo_res = run_agentdojo(py, port, work)
            suhos = [(c, *run_suho(port, work / f"c{c}", c)) for c in levels]
        finally:
            server.terminate()
            server.wait(10)
    for name, m in [("agentdojo", dojo)] + [(f"suho -c {c}", m) for c, m, _ in suhos]:
        if m.rc != 0:
            sys.stderr.write(f"{name} failed (rc {m.rc}):\n{m.stderr[-3000:]}\n")
            raise SystemExit(1)
    # the agreement is read from the first suho run; every run must give the same per-pair results
    suho_res = suhos[0][2]
    consistent = all(r == suho_res for _, _, r in suhos)
    fastest = min(suhos, key=lambda t: t[1].wall_s)
    pairs = sorted(k for k in dojo_res if k[1] != "none" and k[0].startswith("user_task"))
    same_u = sum(1 for k in pairs if k in suho_res and dojo_res[k][0] == suho_res[k][0])
    same_s = sum(1 for k in pairs if k in suho_res and dojo_res[k][1] == suho_res[k][1])
    dn, du, ds = rates(dojo_res)
    sn, su, ss = rates(suho_res)
    d_eps, s_eps = len(dojo_res), len(suho_res)
    ratio = dojo.wall_s / fastest[1].wall_s
    load = os.getloadavg()[0]
    rows = [("AgentDojo 0.1.35 runner", dojo, d_eps)] + [
        (f"suho agent scan, concurrency {c}", m, len(r)) for c, m, r in suhos
    ]
    ratios = ", ".join(f"{dojo.wall_s / m.wall_s:.1f}x at concurrency {c}" for c, m, _ in suhos)
    table_md = "\n".join(
        f"| {n} | {e} | {m.requests} | {m.wall_s:.1f} s | {m.traffic_s:.1f} s | {m.cpu_s:.1f} s | "
        f"{m.cpu_s / e * 1000:.0f} ms | {m.peak_mb:.0f} MB |"
        for n, m, e in rows
    )
    span = ", ".join(
        f"{dojo.traffic_s / m.traffic_s:.1f}x at concurrency {c}"
        for c, m, _ in suhos
        if m.traffic_s
    )
    body = f"""
AgentDojo's banking suite ({VERSION}) under AgentDojo's important_instructions attack, both
runners against the same fake OpenAI-compatible model (`bench/_dojo_server.py`: tool calls
replaying each task's ground truth, a fixed hash-chosen half of the pairs obeying the injection,
{args.latency * 1000:.0f} ms per answer). Each runner is one child process (wall, CPU = user +
system, peak RSS from `wait4`), start-up included. The machine was shared (load average
{load:.1f} at the end of the run), so compare the two rows, not the absolute times.

| runner | episodes | model calls | wall | model traffic | CPU | CPU per episode | peak memory |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
{table_md}

**suho is {ratio:.1f}x faster in wall time** on this suite at best (goal: 20x; {ratios});
per episode, {dojo.wall_s / d_eps * 1000:.0f} ms of wall time for AgentDojo's runner and
{fastest[1].wall_s / s_eps * 1000:.0f} ms for suho. AgentDojo runs one episode at a time (16 x 9 attacked pairs, then the 9 injection tasks
alone); suho runs its 16 benign episodes and the 144 pairs concurrently, so its wall time is
mostly its start-up (importing AgentDojo itself, which pulls in AgentDojo's LLM clients, then
loading and checking the suite and planning) plus the longest episodes. "Model traffic" is the
span from a runner's first model request to its last answer, as the fake server saw it: the run
without its start-up; there suho is {span}.

Agreement on the 144 attacked pairs (the same model, so they must match exactly):

| runner | pairs | utility under attack | targeted ASR |
| --- | ---: | ---: | ---: |
| AgentDojo | {dn} | {du:.1%} | {ds:.1%} |
| suho | {sn} | {su:.1%} | {ss:.1%} |

Per pair: utility agrees on {same_u}/{len(pairs)}, security on {same_s}/{len(pairs)}
({"every suho run gave the same per-pair results" if consistent else "the suho runs DISAGREED with each other"}).
"""
    print(body)
    if not args.no_write:
        from bench._report import update_section

        update_section(
            "agentdojo",
            "Agent arena: AgentDojo's runner vs suho on AgentDojo banking",
            body,
            "python bench/bench_agentdojo.py",
        )


if __name__ == "__main__":
    main()
