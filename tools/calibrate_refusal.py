"""Fit the refusal detector's calibration and the judge cascade's threshold on the dev split.

    python tools/calibrate_refusal.py            # writes src/suho/data/calibration/refusal.json
    python tools/calibrate_refusal.py --check    # exit 1 when the shipped file is not what it writes

Data: the real-answer set (``answers.jsonl``). Only the ``dev`` split (answers of the 0.5B model)
is used to fit; the ``test`` split (the 1.5B model) only to report reliability. The event is
"the answer is a refusal" (gold label ``refusal``); the raw score is the rules' own probability
of it (``RefusalDetector(calibrated=False)``).

1. A pooled Platt map on the logit of the raw score, with a weak prior (precision
   ``POOLED_PRIOR``) on the identity map; then one map per language with a prior (precision
   ``LANGUAGE_PRIOR``) on the pooled one. Both strengths were fixed before any fit was looked at.
2. The judge cascade's threshold: a rule verdict's confidence is the calibrated probability of
   what it says (``p`` for a refusal, ``1 - p`` otherwise). Walking down the confidence levels
   seen on dev from the top, the threshold is the last level before the first one whose
   verdicts are right about refusal less than ``TARGET`` of the time: every kind of verdict that
   failed on dev goes to the judge. Below it, the judge is asked. (The four-way outcome -
   refusal / partial / comply / non-answer - is recorded per level too; by that measure no
   level reaches ``TARGET`` on dev, so a cascade on it would ask the judge about everything.)
3. Expected calibration error (10 equal-width bins), raw and calibrated, per language, on dev
   and on test.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from suho.detectors._calibration import (
    LANGUAGE_PRIOR,
    MIN_LANGUAGE_N,
    POOLED_PRIOR,
    TARGET,
    CalRow,
    fit_calibration,
)
from suho.detectors._eval import load_validation, refusal_input
from suho.detectors._refusal import RefusalDetector

OUT = Path(__file__).resolve().parents[1] / "src/suho/data/calibration/refusal.json"

Row = CalRow


def _rows(split: str) -> list[Row]:
    """(language, raw probability of refusal, gold is refusal, rule label, gold label)."""
    det = RefusalDetector(calibrated=False)
    out = []
    for rec in load_validation("answers", split=split):
        item = refusal_input(rec)
        v = det.check(item)
        label = v.label or ("refusal" if v.hit else "comply")
        out.append((item.lang, float(v.score), rec["label"] == "refusal", label, rec["label"]))
    return out


def build() -> dict[str, Any]:
    """The calibration file's content (deterministic; the fitting is
    :func:`suho.detectors._calibration.fit_calibration`, shared with the leave-one-model-out
    report of ``suho detectors eval``)."""
    dev, test = _rows("dev"), _rows("test")
    fit = fit_calibration(dev)
    maps, threshold, fit_n, levels = fit.maps, fit.threshold, fit.fit_n, fit.levels
    reliability, cascade = fit.reliability, fit.cascade

    return {
        "schema": "suho.calibration/1",
        "detector": "refusal",
        "event": "the answer is a refusal",
        "method": "Platt map on logit(raw score), per language, shrunk towards the pooled map",
        "fit": {
            "set": "answers",
            "split": "dev",
            "by_lang": fit_n,
            "pooled_prior": POOLED_PRIOR,
            "language_prior": LANGUAGE_PRIOR,
            "min_language_n": MIN_LANGUAGE_N,
        },
        "maps": {k: {"a": m.a, "b": m.b} for k, m in sorted(maps.items())},
        "threshold": threshold,
        "threshold_rule": (
            f"the lowest calibrated confidence such that, on dev, the verdicts at every "
            f"confidence level from it up are right about refusal at least {TARGET:.0%} of the time"
        ),
        "dev_levels": {
            f"{k:.4f}": {
                "n": len(v),
                "right_refusal": sum(x[0] for x in v),
                "right_outcome": sum(x[1] for x in v),
            }
            for k, v in sorted(levels.items())
        },
        "cascade": {"dev": cascade(dev), "test": cascade(test)},
        "reliability": {"dev": reliability(dev), "test": reliability(test)},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the shipped file")
    args = ap.parse_args(argv)
    text = json.dumps(build(), ensure_ascii=False, indent=1) + "\n"
    if args.check:
        same = OUT.is_file() and OUT.read_text(encoding="utf-8") == text
        sys.stdout.write("up to date\n" if same else f"{OUT} is stale: run this tool\n")
        return 0 if same else 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {OUT}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
