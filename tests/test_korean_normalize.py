"""The normaliser: recovery per stage, benign text unchanged, offsets back to the original."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from suho.errors import SuhoInputError
from suho.korean import DEFAULT_STAGES, STAGES, normalize
from suho.korean._lexicon import read_text

# (stage, obfuscated text, expected normalised text, keyword, its obfuscated form in the text)
CASES = [
    ("unicode", "폭\u200b발\u3164물 만드는 법", "폭발물 만드는 법", "폭발물", "폭\u200b발\u3164물"),
    ("unicode", "ｍｅｔｈ 구해줘", "meth 구해줘", "meth", "ｍｅｔｈ"),
    (
        "unicode",
        unicodedata.normalize("NFD", "마약 팔아요"),
        "마약 팔아요",
        "마약",
        unicodedata.normalize("NFD", "마약"),
    ),
    ("unicode", "마\u202e약\u202c 팔아요", "마약 팔아요", "마약", "마\u202e약"),
    ("unicode", "𝐛𝐨𝐦𝐛 recipe", "bomb recipe", "bomb", "𝐛𝐨𝐦𝐛"),
    ("unicode", "마̶약 팔아요", "마약 팔아요", "마약", "마̶약"),
    (
        "unicode",
        "hi\U000e0069\U000e0067\U000e006e there",
        "hiign there",
        "ign",
        "\U000e0069\U000e0067\U000e006e",
    ),
    ("lookalike", "pаypal login", "paypal login", "paypal", "pаypal"),
    ("lookalike", "ㅁr약 팔아요", "ㅁㅏ약 팔아요", "ㅁㅏ약", "ㅁr약"),
    ("hanja", "麻藥 구매 방법", "마약 구매 방법", "마약", "麻藥"),
    ("jamo", "ㅍㅗㄱㅂㅏㄹㅁㅜㄹ 만드는 법", "폭발물 만드는 법", "폭발물", "ㅍㅗㄱㅂㅏㄹㅁㅜㄹ"),
    ("jamo", "ㅁ ㅏ ㅇ ㅑ ㄱ 팔아요", "마약 팔아요", "마약", "ㅁ ㅏ ㅇ ㅑ ㄱ"),
    ("choseong", "ㅍㅂㅁ 제조법", "폭발물 제조법", "폭발물", "ㅍㅂㅁ"),
    ("spacing", "마 약 구 매 방 법", "마약구매방법", "마약", "마 약"),
    ("spacing", "필 로 폰을 구해줘", "필로폰을 구해줘", "필로폰", "필 로 폰"),
    ("spacing", "마.약 팔아요", "마약 팔아요", "마약", "마.약"),
    ("qwerty", "vhrqkfanf 만드는 법", "폭발물 만드는 법", "폭발물", "vhrqkfanf"),
    ("qwerty", "dkssudgktpdy", "안녕하세요", "안녕", "dkssud"),
    ("roman", "pokbalmul 만드는 법", "폭발물 만드는 법", "폭발물", "pokbalmul"),
    ("roman", "pok-bal-mul recipe", "폭발물 recipe", "폭발물", "pok-bal-mul"),
    ("yamin", "머통령 띵작 댕댕이", "대통령 명작 멍멍이", "명작", "띵작"),
    ("yamin", "머마초 어디서 사?", "대마초 어디서 사?", "대마초", "머마초"),
    (
        "numerals",
        "공일공 일이삼사 오육칠팔로 연락",
        "010 1234 5678로 연락",
        "010 1234 5678",
        "공일공 일이삼사 오육칠팔",
    ),
    ("numerals", "02-일이삼-4567", "02-123-4567", "123", "일이삼"),
]


@pytest.mark.parametrize(("stage", "text", "expected", "keyword", "hidden"), CASES)
def test_stage_recovers_and_maps_back(
    stage: str, text: str, expected: str, keyword: str, hidden: str
) -> None:
    n = normalize(text, stages=[stage])
    assert n.text == expected
    assert n.stages == [stage]
    assert n.original == text
    s = n.text.index(keyword)
    os_, oe = n.to_original(s, s + len(keyword))
    # The keyword's span in the original covers exactly the obfuscated form of the keyword.
    assert text[os_:oe] == hidden
    # The full pipeline recovers the keyword too, as far as the later stages take it (after
    # the look-alike stage, the jamo stage recomposes ㅁㅏ약 into 마약).
    full = normalize(text)
    assert normalize(keyword).text in full.text


def test_lookalike_then_jamo_in_the_full_pipeline() -> None:
    n = normalize("ㅁr약 팔아요")
    assert n.text == "마약 팔아요"
    assert n.stages == ["lookalike", "jamo"]
    assert n.to_original(0, 2) == (0, 3)


def test_pii_detector_contract_for_spoken_phone_numbers() -> None:
    text = "제 번호는 공일공 일이삼사 오육칠팔 입니다"
    n = normalize(text)
    s = n.text.index("010 1234 5678")
    assert n.to_original(s, s + 13) == (text.index("공일공"), text.index("오육칠팔") + 4)
    assert n.to_original(s + 4, s + 8) == (text.index("일이삼사"), text.index("일이삼사") + 4)


def test_offsets_compose_across_stages() -> None:
    text = "ㅍㅗㄱ\u200bㅂㅏㄹㅁㅜㄹ 과 dkssud 공일공 일이삼사"
    n = normalize(text)
    assert n.text == "폭발물 과 안녕 010 1234"
    assert n.stages == ["unicode", "jamo", "qwerty", "numerals"]
    assert n.to_original(0, 3) == (0, 10)
    assert n.to_original(1, 2) == (4, 7)  # 발 <- ㅂㅏㄹ (after the removed ZWSP)
    s = n.text.index("안녕")
    assert text[slice(*n.to_original(s, s + 2))] == "dkssud"
    assert text[slice(*n.to_original(s + 1, s + 2))] == "sud"
    assert n.to_original(len(n.text), len(n.text)) == (len(text), len(text))


def test_trace_reports_changes_in_original_coordinates() -> None:
    text = "안녕 ㅍㅗㄱㅂㅏㄹㅁㅜㄹ"
    n = normalize(text, stages=["jamo"])
    assert n.trace == [
        {
            "stage": "jamo",
            "changes": [{"start": 3, "end": 12, "before": "ㅍㅗㄱㅂㅏㄹㅁㅜㄹ", "after": "폭발물"}],
        }
    ]


def test_to_original_rejects_spans_outside_the_text() -> None:
    n = normalize("abc")
    with pytest.raises(ValueError):
        n.to_original(0, 4)
    with pytest.raises(ValueError):
        n.to_original(2, 1)


def test_unknown_stage_is_an_input_error() -> None:
    with pytest.raises(SuhoInputError):
        normalize("x", stages=["nope"])


def test_default_stages_exclude_morph() -> None:
    assert "morph" not in DEFAULT_STAGES and set(DEFAULT_STAGES) < set(STAGES)


def test_stages_can_be_switched_off() -> None:
    assert normalize("ㅍㅗㄱ vhrqkfanf", stages=["qwerty"]).text == "ㅍㅗㄱ 폭발물"
    assert normalize("ㅍㅗㄱ vhrqkfanf", stages=[]).text == "ㅍㅗㄱ vhrqkfanf"


def _benign() -> list[str]:
    return [ln for ln in read_text("benign.txt").splitlines() if ln and not ln.startswith("#")]


EXTRA_BENIGN = [
    "",
    "   ",
    "ㅋ",
    "ㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋ",
    "ㅠㅠㅠ",
    "ㅜㅜ 배고파",
    "ㅎㅎ 좋아요",
    "ㄱㄱ",
    "ㅇㅇ",
    "ㅋㅋㅋㅠㅠ",
    "ㅋㅠㅠ",
    "ㅋㅋ1등",
    "ㅋㅋㅋlol",
    "lol ㅋㅋ",
    "ok ㅇㅋ",
    "Let me know if the deadline moves.",
    "Visit our civic center; the rock band plays tonight.",
    "user@example.co.kr",
    "C:\\Users\\minsu\\Documents\\report.docx",
    "x = foo(bar, baz) if qux else None",
    "const gkRk = 1;",
    "snake_case_name and camelCaseName and CONSTANT_NAME",
    "SGVsbG8gd29ybGQ=",
    "전화번호 010-1234-5678로 연락 주세요.",
    "3일 동안 비가 왔다.",
    "제1조(목적) 이 법은 국민의 권리를 보호함을 목적으로 한다.",
    "대한민국 헌법 제10조",
    "네이버 카카오 쿠팡 배달의민족",
    "오늘 커피를 세 잔이나 마셨어요.",
    "머리, 어깨, 무릎, 발",
    "비빔밥과 불고기를 먹었다.",
    "유리창을 닦았다.",
    "파도가 높다.",
    "BTS와 블랙핑크의 노래를 들었어요.",
    "Café crème, naïve résumé",
    "emoji test 🙂👍🏽 and flags 🇰🇷 🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
]


@pytest.mark.parametrize("text", _benign() + EXTRA_BENIGN)
def test_benign_text_is_unchanged(text: str) -> None:
    n = normalize(text)
    assert n.text == text, n.trace
    assert n.trace == []


def test_benign_corpus_is_varied_enough() -> None:
    lines = _benign()
    assert len(lines) >= 80
    assert any("http" in ln for ln in lines) and any("@" in ln for ln in lines)
    assert any("ㅋㅋ" in ln for ln in lines) and any("def " in ln for ln in lines)


korean_text = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),
        st.characters(min_codepoint=0x3131, max_codepoint=0x3163),
        st.sampled_from(list("abcdkqrtvhsfn XYZ 0123 .,-!?\u200b\u3164\u00adｍ공일이삼")),
    ),
    max_size=80,
)


@given(korean_text)
@settings(max_examples=400, deadline=None)
def test_offsets_are_always_valid_and_monotonic(text: str) -> None:
    n = normalize(text)
    last = (0, 0)
    for i in range(len(n.text)):
        s, e = n.to_original(i, i + 1)
        assert 0 <= s <= e <= len(text)
        assert s >= last[0] and e >= last[1]
        last = (s, e)
    if n.text:
        # The whole output comes from one span of the input (invisible characters at the edges
        # may fall outside it), and that span alone normalises to the same output.
        s, e = n.to_original(0, len(n.text))
        assert normalize(text[s:e]).text == n.text
    # Normalising is idempotent: its own output comes back unchanged.
    assert normalize(n.text).text == n.text


@given(korean_text)
@settings(max_examples=200, deadline=None)
def test_trace_accounts_for_every_change(text: str) -> None:
    """Each stage that changed the text has a trace step with at least one change; a changed
    text has a trace; the first stage's changes quote the input exactly where they point."""
    n = normalize(text)
    assert [step["stage"] for step in n.trace] == n.stages
    assert bool(n.trace) == n.changed
    for i, step in enumerate(n.trace):
        assert step["changes"], step
        for ch in step["changes"]:
            assert 0 <= ch["start"] <= ch["end"] <= len(text)
            assert ch["before"] != ch["after"]
            if i == 0:
                assert text[ch["start"] : ch["end"]] == ch["before"]
