"""Exports: STIX 2.1 round trip, AVID report structure, the Korean KISA draft, redaction, CLI."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import stix2

from _report_fixtures import make_run, mixed_specs
from suho.errors import SuhoInputError
from suho.export import write_export
from suho.export._stix import TLP_IDS
from suho.store import Store

SECRET = "Sure, here is the whole plan: STEP-ONE-" + "z" * 50


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'x.db'}")


@pytest.fixture
def run(store: Store) -> str:
    specs = mixed_specs()
    for sp in specs:
        if sp.get("outcome") == "complied" and sp["lang"] == "en":
            sp["response"] = SECRET
    return make_run(store, "run-x", specs)


def export(store: Store, rid: str, fmt: str, **kw: object) -> str:
    buf = io.StringIO()
    write_export(store, rid, fmt, buf, **kw)  # type: ignore[arg-type]
    return buf.getvalue()


# ---- STIX ----------------------------------------------------------------------------------


@pytest.mark.parametrize("tlp", sorted(TLP_IDS))
def test_stix_round_trips_with_markings(store: Store, run: str, tlp: str) -> None:
    text = export(store, run, "stix", tlp=tlp)
    bundle = stix2.parse(text)
    objs = {o.id: o for o in bundle.objects}
    types = [o.type for o in bundle.objects]
    assert {
        "identity",
        "attack-pattern",
        "vulnerability",
        "relationship",
        "note",
        "report",
        "marking-definition",
    } <= set(types)
    marking = objs[TLP_IDS[tlp]]
    assert marking.name == f"TLP:{tlp.upper()}"
    ext = marking.extensions["extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"]
    assert ext["tlp_2_0"] == tlp
    for o in bundle.objects:
        if o.type not in ("marking-definition",):
            assert list(o.object_marking_refs) == [TLP_IDS[tlp]]
    report = next(o for o in bundle.objects if o.type == "report")
    assert report.lang == "ko" and all(ref in objs for ref in report.object_refs)


def test_stix_findings_carry_atlas_and_owasp_references(store: Store, run: str) -> None:
    bundle = stix2.parse(export(store, run, "stix"))
    vulns = [o for o in bundle.objects if o.type == "vulnerability"]
    # One vulnerability per failing (category, transform): see the SARIF test for the same set.
    expected = {
        (s["category"], s["transform"])
        for s in mixed_specs()
        if s.get("expected", "refuse") == "refuse"
        and s.get("status", "done") == "done"
        and s["outcome"] != "refused"
    }
    assert len(vulns) == len(expected)
    for v in vulns:
        assert v.lang == "ko" and "공격 성공률" in v.name
        refs = {(r["source_name"], r["external_id"]) for r in v.external_references}
        assert ("mitre-atlas", "AML.T0054") in refs and (
            "owasp-llm-top-10-2025",
            "LLM01:2025",
        ) in refs
        atlas = next(r for r in v.external_references if r["source_name"] == "mitre-atlas")
        assert atlas["url"].startswith("https://atlas.mitre.org/")
    patterns = [o for o in bundle.objects if o.type == "attack-pattern"]
    assert {p.id for p in patterns} == {
        r.source_ref for r in bundle.objects if r.type == "relationship"
    }
    notes = [o for o in bundle.objects if o.type == "note"]
    assert all("95%" in n.content for n in notes)
    en = [o for o in bundle.objects if o.type == "language-content"]
    assert en and all("en" in o.contents for o in en)


def test_stix_is_deterministic_and_redacts(store: Store, run: str) -> None:
    a, b = export(store, run, "stix"), export(store, run, "stix")
    assert json.loads(a)["id"] == json.loads(b)["id"]
    assert [o["id"] for o in json.loads(a)["objects"]] == [
        o["id"] for o in json.loads(b)["objects"]
    ]
    assert SECRET[:60] in a  # unredacted: notes quote an excerpt
    red = export(store, run, "stix", redact=True)
    assert SECRET[30:60] not in red and hashlib.sha256(SECRET.encode()).hexdigest() in red
    stix2.parse(red)


# ---- AVID ----------------------------------------------------------------------------------

SEP_PREFIXES = ("S0", "E0", "P0")


def test_avid_reports_follow_the_data_model(store: Store, run: str) -> None:
    lines = [json.loads(x) for x in export(store, run, "avid").splitlines()]
    cats = {
        s["category"]
        for s in mixed_specs()
        if s.get("expected", "refuse") == "refuse" and s.get("outcome") == "complied"
    }
    assert {r["metadata"]["report_id"].rsplit("-", 1)[-1] for r in lines} <= {
        c.rsplit("-", 1)[-1] for c in cats
    }
    assert len(lines) == len(cats)
    for r in lines:
        assert r["data_type"] == "AVID" and r["data_version"]
        assert r["affects"]["artifacts"] == [{"type": "Model", "name": "fake-model"}]
        assert (
            r["problemtype"]["classof"] == "LLM Evaluation"
            and r["problemtype"]["type"] == "Detection"
        )
        assert r["problemtype"]["description"]["lang"] == "eng"
        avid = r["impact"]["avid"]
        assert avid["taxonomy_version"] and avid["risk_domain"]
        assert all(s[:2] in SEP_PREFIXES and ": " in s for s in avid["sep_view"])
        assert all(x.startswith("L0") for x in avid["lifecycle_view"])
        for m in r["metrics"]:
            assert m["detection_method"]["type"] in ("Significance Test", "Static Threshold")
            f = m["features"]["measured"]
            assert f["successes"] <= f["trials"] and f["ci95"][0] <= f["rate"] <= f["ci95"][1]
        assert any(ref["label"].startswith("AML.T0054") for ref in r["references"])
        assert r["reported_date"].count("-") == 2


def test_avid_redacts_examples(store: Store, run: str) -> None:
    assert SECRET[:60] in export(store, run, "avid")
    assert SECRET[30:60] not in export(store, run, "avid", redact=True)


# ---- KISA draft ----------------------------------------------------------------------------


def test_kisa_draft_is_korean_and_complete(store: Store, run: str) -> None:
    md = export(store, run, "kisa", tlp="amber+strict")
    for section in (
        "## 1. 개요",
        "## 2. 대상 시스템",
        "## 3. 평가 방법",
        "## 4. 주요 발견 사항",
        "## 5. 재현 정보",
        "## 6. 위험도",
        "## 7. 권고 사항",
        "## 8. 관련 법령",
    ):
        assert section in md
    assert "TLP:AMBER+STRICT" in md
    assert (
        "인공지능 발전과 신뢰 기반 조성 등에 관한 기본법" in md
        and "제32조(인공지능 안전성 확보 의무)" in md
    )
    assert "정보통신망 이용촉진 및 정보보호 등에 관한 법률" in md  # from the probes' law tag
    assert "95% 신뢰구간" in md and "p00-ko" in md
    # Always redacted, even without --redact.
    assert SECRET[30:60] not in md and hashlib.sha256(SECRET.encode()).hexdigest() in md


def test_kisa_escapes_markdown_from_data(store: Store) -> None:
    rid = make_run(
        store,
        "run-md",
        [
            {
                "probe_id": "x-ko",
                "category": "cat<img src=x onerror=alert(1)>",
                "prompt": "p",
                "response": "<script>alert(1)</script> [link](javascript:alert(1))",
                "outcome": "complied",
            }
        ],
    )
    md = export(store, rid, "kisa")
    assert "<img" not in md and "<script>" not in md and "](javascript:" not in md


def test_bad_format_and_tlp_are_input_errors(store: Store, run: str) -> None:
    with pytest.raises(SuhoInputError):
        export(store, run, "pdf")
    with pytest.raises(SuhoInputError):
        export(store, run, "stix", tlp="white")


# ---- CLI -----------------------------------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "suho", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_export_and_report_formats(store: Store, run: str, tmp_path: Path) -> None:
    db = str(tmp_path / "x.db")
    r = cli("export", "latest", "--db", db, "--format", "stix", "--tlp", "TLP:GREEN", "--redact")
    assert r.returncode == 0, r.stderr
    assert stix2.parse(r.stdout) and SECRET[30:60] not in r.stdout
    out = tmp_path / "draft.md"
    r = cli("export", run, "--db", db, "--format", "kisa", "--out", str(out))
    assert r.returncode == 0 and out.read_text(encoding="utf-8").startswith("# AI 모델")
    r = cli("export", run, "--db", db, "--format", "avid")
    assert r.returncode == 0 and all(
        json.loads(x)["data_type"] == "AVID" for x in r.stdout.splitlines()
    )
    for bad in (("--format", "pdf"), ("--tlp", "white")):
        r = cli("export", run, "--db", db, *bad)
        assert r.returncode == 2 and r.stderr.startswith("error:")
    for fmt in ("sarif", "junit"):
        r = cli("report", run, "--db", db, "--format", fmt)
        assert r.returncode == 0 and r.stdout.strip()
    r = cli("report", run, "--db", db, "--format", "json", "--redact")
    assert (
        r.returncode == 0
        and json.loads(r.stdout)["redacted"] is True
        and SECRET[30:60] not in r.stdout
    )
    r = cli("report", run, "--db", db, "--format", "pdf")
    assert r.returncode == 2
