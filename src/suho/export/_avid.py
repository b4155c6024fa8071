"""AVID reports (AI Vulnerability Database), one JSON object per line: one per harmful category.

Follows the AVID report data model (data_type, data_version, affects, problemtype, metrics,
references, description, impact.avid with risk_domain / sep_view / lifecycle_view /
taxonomy_version, reported_date), written without the avidtools package.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any, TextIO

from suho.export._model import ExportData, category_text, ci, pct
from suho.export._taxonomy import external_reference
from suho.report._views import rate

DATA_VERSION = "0.2"
TAXONOMY_VERSION = "0.2"

# Our mapping from suho categories to AVID's SEP (security / ethics / performance) view.
SEP: dict[str, list[str]] = {
    "voice-phishing": ["S0400: Model Bypass", "P0403: Socioeconomic safety"],
    "financial-crime": ["S0400: Model Bypass", "P0403: Socioeconomic safety"],
    "personal-data": ["S0400: Model Bypass", "S0301: Information Leak", "P0300: Privacy"],
    "drugs-gambling": ["S0400: Model Bypass", "P0400: Safety"],
    "sex-crime": ["S0400: Model Bypass", "P0400: Safety"],
    "hate": ["S0400: Model Bypass", "E0301: Toxicity"],
    "election": ["S0400: Model Bypass", "E0401: Deliberative Misinformation"],
    "cyber-offense": ["S0400: Model Bypass", "S0100: Software Vulnerability"],
    "self-harm": ["S0400: Model Bypass", "P0401: Psychological Safety"],
    "weapons-cbrn": ["S0400: Model Bypass", "P0402: Physical safety"],
    "agent-misuse": ["S0400: Model Bypass", "S0300: Over-permissive API"],
}
ETHICS = {"hate", "election"}


def _sep(category: str, transforms: list[str]) -> list[str]:
    out = list(SEP.get(category, ["S0400: Model Bypass", "P0400: Safety"]))
    if any(t != "none" for t in transforms):
        out.append("S0403: Adversarial Example")
    return out


def build_reports(data: ExportData) -> list[dict[str, Any]]:
    """One AVID report per harmful category the attacks got through."""
    s = data.summary
    t = s["target"] or {}
    model = str(t.get("model", "?"))
    provider = str(t.get("provider", "?"))
    ts = s["finished_at"] or s["created_at"]
    day = _dt.datetime.fromtimestamp(ts, _dt.UTC).date().isoformat()
    by_cat: dict[str, list[dict[str, Any]]] = {}
    for g in data.groups:
        by_cat.setdefault(g["category"], []).append(g)
    per_lang: dict[str, dict[str, dict[str, int]]] = {}
    for f in s["findings"]:
        if f["expected"] != "refuse":
            continue
        slot = per_lang.setdefault(f["category"], {}).setdefault(
            f["lang"], {"successes": 0, "trials": 0}
        )
        slot["successes"] += f["successes"]
        slot["trials"] += f["trials"]
    detectors = (
        ", ".join(f"{d} ({'/'.join(sorted(st))})" for d, st in data.stages.items())
        or "suho detectors"
    )
    out = []
    for cat, groups in sorted(by_cat.items()):
        cat_rate = s["rates"]["attack_success_by_category"].get(cat, {})
        tax: dict[str, set[str]] = {}
        for g in groups:
            for k, vals in g["taxonomy"].items():
                tax.setdefault(k, set()).update(vals)
        refs = [
            {
                "type": "source",
                "label": ref["external_id"]
                + (f" {ref['description']}" if ref.get("description") else ""),
                "url": ref.get("url", ""),
            }
            for ref in (
                external_reference(r)
                for r in sorted(
                    tax.get("atlas", set()) | tax.get("attack", set()) | tax.get("owasp", set())
                )
            )
        ]
        metrics = [
            {
                "name": f"attack success rate, transform '{g['transform']}'",
                "detection_method": {
                    "type": "Static Threshold",
                    "name": f"any success > 0; judged by {detectors}",
                },
                "features": {
                    "measured": {
                        "transform": g["transform"],
                        "successes": g["successes"],
                        "trials": g["trials"],
                        "errors": g["errors"],
                        "rate": g["rate"]["rate"],
                        "ci95": [g["rate"]["ci_low"], g["rate"]["ci_high"]],
                        "by_lang": g["by_lang"],
                        "severity": g["severity"],
                        "probe_ids": data.probes.get((cat, g["transform"]), [])[:50],
                        "examples": [
                            {
                                "attempt_id": ex["id"],
                                "probe_id": ex["probe_id"],
                                "lang": ex["lang"],
                                "response": data.example_text(ex["response"]),
                            }
                            for ex in data.examples.get((cat, g["transform"]), [])
                        ],
                    }
                },
            }
            for g in groups
        ]
        langs = "; ".join(
            f"{lang} {pct(r)} (95% CI {ci(r)})"
            for lang, r in sorted(
                (lang, rate(v["successes"], v["trials"]))
                for lang, v in per_lang.get(cat, {}).items()
            )
        )
        worst = max(groups, key=lambda g: g["rate"]["rate"] or 0.0)
        out.append(
            {
                "data_type": "AVID",
                "data_version": DATA_VERSION,
                "metadata": {"report_id": f"suho-{data.run_id}-{cat}"},
                "affects": {
                    "developer": [provider],
                    "deployer": [provider],
                    "artifacts": [{"type": "Model", "name": model}],
                },
                "problemtype": {
                    "classof": "LLM Evaluation",
                    "type": "Detection",
                    "description": {
                        "lang": "eng",
                        "value": f"{model} helps with harmful '{cat}' requests ({category_text(cat, 1)}): "
                        f"attack success {pct(cat_rate)} (95% CI {ci(cat_rate)}) across transforms; "
                        f"worst transform '{worst['transform']}' at {pct(worst['rate'])}.",
                    },
                },
                "metrics": metrics,
                "references": refs,
                "description": {
                    "lang": "eng",
                    "value": (
                        f"suho run {data.run_id} sent Korean and English harmful requests of category '{cat}' to "
                        f"{provider}:{model}, with obfuscating transforms, and judged each answer. "
                        f"Per language: {langs or '-'}. Errors are excluded from rates, never counted as refusals."
                    ),
                },
                "impact": {
                    "avid": {
                        "risk_domain": ["Security", "Ethics"] if cat in ETHICS else ["Security"],
                        "sep_view": _sep(cat, [g["transform"] for g in groups]),
                        "lifecycle_view": ["L05: Evaluation", "L06: Deployment"],
                        "taxonomy_version": TAXONOMY_VERSION,
                    }
                },
                "credit": [{"lang": "eng", "value": "suho"}],
                "reported_date": day,
            }
        )
    return out


def write_avid(data: ExportData, out: TextIO) -> None:
    for rep in build_reports(data):
        out.write(json.dumps(rep, ensure_ascii=False) + "\n")
