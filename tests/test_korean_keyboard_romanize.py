"""2-beolsik keyboard map, Revised Romanisation, Hangul numerals."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from suho.korean import (
    digits_to_numerals,
    from_qwerty,
    numerals_to_digits,
    romanize,
    romanize_letters,
    to_qwerty,
)

ALL = "".join(chr(c) for c in range(0xAC00, 0xD7A4))


@pytest.mark.parametrize(
    ("ko", "keys"),
    [
        ("폭발물", "vhrqkfanf"),
        ("안녕하세요", "dkssudgktpdy"),
        ("괜찮아", "rhoscksgdk"),
        ("닭", "ekfr"),
        ("빠르게", "Qkfmrp"),
        ("얘기", "dOrl"),
        ("의사", "dmltk"),
    ],
)
def test_known_keys(ko: str, keys: str) -> None:
    assert to_qwerty(ko) == keys
    assert from_qwerty(keys) == ko


def test_every_syllable_round_trips_through_the_keyboard() -> None:
    for ch in ALL:
        assert from_qwerty(to_qwerty(ch)) == ch, ch


def test_caps_lock_types_the_same_jamo_except_shift_keys() -> None:
    assert from_qwerty("VHRQKFANF") != "폭발물"  # Q/R/E/... are shifted consonants
    assert from_qwerty("DKSSUD") == "안녕"


@given(st.text(alphabet=st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3), max_size=60))
@settings(max_examples=200, deadline=None)
def test_keyboard_round_trip_random_words(word: str) -> None:
    assert from_qwerty(to_qwerty(word)) == word


@pytest.mark.parametrize(
    ("ko", "rr"),
    [
        ("한국어", "hangugeo"), ("서울", "seoul"), ("부산", "busan"), ("신라", "silla"), ("종로", "jongno"),
        ("국물", "gungmul"), ("같이", "gachi"), ("좋고", "joko"), ("합니다", "hamnida"), ("독립", "dongnip"),
        ("백마", "baengma"), ("왕십리", "wangsimni"), ("별내", "byeollae"), ("해돋이", "haedoji"),
        ("설날", "seollal"), ("대관령", "daegwallyeong"), ("굳이", "guji"), ("맞히다", "machida"),
        ("폭발물", "pokbalmul"), ("마약", "mayak"), ("울산", "ulsan"), ("김치", "gimchi"), ("불고기", "bulgogi"),
        ("읽다", "ikda"), ("닭", "dak"), ("좋아", "joa"), ("않고", "anko"), ("싫어", "sireo"), ("축하", "chuka"),
        ("놓다", "nota"), ("잡혀", "japyeo"), ("의사", "uisa"), ("협력", "hyeomnyeok"), ("심리", "simni"),
    ],
)  # fmt: skip
def test_revised_romanisation_with_sound_changes(ko: str, rr: str) -> None:
    assert romanize(ko) == rr


def test_romanise_keeps_other_text_and_word_breaks() -> None:
    assert romanize("폭발물 만드는 법!") == "pokbalmul mandeuneun beop!"
    assert romanize_letters("국물") == "gukmul"


@given(
    st.text(
        alphabet=st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3), min_size=1, max_size=30
    )
)
@settings(max_examples=200, deadline=None)
def test_romanisation_is_ascii_lowercase(word: str) -> None:
    out = romanize(word)
    assert out.isascii() and out == out.lower() and out


def test_numerals() -> None:
    assert numerals_to_digits("공일공 일이삼사 오육칠팔") == "010 1234 5678"
    assert numerals_to_digits("팔오공삼일이") == "850312"
    assert (
        numerals_to_digits("일요일 오후 이삼일 사이사이 오오오")
        == "일요일 오후 이삼일 사이사이 오오오"
    )
    assert numerals_to_digits("일이", min_run=3) == "일이"
    assert digits_to_numerals("010-1234") == "공일공-일이삼사"
    assert digits_to_numerals("0", zero="영") == "영"
    assert numerals_to_digits(digits_to_numerals("01098765432")) == "01098765432"
