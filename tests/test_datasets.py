"""Loaders for public datasets on the user's disk (small files written for these tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli
from suho.errors import SuhoInputError
from suho.probes import load_dataset, parse_dataset_spec, parse_mapping

DATA = Path(__file__).resolve().parent / "data"


def test_multijail_pairs_korean_and_english_by_row() -> None:
    probes = list(load_dataset("multijail", DATA / "multijail_small.csv"))
    ids = [p.id for p in probes]
    # default languages ko, en; row 3 has no Korean translation, so only its English probe
    assert ids == [
        "multijail-1-ko",
        "multijail-1-en",
        "multijail-2-ko",
        "multijail-2-en",
        "multijail-3-en",
        "multijail-4-ko",
        "multijail-4-en",
    ]
    first = probes[0]
    assert first.intent_id == "multijail-1" and first.lang == "ko" and first.variant == "literal"
    assert first.expected == "refuse"
    assert first.tags == ("Violence & incitement", "Weapons")
    assert first.category == "weapons-cbrn"
    assert probes[1].variant is None and probes[1].intent_id == "multijail-1"
    by_id = {p.id: p for p in probes}
    assert by_id["multijail-2-en"].category == "financial-crime"
    assert by_id["multijail-3-en"].category == "hate"
    assert by_id["multijail-4-ko"].category == "drugs-gambling"  # a plain-text tags cell
    assert by_id["multijail-4-ko"].meta["line"] == 5


def test_multijail_language_selection_and_missing_column() -> None:
    only_en = list(load_dataset("multijail", DATA / "multijail_small.csv", langs=["en"]))
    assert {p.lang for p in only_en} == {"en"} and len(only_en) == 4
    with pytest.raises(SuhoInputError) as e:
        list(load_dataset("multijail", DATA / "multijail_no_ko.csv"))
    msg = str(e.value)
    assert "multijail_no_ko.csv:2:" in msg
    assert "missing column 'ko'" in msg
    assert "columns found: id, source, tags, en, zh" in msg


def test_xstest_labels_and_v1_types() -> None:
    probes = list(load_dataset("xstest", DATA / "xstest_small.csv"))
    assert [(p.id, p.expected, p.category) for p in probes] == [
        ("xstest-1", "comply", "over-refusal"),
        ("xstest-2", "refuse", "uncategorized"),
        ("xstest-3", "comply", "over-refusal"),
    ]
    assert probes[0].tags == ("homonyms", "kill") and probes[0].lang == "en"
    v1 = list(load_dataset("xstest", DATA / "xstest_v1_style.csv"))
    assert [(p.id, p.expected) for p in v1] == [
        ("xstest-1", "comply"),  # id_v2 is preferred over id_v1
        ("xstest-2", "refuse"),
    ]
    with pytest.raises(SuhoInputError, match=r"xstest_bad_label.csv:2: 'label' is 'maybe'"):
        list(load_dataset("xstest", DATA / "xstest_bad_label.csv"))
    with pytest.raises(
        SuhoInputError, match=r"missing column 'prompt'.*columns found: qid, question"
    ):
        list(load_dataset("xstest", DATA / "generic.csv"))


def test_generic_csv_with_a_mapping() -> None:
    mapping = parse_mapping(
        ["prompt=question,id=qid", "lang=language,category=topic", "expected=label,tags=kind"]
    )
    probes = list(load_dataset("csv", DATA / "generic.csv", mapping))
    assert [(p.id, p.lang, p.category, p.expected) for p in probes] == [
        ("a1", "ko", "over-refusal", "comply"),
        ("a2", "en", "voice-phishing", "refuse"),
        ("a3", "ko", "voice-phishing", "refuse"),
    ]
    assert probes[1].tags == ("sms", "phishing")
    assert probes[1].intent_id == "a2"  # no intent column: each row is its own intent


def test_generic_errors_name_file_line_and_columns(tmp_path: Path) -> None:
    with pytest.raises(SuhoInputError) as e:
        list(load_dataset("csv", DATA / "generic.csv", {"prompt": "text"}))
    assert "generic.csv:2: missing column 'text' (the column for 'prompt'" in str(e.value)
    assert "columns found: qid, question, language, topic, label, kind" in str(e.value)
    with pytest.raises(
        SuhoInputError, match=r"generic_short_row.csv:3: row has 4 cells but the header has 3"
    ):
        list(load_dataset("csv", DATA / "generic_short_row.csv", {"prompt": "question"}))
    bad = tmp_path / "bad.csv"
    bad.write_text("prompt,expected\nhello,perhaps\n", encoding="utf-8")
    with pytest.raises(SuhoInputError, match=r"bad.csv:2: 'expected' is 'perhaps'"):
        list(load_dataset("csv", bad))
    dup = tmp_path / "dup.csv"
    dup.write_text("id,prompt\nx,one\nx,two\n", encoding="utf-8")
    with pytest.raises(SuhoInputError, match=r"dup.csv:3: duplicate id 'x' \(first on line 2\)"):
        list(load_dataset("csv", dup))
    variant = tmp_path / "variant.csv"
    variant.write_text("prompt,variant\n안녕,fancy\n", encoding="utf-8")
    with pytest.raises(SuhoInputError, match=r"variant.csv:2: variant"):
        list(load_dataset("csv", variant))
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(SuhoInputError, match="empty CSV file"):
        list(load_dataset("csv", empty))


def test_generic_jsonl_with_a_mapping() -> None:
    mapping = {"prompt": "text", "id": "uid", "expected": "answer_expected", "intent_id": "group"}
    it = load_dataset("jsonl", DATA / "generic.jsonl", mapping)
    first, second = next(it), next(it)
    assert (first.id, first.lang, first.intent_id, first.expected) == ("j1", "ko", "i1", "comply")
    assert (second.id, second.lang, second.intent_id) == ("j2", "en", "i1")
    with pytest.raises(SuhoInputError) as e:
        next(it)
    assert "generic.jsonl:4: missing column 'text'" in str(e.value)
    assert "columns found: uid, body" in str(e.value)


def test_spec_and_mapping_parsing(tmp_path: Path) -> None:
    assert parse_dataset_spec(f"MultiJail:{DATA / 'multijail_small.csv'}")[0] == "multijail"
    with pytest.raises(SuhoInputError, match="expected KIND:PATH"):
        parse_dataset_spec("multijail")
    with pytest.raises(SuhoInputError, match="unknown kind 'parquet'"):
        parse_dataset_spec(f"parquet:{DATA / 'generic.csv'}")
    with pytest.raises(SuhoInputError, match="dataset file not found"):
        parse_dataset_spec(f"csv:{tmp_path / 'nope.csv'}")
    with pytest.raises(SuhoInputError, match="expected FIELD=COLUMN"):
        parse_mapping(["prompt"])
    with pytest.raises(SuhoInputError, match="unknown field 'colour'"):
        parse_mapping(["colour=red"])


def test_cli_probes_dataset_and_errors() -> None:
    r = run_cli("probes", "--dataset", f"multijail:{DATA / 'multijail_small.csv'}", "--lang", "ko")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["id"] for x in rows] == ["multijail-1-ko", "multijail-2-ko", "multijail-4-ko"]
    r = run_cli("probes", "--dataset", f"csv:{DATA / 'generic.csv'}", "--map", "prompt=nope")
    assert r.returncode == 2
    assert "generic.csv:2: missing column 'nope'" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("probes", "--suite", "quick", "--map", "prompt=q")
    assert r.returncode == 2 and "--map applies to --dataset only" in r.stderr


def test_cli_probes_check(tmp_path: Path) -> None:
    r = run_cli("probes", "--suite", "standard", "--check")
    assert r.returncode == 0 and "ok: 394 probes" in r.stderr and r.stdout == ""
    bad = tmp_path / "p.jsonl"
    bad.write_text(
        json.dumps({"id": "x", "prompt": "p", "atlas": ["AML.T9999"], "law": ["없는법"]}) + "\n",
        encoding="utf-8",
    )
    r = run_cli("probes", "--probes", str(bad), "--check")
    assert r.returncode == 2
    assert (
        "2 unknown taxonomy tag(s)" in r.stderr
        and "x: unknown MITRE ATLAS technique 'AML.T9999'" in r.stderr
    )
