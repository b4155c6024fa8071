"""Gateway overhead and load shedding, measured open-loop against a zero-latency fake upstream.

Set-up: tests/fake_server.py (zero latency) as the upstream; ``suho gateway serve`` (one uvicorn
worker, SQLite store, audit on, the classifier on every request) in front of it, with a bench
policy that lifts the per-key rate limits (the default policy would answer 429 past a few
requests a second, which is what it is for, not what is measured here). An open-loop generator
sends requests at fixed times whatever the answers do (no coordinated omission: a request's
latency counts from when it was due), first straight to the upstream, then through the gateway,
at the same rate; the added latency is the difference of the percentiles. Then a rate well past
capacity with a small ``max_in_flight`` shows the shedding: 503 + Retry-After at once, no queue.

Run: ``python bench/bench_gateway.py [--rate 500] [--seconds 4] [--no-write]``. On a shared
2-core machine keep runs short; the load generator, the gateway and the upstream share the cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PROMPT = "서울 날씨에 맞는 주말 나들이 코스를 짜 줘. Also suggest a lunch place."


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("process exited before listening") from None
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


@dataclass
class Result:
    rate: float
    sent: int
    ok: int
    codes: dict[int, int]
    p50_ms: float
    p99_ms: float
    max_ms: float
    shed_p99_ms: float | None
    timeouts: int


async def open_loop(
    url: str, key: str | None, rate: float, seconds: float, client_timeout_s: float = 10.0
) -> Result:
    import aiohttp

    n = int(rate * seconds)
    body = json.dumps(
        {"messages": [{"role": "user", "content": PROMPT}], "max_tokens": 32}
    ).encode()
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    lat_ok: list[float] = []
    lat_shed: list[float] = []
    codes: dict[int, int] = {}
    timeouts = 0
    conn = aiohttp.TCPConnector(limit=2000)
    async with aiohttp.ClientSession(
        connector=conn, timeout=aiohttp.ClientTimeout(total=client_timeout_s)
    ) as s:
        # warm-up (connections, first-request imports), not measured
        for _ in range(20):
            async with s.post(url, data=body, headers=headers) as r:
                await r.read()

        async def one(due: float) -> None:
            nonlocal timeouts
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                async with s.post(url, data=body, headers=headers) as r:
                    await r.read()
                    code = r.status
            except (TimeoutError, aiohttp.ClientError):
                timeouts += 1
                return
            ms = (time.perf_counter() - due) * 1000
            codes[code] = codes.get(code, 0) + 1
            (lat_ok if code == 200 else lat_shed).append(ms)

        start = time.perf_counter() + 0.1
        await asyncio.gather(*(one(start + i / rate) for i in range(n)))
    q = statistics.quantiles(lat_ok, n=100) if len(lat_ok) > 2 else [float("nan")] * 99
    qs = statistics.quantiles(lat_shed, n=100)[98] if len(lat_shed) > 2 else None
    return Result(
        rate,
        n,
        len(lat_ok),
        dict(sorted(codes.items())),
        q[49],
        q[98],
        max(lat_ok or [0]),
        qs,
        timeouts,
    )


def _policy(max_in_flight: int) -> str:
    from suho.gateway._policy import default_policy_text

    raw = default_policy_text().replace("max_in_flight = 256", f"max_in_flight = {max_in_flight}")
    for old, new in (
        ("rate_per_s = 5.0", "rate_per_s = 100000.0"),
        ("burst = 20\n", "burst = 100000\n"),
        ("daily_requests = 10000\n", "daily_requests = 100000000\n"),
    ):
        raw = raw.replace(old, new)
    return raw


def _gateway(
    tmp: Path, upstream: str, max_in_flight: int
) -> tuple[subprocess.Popen[bytes], int, str]:
    db = tmp / f"gw-{max_in_flight}.db"
    pol = tmp / f"policy-{max_in_flight}.toml"
    pol.write_text(_policy(max_in_flight), encoding="utf-8")
    suho = [sys.executable, "-m", "suho"]
    out = subprocess.run(
        [*suho, "gateway", "keys", "add", "--tier", "T1", "--owner", "bench", "--db", str(db)],
        capture_output=True,
        text=True,
        check=True,
    )
    key = out.stdout.strip().splitlines()[-1]
    port = _free_port()
    proc = subprocess.Popen(
        [
            *suho,
            "gateway",
            "serve",
            "--upstream",
            "openai:fake",
            "--base-url",
            upstream,
            "--policy",
            str(pol),
            "--port",
            str(port),
            "--db",
            str(db),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "OPENAI_API_KEY": "bench-unused"},
    )
    _wait_port(port, proc)
    return proc, port, key


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _row(label: str, r: Result) -> str:
    shed = "" if r.shed_p99_ms is None else f"{r.shed_p99_ms:.1f}"
    return (
        f"| {label} | {r.rate:.0f} | {r.sent} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.max_ms:.1f} | "
        f"{', '.join(f'{c}: {n}' for c, n in r.codes.items())} | {shed} | {r.timeouts} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rate", type=float, default=500.0)
    ap.add_argument(
        "--sweep", default="100,200", help="Lower rates also measured (comma-separated)."
    )
    ap.add_argument(
        "--rounds", type=int, default=3, help="Rounds at --rate (direct then gateway, interleaved)."
    )
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--overload-rate", type=float, default=400.0)
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        up_proc = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "tests" / "fake_server.py"),
                "--port",
                "0",
                "--policy",
                "comply-all",
            ],
            stdout=subprocess.PIPE,
        )
        procs.append(up_proc)
        assert up_proc.stdout is not None
        port = int(up_proc.stdout.readline().split()[1])
        upstream = f"http://127.0.0.1:{port}/v1"
        # for the shedding row: an upstream that takes 100 ms, so 16 in flight hold ~160 req/s
        slow_proc = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "tests" / "fake_server.py"),
                "--port",
                "0",
                "--policy",
                "comply-all",
                "--latency-ms",
                "100",
            ],
            stdout=subprocess.PIPE,
        )
        procs.append(slow_proc)
        assert slow_proc.stdout is not None
        slow_up = f"http://127.0.0.1:{int(slow_proc.stdout.readline().split()[1])}/v1"
        try:
            gw, gport, key = _gateway(tmp, upstream, 256)
            procs.append(gw)
            rates = sorted({float(r) for r in a.sweep.split(",") if r.strip()} | {a.rate})
            rates += [a.rate] * (max(1, a.rounds) - 1)
            pairs: list[tuple[Result, Result, float]] = []
            for rate in rates:
                d = asyncio.run(open_loop(f"{upstream}/chat/completions", None, rate, a.seconds))
                c0 = _cpu_s(gw.pid)
                v = asyncio.run(
                    open_loop(f"http://127.0.0.1:{gport}/v1/chat/completions", key, rate, a.seconds)
                )
                cpu_ms = (_cpu_s(gw.pid) - c0) * 1000 / (v.sent + 20)
                pairs.append((d, v, cpu_ms))
            main = [p for p in pairs if p[0].rate == a.rate]
            import urllib.request

            metrics = urllib.request.urlopen(f"http://127.0.0.1:{gport}/metrics").read().decode()
            gw.terminate()
            gw.wait(10)
            small, sport, skey = _gateway(tmp, slow_up, 16)
            procs.append(small)
            over = asyncio.run(
                open_loop(
                    f"http://127.0.0.1:{sport}/v1/chat/completions",
                    skey,
                    a.overload_rate,
                    min(a.seconds, 3),
                )
            )
        finally:
            for p in procs:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
    inside = [ln for ln in metrics.splitlines() if ln.startswith("suho_gateway_overhead_seconds_")]
    buckets = {
        ln.split('le="')[1].split('"')[0]: int(ln.split()[-1]) for ln in inside if "_bucket" in ln
    }
    total = buckets.get("+Inf", 0)
    within = {
        k: v / total for k, v in buckets.items() if total and k in ("0.001", "0.002", "0.005")
    }
    add50 = statistics.median(v.p50_ms - d.p50_ms for d, v, _ in main)
    add99 = statistics.median(v.p99_ms - d.p99_ms for d, v, _ in main)
    body = "\n".join(
        [
            "Open-loop load (requests sent at fixed times; latency counted from when each was due) against",
            "`tests/fake_server.py` with zero latency; the gateway is one `suho gateway serve` process (uvicorn,",
            "one worker, SQLite store, hash-chained audit log on, the Korean normaliser + `cyber-offense` +",
            "`pii-kr` + prompt-injection checks on every request and answer), T1 key, rate limits lifted.",
            f"Runs are {a.seconds:g} s per row on a 2-core machine shared with the load generator and the upstream",
            "(and with other work): short, so treat single figures with care. Load average when the run ended: "
            + ", ".join(f"{x:.1f}" for x in os.getloadavg())
            + " (1, 5, 15 min) on 2 cores.",
            "",
            "| path | req/s | sent | p50 ms | p99 ms | max ms | status codes | shed p99 ms | client timeouts |",
            "|---|---|---|---|---|---|---|---|---|",
            *[
                ln
                for d, v, _ in pairs
                for ln in (_row("upstream directly", d), _row("through the gateway", v))
            ],
            _row("gateway, max_in_flight 16, 100 ms upstream", over),
            "",
            f"**Added latency at {a.rate:.0f} req/s, median of {len(main)} rounds: p50 {add50:+.2f} ms, "
            f"p99 {add99:+.2f} ms** (gateway percentile minus direct percentile; targets: p50 <= 2 ms, "
            "p99 <= 5 ms). Rounds: "
            + "; ".join(
                f"p50 {v.p50_ms - d.p50_ms:+.2f}, p99 {v.p99_ms - d.p99_ms:+.2f}"
                for d, v, _ in main
            )
            + ".",
            "Added latency and the gateway process's CPU per request in each row: "
            + "; ".join(
                f"{v.rate:.0f} req/s: p50 {v.p50_ms - d.p50_ms:+.2f} ms, p99 {v.p99_ms - d.p99_ms:+.2f} ms, "
                f"{cpu:.2f} ms CPU"
                for d, v, cpu in pairs
            )
            + ".",
            "Time spent inside the gateway per request (its own `/metrics` histogram, upstream excluded): "
            + ", ".join(f"{float(k) * 1000:g} ms or less: {v:.1%}" for k, v in within.items())
            + ".",
            f"Shedding: with a 100 ms upstream and `max_in_flight = 16` the gateway holds about 160 req/s; offered "
            f"{a.overload_rate:.0f} req/s, the requests past the bound are answered 503 with `Retry-After: 1` "
            f"(p99 {over.shed_p99_ms if over.shed_p99_ms is not None else float('nan'):.1f} ms after they were due) "
            "instead of queueing, and the admitted ones keep the upstream's latency.",
            "A request with no key is 401 (tests/test_gateway.py).",
            "LiteLLM was not measured side by side here (optional in issue 18; not done).",
        ]
    )
    sys.stdout.write(body + "\n")
    if not a.no_write:
        from bench._report import update_section

        update_section(
            "gateway",
            "Trusted-access gateway: added latency and load shedding (issue 18)",
            body,
            f"python bench/bench_gateway.py --rate {a.rate:g} --seconds {a.seconds:g}",
        )


if __name__ == "__main__":
    main()
