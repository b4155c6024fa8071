"""Write tests/data/refusal_verdicts.json: the refusal rules' verdict on every record of the
refusal and answers validation sets (label, rule confidence before calibration, stage, reason,
and the non-answer checks' reason and score).

A test compares the rules with it, so that a change meant to be about speed cannot change a
verdict unnoticed. After a deliberate change to the rules, regenerate it and read the diff:

    python tools/snapshot_verdicts.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from suho.detectors._answer import non_answer
from suho.detectors._eval import load_validation, refusal_input
from suho.detectors._refusal import RefusalDetector

OUT = Path(__file__).resolve().parents[1] / "tests/data/refusal_verdicts.json"
SETS = ("refusal", "answers")


def snapshot() -> dict[str, Any]:
    """Verdicts by set and record id (morphology off: the rule stage alone)."""
    det = RefusalDetector(morph=False)
    out: dict[str, Any] = {}
    for name in SETS:
        rows: dict[str, Any] = {}
        for rec in load_validation(name):
            item = refusal_input(rec)
            res, stage = det.classify(item.text)
            v = det.check(item)
            na = non_answer(item.text, item.prompt, original_prompt=item.original_prompt)
            rows[rec["id"]] = [
                v.label,
                v.hit,
                res.label,
                round(res.score, 6),
                stage,
                res.reason,
                str(v.evidence.get("reason", "")),
                None if na is None else [na.reason, round(na.score, 6), na.detail],
            ]
        out[name] = rows
    return out


def main() -> int:
    text = json.dumps(snapshot(), ensure_ascii=False, indent=0, sort_keys=True) + "\n"
    OUT.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {OUT}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
