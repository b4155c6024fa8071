"""Pinned taxonomy lists shipped as data, and the check that probes only cite known ids.

The lists live in ``suho/data/taxonomy/`` (one JSON file each, written in suho's own format):
OWASP Top 10 for LLM Applications 2025, OWASP Top 10 for Agentic Applications 2026, MITRE ATLAS
techniques (pinned to one data release, named in the file) and Korean laws (short name -> full
title). Probes cite OWASP ids (``LLM01:2025`` or ``ASI01``) in ``owasp``, ATLAS technique ids in
``atlas`` and law short names in ``law``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from suho.probes._model import Probe

Entry = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class TaxonomyList:
    """One pinned list: where it comes from, which version, and its entries by id."""

    key: str
    title: str
    version: str
    source: str
    items: Mapping[str, Entry]


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """Every pinned list. Each attribute maps an id to ``{"id", "name", ...}``.

    ``atlas`` entries also carry ``tactic`` (the first tactic), ``tactics`` and ``url``;
    ``laws`` entries carry ``name`` (the full Korean title), ``name_en`` and ``url``;
    ``categories`` maps suho's category slugs to ``name`` / ``name_ko``.
    """

    owasp_llm: Mapping[str, Entry]
    owasp_agentic: Mapping[str, Entry]
    atlas: Mapping[str, Entry]
    laws: Mapping[str, Entry]
    categories: Mapping[str, Entry]
    lists: Mapping[str, TaxonomyList]

    def owasp(self, ref: str) -> Entry | None:
        """An OWASP entry from either list (``LLM01:2025`` or ``ASI01``)."""
        return self.owasp_llm.get(ref) or self.owasp_agentic.get(ref)

    def law(self, ref: str) -> Entry | None:
        """A law by short name (``개인정보 보호법``) or full title, ignoring spaces and dot styles."""
        hit = self.laws.get(ref)
        if hit is not None:
            return hit
        key = _law_key(ref)
        for entry in self.laws.values():
            if key in (_law_key(str(entry["id"])), _law_key(str(entry["name"]))):
                return entry
        return None

    def problems(self, probe: Probe) -> list[str]:
        """What is wrong with a probe's taxonomy tags (empty when every id is known)."""
        out: list[str] = []
        for ref in probe.owasp:
            if self.owasp(ref) is None:
                out.append(
                    f"unknown OWASP id {ref!r} (expected LLM01:2025..LLM10:2025 or ASI01..ASI10)"
                )
        for ref in probe.atlas:
            if ref not in self.atlas:
                version = self.lists["atlas"].version
                out.append(f"unknown MITRE ATLAS technique {ref!r} (pinned list: ATLAS {version})")
        for ref in probe.law:
            if self.law(ref) is None:
                out.append(f"unknown law {ref!r} (see suho/data/taxonomy/korean_laws.json)")
        if probe.category not in self.categories and probe.category != "uncategorized":
            out.append(f"unknown category {probe.category!r}")
        return out

    def check(self, probes: Iterable[Probe]) -> list[tuple[str, str]]:
        """``(probe id, problem)`` for every unknown id in ``probes``."""
        return [(p.id, msg) for p in probes for msg in self.problems(p)]

    def describe(self, probe: Probe) -> dict[str, list[dict[str, Any]]]:
        """The probe's tags resolved to names, for reports and exports (unknown ids kept bare)."""

        def resolve(refs: Iterable[str], table: Mapping[str, Entry] | None) -> list[dict[str, Any]]:
            out = []
            for ref in refs:
                if table is None:
                    entry = self.owasp(ref)
                elif table is self.laws:
                    entry = self.law(ref)
                else:
                    entry = table.get(ref)
                out.append(dict(entry) if entry else {"id": ref, "name": None})
            return out

        return {
            "owasp": resolve(probe.owasp, None),
            "atlas": resolve(probe.atlas, self.atlas),
            "law": resolve(probe.law, self.laws),
        }


def _law_key(name: str) -> str:
    return "".join(name.split()).replace("ㆍ", "·").replace("•", "·")


def _read(fname: str) -> dict[str, Any]:
    path = resources.files("suho").joinpath("data", "taxonomy", fname)
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _table(key: str, fname: str, extra: Any = None) -> TaxonomyList:
    raw = _read(fname)
    items: dict[str, Entry] = {}
    for it in raw["items"]:
        entry = dict(it)
        if extra is not None:
            entry.update(extra(raw, entry))
        if entry["id"] in items:
            raise ValueError(f"duplicate id {entry['id']!r} in suho/data/taxonomy/{fname}")
        items[entry["id"]] = MappingProxyType(entry)
    return TaxonomyList(
        key=key,
        title=str(raw["list"]),
        version=str(raw.get("version", "")),
        source=str(raw.get("source", "")),
        items=MappingProxyType(items),
    )


def _atlas_extra(raw: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    tactics = entry.get("tactics") or []
    return {
        "tactic": tactics[0] if tactics else None,
        "url": str(raw["url_template"]).format(id=entry["id"]),
    }


@lru_cache(maxsize=1)
def load_taxonomy() -> Taxonomy:
    """The pinned lists shipped with suho (read once, read-only)."""
    lists = {
        "owasp_llm": _table("owasp_llm", "owasp_llm_2025.json"),
        "owasp_agentic": _table("owasp_agentic", "owasp_agentic_2026.json"),
        "atlas": _table("atlas", "mitre_atlas.json", _atlas_extra),
        "laws": _table("laws", "korean_laws.json"),
        "categories": _table("categories", "categories.json"),
    }
    return Taxonomy(
        owasp_llm=lists["owasp_llm"].items,
        owasp_agentic=lists["owasp_agentic"].items,
        atlas=lists["atlas"].items,
        laws=lists["laws"].items,
        categories=lists["categories"].items,
        lists=MappingProxyType(lists),
    )
