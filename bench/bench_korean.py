"""Benchmark the Hangul core and the normaliser; writes the "korean" section of docs/benchmarks.md.

Compares suho's jamo decomposition with the pure-Python libraries people use for it, on the same
text, and measures the normaliser's throughput on one core, with and without kiwipiepy.

Set-up (the comparison libraries are not suho dependencies):

    .venv/bin/pip install -e ".[dev]" jamo hgtk six
    .venv/bin/python bench/bench_korean.py            # about a minute on 2 cores

hangul-jamo and kiwipiepy come with the dev extra; a missing comparison library is reported as
such instead of failing.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._report import update_section
from suho.korean import decompose, normalize
from suho.korean._lexicon import read_text

COMMAND = "python bench/bench_korean.py"


def _best(fn: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _corpus(target_bytes: int, lines: list[str]) -> str:
    text = "\n".join(lines)
    reps = max(1, target_bytes // len(text.encode("utf-8")) + 1)
    return "\n".join([text] * reps)


def main() -> None:
    benign = [ln for ln in read_text("benign.txt").splitlines() if ln and not ln.startswith("#")]
    korean_lines = [ln for ln in benign if re.search("[가-힣]", ln)]
    obfuscated = [
        json.loads(ln)["text"] for ln in read_text("obfuscation.jsonl").splitlines() if ln.strip()
    ]
    ko = _corpus(1_000_000, korean_lines)
    mb = len(ko.encode("utf-8")) / 1e6

    rows: list[tuple[str, float]] = []
    t_suho = _best(lambda: decompose(ko))
    rows.append(("suho `decompose`", t_suho))
    try:
        import hangul_jamo

        rows.append(("hangul-jamo `decompose`", _best(lambda: hangul_jamo.decompose(ko), 3)))
    except ImportError:
        rows.append(("hangul-jamo (not installed)", float("nan")))
    try:
        import jamo

        rows.append(("jamo `j2hcj(h2j(text))`", _best(lambda: jamo.j2hcj(jamo.h2j(ko)), 1)))
    except ImportError:
        rows.append(("jamo (not installed)", float("nan")))
    try:
        import hgtk

        rows.append(("hgtk `text.decompose`", _best(lambda: hgtk.text.decompose(ko), 1)))
    except ImportError:
        rows.append(("hgtk (not installed: pip install hgtk six)", float("nan")))

    dec = [
        f"Jamo decomposition of {mb:.1f} MB of ordinary Korean text (UTF-8), best of runs, one core.",
        "",
        "| implementation | seconds | MB/s | suho is faster by |",
        "|---|---:|---:|---:|",
    ]
    for name, t in rows:
        if t != t:  # NaN: library missing
            dec.append(f"| {name} | – | – | – |")
        else:
            dec.append(f"| {name} | {t:.3f} | {mb / t:.2f} | {t / t_suho:.1f}× |")

    # Normaliser throughput (zero-dependency stages).
    mixed = _corpus(1_000_000, korean_lines + obfuscated)
    mb_mixed = len(mixed.encode("utf-8")) / 1e6
    t_norm = _best(lambda: normalize(ko), 3)
    t_mixed = _best(lambda: normalize(mixed), 3)
    small = _corpus(200_000, korean_lines)
    mb_small = len(small.encode("utf-8")) / 1e6
    t_lines = _best(lambda: [normalize(ln) for ln in small.split("\n")], 1)
    norm = [
        "Normaliser, default stages (no kiwipiepy), one core:",
        "",
        "| input | MB | seconds | MB/s |",
        "|---|---:|---:|---:|",
        f"| ordinary Korean, one document | {mb:.1f} | {t_norm:.3f} | {mb / t_norm:.1f} |",
        f"| Korean + the obfuscation set ({len(obfuscated)} items) mixed in | {mb_mixed:.1f} | {t_mixed:.3f} | {mb_mixed / t_mixed:.1f} |",
        f"| ordinary Korean, line by line (one call per line) | {mb_small:.2f} | {t_lines:.3f} | {mb_small / t_lines:.1f} |",
    ]
    try:
        from suho.korean import _morph

        t_load = _best(lambda: _morph.kiwi(), 1)
        _morph.kiwi()
        spaced = _corpus(
            20_000, [" ".join(ln.replace(" ", "")) for ln in korean_lines[:20]] + korean_lines
        )
        mb_sp = len(spaced.encode("utf-8")) / 1e6
        t_morph = _best(lambda: [normalize(ln, morph=True) for ln in spaced.split("\n")], 1)
        t_ko_morph = _best(lambda: normalize(small, morph=True), 1)
        norm += [
            f"| with `--morph` (kiwipiepy), ordinary Korean | {mb_small:.2f} | {t_ko_morph:.3f} | {mb_small / t_ko_morph:.2f} |",
            f"| with `--morph`, syllable-spaced text, line by line | {mb_sp:.3f} | {t_morph:.3f} | {mb_sp / t_morph:.3f} |",
            "",
            f"kiwipiepy's model loads once per process ({t_load:.1f} s the first time, not counted above).",
        ]
    except Exception as e:  # kiwipiepy missing: say so
        norm += ["", f"kiwipiepy not measured: {e}"]

    body = "\n".join(dec) + "\n\n" + "\n".join(norm)
    path = update_section("korean", "Korean text core", body, COMMAND)
    print(body)
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
