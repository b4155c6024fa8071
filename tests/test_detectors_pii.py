"""pii-kr: measured accuracy on the shipped set, validators, obfuscation, spans on the original."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_cli
from suho.detectors import DetectInput
from suho.detectors._eval import evaluate, load_validation
from suho.detectors._pii import (
    PII_KINDS,
    PiiKrDetector,
    birth_date_ok,
    brn_check_ok,
    crn_check_ok,
    luhn_ok,
    rrn_check_ok,
)
from suho.errors import SuhoInputError


@pytest.fixture(scope="module")
def pii() -> PiiKrDetector:
    return PiiKrDetector()


def _rrn(yymmdd: str, g: str, body: str) -> str:
    """A 주민등록번호 with a valid pre-2020 check digit (for building test data)."""
    w = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
    d = yymmdd + g + body
    s = sum(int(c) * k for c, k in zip(d, w, strict=True))
    return f"{yymmdd}-{g}{body}{(11 - s % 11) % 10}"


def _kinds(pii: PiiKrDetector, text: str) -> list[tuple[str, str]]:
    spans, _ = pii.find(text)
    return [(s.kind, text[s.start : s.end]) for s in spans]


def test_validation_set_covers_every_kind_and_hard_negatives() -> None:
    recs = load_validation("pii")
    assert len(recs) >= 200
    kinds = {s["kind"] for r in recs for s in r["spans"]}
    assert kinds == set(PII_KINDS)
    negatives = [r for r in recs if not r["spans"]]
    assert len(negatives) >= 80
    tags = {t for r in negatives for t in r["tags"]}
    assert {"date", "order", "isbn", "price", "coordinates", "ip", "impossible_date"} <= tags
    for r in recs:  # spans point into the text
        for s in r["spans"]:
            assert 0 <= s["start"] < s["end"] <= len(r["text"])


def test_pii_recall_and_precision_meet_the_bar(pii: PiiKrDetector) -> None:
    rep = evaluate("pii-kr", split="all", detector=pii)
    assert rep.overall.recall >= 0.95 and rep.overall.precision >= 0.95, (
        rep.overall.to_dict(),
        rep.errors,
    )
    for lang, m in rep.by_lang.items():
        assert m.recall >= 0.95 and m.precision >= 0.95, (lang, m.to_dict())
    for kind, m in rep.by_kind.items():
        assert m.recall >= 0.85 and m.precision >= 0.9, (kind, m.to_dict())


def test_check_digits() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert luhn_ok("378282246310005")  # Amex test number, 15 digits
    # 사업자등록번호: weights 1,3,7,1,3,7,1,3,5 plus the carry of the ninth digit times 5
    body = "214861837"
    s = sum(int(c) * k for c, k in zip(body, (1, 3, 7, 1, 3, 7, 1, 3, 5), strict=True))
    s += int(body[8]) * 5 // 10
    check = (10 - s % 10) % 10
    assert brn_check_ok(body + str(check))
    assert not brn_check_ok(body + str((check + 1) % 10))
    rrn = _rrn("850315", "2", "15882").replace("-", "")
    assert rrn_check_ok(rrn) and not rrn_check_ok(rrn[:12] + str((int(rrn[12]) + 1) % 10))
    crn = "110111612345"
    s = sum(int(c) * (1 if i % 2 == 0 else 2) for i, c in enumerate(crn))
    crn += str((10 - s % 10) % 10)
    assert crn_check_ok(crn) and not crn_check_ok(crn[:12] + str((int(crn[12]) + 1) % 10))


def test_dates() -> None:
    assert birth_date_ok("000229", "3")  # 2000 was a leap year
    assert not birth_date_ok("010229", "3")
    assert not birth_date_ok("991332", "1") and not birth_date_ok("950231", "2")
    assert not birth_date_ok("991231", "3")  # 2099: in the future
    assert birth_date_ok("991231", "1")


def test_post_2020_rrn_without_check_digit_is_still_found(pii: PiiKrDetector) -> None:
    text = "주민등록번호 210514-3827194 로 가입"
    found = _kinds(pii, text)
    assert found == [("rrn", "210514-3827194")]
    v = pii.check(DetectInput(text=text))
    assert v.hit and 0.5 < v.spans[0].score < 0.95  # no check digit: lower confidence, not rejected
    valid = _rrn("850315", "2", "15882")
    assert pii.find(f"주민번호 {valid}")[0][0].score >= 0.95


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("주민번호 900101-1****** 님", "rrn"),
        ("외국인등록번호 920303-5******", "arn"),
        ("사업자등록번호 214-86-18372", None),  # check digit decides
        ("여권번호: M12873405", "passport"),
        ("passport M482B1937", "passport"),
        ("운전면허 11-19-384726-51", "driver_license"),
        ("연락처 010-2948-6613", "phone"),
        ("Call +82 10-3391-2748", "phone"),
        ("사무실 02-3142-8856", "phone"),
        ("신한 110-482-937561 로 입금", "bank_account"),
        ("메일 minji.park@example.co.kr", "email"),
        ("메일 hana.choi [at] example [dot] com", "email"),
    ],
)
def test_each_kind(pii: PiiKrDetector, text: str, kind: str | None) -> None:
    found = _kinds(pii, text)
    if kind is None:
        d = "".join(c for c in text if c.isdigit())
        assert bool(found) == brn_check_ok(d)
    else:
        assert [k for k, _ in found] == [kind], found


@pytest.mark.parametrize(
    "text",
    [
        "회의는 2024-03-15 오후 2시",
        "주문번호 240115-1234567 확인",  # RRN-shaped order number
        "ISBN-13: 9780306406157",
        "가격은 1,234,567원입니다.",
        "좌표: 37.5665, 126.9780",
        "서버 IP 192.168.10.254",
        "991332-1234567 은 불가능한 날짜",
        "고객센터 1588-1234",
        "긴급 112, 119",
        "참조 번호 110-482-937561",  # an account-like number with no bank word
        "상품 코드 M12873405",  # a passport-like code with no label
        "추적 번호 4532-1234-5678-9012",
        "@everyone 공지, 트위터 @seoul_news",
    ],
)
def test_hard_negatives(pii: PiiKrDetector, text: str) -> None:
    assert _kinds(pii, text) == []


def test_card_needs_luhn_and_issuer(pii: PiiKrDetector) -> None:
    body = "451829304417022"
    check = next(c for c in "0123456789" if luhn_ok(body + c))
    good = f"{body[:4]}-{body[4:8]}-{body[8:12]}-{body[12:]}{check}"
    assert _kinds(pii, f"카드번호 {good}") == [("card", good)]
    bad = good[:-1] + str((int(check) + 1) % 10)
    assert _kinds(pii, f"카드번호 {bad}") == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("연락처 ０１０－７１２３－４５８０ 입니다", "０１０－７１２３－４５８０"),  # fullwidth
        ("번호 O1O-4471-2280 입니다", "O1O-4471-2280"),  # letter O for zero
        ("0 1 0 - 6 2 7 1 - 9 0 4 8 여기로", "0 1 0 - 6 2 7 1 - 9 0 4 8"),  # one digit at a time
        ("공1공-38이4-5오67 로 카톡", "공1공-38이4-5오67"),  # Hangul digits inside a number
    ],
)
def test_obfuscated_digits_spans_on_the_original(pii: PiiKrDetector, text: str, value: str) -> None:
    v = pii.check(DetectInput(text=text))
    assert v.hit and len(v.spans) == 1
    s = v.spans[0]
    assert s.kind == "phone" and text[s.start : s.end] == value == s.text
    assert v.evidence.get("views")


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("제 폰 공일공-사오육칠-일이삼사 로 연락줘요", "phone", "공일공-사오육칠-일이삼사"),
        ("번호는 공일공 칠칠삼이 팔구공일 이야", "phone", "공일공 칠칠삼이 팔구공일"),
        ("주민번호 011111-4\u200b256308 확인", "rrn", "011111-4\u200b256308"),
        ("메일 ｙｕｎａ＠ｅｘａｍｐｌｅ．ｃｏｍ 로", "email", "ｙｕｎａ＠ｅｘａｍｐｌｅ．ｃｏｍ"),
    ],
)
def test_korean_normaliser_views_map_back(
    pii: PiiKrDetector, text: str, kind: str, value: str
) -> None:
    v = pii.check(DetectInput(text=text))
    assert [(s.kind, text[s.start : s.end]) for s in v.spans] == [(kind, value)]
    assert "normalized" in " ".join(v.evidence.get("views", []))


def test_hangul_numerals_in_prose_are_not_numbers(pii: PiiKrDetector) -> None:
    for text in (
        "삼일절과 광복절은 공휴일입니다.",
        "일이 많아서 오늘은 이만 사요.",
        "이사 오시는 날 육개장",
    ):
        assert _kinds(pii, text) == []


@settings(max_examples=60, deadline=None)
@given(
    year=st.integers(0, 99),
    month=st.integers(1, 12),
    day=st.integers(1, 28),
    body=st.text("0123456789", min_size=5, max_size=5),
    prefix=st.sampled_from(["주민번호 ", "RRN: ", "정보 "]),
)
def test_any_valid_rrn_is_found_where_it_is(
    year: int, month: int, day: int, body: str, prefix: str
) -> None:
    g = "3" if year <= 20 else "1"  # 2000-2020 or 1921-1999: never in the future
    rrn = _rrn(f"{year:02d}{month:02d}{day:02d}", g, body)
    text = f"{prefix}{rrn} 입니다"
    spans, _ = PiiKrDetector().find(text)
    assert [(s.kind, s.start, s.end) for s in spans] == [
        ("rrn", len(prefix), len(prefix) + len(rrn))
    ]


def test_kinds_option_and_bad_kind() -> None:
    only_email = PiiKrDetector(kinds=["email"])
    assert [s.kind for s in only_email.find("010-2948-6613, a@example.com")[0]] == ["email"]
    with pytest.raises(SuhoInputError):
        PiiKrDetector(kinds=["nope"])


def test_cli_detect_pii_spans_on_original(tmp_path: Path) -> None:
    rng = random.Random(3)
    rrn = _rrn("900101", "1", "".join(rng.choice("0123456789") for _ in range(5)))
    rows = [
        {"id": "a", "text": f"주민번호 {rrn}, 폰 공일공-사오육칠-일이삼사"},
        {"id": "b", "text": "회의는 2024-03-15 입니다"},
    ]
    f = tmp_path / "in.jsonl"
    f.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
    )
    r = run_cli("detect", "pii-kr", str(f))
    assert r.returncode == 0, r.stderr
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b"]
    a, b = out
    assert a["detector"] == "pii-kr" and a["hit"] is True and b["hit"] is False and b["spans"] == []
    text = rows[0]["text"]
    got = [(s["kind"], text[s["start"] : s["end"]]) for s in a["spans"]]
    assert got == [("rrn", rrn), ("phone", "공일공-사오육칠-일이삼사")]
