"""Detector accuracy side by side with peers, and the speed of suho's rule stages.

Compares, on suho's own labelled validation sets (``src/suho/data/validation``):

- refusal: suho ``refusal`` (rule stage) vs garak ``mitigation.MitigationBypass``;
- Korean PII: suho ``pii-kr`` vs Presidio analyzer with its Korean recognisers switched on;

and measures how many responses per second one core runs through the ``refusal`` and ``pii-kr``
rule stages (CPU time of this process, so other load on the machine does not count).

The peers run in their own virtualenv, never in suho's (they are not suho dependencies)::

    python3 -m venv /tmp/peers-venv
    /tmp/peers-venv/bin/pip install presidio-analyzer==2.2.366
    /tmp/peers-venv/bin/pip install --no-deps garak==0.17.1   # the full garak pulls torch etc.
    /tmp/peers-venv/bin/pip install xdg-base-dirs colorama     # all the detector module imports need
    python bench/bench_detectors.py --peers-python /tmp/peers-venv/bin/python

Without ``--peers-python`` only suho's figures are measured (and the section says so).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench._report import update_section  # noqa: E402
from suho.detectors import DetectInput  # noqa: E402
from suho.detectors._eval import PRF, load_validation, refusal_input, spans_match  # noqa: E402
from suho.detectors._pii import PiiKrDetector  # noqa: E402
from suho.detectors._refusal import RefusalDetector, classify  # noqa: E402

VALIDATION = ROOT / "src" / "suho" / "data" / "validation"


def refusal_scores(
    pred: dict[str, bool], records: list[dict[str, Any]]
) -> tuple[PRF, dict[str, PRF]]:
    overall, by_lang = PRF(), {}
    for r in records:
        gold = r["label"] == "refusal"
        overall.add(pred[r["id"]], gold)
        by_lang.setdefault(r["lang"], PRF()).add(pred[r["id"]], gold)
    return overall, by_lang


def pii_scores(
    pred: dict[str, list[tuple[str, int, int]]],
    records: list[dict[str, Any]],
    kinds: set[str] | None = None,
) -> tuple[PRF, dict[str, PRF], dict[str, PRF]]:
    overall: PRF = PRF()
    by_lang: dict[str, PRF] = {}
    by_kind: dict[str, PRF] = {}
    for r in records:
        gold = [g for g in r["spans"] if kinds is None or g["kind"] in kinds]
        used: set[int] = set()
        lang = by_lang.setdefault(r["lang"], PRF())
        for kind, s, e in pred.get(r["id"], []):
            if kinds is not None and kind not in kinds:
                continue
            p = {"kind": kind, "start": s, "end": e}
            hit = next((i for i, g in enumerate(gold) if i not in used and spans_match(p, g)), None)
            k = by_kind.setdefault(kind, PRF())
            for m in (overall, lang, k):
                if hit is None:
                    m.fp += 1
                else:
                    m.tp += 1
            if hit is not None:
                used.add(hit)
        for i, g in enumerate(gold):
            if i not in used:
                overall.fn += 1
                lang.fn += 1
                by_kind.setdefault(g["kind"], PRF()).fn += 1
    return overall, by_lang, by_kind


def throughput(fn: Any, texts: list[Any], rounds: int = 7) -> tuple[float, float]:
    """Best responses/s over ``rounds`` passes: by CPU time (per core) and by wall time."""
    for t in texts:  # warm caches (phonenumbers metadata, lazy imports)
        fn(t)
    best_cpu = best_wall = 0.0
    reps = max(1, 2000 // len(texts))
    for _ in range(rounds):
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(reps):
            for t in texts:
                fn(t)
        c, w = time.process_time() - c0, time.perf_counter() - w0
        best_cpu = max(best_cpu, reps * len(texts) / c if c else 0.0)
        best_wall = max(best_wall, reps * len(texts) / w if w else 0.0)
    return best_cpu, best_wall


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b > 0 else ("∞" if a > 0 else "–")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--peers-python", help="python of a virtualenv with garak and presidio-analyzer"
    )
    ap.add_argument(
        "--no-write", action="store_true", help="print only; do not update docs/benchmarks.md"
    )
    a = ap.parse_args()

    ref_recs = load_validation("refusal")
    pii_recs = load_validation("pii")
    rules = RefusalDetector(morph=False)
    ours_ref = {r["id"]: rules.check(refusal_input(r)).hit for r in ref_recs}
    pii = PiiKrDetector()
    ours_pii = {
        r["id"]: [(s.kind, s.start, s.end) for s in pii.check(DetectInput(text=r["text"])).spans]
        for r in pii_recs
    }
    o_ref, o_ref_lang = refusal_scores(ours_ref, ref_recs)
    o_pii, o_pii_lang, o_pii_kind = pii_scores(ours_pii, pii_recs)

    peers: dict[str, Any] | None = None
    if a.peers_python:
        out = subprocess.run(
            [
                a.peers_python,
                str(ROOT / "bench" / "_peers_detectors.py"),
                str(VALIDATION / "refusal.jsonl"),
                str(VALIDATION / "pii.jsonl"),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        peers = json.loads(out.stdout)

    lines: list[str] = []
    add = lines.append
    add(
        f"Validation sets: {len(ref_recs)} responses (refusal), {len(pii_recs)} strings (PII), all splits. "
        "Refusal metrics: hit = the answer refuses. PII: span level, same kind, overlap ≥ half the union. "
        "suho's rules were built on these sets (dev split) and then fixed where the held-out splits showed "
        "general faults, so its figures here are optimistic; the first, untuned look at the held-out "
        "splits is in docs/detectors.md (refusal F1 0.898 on the fresh holdout)."
    )
    add("")
    add("### Refusal: suho `refusal` (rule stage) vs garak `mitigation.MitigationBypass`")
    add("")
    add("| language | suho P / R / F1 | garak P / R / F1 | F1 ratio |")
    add("|---|---|---|---|")
    g_ref = g_lang = None
    if peers:
        g_ref, g_lang = refusal_scores(peers["garak"], ref_recs)
    for lang in ["all", *sorted(o_ref_lang)]:
        o = o_ref if lang == "all" else o_ref_lang[lang]
        g = (g_ref if lang == "all" else g_lang.get(lang)) if g_ref and g_lang is not None else None
        gs = f"{g.precision:.3f} / {g.recall:.3f} / {g.f1:.3f}" if g else "not run"
        add(
            f"| {lang} | {o.precision:.3f} / {o.recall:.3f} / {o.f1:.3f} | {gs} | {_ratio(o.f1, g.f1) if g else '–'} |"
        )
    add("")
    add("### Korean PII: suho `pii-kr` vs Presidio (Korean recognisers on)")
    add("")
    if peers:
        pres = {k: [(x[0], x[1], x[2], x[3]) for x in v] for k, v in peers["presidio"].items()}
        scores = sorted({x[3] for v in pres.values() for x in v})
        best_t, best = 0.0, None
        for t in [0.0, *scores]:
            cut = {k: [(x[0], x[1], x[2]) for x in v if x[3] >= t] for k, v in pres.items()}
            m = pii_scores(cut, pii_recs)[0]
            if best is None or m.f1 > best.f1:
                best_t, best = t, m
        default = pii_scores(
            {k: [(x[0], x[1], x[2]) for x in v] for k, v in pres.items()}, pii_recs
        )
        tuned = pii_scores(
            {k: [(x[0], x[1], x[2]) for x in v if x[3] >= best_t] for k, v in pres.items()},
            pii_recs,
        )
        supported = {"rrn", "arn", "brn", "passport", "driver_license", "card", "email", "phone"}
        fair = pii_scores(
            {k: [(x[0], x[1], x[2]) for x in v if x[3] >= best_t] for k, v in pres.items()},
            pii_recs,
            supported,
        )
        ours_fair = pii_scores(ours_pii, pii_recs, supported)
        add("| setting | suho P / R / F1 | Presidio P / R / F1 | F1 ratio |")
        add("|---|---|---|---|")
        for label, o, p in (
            ("all kinds, Presidio default threshold", o_pii, default[0]),
            (f"all kinds, Presidio best threshold ({best_t:.2f})", o_pii, tuned[0]),
            ("only kinds Presidio has (no crn, bank_account)", ours_fair[0], fair[0]),
        ):
            add(
                f"| {label} | {o.precision:.3f} / {o.recall:.3f} / {o.f1:.3f} | "
                f"{p.precision:.3f} / {p.recall:.3f} / {p.f1:.3f} | {_ratio(o.f1, p.f1)} |"
            )
        add("")
        add("| language | suho F1 | Presidio F1 (best threshold) | ratio |")
        add("|---|---|---|---|")
        for lang in sorted(o_pii_lang):
            o, p = o_pii_lang[lang], tuned[1].get(lang, PRF())
            add(f"| {lang} | {o.f1:.3f} | {p.f1:.3f} | {_ratio(o.f1, p.f1)} |")
        add("")
        add("| kind | suho recall | Presidio recall (best threshold) |")
        add("|---|---|---|")
        for kind in sorted(o_pii_kind):
            p = tuned[2].get(kind)
            add(f"| {kind} | {o_pii_kind[kind].recall:.3f} | {p.recall if p else 0.0:.3f} |")
        add("")
        v = peers["versions"]
        add(
            f"Peers: garak {v['garak']} (installed with `--no-deps`; only `garak.detectors.mitigation` is "
            f"imported), presidio-analyzer {v['presidio-analyzer']} with spaCy {v['spacy']}. No spaCy model "
            "can be downloaded here, so Presidio runs with a blank spaCy pipeline (tokens, lower-cased "
            "lemmas for its context words; no NER, which none of the compared kinds need). Presidio has "
            "no recogniser for 법인등록번호 or bank accounts: the third row leaves those out for both."
        )
    else:
        add(
            f"suho `pii-kr`: P {o_pii.precision:.3f} / R {o_pii.recall:.3f} / F1 {o_pii.f1:.3f}. "
            "Peers not run (no `--peers-python`)."
        )
    add("")
    add("### Rule-stage speed (one core)")
    add("")
    add("| stage | texts | responses/s per core (CPU time) | responses/s (wall) |")
    add("|---|---|---|---|")
    ref_texts = [r["text"] for r in ref_recs]
    pii_texts = [r["text"] for r in pii_recs]
    answers = [refusal_input(r) for r in load_validation("answers")]
    for label, fn, texts in (
        ("`refusal` rules", classify, ref_texts),
        (
            "`refusal` detector (rules + non-answer checks), real answers with prompts",
            rules.check,
            answers,
        ),
        ("`pii-kr`", pii.find, pii_texts),
        ("`pii-kr` on the refusal texts", pii.find, ref_texts),
    ):
        cpu, wall = throughput(fn, texts)
        add(f"| {label} | {len(texts)} | {cpu:,.0f} | {wall:,.0f} |")
    if peers:
        c = peers["cpu_seconds"]
        add(
            f"| garak MitigationBypass (incl. its Attempt objects) | {len(ref_texts)} | "
            f"{len(ref_texts) / c['garak']:,.0f} | – |"
        )
        add(f"| Presidio analyzer | {len(pii_texts)} | {len(pii_texts) / c['presidio']:,.0f} | – |")
    add("")
    add(
        "CPU-time figures count only this process's time on the core, so they hold on a shared "
        "machine; wall-clock figures drop when other work competes for the cores. The rule stage "
        "on real answers against an earlier tree, side by side: `bench/bench_rule_speed.py`."
    )
    body = "\n".join(lines)
    print(body)
    if not a.no_write:
        cmd = "python bench/bench_detectors.py --peers-python /tmp/peers-venv/bin/python"
        update_section(
            "detectors", "Detectors: accuracy vs garak and Presidio, rule-stage speed", body, cmd
        )


if __name__ == "__main__":
    main()
