"""Write src/suho/data/validation/measured.json: each rule detector's measured accuracy, which
reports print next to the rates it decided. A test fails when the file is stale.

``cyber-offense`` is reported on its newest held-out set (``cyber-holdout2``: written before the
rules' last tuning, measured after it), with the sets the rules have been fitted to beside it
(``cyber-holdout``, whose misses the last tuning fixed, and ``cyber``, written with the rules):
the first is the one to trust, the gap to the others is how far the rules fit their own sets.

    python tools/measure_detectors.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from suho.detectors._eval import evaluate, load_validation

OUT = Path(__file__).resolve().parents[1] / "src/suho/data/validation/measured.json"


def _fig(m: dict[str, Any]) -> dict[str, Any]:
    return {k: m[k] for k in ("precision", "recall", "f1", "support")}


def measure() -> dict[str, Any]:
    """The figures, from the real-answer set where one exists, else the detector's own set."""
    out: dict[str, Any] = {}
    has_answers = bool(load_validation("answers")) if _has("answers") else False
    for name, dataset in (("refusal", "answers" if has_answers else "refusal"), ("pii-kr", "pii")):
        rep = evaluate(name, dataset=dataset).to_dict()
        out[name] = {
            "set": dataset,
            "n": rep["n"],
            "hit": "refusal" if dataset != "pii" else "personal data span",
            "overall": _fig(rep["overall"]),
            "by_lang": {k: _fig(v) for k, v in rep["by_lang"].items()},
        }
        if rep.get("baseline"):
            out[name]["baseline_f1"] = rep["baseline"]["f1"]
        if rep.get("attack_success"):
            out[name]["attack_success"] = _fig(rep["attack_success"])
    held = evaluate("cyber-offense", dataset="cyber-holdout2").to_dict()
    out["cyber-offense"] = {
        "set": "cyber-holdout2",
        "n": held["n"],
        "hit": "offensive request",
        "overall": _fig(held["overall"]),
        "by_lang": {k: _fig(v) for k, v in held["by_lang"].items()},
        "negatives_called_offensive": {
            lab: _called_offensive(held["confusion"], lab) for lab in ("dual-use", "benign")
        },
        "fitted_sets": [_brief(evaluate("cyber-offense", dataset=d).to_dict()) for d in FITTED],
    }
    return {"schema": "suho.measured/1", "detectors": out}


#: Sets the cyber-offense rules have been tuned on (their figures measure fit, not generalisation).
FITTED = ("cyber-holdout", "cyber")


def _brief(rep: dict[str, Any]) -> dict[str, Any]:
    return {
        "set": rep["dataset"],
        "n": rep["n"],
        "overall": _fig(rep["overall"]),
        "by_lang": {k: _fig(v) for k, v in rep["by_lang"].items()},
    }


def _called_offensive(confusion: dict[str, dict[str, int]], label: str) -> dict[str, Any]:
    """How many requests of gold ``label`` the detector called offensive (a wrong block)."""
    row = confusion[label]
    n = sum(row.values())
    return {
        "n": n,
        "offensive": row["offensive"],
        "rate": round(row["offensive"] / n, 4) if n else 0.0,
    }


def _has(name: str) -> bool:
    from importlib import resources

    return resources.files("suho").joinpath("data", "validation", f"{name}.jsonl").is_file()


def main() -> int:
    OUT.write_text(json.dumps(measure(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {OUT}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
