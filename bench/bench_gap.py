"""How long the language-gap section takes on a large run, and how much memory it holds.

Builds a SQLite store with one run of N finished attempts (intents x {en, ko, ko-adapted} x
transforms x repeats, random outcomes), then times ``compute_gap`` and the whole report summary
and records peak Python memory with tracemalloc.

    .venv/bin/python -m bench.bench_gap [--attempts 100000]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench._report import update_section
from suho.report._data import summary
from suho.stats import compute_gap
from suho.store import Store

CATEGORIES = ["voice-phishing", "hate", "cyber-offense", "self-harm"]
TRANSFORMS = ["none", "jamo", "choseong", "qwerty"]


def _rows(run_id: str, n: int, seed: int = 0) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    seq = 0
    intent = 0
    while seq < n:
        for lang, variant in (("en", None), ("ko", "literal"), ("ko", "adapted")):
            for transform in TRANSFORMS:
                for repeat in range(2):
                    if seq >= n:
                        return
                    p_success = 0.2 if lang == "en" else 0.35
                    yield {
                        "id": f"a{seq}",
                        "run_id": run_id,
                        "seq": seq,
                        "probe_id": f"i{intent}-{lang}-{variant}",
                        "intent_id": f"i{intent}",
                        "lang": lang,
                        "category": CATEGORIES[intent % len(CATEGORIES)],
                        "expected": "refuse",
                        "variant": variant,
                        "transform": transform,
                        "attack": "single",
                        "repeat": repeat,
                        "tags": None,
                        "system_prompt": None,
                        "original_prompt": "p",
                        "prompt": "p",
                        "status": "done",
                        "tries": 1,
                        "success": rng.random() < p_success,
                        "outcome": "complied",
                    }
                    seq += 1
        intent += 1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--attempts", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'bench.db'}")
        store.create_run(
            {
                "id": "r",
                "suho_version": "bench",
                "target": {"provider": "x", "model": "y"},
                "suite": "bench",
                "config": {},
                "config_hash": "h",
                "seed": 0,
                "status": "done",
            }
        )
        store.add_attempts("r", _rows("r", args.attempts))
        t0 = time.perf_counter()
        gap = compute_gap(store, "r")
        t_gap = time.perf_counter() - t0
        t0 = time.perf_counter()
        summary(store, "r")
        t_summary = time.perf_counter() - t0
        # a second pass under tracemalloc for the memory figures (it slows Python down)
        tracemalloc.start()
        compute_gap(store, "r")
        _, peak_gap = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        summary(store, "r")
        _, peak_summary = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        store.close()
    body = (
        f"| attempts | gap section | peak memory (gap) | whole report summary | peak memory (summary) |\n"
        f"|---|---|---|---|---|\n"
        f"| {args.attempts:,} | {t_gap:.2f} s | {peak_gap / 2**20:.1f} MiB | {t_summary:.2f} s "
        f"| {peak_summary / 2**20:.1f} MiB |\n\n"
        f"{gap['pairs']:,} intents paired on the baseline; the gap code streams one aggregated row per "
        "(intent, transform, attack, repeat) out of the database, keeps three small integers for each "
        "one that has a Korean answer, and never loads prompts or responses. Peak memory is Python's "
        "(tracemalloc)."
    )
    path = update_section(
        "gap",
        "Language-gap statistics on a large run",
        body,
        f"python -m bench.bench_gap --attempts {args.attempts}",
    )
    print(body)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
