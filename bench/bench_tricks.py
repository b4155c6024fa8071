"""Does a start-up trick earn its place? The spine scan with and without each one, interleaved.

suho once had three tricks that bent a library or the interpreter to shave start-up time: a patch
of ``ssl.SSLContext`` while aiohttp was imported (``ssl``), an ``os._exit`` that skipped the
interpreter's teardown (``exit``) and a thread that compiled the report template while the scan
waited on the target (``warmup``). The rule (issue 14): a trick stays only if it saves at least 5%
of the 300-prompt scan's wall time.

This script takes the source tree at ``--clean`` (default HEAD) and, for each trick, the same
tree with the files of that trick taken from ``--tricks`` (a commit that still has them), plus one
with all of them. Each variant runs the spine job of bench/bench_spine.py (300 prompts, 200 ms
latency, concurrency 32, ``suho scan -q`` into a fresh SQLite store) once per round, the order
rotating from round to round, so that a change in the machine's load touches all variants alike.
Also ``suho --help`` per variant. Figures are medians.

Run: ``python bench/bench_tricks.py --tricks 15064dd --rounds 5`` (writes docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._report import update_section  # noqa: E402
from bench.bench_spine import (  # noqa: E402
    CONCURRENCY,
    LATENCY_MS,
    PROMPT_COUNT,
    Measure,
    load_avg,
    prompts,
    start_server,
    timed,
    write_probes,
)

TRICKS: dict[str, tuple[str, ...]] = {
    "ssl": ("src/suho/targets/_http.py",),
    "exit": ("src/suho/cli/__init__.py",),
    "warmup": (
        "src/suho/cli/_common.py",
        "src/suho/cli/_scan.py",
        "src/suho/report/__init__.py",
        "src/suho/report/_html.py",
    ),
}


def git(*args: str) -> bytes:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, check=True).stdout


def build_variant(dest: Path, clean: str, tricks_ref: str, names: tuple[str, ...]) -> Path:
    """``src/`` of ``clean`` under ``dest``, with the files of the tricks ``names`` taken from
    ``tricks_ref``; returns the directory to put on PYTHONPATH."""
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(git("archive", clean, "src"))) as tar:
        tar.extractall(dest, filter="data")
    for name in names:
        for path in TRICKS[name]:
            (dest / path).write_bytes(git("show", f"{tricks_ref}:{path}"))
    return dest / "src"


def scan(src: Path, tmp: Path, port: int, probes: Path, tag: str) -> Measure:
    env = {**os.environ, "PYTHONPATH": str(src)}
    db = tmp / f"{tag}-{time.monotonic_ns()}.db"
    cmd = [sys.executable, "-m", "suho", "scan", "--target", "openai:fake"]
    cmd += ["--base-url", f"http://127.0.0.1:{port}/v1", "--probes", str(probes)]
    cmd += ["--concurrency", str(CONCURRENCY), "--db", str(db), "--out", str(tmp / tag), "-q"]
    m = timed(cmd, env=env, cwd=tmp)
    db.unlink(missing_ok=True)
    return m


def help_time(src: Path, tmp: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(src)}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "suho", "--help"], env=env, cwd=tmp, check=True,
                   capture_output=True)  # fmt: skip
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clean", default="HEAD", help="commit without the tricks")
    ap.add_argument("--tricks", required=True, help="commit that still has the tricks")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument(
        "--only", default="", help="comma-separated tricks to try (default all); 'none' always runs"
    )
    a = ap.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    tmp = Path(tempfile.mkdtemp(prefix="suho-tricks-"))
    chosen = [n for n in TRICKS if not a.only or n in a.only.split(",")]
    variants = {"none": ()} | {f"+{n}": (n,) for n in chosen}
    if len(chosen) > 1:
        variants["all"] = tuple(chosen)
    load_before = load_avg()
    try:
        srcs = {
            v: build_variant(tmp / v.strip("+"), a.clean, a.tricks, n) for v, n in variants.items()
        }
        proc, port, _ = start_server(tmp, "--latency-ms", str(LATENCY_MS), "--policy", "alternate")
        try:
            probes = tmp / "probes.jsonl"
            write_probes(probes, prompts())
            for v, src in srcs.items():  # compile byte-code, warm the page cache
                scan(src, tmp, port, probes, f"warm-{v.strip('+')}")
            walls: dict[str, list[Measure]] = {v: [] for v in variants}
            helps: dict[str, list[float]] = {v: [] for v in variants}
            order = list(variants)
            for r in range(a.rounds):
                for v in order[r % len(order) :] + order[: r % len(order)]:
                    m = scan(srcs[v], tmp, port, probes, f"r{r}-{v.strip('+')}")
                    if not m.ok:
                        raise SystemExit(f"{v}: scan failed: {m.note}")
                    walls[v].append(m)
                    helps[v].append(help_time(srcs[v], tmp))
        finally:
            proc.kill()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    base = statistics.median(m.wall for m in walls["none"])
    lines = [
        f"Job: the spine scan ({PROMPT_COUNT} prompts, {LATENCY_MS} ms latency, concurrency "
        f"{CONCURRENCY}, `suho scan -q`), {a.rounds} interleaved rounds, the order rotating; "
        f"clean tree `{a.clean}`, tricks from `{a.tricks}`. Load average before: {load_before}, "
        f"after: {load_avg()}.",
        "",
        "| variant | wall, median (s) | all runs (s) | CPU, median (s) | wall saved vs none "
        "| `suho --help`, median (s) |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for v in variants:
        ms = walls[v]
        wall = statistics.median(m.wall for m in ms)
        cpu = statistics.median(m.cpu for m in ms)
        saved = (base - wall) / base * 100
        runs = ", ".join(f"{m.wall:.2f}" for m in ms)
        lines.append(
            f"| {v} | {wall:.2f} | {runs} | {cpu:.2f} | {saved:+.1f}% "
            f"| {statistics.median(helps[v]):.3f} |"
        )
    body = "\n".join(lines)
    print(body)
    update_section("tricks", "Start-up tricks (issue 14)", body, " ".join(["python", *sys.argv]))


if __name__ == "__main__":
    main()
