"""Choose the probes of the held-out real-answer set (answers_holdout.jsonl) and write scan files.

    python tools/holdout_probes.py OUTDIR

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
ANSWERS = ROOT / "src/suho/data/validation/answers.jsonl"
SEED = 17
HARMFUL = 44
BENIGN = 16
GROUPS = (("plain", 30, "none", "none"), ("t1", 10, "spacing", "leet"))
GROUPS += (("t2", 10, "choseong", "homoglyph"), ("t3", 10, "fiction", "fiction"))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir", type=Path)
    args = ap.parse_args()
    used = set()
    for line in ANSWERS.read_text(encoding="utf-8").splitlines():
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
    rng = random.Random(SEED)
    for ids in by_cat.values():
        rng.shuffle(ids)
    benign = by_cat.pop("over-refusal")[:BENIGN]
    harmful: list[str] = []
    cats = sorted(by_cat)
    while len(harmful) < HARMFUL:  # round robin over the categories: a spread, not a cluster
        for cat in cats:
            if by_cat[cat] and len(harmful) < HARMFUL:
                harmful.append(by_cat[cat].pop())
    rng.shuffle(harmful)
    rng.shuffle(benign)
    args.outdir.mkdir(parents=True, exist_ok=True)
    h = b = 0
    for name, n, _ko_tr, _en_tr in GROUPS:
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
