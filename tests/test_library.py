"""The shipped probe library: coverage, pairing, variants, suites, and content rules."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import pytest

from suho.errors import SuhoInputError
from suho.probes import Probe, load_library, load_suite, load_taxonomy
from suho.probes import _load as load_mod

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _by_intent() -> dict[str, list[Probe]]:
    out: dict[str, list[Probe]] = defaultdict(list)
    for p in load_library():
        out[p.intent_id].append(p)
    return out


def test_size_and_categories() -> None:
    lib = load_library()
    intents = _by_intent()
    assert len(intents) >= 200
    assert len(lib) >= 400
    cats = {p.category for p in lib}
    library_cats = {
        k for k, v in load_taxonomy().categories.items() if v.get("scope") != "datasets"
    }
    assert cats == library_cats  # all 14, nothing else (the rest are for public datasets)
    per_cat = Counter(p.category for p in lib if p.lang == "en")
    assert min(per_cat.values()) >= 10, per_cat


def test_every_intent_is_a_ko_en_pair_with_obvious_ids() -> None:
    for intent, probes in _by_intent().items():
        kinds = sorted((p.lang, p.variant or "") for p in probes)
        assert kinds in (
            [("en", ""), ("ko", "literal")],
            [("en", ""), ("ko", "adapted"), ("ko", "literal")],
        ), intent
        for p in probes:
            suffix = {"": "en", "literal": "ko", "adapted": "ko-adapted"}[p.variant or ""]
            assert p.id == f"{intent}-{suffix}"
            assert len({q.category for q in probes}) == 1
            assert len({q.expected for q in probes}) == 1
            assert len({q.system for q in probes}) == 1  # same deployment for every language
            if p.lang == "ko":
                assert HANGUL.search(p.prompt), p.id
            else:
                assert not HANGUL.search(p.prompt), p.id


def test_adapted_variants_differ_from_the_literal_translation() -> None:
    adapted = [p for p in load_library() if p.variant == "adapted"]
    assert len({p.intent_id for p in adapted}) >= 50
    literal = {p.intent_id: p for p in load_library() if p.variant == "literal"}
    for p in adapted:
        assert p.prompt != literal[p.intent_id].prompt
        assert p.expected == "refuse"


def test_over_refusal_controls() -> None:
    ctrl = [p for p in load_library() if p.category == "over-refusal"]
    ko = [p for p in ctrl if p.lang == "ko"]
    assert len(ko) >= 60
    assert len([p for p in ctrl if p.lang == "en"]) == len(ko)
    assert all(p.expected == "comply" for p in ctrl)
    assert all(any(t.startswith("looks-like:") for t in p.tags) for p in ctrl)
    # the classic lookalikes are there
    text = " ".join(p.prompt for p in ko)
    for word in ("마약김밥", "폭탄세일", "킬러문항", "대마도", "총알배송", "CTF"):
        assert word in text, word
    # every harmful probe is expected to be refused
    assert all(p.expected == "refuse" for p in load_library() if p.category != "over-refusal")


def test_harmful_probes_carry_owasp_atlas_and_law() -> None:
    for p in load_library():
        if p.expected == "refuse":
            assert p.owasp and p.atlas and p.law, p.id
            assert p.goal, p.id


def test_no_real_personal_data_in_prompts() -> None:
    phone = re.compile(r"01[016789]-?\d{3,4}-?\d{4}")
    rrn = re.compile(r"\d{6}-[1-4]\d{6}")
    email = re.compile(r"[\w.+-]+@([\w-]+\.)+\w+")
    account = re.compile(r"\d{2,6}(-\d{2,6}){2,4}")
    for p in load_library():
        text = p.prompt + (p.system or "")
        assert not phone.search(text), p.id
        assert not rrn.search(text), p.id
        for m in email.finditer(text):
            assert m.group(0).endswith("@example.com"), p.id
        for m in account.finditer(text):
            assert set(m.group(0)) <= {"0", "-"}, (p.id, m.group(0))


def test_prompts_are_unique() -> None:
    counts = Counter(p.prompt for p in load_library())
    assert [k for k, v in counts.items() if v > 1] == []


def test_suites() -> None:
    lib = load_library()
    quick = list(load_suite("quick"))
    assert 28 <= len(quick) <= 32
    assert {p.lang for p in quick} == {"ko", "en"}
    assert all(p.variant != "adapted" for p in quick)
    assert len({p.category for p in quick}) == 14
    standard = list(load_suite("standard"))
    assert standard == [p for p in lib if p.expected == "refuse"]
    over = list(load_suite("over-refusal"))
    assert over == [p for p in lib if p.category == "over-refusal"]
    cyber = list(load_suite("cyber"))
    assert {p.id for p in lib if p.category == "cyber-offense"} <= {p.id for p in cyber}
    assert {p.category for p in cyber} == {"cyber-offense", "agent-misuse"}
    assert all("cyber" in p.tags for p in cyber if p.category == "agent-misuse")
    assert list(load_suite("full")) == list(lib)


def test_unknown_suite_and_bad_selection_are_input_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SuhoInputError, match="unknown suite 'nope'; known suites: cyber"):
        load_suite("nope")
    monkeypatch.setattr(load_mod, "_read_index", lambda: {"x": {"select": {"colour": ["red"]}}})
    with pytest.raises(SuhoInputError, match=r"unknown selection key\(s\) \['colour'\]"):
        load_suite("x")


def test_selection_rules_combine() -> None:
    p = Probe(
        id="a-ko", prompt="가", intent_id="a", category="hate", tags=("x",), variant="adapted"
    )
    m = load_mod._rule_matches
    assert m({}, p)
    assert m({"categories": ["hate"], "langs": ["ko"]}, p)
    assert not m({"categories": ["hate"], "langs": ["en"]}, p)
    assert not m({"exclude_variants": ["adapted"]}, p)
    assert m({"tags": ["y", "x"]}, p)
    assert not m({"tags": ["y"]}, p)
    assert m({"intents": ["a"], "expected": "refuse"}, p)
    assert not m({"ids": ["a-en"]}, p)
