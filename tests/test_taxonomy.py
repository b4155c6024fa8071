"""The pinned taxonomy lists, and the rule that shipped probes cite only known ids."""

from __future__ import annotations

import re

import pytest

from suho.probes import Probe, list_suites, load_suite, load_taxonomy


def test_owasp_lists_are_complete_and_well_formed() -> None:
    tax = load_taxonomy()
    assert sorted(tax.owasp_llm) == [f"LLM{i:02d}:2025" for i in range(1, 11)]
    assert sorted(tax.owasp_agentic) == [f"ASI{i:02d}" for i in range(1, 11)]
    assert tax.owasp_llm["LLM01:2025"]["name"] == "Prompt Injection"
    assert tax.owasp_llm["LLM06:2025"]["name"] == "Excessive Agency"
    assert tax.owasp_agentic["ASI01"]["name"] == "Agent Goal Hijack"
    for entry in tax.owasp_llm.values():
        assert entry["url"].startswith("https://genai.owasp.org/llmrisk/llm")


def test_atlas_ids_names_tactics_and_parents() -> None:
    tax = load_taxonomy()
    assert tax.lists["atlas"].version  # the pinned release is named
    assert tax.atlas["AML.T0051"]["name"] == "LLM Prompt Injection"
    assert tax.atlas["AML.T0051.000"]["name"] == "LLM Prompt Injection: Direct"
    assert tax.atlas["AML.T0054"]["name"] == "LLM Jailbreak"
    assert tax.atlas["AML.T0054"]["url"] == "https://atlas.mitre.org/techniques/AML.T0054"
    for tid, entry in tax.atlas.items():
        assert re.fullmatch(r"AML\.T\d{4}(\.\d{3})?", tid), tid
        assert entry["tactic"], tid
        if "." in tid[len("AML.T") :]:
            parent = entry["parent"]
            assert parent == tid.rsplit(".", 1)[0]
            assert parent in tax.atlas


def test_laws_resolve_by_short_or_full_name() -> None:
    tax = load_taxonomy()
    assert tax.laws["정보통신망법"]["name"] == "정보통신망 이용촉진 및 정보보호 등에 관한 법률"
    full = tax.law("전기통신금융사기 피해 방지 및 피해금 환급에 관한 특별법")
    assert full is not None and full["id"] == "전기통신금융사기 피해 방지법"
    assert tax.law("총포·도검·화약류 등의 안전관리에 관한 법률") is not None  # middle-dot variant
    assert tax.law("없는법") is None


def test_problems_name_each_unknown_id() -> None:
    tax = load_taxonomy()
    bad = Probe(
        id="x",
        prompt="p",
        category="nonsense",
        owasp=("LLM11:2025", "LLM01:2025"),
        atlas=("AML.T9999", "AML.T0054"),
        law=("없는법", "형법"),
    )
    problems = tax.problems(bad)
    assert len(problems) == 4
    assert any("LLM11:2025" in m for m in problems)
    assert any("AML.T9999" in m for m in problems)
    assert any("없는법" in m for m in problems)
    assert any("nonsense" in m for m in problems)
    good = Probe(id="y", prompt="p", category="hate", owasp=("ASI02",), atlas=("AML.T0051.001",))
    assert tax.problems(good) == []


def test_describe_resolves_names() -> None:
    tax = load_taxonomy()
    p = Probe(id="z", prompt="p", owasp=("LLM01:2025",), atlas=("AML.T0054",), law=("형법", "??"))
    d = tax.describe(p)
    assert d["owasp"][0]["name"] == "Prompt Injection"
    assert d["atlas"][0]["tactic"] == "Privilege Escalation"
    assert d["law"][1] == {"id": "??", "name": None}


@pytest.mark.parametrize("suite", [s.name for s in list_suites()])
def test_every_shipped_probe_cites_known_ids(suite: str) -> None:
    tax = load_taxonomy()
    probes = list(load_suite(suite))
    assert probes
    assert tax.check(probes) == []
