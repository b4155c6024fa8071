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


@lru_cache(maxsize=1)
def _tax() -> Any:
    from suho.probes import load_taxonomy

    return load_taxonomy()


def _entry(kind: str, ref: str) -> dict[str, Any] | None:
    tax = _tax()
    e = tax.law(ref) if kind == "laws" else (getattr(tax, kind, {}) or {}).get(ref)
    return dict(e) if isinstance(e, Mapping) else None


def reference_names() -> dict[str, str]:
    """``{id: name}`` for every OWASP LLM, OWASP Agentic and ATLAS entry."""
    out: dict[str, str] = {}
    for kind in ("owasp_llm", "owasp_agentic", "atlas"):
        for k, v in (getattr(_tax(), kind, {}) or {}).items():
            if isinstance(v, Mapping) and v.get("name"):
                out[str(k)] = str(v["name"])
    return out


def external_reference(ref: str) -> dict[str, str]:
    """A STIX external reference for an ATLAS technique or OWASP id (name and URL when known)."""
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
