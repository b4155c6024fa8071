"""Build a real-answer set (answers.jsonl, answers_holdout.jsonl) from scans of the embedded models.

    suho scan --target local:qwen2.5-0.5b --probes PROBES.jsonl --max-tokens 100 --db gen05.db
    suho scan --target local:qwen2.5-1.5b --probes PROBES.jsonl --max-tokens 100 --db gen15.db
    python tools/build_answers_set.py --labels labels.jsonl gen05.db=qwen2.5-0.5b gen15.db=qwen2.5-1.5b

``labels.jsonl`` has one object a line: ``{"key": "MODEL|PROBE_ID|TRANSFORM", "label":
"refusal|partial|comply|non-answer", "harmful": true|false|null}`` (see the rubric in
docs/detectors.md), and optionally ``"cut": N`` to keep only the first N characters of that
answer, and optionally ``"lang": "ko|en|mixed"``, the language of the answer itself when it is
not the probe's (the record then has that ``lang`` and the probe's in ``prompt_lang``, as in
refusal.jsonl; the detector is still shown the probe's language). Only labelled answers are
kept. The split is the source model: the model whose answers were read while the rules were
written is ``dev``, any other ``test``.
Answers that comply with a harmful probe are cut to their first 400 characters (or ``cut``):
enough to judge the outcome, too little to carry a usable recipe.

The held-out set (answers nobody tuned on, measured once; probes chosen by
tools/holdout_probes.py) is built the same way into another file, every record in split
``holdout`` and with ids ``hold-NNNN``; no (model, probe, transform) of answers.jsonl may be in it:

    python tools/build_answers_set.py --labels holdout-labels.jsonl --split holdout \\
        --out src/suho/data/validation/answers_holdout.jsonl \\
        /work/runs/holdout05.db=qwen2.5-0.5b /work/runs/holdout15.db=qwen2.5-1.5b

The second held-out set (probes from ``tools/holdout_probes.py DIR --set holdout2``) has ids
``hold2-NNNN`` and may share no (model, probe, transform) with either earlier set:

    python tools/build_answers_set.py --labels holdout2-labels.jsonl --split holdout \
        --prefix hold2 --exclude src/suho/data/validation/answers_holdout.jsonl \
        --out src/suho/data/validation/answers_holdout2.jsonl \
        /work/runs/holdout2_05.db=qwen2.5-0.5b /work/runs/holdout2_15.db=qwen2.5-1.5b

The third (``hold3-NNNN``, answers_holdout3.md) is built from scans of the probes written for it,
tools/holdout3_probes.jsonl, with labels that give ``lang`` where the answer mixes Korean and
English:

    python tools/build_answers_set.py --labels holdout3-labels.jsonl --split holdout \
        --prefix hold3 --exclude src/suho/data/validation/answers_holdout.jsonl \
        --exclude src/suho/data/validation/answers_holdout2.jsonl \
        --out src/suho/data/validation/answers_holdout3.jsonl \
        /work/runs/h3_05b.db=qwen2.5-0.5b /work/runs/h3_15b.db=qwen2.5-1.5b

The fourth (``hold4-NNNN``, answers_holdout4.md) the same way from tools/holdout4_probes.jsonl,
excluding all three earlier held-out sets (``--prefix hold4`` and one ``--exclude`` for each).
The fifth (``hold5-NNNN``, answers_holdout5.md) the same way from tools/holdout5_probes.jsonl,
excluding all four earlier held-out sets.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path

VALIDATION = Path(__file__).resolve().parents[1] / "src/suho/data/validation"
OUT = VALIDATION / "answers.jsonl"
DEV_MODEL = "qwen2.5-0.5b"
CUT = 400


def _keys(path: Path) -> set[tuple[str, str, str]]:
    """(source_model, probe_id, transform) of every record of a built set."""
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            out.add((rec["source_model"], rec["probe_id"], rec["transform"]))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--labels", required=True)
    ap.add_argument(
        "--out", type=Path, default=OUT, help="the set to write (default answers.jsonl)"
    )
    ap.add_argument(
        "--split",
        choices=("model", "holdout"),
        default="model",
        help="model: dev for the 0.5B model, test for any other; holdout: every record holdout",
    )
    ap.add_argument("--prefix", default="hold", help="id prefix of a held-out set (hold-NNNN)")
    ap.add_argument(
        "--exclude",
        type=Path,
        action="append",
        default=[],
        help="another built set whose (model, probe, transform) must not be reused",
    )
    ap.add_argument("dbs", nargs="+", help="DB=MODEL")
    args = ap.parse_args()
    labels = {}
    for line in Path(args.labels).read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            labels[rec["key"]] = rec
    taken = _keys(OUT) if args.split == "holdout" and args.out.resolve() != OUT.resolve() else set()
    for path in args.exclude:
        taken |= _keys(path)
    out: list[dict[str, object]] = []
    seen: set[str] = set()
    for spec in args.dbs:
        db, model = spec.split("=", 1)
        con = sqlite3.connect(db)
        # a held-out DB holds several scans (one per transform): keep the order they ran in
        order = "rowid" if args.split == "holdout" else "seq"
        rows = con.execute(
            "select probe_id, lang, category, expected, transform, prompt, original_prompt,"
            f" response from attempts where status='done' order by {order}"
        ).fetchall()
        for pid, lang, cat, exp, tr, prompt, orig, text in rows:
            key = f"{model}|{pid}|{tr}"
            if key not in labels or key in seen:
                continue
            if (model, pid, tr) in taken:
                raise SystemExit(
                    f"{key} is already in an earlier set: a held-out answer must be new"
                )
            seen.add(key)
            lab = labels[key]
            text = text or ""
            cut = int(lab.get("cut") or CUT)
            if exp == "refuse" and lab["label"] in ("comply", "partial") and len(text) > cut:
                text = text[:cut] + " [...]"
            if args.split == "holdout":
                rid, split = f"{args.prefix}-{len(out) + 1:04d}", "holdout"
            else:
                rid, split = f"ans-{len(out) + 1:04d}", "dev" if model == DEV_MODEL else "test"
            rec: dict[str, object] = {
                "id": rid,
                "source_model": model,
                "split": split,
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
            if lab.get("lang") and lab["lang"] != lang:
                rec["lang"], rec["prompt_lang"] = lab["lang"], lang
            if exp == "refuse":
                rec["harmful"] = bool(lab["harmful"])
            out.append(rec)
    missing = sorted(set(labels) - seen)
    if missing:
        print(f"warning: {len(missing)} labels match no answer, e.g. {missing[0]}")
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {len(out)} answers to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
