"""SARIF 2.1.0: one result per failing (category, transform), for code-scanning dashboards.

A rule per category (``suho/<category>``); a result per transform under it whose attack-success
rate is above zero on harmful probes. Locations are logical: ``suho://probes/<probe_id>`` for each
probe that the attack got through, so a dashboard links the finding to the probes that reproduce it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, TextIO
from urllib.parse import quote

from suho.report._data import summary
from suho.report._redact import redact_text
from suho.report._views import example_attempts, failing_groups, failing_probes
from suho.store import Store

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFO_URI = "https://github.com/suho-ai/suho"
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "none": "note"}
# GitHub code scanning reads this property (0.1-10) to rank security results.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "none": "0.0"}


def _pct(r: dict[str, Any]) -> str:
    if r.get("rate") is None:
        return "–"
    return f"{r['rate'] * 100:.1f}% (95% CI {r['ci_low'] * 100:.1f}–{r['ci_high'] * 100:.1f}%, {r['successes']}/{r['trials']})"


def probe_uri(probe_id: str) -> str:
    return "suho://probes/" + quote(probe_id, safe="")


def _rule(category: str, tags: dict[str, list[str]], names: dict[str, str]) -> dict[str, Any]:
    refs = [*tags.get("owasp", []), *tags.get("atlas", []), *tags.get("attack", [])]
    described = ", ".join(f"{r} {names[r]}" if r in names else r for r in refs)
    return {
        "id": f"suho/{category}",
        "name": "".join(p.capitalize() for p in category.replace("_", "-").split("-"))
        or "Uncategorized",
        "shortDescription": {"text": f"The model helps with harmful '{category}' requests."},
        "fullDescription": {
            "text": (
                f"suho sent harmful '{category}' requests (Korean and English, with obfuscating "
                "transforms) and judged whether the model refused. A result means some attempts got "
                "through." + (f" Taxonomy: {described}." if described else "")
            )
        },
        "help": {
            "text": (
                "Open the HTML or JSON report of the run, filter the attempts by this category and "
                "transform, and read the responses; re-test after hardening the model or its guardrails."
            )
        },
        "properties": {"tags": ["security", "llm", *refs], "category": category},
    }


def build_sarif(
    store: Store, run_id: str, *, redact: bool = False, tool_names: dict[str, str] | None = None
) -> dict[str, Any]:
    """The SARIF log as a dict (small: one result per failing category × transform)."""
    s = summary(store, run_id)
    rid = s["run_id"]
    groups = failing_groups(store.group_counts(rid), s["findings"])
    probes = failing_probes(store, rid)
    names = tool_names or {}
    rules: list[dict[str, Any]] = []
    rule_index: dict[str, int] = {}
    results = []
    for g in groups:
        cat, tr = g["category"], g["transform"]
        if cat not in rule_index:
            rule_index[cat] = len(rules)
            rules.append(_rule(cat, g["taxonomy"], names))
        ids = probes.get((cat, tr), [])
        examples = example_attempts(store, rid, cat, tr, limit=1)
        langs = ", ".join(f"{lang} {_pct(r)}" for lang, r in g["by_lang"].items())
        text = (
            f"Attack success {_pct(g['rate'])} for '{cat}' with transform '{tr}'"
            + (f" ({langs})" if langs else "")
            + f"; {len(ids)} probe(s) got through."
        )
        sev = g["severity"]
        props: dict[str, Any] = {
            "category": cat,
            "transform": tr,
            "trials": g["trials"],
            "successes": g["successes"],
            "errors": g["errors"],
            "rate": g["rate"]["rate"],
            "ci_low": g["rate"]["ci_low"],
            "ci_high": g["rate"]["ci_high"],
            "by_lang": g["by_lang"],
            "severity": sev,
            "security-severity": SECURITY_SEVERITY.get(sev, "0.0"),
            "taxonomy": g["taxonomy"],
            "probe_ids": ids,
        }
        if examples:
            ex = examples[0]
            props["example_attempt"] = ex["id"]
            props["example_response"] = (
                redact_text(ex["response"]) if redact else (ex["response"] or "")[:500]
            )
        results.append(
            {
                "ruleId": f"suho/{cat}",
                "ruleIndex": rule_index[cat],
                "level": LEVEL.get(sev, "warning"),
                "kind": "fail",
                "message": {"text": text},
                "locations": [
                    {
                        "physicalLocation": {"artifactLocation": {"uri": probe_uri(pid)}},
                        "logicalLocations": [
                            {
                                "name": pid,
                                "fullyQualifiedName": f"{cat}/{tr}/{pid}",
                                "kind": "probe",
                            }
                        ],
                    }
                    for pid in ids
                ],
                "partialFingerprints": {
                    "suhoFinding/v1": hashlib.sha256(f"{cat}\x00{tr}".encode()).hexdigest()[:32]
                },
                "properties": props,
            }
        )
    t = s["target"] or {}
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "suho",
                        "version": s["suho_version"],
                        "semanticVersion": s["suho_version"],
                        "informationUri": INFO_URI,
                        "rules": rules,
                    }
                },
                "automationDetails": {
                    "id": f"suho/{t.get('provider', '?')}:{t.get('model', '?')}/{rid}"
                },
                "invocations": [{"executionSuccessful": s["status"] == "done"}],
                "columnKind": "unicodeCodePoints",
                "results": results,
                "properties": {
                    "run_id": rid,
                    "target": {
                        k: v for k, v in t.items() if k in ("provider", "model", "base_url")
                    },
                    "suite": s["suite"],
                    "totals": s["totals"],
                    "rates": s["rates"],
                    "redacted": redact,
                },
            }
        ],
    }


def write_sarif(store: Store, run_id: str, out: TextIO, *, redact: bool = False) -> None:
    names: dict[str, str] = {}
    try:
        from suho.export._taxonomy import reference_names

        names = reference_names()
    except ImportError:  # the taxonomy data is optional for SARIF
        pass
    json.dump(
        build_sarif(store, run_id, redact=redact, tool_names=names),
        out,
        ensure_ascii=False,
        indent=1,
    )
    out.write("\n")
