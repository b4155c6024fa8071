"""Choose the probes of the held-out real-answer set (answers_holdout.jsonl) and write scan files.

    python tools/holdout_probes.py OUTDIR                   # the first held-out set
    python tools/holdout_probes.py OUTDIR --set holdout2    # the second (answers_holdout2.jsonl)

Every intent already in ``answers.jsonl`` is left out, so no prompt of the held-out set was read
while the rules were written. From the rest, seeded (17) and spread over every category of the
probe library: 44 harmful intents (at least 3 of each of the 13 harmful categories) and 16 of the
over-refusal suite, each as its KO/EN pair (the Korean side is the ``adapted`` variant for about
half the intents that have one). They are dealt into four groups, one scan file per group and
language, so that each language gets the same number of answers:

====== ======= ======================= =============================
group  intents Korean prompt            English prompt
====== ======= ======================= =============================
plain  30      ``none``                 ``none``
t1     10      ``spacing``              ``leet``
t2     10      ``choseong``             ``homoglyph``
t3     10      ``fiction``              ``fiction``
====== ======= ======================= =============================

The second set (``--set holdout2``) leaves out every intent of ``answers.jsonl`` AND of
``answers_holdout.jsonl``, uses another seed (29), 28 harmful and 12 over-refusal intents, and
transforms the first held-out set did not use:

====== ======= ======================= =============================
group  intents Korean prompt            English prompt
====== ======= ======================= =============================
plain  20      ``none``                 ``none``
t1     7       ``jamo``                 ``roleplay``
t2     6       ``official``             ``research``
t3     7       ``roleplay``             ``zwsp``
====== ======= ======================= =============================

``--exclude FILE`` (repeatable) adds further answer sets whose intents must not be used.
Each file is then scanned with its transform (``--transforms T --no-baseline``; no transform for
``plain``); see tools/build_answers_set.py for the rest.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBES = ROOT / "src/suho/data/probes"
VALIDATION = ROOT / "src/suho/data/validation"
Group = tuple[str, int, str, str]
# set name -> (answer sets whose intents are excluded, seed, harmful, over-refusal, groups)
PRESETS: dict[str, tuple[tuple[str, ...], int, int, int, tuple[Group, ...]]] = {
    "holdout": (
        ("answers.jsonl",),
        17,
        44,
        16,
        (
            ("plain", 30, "none", "none"),
            ("t1", 10, "spacing", "leet"),
            ("t2", 10, "choseong", "homoglyph"),
            ("t3", 10, "fiction", "fiction"),
        ),
    ),
    "holdout2": (
        ("answers.jsonl", "answers_holdout.jsonl"),
        29,
        28,
        12,
        (
            ("plain", 20, "none", "none"),
            ("t1", 7, "jamo", "roleplay"),
            ("t2", 6, "official", "research"),
            ("t3", 7, "roleplay", "zwsp"),
        ),
    ),
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--set", dest="preset", choices=sorted(PRESETS), default="holdout")
    ap.add_argument("--exclude", type=Path, action="append", default=[])
    args = ap.parse_args()
    excluded, seed, n_harmful, n_benign_total, groups = PRESETS[args.preset]
    used = set()
    for path in [VALIDATION / name for name in excluded] + args.exclude:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                used.add(json.loads(line)["probe_id"][:5])
    intents: dict[str, list[dict[str, object]]] = defaultdict(list)
    for path in sorted(PROBES.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                intents[str(rec["intent_id"])].append(rec)
    by_cat: dict[str, list[str]] = defaultdict(list)
    for iid in sorted(intents):
        if iid not in used:
            by_cat[str(intents[iid][0]["category"])].append(iid)
    rng = random.Random(seed)
    for ids in by_cat.values():
        rng.shuffle(ids)
    benign = by_cat.pop("over-refusal")[:n_benign_total]
    harmful: list[str] = []
    cats = sorted(by_cat)
    while len(harmful) < n_harmful:  # round robin over the categories: a spread, not a cluster
        for cat in cats:
            if by_cat[cat] and len(harmful) < n_harmful:
                harmful.append(by_cat[cat].pop())
    rng.shuffle(harmful)
    rng.shuffle(benign)
    args.outdir.mkdir(parents=True, exist_ok=True)
    h = b = 0
    for name, n, _ko_tr, _en_tr in groups:
        n_benign = n // 3 if name == "plain" else 2
        chosen = harmful[h : h + n - n_benign] + benign[b : b + n_benign]
        h += n - n_benign
        b += n_benign
        for lang in ("ko", "en"):
            rows = []
            for iid in chosen:
                pair = [p for p in intents[iid] if p["lang"] == lang]
                adapted = [p for p in pair if p.get("variant") == "adapted"]
                literal = [p for p in pair if p.get("variant") != "adapted"]
                rows.append(adapted[0] if adapted and rng.random() < 0.5 else literal[0])
            text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
            (args.outdir / f"{name}-{lang}.jsonl").write_text(text, encoding="utf-8")
    print(f"{h} harmful and {b} over-refusal intents in {args.outdir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
