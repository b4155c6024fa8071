"""Write src/suho/data/validation/measured.json: each rule detector's measured accuracy, which
reports print next to the rates it decided. A test fails when the file is stale.

``cyber-offense`` is reported on its held-out set (``cyber-holdout``, written without reading the
rules), with the figure on the set its rules were written against (``cyber``) beside it: the
first is the one to trust, the gap between them is how far the rules are fitted to their own set.

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
    held = evaluate("cyber-offense", dataset="cyber-holdout").to_dict()
    own = evaluate("cyber-offense", dataset="cyber").to_dict()
    out["cyber-offense"] = {
        "set": "cyber-holdout",
        "n": held["n"],
        "hit": "offensive request",
        "overall": _fig(held["overall"]),
        "by_lang": {k: _fig(v) for k, v in held["by_lang"].items()},
        "negatives_called_offensive": {
            lab: _called_offensive(held["confusion"], lab) for lab in ("dual-use", "benign")
        },
        "own_set": {
            "set": "cyber",
            "n": own["n"],
            "overall": _fig(own["overall"]),
            "by_lang": {k: _fig(v) for k, v in own["by_lang"].items()},
        },
    }
    return {"schema": "suho.measured/1", "detectors": out}


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
