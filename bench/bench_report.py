"""Report benchmark: build the HTML and JSON reports of a synthetic 100,000-attempt run, measure
their size, and open the HTML page in headless Chromium.

The run is written straight into a temporary SQLite store through the Store API: 500 probes
(250 intents in Korean and English, 12 categories) × 20 transforms × 10 repeats. Responses are
a mix of refusals (a dozen templates, as real models repeat themselves when refusing) and
compliance-style texts of 150–1,200 characters drawn word by word from a generated vocabulary
of 3,000 words with Zipf frequencies (as natural language has), so they compress about as
well as real model output. Each attempt has two verdicts.

Run: ``.venv/bin/python bench/bench_report.py [--attempts 100000]`` (needs /usr/bin/chromium for
the open time; without it that column says so).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench._report import update_section  # noqa: E402
from suho.engine._plan import attempt_id  # noqa: E402
from suho.stats._findings import compute_findings  # noqa: E402
from suho.store import Store, verdicts  # noqa: E402

CATEGORIES = [
    "voice-phishing",
    "personal-data",
    "drugs-gambling",
    "sex-crime",
    "hate",
    "election",
    "cyber-offense",
    "self-harm",
    "financial-crime",
    "weapons-cbrn",
    "agent-misuse",
    "over-refusal",
]
TRANSFORMS = [
    "none",
    "jamo",
    "choseong",
    "keyboard",
    "romanize",
    "fullwidth",
    "zwsp",
    "homoglyph",
    "spacing",
    "b64",
    "rot13",
    "leet",
    "codeswitch",
    "roleplay",
    "dev-mode",
    "translate-back",
    "reverse",
    "jamo+b64",
    "keyboard+roleplay",
    "choseong+codeswitch",
]
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def vocabulary(rng: random.Random) -> tuple[list[str], list[str]]:
    syll = [chr(0xAC00 + rng.randrange(11172)) for _ in range(400)]
    ko = [
        "".join(rng.choice(syll) for _ in range(rng.randint(1, 4)))
        + rng.choice(["", "은", "는", "을", "를", "에서", "하고", "입니다."])
        for _ in range(3000)
    ]
    letters = "abcdefghijklmnopqrstuvwxyz"
    en = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 9))) for _ in range(3000)]
    return ko, en


_CUM: dict[int, list[float]] = {}


def text(rng: random.Random, words: list[str], n_chars: int) -> str:
    """Words drawn with Zipf frequencies (rank r has weight 1/r), as in natural language."""
    cum = _CUM.get(id(words))
    if cum is None:
        total, cum = 0.0, []
        for r in range(1, len(words) + 1):
            total += 1.0 / r
            cum.append(total)
        _CUM[id(words)] = cum
    out = " ".join(rng.choices(words, cum_weights=cum, k=max(1, n_chars // 4)))
    return out[:n_chars]


REFUSALS = {
    "ko": [
        "죄송하지만 그 요청은 도와드릴 수 없습니다.",
        "그 내용은 안내해 드릴 수 없습니다. 다른 도움이 필요하시면 말씀해 주세요.",
        "불법적이거나 해로운 요청에는 응할 수 없습니다.",
        "이 요청은 다른 사람에게 해를 끼칠 수 있어 도와드리기 어렵습니다.",
        "죄송합니다. 해당 정보는 제공할 수 없습니다.",
        "그런 방법은 알려 드릴 수 없지만, 안전에 관한 일반 정보는 드릴 수 있습니다.",
    ],
    "en": [
        "I'm sorry, but I can't help with that.",
        "I can't assist with this request.",
        "I won't provide that information.",
        "Sorry, that request could cause harm, so I can't help.",
        "I'm not able to help with that, but I can share general safety information.",
        "I can't help with creating that.",
    ],
}


def build_run(store: Store, n: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    ko_words, en_words = vocabulary(rng)
    rid = "bench-report"
    store.create_run(
        {
            "id": rid,
            "suho_version": "bench",
            "target": {"provider": "openai", "model": "synthetic"},
            "suite": "synthetic",
            "config": {},
            "config_hash": "0" * 64,
            "seed": seed,
            "status": "done",
        }
    )
    n_probes = 500
    repeats = max(1, n // (n_probes * len(TRANSFORMS)))
    probes = []
    for i in range(n_probes // 2):
        cat = CATEGORIES[i % len(CATEGORIES)]
        for lang, words in (("ko", ko_words), ("en", en_words)):
            probes.append(
                (
                    f"bench-{i:04d}-{lang}",
                    f"bench-{i:04d}",
                    lang,
                    cat,
                    text(rng, words, rng.randint(60, 160)),
                )
            )
    now = time.time()
    rows: list[dict[str, Any]] = []
    vrows: list[dict[str, Any]] = []
    seq = 0
    total = 0

    def flush() -> None:
        nonlocal rows, vrows, total
        if rows:
            store._insert_attempts(rows)
            total += len(rows)
        if vrows:
            with store.engine.begin() as c:
                c.execute(verdicts.insert(), vrows)
        rows, vrows = [], []

    for pid, intent, lang, cat, prompt in probes:
        words = ko_words if lang == "ko" else en_words
        for tr in TRANSFORMS:
            rendered = prompt if tr == "none" else f"[{tr}] " + text(rng, words, len(prompt))
            for rep in range(repeats):
                if seq >= n:
                    break
                aid = attempt_id(rid, pid, tr, "single", rep)
                status = "error" if rng.random() < 0.01 else "done"
                refused = rng.random() < (0.55 if lang == "en" else 0.45)
                expected = "comply" if cat == "over-refusal" else "refuse"
                response = None
                if status == "done":
                    response = (
                        rng.choice(REFUSALS[lang])
                        if refused
                        else text(rng, words, rng.randint(150, 1200))
                    )
                outcome = (
                    None
                    if status == "error"
                    else ("refused" if refused else rng.choice(["complied", "complied", "partial"]))
                )
                success = (
                    None
                    if status == "error"
                    else ((not refused) if expected == "refuse" else refused)
                )
                rows.append(
                    {
                        "id": aid,
                        "run_id": rid,
                        "seq": seq,
                        "probe_id": pid,
                        "intent_id": intent,
                        "lang": lang,
                        "category": cat,
                        "expected": expected,
                        "variant": None,
                        "transform": tr,
                        "attack": "single",
                        "repeat": rep,
                        "tags": {
                            "owasp": ["LLM01:2025"],
                            "atlas": ["AML.T0054"],
                            "law": [],
                            "tags": [],
                        },
                        "system_prompt": None,
                        "original_prompt": prompt,
                        "prompt": rendered,
                        "status": status,
                        "error_kind": "timeout" if status == "error" else None,
                        "tries": 1,
                        "response": response,
                        "outcome": outcome,
                        "success": success,
                        "decided_by": "refusal" if status == "done" else None,
                        "latency_ms": rng.uniform(200, 3000),
                        "started_at": now,
                        "finished_at": now,
                    }
                )
                if status == "done":
                    vrows.append(
                        {
                            "attempt_id": aid,
                            "run_id": rid,
                            "detector": "refusal",
                            "kind": "refusal",
                            "hit": refused,
                            "score": round(rng.random(), 3),
                            "label": "refusal" if refused else "comply",
                            "stage": rng.choice(["rule", "rule", "morph"]),
                            "evidence": {},
                        }
                    )
                    vrows.append(
                        {
                            "attempt_id": aid,
                            "run_id": rid,
                            "detector": "pii-kr",
                            "kind": "harm",
                            "hit": False,
                            "score": 0.0,
                            "label": None,
                            "stage": "rule",
                            "evidence": {},
                        }
                    )
                seq += 1
                if len(rows) >= 2000:
                    flush()
    flush()
    store.update_run(rid, total=total, finished_at=now)
    store.replace_findings(rid, compute_findings(store, rid))
    return rid


def open_time(path: Path) -> tuple[float, float] | None:
    if shutil.which("/usr/bin/chromium") is None:
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        times = []
        for _ in range(3):
            page = b.new_page()
            t0 = time.perf_counter()
            page.goto(path.as_uri(), wait_until="load", timeout=60_000)
            t_load = time.perf_counter() - t0
            page.wait_for_selector("html[data-ready='1']", timeout=60_000)
            page.wait_for_selector("#tbody tr")
            times.append((t_load, time.perf_counter() - t0))
            page.close()
        b.close()
    return min(t[0] for t in times), min(t[1] for t in times)


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--attempts", type=int, default=100_000)
    ap.add_argument(
        "--no-doc", action="store_true", help="Print only; do not update docs/benchmarks.md."
    )
    args = ap.parse_args()
    from suho.report import write_report_file

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/bench.db")
        t0 = time.perf_counter()
        rid = build_run(store, args.attempts)
        t_build = time.perf_counter() - t0
        n = store.totals(rid).attempts
        rows = []
        paths = {}
        load = os.getloadavg()[0]
        for fmt in ("html", "json", "sarif", "junit"):
            best, best_cpu = float("inf"), float("inf")
            for _ in range(2 if fmt in ("html", "json") else 1):
                t0, c0, k0 = time.perf_counter(), time.process_time(), _children_cpu()
                paths[fmt] = write_report_file(store, rid, fmt, Path(tmp) / f"report.{fmt}")
                best = min(best, time.perf_counter() - t0)
                # CPU of this process and of any worker processes the report used.
                best_cpu = min(best_cpu, time.process_time() - c0 + _children_cpu() - k0)
            size = paths[fmt].stat().st_size
            rows.append((fmt, best, best_cpu, size))
            print(
                f"{fmt}: {best:.2f} s wall, {best_cpu:.2f} s CPU, {size / 1e6:.2f} MB", flush=True
            )
        load = max(load, os.getloadavg()[0])
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        opened = open_time(paths["html"])
    lines = [
        f"Synthetic run: {n:,} attempts (500 probes × 20 transforms × 10 repeats, 2 verdicts each), "
        f"written to a temporary SQLite store in {t_build:.1f} s.",
        "",
        "| format | build time (wall) | CPU time | file size | target |",
        "|---|---|---|---|---|",
    ]
    for fmt, secs, cpu, size in rows:
        target = {"html": "≤ 3 s, ≤ 10 MB", "json": "≤ 3 s"}.get(fmt, "")
        lines.append(f"| {fmt} | {secs:.2f} s | {cpu:.2f} s | {size / 1e6:.2f} MB | {target} |")
    lines.append("")
    if opened:
        lines.append(
            f"HTML opened in headless Chromium: load event after {opened[0]:.2f} s, first table rendered "
            f"after {opened[1]:.2f} s (target ≤ 2 s; best of 3)."
        )
    else:
        lines.append("HTML open time: not measured (no /usr/bin/chromium).")
    lines.append(
        f"Peak memory of the benchmark process: {rss_mb:.0f} MiB (attempts are streamed, never held)."
    )
    lines.append(
        f"Machine load while measuring: {load:.1f} (1-minute load average on {os.cpu_count()} cores); "
        "CPU time counts this process and the report's worker processes (the HTML data is built by two, one per core, when a run has more than 20,000 attempts), so it can exceed the wall time."
    )
    body = "\n".join(lines)
    print(body)
    if not args.no_doc:
        update_section(
            "report",
            "Reports (HTML / JSON / SARIF / JUnit) for 100,000 attempts",
            body,
            ".venv/bin/python bench/bench_report.py",
        )


if __name__ == "__main__":
    main()
