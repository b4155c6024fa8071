"""Shared bits of the peer runners (standard library only: each runner runs in its peer's venv).

Every runner takes the same arguments as bench/bench_spine.py passes them, reads the benchmark's
JSONL prompt file (one ``{"id", "prompt"}`` object a line) and must exit non-zero when the tool
did not send every prompt exactly once, or did not finish within ``--timeout`` seconds (a tool
that retries a failing server forever must fail the benchmark row, not hang it).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path


def parse_args(tool: str) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=f"Send the benchmark prompts through {tool}.")
    ap.add_argument(
        "--base-url",
        required=True,
        help="OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1",
    )
    ap.add_argument(
        "--prompts", type=Path, required=True, help="JSONL file of {id, prompt} objects"
    )
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument(
        "--workdir", type=Path, required=True, help="where the tool may write its logs and state"
    )
    ap.add_argument("--model", default="fake", help="model name sent to the endpoint")
    ap.add_argument("--timeout", type=int, default=900, help="give up (exit 124) after this many s")
    a = ap.parse_args()
    host = a.base_url.split("//", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
    if host not in ("127.0.0.1", "localhost", "::1"):
        ap.error("the peer benchmark only talks to a server on loopback")
    a.workdir.mkdir(parents=True, exist_ok=True)
    watchdog(tool, a.timeout)
    return a


def watchdog(tool: str, seconds: int) -> None:
    """Exit 124 after ``seconds``, whatever the tool is doing (SIGALRM; the main thread's loop)."""

    def expire(signum: int, frame: object) -> None:
        sys.stderr.write(f"{tool}: not finished after {seconds} s, giving up\n")
        sys.stderr.flush()
        os._exit(124)

    signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)


def read_prompts(path: Path) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                out.append((str(obj["id"]), str(obj["prompt"])))
            except (ValueError, KeyError, TypeError) as e:
                sys.exit(f"{path}:{n}: not a {{id, prompt}} JSON object ({e})")
    if not out:
        sys.exit(f"{path}: no prompts")
    if len({p for _, p in out}) != len(out):
        sys.exit(f"{path}: prompts must be distinct (the check counts each one)")
    return out


def check_sent(tool: str, expected: list[str], sent: Iterable[str], answered: int) -> None:
    """Exit 1 unless each expected prompt was sent exactly once and each got an answer."""
    seen = Counter(sent)
    want = Counter(expected)
    missing = sum((want - seen).values())
    extra = sum((seen - want).values())
    if missing or extra or answered != len(expected):
        sys.exit(
            f"{tool}: expected {len(expected)} prompts sent once each and answered; "
            f"missing {missing}, extra {extra}, answered {answered}"
        )
    print(f"{tool}: {len(expected)} prompts sent once each, {answered} answered")
