"""Write src/suho/data/validation/measured.json: each rule detector's measured accuracy, which
reports print next to the rates it decided. A test fails when the file is stale.

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
    return {"schema": "suho.measured/1", "detectors": out}


def _has(name: str) -> bool:
    from importlib import resources

    return resources.files("suho").joinpath("data", "validation", f"{name}.jsonl").is_file()


def main() -> int:
    OUT.write_text(json.dumps(measure(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {OUT}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
