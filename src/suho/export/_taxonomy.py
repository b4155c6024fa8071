"""Taxonomy references for exports: names and URLs from the pinned taxonomy data.

The data itself lives in ``suho/data/taxonomy`` and is read by ``suho.probes.load_taxonomy``;
this module only turns ids into STIX/AVID/SARIF references.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

ATLAS_SOURCE = "mitre-atlas"
OWASP_SOURCE = "owasp-llm-top-10-2025"
OWASP_AGENTIC_SOURCE = "owasp-agentic-top-10"
ATTACK_SOURCE = "mitre-attack"


@lru_cache(maxsize=1)
def _tax() -> Any:
    from suho.probes import load_taxonomy

    return load_taxonomy()


def _entry(kind: str, ref: str) -> dict[str, Any] | None:
    tax = _tax()
    e = tax.law(ref) if kind == "laws" else (getattr(tax, kind, {}) or {}).get(ref)
    return dict(e) if isinstance(e, Mapping) else None


@lru_cache(maxsize=1)
def attack_techniques() -> dict[str, str]:
    """``{id: name}`` of the MITRE ATT&CK techniques the cyber range uses (pinned data)."""
    import json
    from importlib import resources

    raw = (
        resources.files("suho").joinpath("data", "taxonomy", "mitre_attack.json").read_text("utf-8")
    )
    return {str(t["id"]): str(t["name"]) for t in json.loads(raw)["techniques"]}


def is_attack_id(ref: str) -> bool:
    """An ATT&CK technique id (``T1190``, ``T1110.001``)."""
    head, _, sub = ref.partition(".")
    return len(head) == 5 and head[0] == "T" and head[1:].isdigit() and (not sub or sub.isdigit())


def reference_names() -> dict[str, str]:
    """``{id: name}`` for every OWASP LLM, OWASP Agentic, ATLAS and ATT&CK entry."""
    out: dict[str, str] = dict(attack_techniques())
    for kind in ("owasp_llm", "owasp_agentic", "atlas"):
        for k, v in (getattr(_tax(), kind, {}) or {}).items():
            if isinstance(v, Mapping) and v.get("name"):
                out[str(k)] = str(v["name"])
    return out


def external_reference(ref: str) -> dict[str, str]:
    """A STIX external reference for an ATLAS technique or OWASP id (name and URL when known)."""
    if is_attack_id(ref):
        name = attack_techniques().get(ref)
        att = {"source_name": ATTACK_SOURCE, "external_id": ref,
               "url": "https://attack.mitre.org/techniques/" + ref.replace(".", "/") + "/"}  # fmt: skip
        return {**att, "description": name} if name else att
    if ref.upper().startswith("AML."):
        e = _entry("atlas", ref) or {}
        out = {"source_name": ATLAS_SOURCE, "external_id": ref}
    elif ref.upper().startswith("ASI"):
        e = _entry("owasp_agentic", ref) or {}
        out = {"source_name": OWASP_AGENTIC_SOURCE, "external_id": ref}
    else:
        e = _entry("owasp_llm", ref) or {}
        out = {"source_name": OWASP_SOURCE, "external_id": ref}
    if e.get("url"):
        out["url"] = str(e["url"])
    if e.get("name"):
        out["description"] = str(e["name"])
    return out


def law_name(ref: str) -> tuple[str, str | None]:
    """(full name, URL) of a Korean law tag; the tag itself when the data does not know it."""
    e = _entry("laws", ref) or {}
    return str(e.get("name") or ref), (str(e["url"]) if e.get("url") else None)


def category_name(slug: str, lang: str = "ko") -> str:
    """A category's display name in Korean (``ko``) or English; the slug when unknown."""
    e = (getattr(_tax(), "categories", {}) or {}).get(slug)
    if not isinstance(e, Mapping):
        return slug
    return str(e.get("name_ko" if lang == "ko" else "name") or e.get("name") or slug)
