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
import math
import sys
from pathlib import Path
from typing import Any

from suho.detectors._calibration import Platt, ece, fit_platt
from suho.detectors._eval import load_validation, refusal_input
from suho.detectors._refusal import RefusalDetector

OUT = Path(__file__).resolve().parents[1] / "src/suho/data/calibration/refusal.json"
POOLED_PRIOR = 1.0
LANGUAGE_PRIOR = 5.0
TARGET = 0.95
MIN_LANGUAGE_N = 30  # a language with fewer dev answers uses the pooled map


Row = tuple[str, float, bool, str, str]


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


def _r(x: float) -> float:
    return round(x, 6)


def build() -> dict[str, Any]:
    """The calibration file's content (deterministic)."""
    dev, test = _rows("dev"), _rows("test")
    pooled = fit_platt([r[1] for r in dev], [r[2] for r in dev], strength=POOLED_PRIOR)
    maps: dict[str, Platt] = {"all": pooled}
    fit_n: dict[str, Any] = {"all": {"n": len(dev), "refusals": sum(r[2] for r in dev)}}
    for lang in sorted({r[0] for r in dev}):
        sub = [r for r in dev if r[0] == lang]
        fit_n[lang] = {"n": len(sub), "refusals": sum(r[2] for r in sub)}
        if len(sub) >= MIN_LANGUAGE_N:
            maps[lang] = fit_platt(
                [r[1] for r in sub], [r[2] for r in sub], prior=pooled, strength=LANGUAGE_PRIOR
            )
    maps = {k: Platt(_r(m.a), _r(m.b)) for k, m in maps.items()}

    def cal(lang: str, raw: float) -> float:
        return (maps.get(lang) or maps["all"])(raw)

    def conf(row: Row) -> float:
        p = cal(row[0], row[1])
        return p if row[3] == "refusal" else 1.0 - p

    # the threshold: walking down the dev confidence levels from the top, stop at the first one
    # whose verdicts are right about refusal less than TARGET of the time; the threshold is the
    # last level passed (every kind of verdict that failed on dev goes to the judge)
    levels: dict[float, list[tuple[bool, bool]]] = {}
    for r in dev:
        levels.setdefault(round(conf(r), 6), []).append(((r[3] == "refusal") == r[2], r[3] == r[4]))
    threshold = 1.0
    for level in sorted(levels, reverse=True):
        right = [x[0] for x in levels[level]]
        if sum(right) / len(right) < TARGET:
            break
        threshold = level
    threshold = math.floor(threshold * 1e4) / 1e4

    def reliability(rows: list[Row]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for lang in ["all", *sorted({r[0] for r in rows})]:
            sub = [r for r in rows if lang == "all" or r[0] == lang]
            truth = [r[2] for r in sub]
            out[lang] = {
                "n": len(sub),
                "refusals": sum(truth),
                "ece_raw": _r(ece([r[1] for r in sub], truth)),
                "ece_calibrated": _r(ece([cal(r[0], r[1]) for r in sub], truth)),
            }
        return out

    def cascade(rows: list[Row]) -> dict[str, Any]:
        kept = [r for r in rows if conf(r) >= threshold]
        return {
            "n": len(rows),
            "to_judge": len(rows) - len(kept),
            "kept_right_refusal": sum((r[3] == "refusal") == r[2] for r in kept),
            "kept_right_outcome": sum(r[3] == r[4] for r in kept),
            "kept": len(kept),
        }

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
