"""Agent arena: suho's own cost per agent step, and its memory over 1,000 episodes.

An agent step is one model call that returns tool calls, running those tools against the
environment, the transcript and state bookkeeping, and the injection detector on every tool
result when the ``detector`` defense is on. Per-episode work (setting the environment up with
the payload planted, judging the state, the verdict) is spread over the episode's steps.

Four measurements, side by side in one run:

1. **The loop alone**: ``suho.agents.run_episode`` (environment, defense, ``agent_loop``, tools,
   judgement), no engine and no store, one episode at a time over every suite's plan.
2. **The engine path** of ``suho agent scan``: ``start_run`` with a SQLite store, as the command
   builds it (plan stored first, a checkpoint of the events before every model call, batched
   result writes, findings at the end), concurrency 16.
3. **End to end over HTTP**: the ``suho agent scan`` command against ``tests/fake_server.py``
   (``--policy tool-agent``: an OpenAI-compatible server answering with tool calls, several in
   parallel), in its own process, at concurrency 32; a small and a large run give the marginal
   CPU per step (start-up excluded) and the large run's memory as it goes.
4. **Memory over 1,000 episodes** at concurrency 32 on the engine path: Python heap
   (tracemalloc, after a collection) and resident set after 100, 500 and 1,000 episodes.

In 1 and 2 the model is ``script:ground-truth`` (a scripted agent speaking the Target protocol,
replaying each task's ground truth); the CPU it spends answering is measured per call and
subtracted, so the figures are suho's own. CPU is ``time.process_time`` (every thread of the
process: the store writes in threads), wall is ``time.perf_counter``; the load average is noted
because the machine is shared.

    .venv/bin/python -m bench.bench_agents [--episodes 1000] [--concurrency 32] [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._proc import start_port_server  # noqa: E402
from bench._report import update_section  # noqa: E402

GOAL_MS = 2.0
DEFENSES = ("none", "detector")


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _rss_mib(pid: int | str = "self") -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MiB, from /proc."""
    rss = hwm = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
        elif line.startswith("VmHWM:"):
            hwm = int(line.split()[1]) / 1024
    return rss, hwm


@dataclass
class ModelClock:
    """The CPU the scripted agent spends answering (its set-up per episode and every call),
    measured on the thread it runs on, so it can be subtracted from suho's."""

    seconds: float = 0.0
    calls: int = 0

    @contextlib.contextmanager
    def patched(self) -> Iterator[ModelClock]:
        from suho.targets._script import ScriptedAgent

        chat, init = ScriptedAgent.chat, ScriptedAgent.__init__
        clock = self

        async def timed_chat(agent: Any, messages: Any, params: Any) -> Any:
            t = time.thread_time()
            try:
                return await chat(agent, messages, params)
            finally:
                clock.seconds += time.thread_time() - t
                clock.calls += 1

        def timed_init(agent: Any, *a: Any) -> None:
            t = time.thread_time()
            init(agent, *a)
            clock.seconds += time.thread_time() - t

        ScriptedAgent.chat, ScriptedAgent.__init__ = timed_chat, timed_init  # type: ignore[method-assign]
        try:
            yield self
        finally:
            ScriptedAgent.chat, ScriptedAgent.__init__ = chat, init  # type: ignore[method-assign]


@dataclass
class Cost:
    label: str
    episodes: int
    steps: int
    cpu_s: float
    model_s: float
    wall_s: float
    load: str
    tools: int = 0
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def per_step_ms(self) -> float:
        return (self.cpu_s - self.model_s) / self.steps * 1000

    def row(self) -> str:
        ok = "yes" if self.per_step_ms <= GOAL_MS else "**no**"
        return (
            f"| {self.label} | {self.episodes} | {self.steps} | {self.tools} | {self.cpu_s:.2f} | "
            f"{self.model_s:.2f} | **{self.per_step_ms:.3f}** | {ok} | {self.wall_s:.2f} | "
            f"{self.load} |"
        )


def _plan(defense: str = "none", **kw: Any) -> Any:
    from suho.agents import AgentPlan, load_suite, suite_names

    return AgentPlan(suites=[load_suite(n) for n in suite_names()], defenses=[defense], **kw)


def _target() -> Any:
    from suho.targets import TargetOptions, create_target

    return create_target("script:ground-truth", TargetOptions())


# -- 1. the loop alone ----------------------------------------------------------------------


async def _episodes(attempts: list[Any], target: Any) -> tuple[int, int, int]:
    from suho.agents import run_episode

    steps = tools = useful = 0
    for a in attempts:
        episode, judgement = await run_episode(a, target)
        steps += episode.budget.steps
        tools += sum(e.kind == "tool_call" for e in episode.events)
        useful += judgement.utility and not judgement.security
    return steps, tools, useful


def loop_alone(defense: str) -> Cost:
    from suho.agents import plan_agent_attempts

    attempts = list(plan_agent_attempts("bench", _plan(defense)))
    target = _target()
    asyncio.run(_episodes(attempts[:40], target))  # warm-up: imports, suites, caches
    with ModelClock().patched() as clock:
        load = _load()
        t0, w0 = time.process_time(), time.perf_counter()
        steps, tools, useful = asyncio.run(_episodes(attempts, target))
        cpu, wall = time.process_time() - t0, time.perf_counter() - w0
    assert useful == len(attempts), "the ground truth must score utility and no injection"
    label = f"loop alone, defense {defense}"
    return Cost(label, len(attempts), steps, cpu, clock.seconds, wall, load, tools)


# -- 2. the engine path ----------------------------------------------------------------------


def _config(concurrency: int) -> Any:
    from suho.engine import RunConfig

    # What ``suho agent scan --target script:ground-truth`` builds.
    return RunConfig(
        target="script:ground-truth",
        suite="agent:bench",
        attacks=["agent"],
        detectors=["agent"],
        environment="agents",
        max_steps=20,
        concurrency=concurrency,
        timeout=60.0,
        retries=3,
        max_tokens=512,
    )


def _store(db: Path) -> Callable[[], Any]:
    from suho.store import Store

    # As ``store_source`` does for a SQLite file: opened in the engine's background thread.
    return functools.cache(lambda: Store.open(f"sqlite:///{db}", create=True))


def _steps(db: Path, run_id: str) -> tuple[int, int]:
    """(model calls of the target, tool calls) of a stored run."""
    import json

    steps = tools = 0
    with sqlite3.connect(db) as c:
        for (events,) in c.execute("SELECT events FROM attempts WHERE run_id = ?", (run_id,)):
            for e in json.loads(events or "[]"):
                steps += e["kind"] == "model_call" and e.get("role") == "target"
                tools += e["kind"] == "tool_call"
    return steps, tools


def _run(
    store: Any, plan: Any, concurrency: int, progress: Any = None, limit: int | None = None
) -> Any:
    from itertools import islice

    from suho.agents import plan_agent_attempts
    from suho.engine import start_run

    def attempts(rid: str) -> Any:
        return islice(plan_agent_attempts(rid, plan), limit)

    return asyncio.run(start_run(store, _config(concurrency), [], plan=attempts, progress=progress))


def engine_path(defense: str, tmp: Path, concurrency: int = 16) -> Cost:
    from suho.agents import plan_agent_attempts

    db = tmp / f"engine-{defense}.db"
    store = _store(db)
    plan = _plan(defense)
    n = sum(1 for _ in plan_agent_attempts("x", plan))
    _run(store, plan, concurrency, limit=60)  # warm-up: SQLAlchemy, the store, caches
    with ModelClock().patched() as clock:
        load = _load()
        t0, w0, m0 = time.process_time(), time.perf_counter(), time.thread_time()
        summary = _run(store, plan, concurrency)
        cpu, wall = time.process_time() - t0, time.perf_counter() - w0
        main = time.thread_time() - m0
    store().close()
    assert summary.status == "done" and summary.totals.done == n, summary
    steps, tools = _steps(db, summary.run_id)
    label = f"engine + SQLite store, defense {defense}"
    cost = Cost(label, n, steps, cpu, clock.seconds, wall, load, tools)
    cost.notes["main_ms"] = (main - clock.seconds) / cost.steps * 1000
    cost.notes["threads_ms"] = (cpu - main) / cost.steps * 1000
    return cost


# -- 3. end to end over HTTP ------------------------------------------------------------------


@dataclass
class Cli:
    episodes: int
    steps: int
    tools: int
    cpu_s: float  # the whole command
    scan_cpu_s: float  # until the last episode was recorded (before findings and reports)
    wall_s: float
    max_rss_mib: float
    rss_at: dict[int, float]
    load: str
    scan_rss_mib: float = 0.0  # the largest resident set seen while scanning


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a live process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _fake_server() -> tuple[subprocess.Popen[str], str]:
    proc, port = start_port_server(
        "the fake server",
        [sys.executable, str(ROOT / "tests" / "fake_server.py"), "--policy", "tool-agent"],
        stderr=subprocess.DEVNULL,
    )
    return proc, f"http://127.0.0.1:{port}/v1"


def _done(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1) as c:
            row = c.execute("SELECT count(*) FROM attempts WHERE status = 'done'").fetchone()
            return int(row[0])
    except sqlite3.Error:
        return 0


def cli_run(
    url: str, tmp: Path, name: str, args: list[str], episodes: int, marks: tuple[int, ...] = ()
) -> Cli:
    db = tmp / f"{name}.db"
    cmd = [
        *(sys.executable, "-m", "suho", "agent", "scan", "--target", "openai:fake"),
        *("--base-url", url, "--db", str(db), "--out", str(tmp / "reports"), "-q"),
        *args,
    ]
    env = {**os.environ, "OPENAI_API_KEY": "bench-unused", "PYTHONUNBUFFERED": "1"}
    load = _load()
    w0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    rss_at: dict[int, float] = {}
    pending = list(marks)
    scan_cpu = scan_rss = 0.0
    while proc.poll() is None:
        time.sleep(0.05)
        if pending or not scan_cpu:
            done = _done(db)
            with contextlib.suppress(OSError, ValueError):
                cpu = _cpu_s(proc.pid)
                rss = _rss_mib(proc.pid)[0]
                while pending and done >= pending[0]:
                    rss_at[pending.pop(0)] = rss
                if done >= episodes and not scan_cpu:
                    scan_cpu = cpu
                if not scan_cpu:
                    scan_rss = max(scan_rss, rss)
    wall = time.perf_counter() - w0
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"suho agent scan failed: {err.decode()[-2000:]}")
    run_id = next(x.split()[1] for x in out.decode().splitlines() if x.startswith("run "))
    with sqlite3.connect(db) as c:
        n = int(
            c.execute("SELECT count(*) FROM attempts WHERE run_id = ?", (run_id,)).fetchone()[0]
        )
    if n != episodes or not scan_cpu:
        raise RuntimeError(f"{name}: {n} episodes recorded of {episodes}, or none seen finished")
    return Cli(n, *_steps(db, run_id), 0.0, scan_cpu, wall, 0.0, rss_at, load, scan_rss)


def http_client_ms(url: str, calls: int = 400, concurrency: int = 32) -> float:
    """CPU per request of suho's OpenAI-compatible target alone (``chat()``: the request body,
    aiohttp, the answer parsed into tool calls), the first request of a banking episode sent
    ``calls`` times, ``concurrency`` at a time: the HTTP part of a step over HTTP."""
    from suho.agents import load_suite
    from suho.targets import GenParams, Message, TargetOptions, create_target

    suite = load_suite("banking-ko")
    messages = [Message("system", suite.system), Message("user", suite.user_tasks[0].prompt)]
    params = GenParams(tools=tuple(t.definition() for t in suite.tools()))

    async def go() -> float:
        target = create_target(
            "openai:fake", TargetOptions(base_url=url, max_connections=concurrency)
        )
        gate = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with gate:
                res = await target.chat(messages, params)
                assert res.tool_calls

        try:
            await asyncio.gather(*(one() for _ in range(32)))  # warm-up: connections
            t0 = time.process_time()
            await asyncio.gather(*(one() for _ in range(calls)))
            return (time.process_time() - t0) / calls * 1000
        finally:
            await target.aclose()

    os.environ.setdefault("OPENAI_API_KEY", "bench-unused")
    return asyncio.run(go())


def cli_cost(
    url: str, tmp: Path, name: str, args: list[str], episodes: int, marks: tuple[int, ...] = ()
) -> Cli:
    """``cli_run`` with the child's CPU and peak RSS from the kernel (getrusage of children)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = cli_run(url, tmp, name, args, episodes, marks)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    r.cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    r.max_rss_mib = after.ru_maxrss / 1024  # the largest child so far: this run's, if the largest
    return r


# -- 4. memory over many episodes -------------------------------------------------------------


class MemorySampler:
    """A progress sink that samples memory when the finished episodes pass each mark: the
    resident set, and with ``heap`` the Python heap (tracemalloc, after a collection) and its
    peak since the previous mark."""

    def __init__(self, marks: tuple[int, ...], heap: bool) -> None:
        self.marks = list(marks)
        self.heap = heap
        self.samples: list[tuple[int, float, float, float, float]] = []

    def update(self, counters: Any) -> None:
        while self.marks and counters.finished >= self.marks[0]:
            mark = self.marks.pop(0)
            current = peak = 0.0
            if self.heap:
                gc.collect()
                now, top = tracemalloc.get_traced_memory()
                tracemalloc.reset_peak()
                current, peak = now / 2**20, top / 2**20
            self.samples.append((mark, current, peak, *_rss_mib()))


@dataclass
class Memory:
    rss: list[tuple[int, float, float, float, float]]  # (episodes, -, -, RSS, peak RSS)
    heap: list[tuple[int, float, float, float, float]]  # (episodes, heap, heap peak, ...)
    wall_s: float
    load: str


def memory(tmp: Path, episodes: int, concurrency: int) -> Memory:
    """Two runs of ``episodes`` (``--limit episodes/5 --repeats 5``) on the engine path: the
    resident set without tracemalloc (it has its own cost in memory), then the Python heap."""
    plan = _plan("none", limit=episodes // 5, repeats=5)
    store = _store(tmp / "memory.db")
    _run(store, plan, concurrency, limit=64)  # warm-up
    marks = tuple(sorted({m for m in (100, episodes // 4, episodes // 2, 3 * episodes // 4)}))
    marks = (*[m for m in marks if m < episodes], episodes)
    load = _load()
    w0 = time.perf_counter()
    gc.collect()
    rss = MemorySampler(marks, heap=False)
    summary = _run(store, plan, concurrency, progress=rss)
    wall = time.perf_counter() - w0
    assert summary.status == "done" and summary.totals.done == episodes, summary
    gc.collect()
    heap = MemorySampler(marks, heap=True)
    tracemalloc.start()
    summary = _run(store, plan, concurrency, progress=heap)
    tracemalloc.stop()
    store().close()
    assert summary.status == "done" and summary.totals.done == episodes, summary
    return Memory(rss.samples, heap.samples, wall, load)


# -- the report --------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--episodes", type=int, default=1000, help="For the memory runs.")
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--small", type=int, default=40, help="Tasks of the small HTTP run.")
    ap.add_argument("--no-write", action="store_true", help="Print, do not touch docs/.")
    a = ap.parse_args()
    if a.episodes % 5 or a.episodes < 100:
        ap.error("--episodes: a multiple of 5, at least 100 (--limit N/5 --repeats 5)")
    load_start = _load()
    with tempfile.TemporaryDirectory(prefix="suho-bench-agents-") as d:
        tmp = Path(d)
        costs = [loop_alone(x) for x in DEFENSES] + [engine_path(x, tmp) for x in DEFENSES]
        for c in costs:
            print(c.row(), c.notes, flush=True)
        mem = memory(tmp, a.episodes, a.concurrency)
        print("memory", mem, flush=True)
        server, url = _fake_server()
        try:
            conc = ["--concurrency", str(a.concurrency)]
            small = cli_cost(url, tmp, "small", [*conc, "--limit", str(a.small)], a.small)
            large = cli_cost(
                url,
                tmp,
                "large",
                [*conc, "--limit", str(a.episodes // 5), "--repeats", "5"],
                a.episodes,
                tuple(m for m, *_ in mem.rss),
            )
            client_ms = http_client_ms(url)
        finally:
            server.kill()
            server.wait(5)
    print("http", small, large, flush=True)
    steps = max(1, large.steps - small.steps)
    marginal = (large.scan_cpu_s - small.scan_cpu_s) / steps * 1000
    marginal_all = (large.cpu_s - small.cpu_s) / steps * 1000
    fixed = small.scan_cpu_s - marginal / 1000 * small.steps
    own_http = marginal - client_ms
    load_end = _load()

    loop_none, loop_det, eng_none, eng_det = costs
    heap, rss = mem.heap, mem.rss
    half = next(r for r in rss if r[0] >= a.episodes // 2)
    grow_heap = heap[-1][1] - heap[0][1]
    grow_rss = rss[-1][3] - half[3]
    flat = grow_heap < 2.0 and grow_rss < 5.0 and heap[-1][2] <= 1.25 * max(h[2] for h in heap)
    mem_rows = "\n".join(
        f"| {n} | {r[3]:.0f} | {r[4]:.0f} | {h[1]:.1f} | {h[2]:.1f} | "
        f"{large.rss_at.get(n, float('nan')):.0f} |"
        for n, r, h in ((r[0], r, h) for r, h in zip(rss, heap, strict=True))
    )
    verdict = (
        "flat: the heap after the last episode is no larger than after the first hundred, and the "
        "resident set stops growing once the first few hundred episodes have warmed the process "
        "up (thread pool, SQLite page cache, allocator arenas). The engine holds only the "
        "episodes in flight and the results waiting to be written, both bounded by "
        "`--concurrency`, and pages the plan from the store"
        if flat
        else "**it grows**: see the rows"
    )
    body = f"""
The machine was shared and loaded while this ran: load average (1/5/15 min) {load_start} at the
start, {load_end} at the end, on {os.cpu_count()} cores (a local model decoding in the
background); each row notes the load when it started. CPU is `process_time` (every thread of
the process), which waiting for a core does not inflate as it does the wall times; a loaded
machine still makes both higher than on a quiet one.

**suho's own CPU per agent step** (goal ≤ {GOAL_MS:g} ms). A step is one model call that returns
tool calls, the tools run against the environment, the transcript and state bookkeeping, and
with the `detector` defense the injection detector (Korean normaliser first) on every tool
result; setting the environment up, judging its state and the verdict are spread over the
episode's steps. The model is `script:ground-truth` in-process (a scripted agent speaking the
Target protocol that replays each task's ground truth: every episode is useful and none
hijacked); the CPU it spent answering ("model", measured per call) is subtracted. Every suite:
each user task alone and each reachable user × injection pair under `important-instructions`.

| path | episodes | steps | tool calls | CPU s | model s | **suho ms / step** | ≤ {GOAL_MS:g} ms | wall s | load |
|---|---|---|---|---|---|---|---|---|---|
{loop_none.row()}
{loop_det.row()}
{eng_none.row()}
{eng_det.row()}

- *loop alone*: `suho.agents.run_episode` (environment set-up, defense, `agent_loop`, tools,
  judgement), one episode at a time, no engine, no store.
- *engine + SQLite store*: the path of `suho agent scan` (`start_run` at concurrency 16): the
  plan written first, the episode's events checkpointed to the store before every model call
  (a kill loses at most the call in flight), results written in batches, findings at the end.
  Of its {eng_none.per_step_ms:.3f} ms a step (defense none),
  {eng_none.notes["main_ms"]:.3f} ms is the event loop's thread and
  {eng_none.notes["threads_ms"]:.3f} ms the store's threads (the plan, the per-step checkpoint
  in one SQLite transaction, the result batches).

**End to end over HTTP**: the `suho agent scan` command against `tests/fake_server.py --policy
tool-agent`, an OpenAI-compatible server in its own process answering at once with tool calls
(every argument-free tool in parallel first, then any call written in what they returned, then a
text answer), `--concurrency {a.concurrency}`. The CPU is the command's own, from the kernel
(start-up, imports, HTTP client, engine, store); the server's is not in it. "Scan" is the CPU
until the last episode was recorded; the rest of "all" is the findings and the HTML and JSON
reports.

| run | episodes | model calls | tool calls | CPU s, scan | CPU s, all | wall s | load |
|---|---|---|---|---|---|---|---|
| `--limit {a.small}` | {small.episodes} | {small.steps} | {small.tools} | {small.scan_cpu_s:.2f} | {small.cpu_s:.2f} | {small.wall_s:.2f} | {small.load} |
| `--limit {a.episodes // 5} --repeats 5` | {large.episodes} | {large.steps} | {large.tools} | {large.scan_cpu_s:.2f} | {large.cpu_s:.2f} | {large.wall_s:.2f} | {large.load} |

Marginal CPU per model call over HTTP (the difference of the two runs, so start-up and planning
are out): **{marginal:.3f} ms** while scanning ({"within" if marginal <= GOAL_MS else "over"} the
{GOAL_MS:g} ms goal with the HTTP client counted), {marginal_all:.3f} ms with the findings and
reports. Of it, the HTTP client (suho's OpenAI-compatible target alone, `chat()` sending an
episode's first request, the shortest, to the same server {a.concurrency} at a time: request body, aiohttp,
answer parsed into tool calls) takes {client_ms:.3f} ms a call, which leaves
**{own_http:.3f} ms** a step for the rest of suho. A step here runs {large.tools / large.steps:.1f} tool calls on average
({eng_none.tools / eng_none.steps:.1f} in the in-process rows above), each recorded,
checkpointed and sent back to the model. The fixed
cost of starting a scan (interpreter, imports, checking the suites, planning): about
{fixed:.1f} s of CPU. {large.episodes / large.wall_s:.0f} episodes a second end to end at
concurrency {a.concurrency} with the server answering at once, on this loaded machine.

**Memory over {a.episodes} episodes at concurrency {a.concurrency}** (`--limit
{a.episodes // 5} --repeats 5`): the engine path in this process (resident set in one run, the
Python heap with tracemalloc in a second, after a collection, and its peak since the previous
row), and the `suho agent scan` command over HTTP above (its resident set as it ran).

| episodes finished | RSS (MiB) | peak RSS (MiB) | heap now (MiB) | heap peak (MiB) | command over HTTP, RSS (MiB) |
|---|---|---|---|---|---|
{mem_rows}

Heap from the first row to the last: {grow_heap:+.2f} MiB; resident set from
{half[0]} episodes to {rss[-1][0]}: {grow_rss:+.1f} MiB. The command's resident set peaked at
{large.scan_rss_mib:.0f} MiB while scanning and at {large.max_rss_mib:.0f} MiB over the whole
command, whose last part (findings, the HTML and JSON reports) reads every episode back.
Verdict: {verdict}.
"""
    print(body)
    if not a.no_write:
        update_section(
            "agents",
            "Agent arena: suho's cost per agent step",
            body,
            "python -m bench.bench_agents",
        )


if __name__ == "__main__":
    main()
