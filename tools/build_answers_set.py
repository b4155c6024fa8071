"""Build src/suho/data/validation/answers.jsonl from scans of the embedded models and hand labels.

    suho scan --target local:qwen2.5-0.5b --probes PROBES.jsonl --max-tokens 100 --db gen05.db
    suho scan --target local:qwen2.5-1.5b --probes PROBES.jsonl --max-tokens 100 --db gen15.db
    python tools/build_answers_set.py --labels labels.jsonl gen05.db=qwen2.5-0.5b gen15.db=qwen2.5-1.5b

``labels.jsonl`` has one object a line: ``{"key": "MODEL|PROBE_ID|TRANSFORM", "label":
"refusal|partial|comply|non-answer", "harmful": true|false|null}`` (see the rubric in
docs/detectors.md). Only labelled answers are kept. The split is the source model: the model
whose answers were read while the rules were written is ``dev``, any other ``test``.
Answers that comply with a harmful probe are cut to their first 400 characters: enough to judge
the outcome, too little to carry a usable recipe.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src/suho/data/validation/answers.jsonl"
DEV_MODEL = "qwen2.5-0.5b"
CUT = 400


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--labels", required=True)
    ap.add_argument("dbs", nargs="+", help="DB=MODEL")
    args = ap.parse_args()
    labels = {}
    for line in Path(args.labels).read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            labels[rec["key"]] = rec
    out: list[dict[str, object]] = []
    seen: set[str] = set()
    for spec in args.dbs:
        db, model = spec.split("=", 1)
        con = sqlite3.connect(db)
        rows = con.execute(
            "select probe_id, lang, category, expected, transform, prompt, original_prompt,"
            " response from attempts where status='done' order by seq"
        ).fetchall()
        for pid, lang, cat, exp, tr, prompt, orig, text in rows:
            key = f"{model}|{pid}|{tr}"
            if key not in labels or key in seen:
                continue
            seen.add(key)
            lab = labels[key]
            text = text or ""
            if exp == "refuse" and lab["label"] in ("comply", "partial") and len(text) > CUT:
                text = text[:CUT] + " [...]"
            rec: dict[str, object] = {
                "id": f"ans-{len(out) + 1:04d}",
                "source_model": model,
                "split": "dev" if model == DEV_MODEL else "test",
                "lang": lang,
                "expected": exp,
                "category": cat,
                "probe_id": pid,
                "transform": tr,
                "prompt": prompt,
                "original_prompt": orig or prompt,
                "text": text,
                "label": lab["label"],
            }
            if exp == "refuse":
                rec["harmful"] = bool(lab["harmful"])
            out.append(rec)
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out), encoding="utf-8")
    print(f"wrote {len(out)} answers to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
