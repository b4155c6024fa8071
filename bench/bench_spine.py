"""Scan-engine benchmark: suho against the fake server, side by side with the peers.

Jobs (all against tests/fake_server.py on loopback):
- ``latency``: 300 prompts, 200 ms server latency, concurrency 32 (lower bound 10 waves x 0.2 s
  = 1.9-2.0 s). Wall time, CPU per attempt and peak RSS of the whole `suho scan` process.
- ``help``: `suho --help` wall time (lazy imports).
- ``soak``: N attempts (default 100,000) against a zero-latency server; RSS sampled through the
  run shows whether memory grows with the run.
- peers: the same 300 prompts through garak, Inspect and PyRIT, each in its own virtualenv made
  by ``bench/peers/setup.sh`` (see bench/peers/README.md); skipped with a note when absent.

Run: ``python bench/bench_spine.py [--soak N] [--no-peers]`` (writes docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bench._proc import rss_mb  # noqa: E402
from bench._report import update_section  # noqa: E402

PROMPT_COUNT = 300
CONCURRENCY = 32
LATENCY_MS = 200


@dataclass
class Measure:
    wall: float
    cpu: float
    rss_mb: float
    ok: bool
    note: str = ""


def start_server(tmp: Path, *args: str) -> tuple[subprocess.Popen[str], int, Path]:
    log = tmp / f"req-{time.monotonic_ns()}.jsonl"
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests" / "fake_server.py"),
            "--port",
            "0",
            "--log",
            str(log),
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline().split()[1])
    return proc, port, log


def prompts(n: int = PROMPT_COUNT) -> list[str]:
    """Benchmark prompts: harmless, distinct, KO and EN."""
    out = []
    for i in range(n):
        out.append(
            f"벤치마크 질문 {i}: 오늘 날씨에 맞는 옷차림을 추천해 주세요."
            if i % 2
            else f"Benchmark question {i}: suggest an outfit for today's weather."
        )
    return out


def write_probes(path: Path, items: list[str]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for i, p in enumerate(items):
            f.write(json.dumps({"id": f"b{i:05d}", "prompt": p}, ensure_ascii=False) + "\n")


def timed(
    cmd: list[str],
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    sampler: Callable[[int], None] | None = None,
) -> Measure:
    """Run ``cmd``; wall time, CPU (user+sys) and peak RSS of it and its children.

    The figures come from ``wait4`` on that one process, so an earlier, bigger process (a peer
    run before it) cannot leak into its peak RSS the way ``RUSAGE_CHILDREN`` would.
    """
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, env=env, cwd=cwd)
        if sampler is not None:
            threading.Thread(target=sampler, args=(proc.pid,), daemon=True).start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        tail = (err.read() or out.read())[-400:] if proc.returncode else ""
    return Measure(
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        proc.returncode == 0,
        tail,
    )


def suho_bin() -> str:
    exe = Path(sys.executable).parent / "suho"
    return str(exe) if exe.exists() else "suho"


def scan_cmd(port: int, probes: Path, db: Path, out: Path) -> list[str]:
    """``suho scan`` of ``probes`` against the fake server on ``port``, quietly."""
    return [
        suho_bin(),
        "scan",
        "--target",
        "openai:fake",
        "--base-url",
        f"http://127.0.0.1:{port}/v1",
        "--probes",
        str(probes),
        "--concurrency",
        str(CONCURRENCY),
        "--db",
        str(db),
        "--out",
        str(out),
        "-q",
    ]


def suho_scan(tmp: Path, port: int, probes: Path, tag: str) -> Measure:
    """One timed ``suho scan`` of ``probes`` into a fresh store."""
    return timed(scan_cmd(port, probes, tmp / f"suho-{tag}.db", tmp / "rep"))


def bench_help(repeat: int = 5) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([suho_bin(), "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return times


# The libraries a scan stands on, as a scan imports them (aiohttp through suho's HTTP module).
LIBRARIES = {
    "SQLAlchemy": "import sqlalchemy, sqlalchemy.dialects.sqlite",
    "aiohttp": "import suho.targets._http",
    "Typer": "import typer",
    "pydantic": "import pydantic",
    "Jinja2": "import jinja2",
}


def bench_imports(repeat: int = 3) -> dict[str, float]:
    """CPU seconds to import each library (and all together) in a fresh interpreter, less the
    interpreter's own start-up; medians of ``repeat``."""

    def cpu(code: str) -> float:
        return statistics.median(timed([sys.executable, "-c", code]).cpu for _ in range(repeat))

    base = cpu("pass")
    out = {name: cpu(code) - base for name, code in LIBRARIES.items()}
    out["all"] = cpu("; ".join(LIBRARIES.values())) - base
    return out


def bench_soak(tmp: Path, n: int) -> dict[str, Any]:
    proc, port, _log = start_server(tmp, "--policy", "alternate")
    try:
        probes = tmp / "soak.jsonl"
        write_probes(probes, [f"soak prompt {i}" for i in range(n)])
        db = tmp / "soak.db"
        # (RSS in MB, attempts finished so far): the finished count, read from the store, tells
        # the scan phase (memory must stay flat) from the report written at the end.
        samples: list[tuple[float, int]] = []

        def finished() -> int:
            try:
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.2) as c:
                    row = c.execute("SELECT count(*) FROM attempts WHERE status != 'pending'")
                    return int(row.fetchone()[0])
            except sqlite3.Error:
                return 0

        def sample(pid: int) -> None:
            while (r := rss_mb(pid)) is not None:
                samples.append((r, finished()))
                time.sleep(0.5)

        # The fake server's log would dominate the disk; run it without one for the soak.
        m = timed(scan_cmd(port, probes, db, tmp / "rep"), sampler=sample)
    finally:
        proc.kill()
    scan = [r for r, done in samples if 0 < done < n]
    after = [r for r, done in samples if done >= n]
    q = max(1, len(scan) // 4)
    return {
        "n": n,
        "wall": m.wall,
        "cpu": m.cpu,
        "ok": m.ok,
        "note": m.note,
        "rss_first_quarter": max(scan[:q]) if scan else 0.0,
        "rss_last_quarter": max(scan[-q:]) if scan else 0.0,
        "rss_report": max(after) if after else 0.0,
        "rss_peak": m.rss_mb,
        "rate": n / m.wall if m.wall else 0,
    }


def peer_runners(tmp: Path, port: int, probes_file: Path) -> dict[str, Callable[[], Measure] | str]:
    """For each peer, a function that runs its runner from bench/peers/ once in its own venv
    (bench/.peers/<name>), or why it cannot run."""
    runners: dict[str, Callable[[], Measure] | str] = {}
    for name in ("garak", "inspect", "pyrit"):
        venv = ROOT / "bench" / ".peers" / name
        runner = ROOT / "bench" / "peers" / f"run_{name}.py"
        py = venv / "bin" / "python"
        if not py.exists() or not runner.exists():
            runners[name] = "not installed (bash bench/peers/setup.sh)"
            continue
        # The same footing as suho's warm-up run: the peer's byte-code compiled beforehand.
        subprocess.run(
            [str(py), "-m", "compileall", "-q", "-j", "0", str(venv / "lib")], capture_output=True
        )

        def run(name: str = name, py: Path = py, runner: Path = runner) -> Measure:
            work = Path(tempfile.mkdtemp(prefix=f"peer-{name}-", dir=tmp))
            return timed(
                [
                    str(py),
                    str(runner),
                    "--base-url",
                    f"http://127.0.0.1:{port}/v1",
                    "--prompts",
                    str(probes_file),
                    "--concurrency",
                    str(CONCURRENCY),
                    "--workdir",
                    str(work),
                ],
                env={**os.environ, "OPENAI_API_KEY": "sk-bench", "HOME": str(work)},
                cwd=work,
            )

        runners[name] = run
    return runners


def side_by_side(
    tmp: Path, port: int, probes: Path, one: Path, repeat: int, with_peers: bool
) -> tuple[list[Measure], list[Measure], dict[str, list[Measure] | str]]:
    """suho and each peer in rounds (suho, suho on one prompt, garak, inspect, pyrit; ``repeat``
    times), so a change in the machine's speed during the benchmark touches every tool alike; the
    ratios compare medians. The one-prompt scan is suho's fixed cost, measured in the same round
    as the full scan so that their difference is what the further attempts cost."""
    runners = peer_runners(tmp, port, probes) if with_peers else {}
    suho_scan(tmp, port, probes, "warm")
    suho_scan(tmp, port, one, "warm-one")
    ours: list[Measure] = []
    fixed: list[Measure] = []
    theirs: dict[str, list[Measure] | str] = {
        n: [] if callable(r) else r for n, r in runners.items()
    }
    for i in range(repeat):
        ours.append(suho_scan(tmp, port, probes, f"round-{i}"))
        fixed.append(suho_scan(tmp, port, one, f"one-{i}"))
        for name, r in runners.items():
            got = theirs[name]
            if not callable(r) or isinstance(got, str):
                continue
            m = r()
            if m.ok:
                got.append(m)
            else:
                theirs[name] = f"failed: {m.note}"
    return ours, fixed, theirs


def load_avg() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--soak", type=int, default=100_000, help="attempts in the memory soak (0 to skip)"
    )
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    # Measure what a user's machine does: byte-code is cached after the first run. (Some
    # sandboxes set PYTHONDONTWRITEBYTECODE, which makes every tool recompile on every start.)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    tmp = Path(tempfile.mkdtemp(prefix="suho-bench-"))
    load_before = load_avg()
    try:
        proc, port, _log = start_server(
            tmp, "--latency-ms", str(LATENCY_MS), "--policy", "alternate"
        )
        try:
            probes = tmp / "probes.jsonl"
            write_probes(probes, prompts())
            one = tmp / "one.jsonl"
            write_probes(one, prompts(1))
            ours, fixed, peer = side_by_side(tmp, port, probes, one, a.repeat, not a.no_peers)
            helps = bench_help()
            imports = bench_imports()
        finally:
            proc.kill()
        soak = bench_soak(tmp, a.soak) if a.soak else None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def row(name: str, ms: list[Measure], ratio: str) -> str:
        wall = statistics.median(m.wall for m in ms)
        cpu = statistics.median(m.cpu for m in ms) / PROMPT_COUNT * 1000
        rss = max(m.rss_mb for m in ms)
        walls = ", ".join(f"{m.wall:.2f}" for m in ms)
        return f"| {name} | {wall:.2f} ({walls}) | {cpu:.2f} | {rss:.0f} | {ratio} |"

    med_wall = statistics.median(m.wall for m in ours)
    lines = [
        f"Job: {PROMPT_COUNT} prompts, fake server latency {LATENCY_MS} ms, concurrency {CONCURRENCY} "
        f"(lower bound {PROMPT_COUNT // CONCURRENCY + 1} waves x 0.2 s ≈ 2.0 s). Load average before: {load_before}.",
        f"Each tool ran {len(ours)} times, in rounds (suho, garak, inspect, pyrit), so a change in "
        "the machine's speed touches all alike; figures are medians, all runs in brackets.",
        "",
        "| tool | wall, median (s) | CPU per attempt (ms) | peak RSS (MB) | suho is faster by |",
        "|---|---:|---:|---:|---:|",
        row("suho", ours, "1.0x"),
    ]
    for name, got in peer.items():
        if isinstance(got, list) and got:
            ratio = statistics.median(m.wall for m in got) / med_wall
            lines.append(row(name, got, f"{ratio:.1f}x"))
        else:
            lines.append(f"| {name} | – | – | – | {got or 'no run'} |")
    fixed_cpu = statistics.median(m.cpu for m in fixed)
    floor_ms = imports["all"] / PROMPT_COUNT * 1000
    per_attempt = statistics.median(
        (m.cpu - f.cpu) / (PROMPT_COUNT - 1) for m, f in zip(ours, fixed, strict=True)
    )
    lines += [
        "",
        f"suho's CPU, split: a one-prompt scan with the same options, run in each round right "
        f"after the full one, costs {fixed_cpu:.2f} s (interpreter start-up, imports, the store, "
        f"both reports; median of {len(fixed)}), and each further attempt "
        f"{per_attempt * 1000:.2f} ms (request, response parsing, detectors, store write; median "
        "of the rounds' differences).",
        "",
        f"Of that fixed cost, importing the libraries the spine is built on takes "
        f"{imports['all']:.2f} s together ("
        + ", ".join(f"{name} {imports[name]:.2f}" for name in LIBRARIES)
        + " s, each alone in a fresh interpreter; medians of 3): "
        f"{floor_ms:.1f} ms per attempt of this {PROMPT_COUNT}-prompt job before any work is "
        f"done (so its CPU per attempt in the table {'cannot' if floor_ms > 2 else 'can'} reach "
        "2 ms with these libraries; the soak below spreads start-up over its whole run).",
        "",
        f"`suho --help`: median {statistics.median(helps):.3f} s over {len(helps)} runs.",
    ]
    if soak:
        lines += [
            "",
            f"Soak: {soak['n']:,} attempts against a zero-latency server in {soak['wall']:.0f} s "
            f"({soak['rate']:.0f} attempts/s, CPU {soak['cpu'] / soak['n'] * 1000:.2f} ms/attempt); "
            f"while scanning, RSS max in the first quarter {soak['rss_first_quarter']:.0f} MB, last "
            f"quarter {soak['rss_last_quarter']:.0f} MB "
            f"({'memory flat' if soak['rss_last_quarter'] <= soak['rss_first_quarter'] * 1.15 + 5 else 'memory GREW'}); "
            f"writing the HTML and JSON reports of all {soak['n']:,} attempts at the end, "
            f"{soak['rss_report']:.0f} MB; peak of the process and its report workers "
            f"{soak['rss_peak']:.0f} MB." + ("" if soak["ok"] else f" FAILED: {soak['note']}"),
        ]
    body = "\n".join(lines)
    print(body)
    update_section("spine", "Scan engine (issue 2)", body, "python bench/bench_spine.py")


if __name__ == "__main__":
    main()
